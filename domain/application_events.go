package domain

import (
	"strings"
	"time"

	"github.com/google/uuid"
)

// Actor is who makes a decision about an application: the actor's id (the
// token's subject, "system" for the scheduler) and role (citizen, operator,
// payment_gateway, system, …). The domain records it; who may do what is
// the transport's to enforce.
type Actor struct {
	ID   string
	Role string
}

// check refuses an actor without an id or a role: every application event
// must say who caused it.
func (ac Actor) check() error {
	if strings.TrimSpace(ac.ID) == "" || strings.TrimSpace(ac.Role) == "" {
		return fieldError("actor", CodeRequired, "the actor's id and role are required")
	}
	return nil
}

// ApplicationRef names the application an event is about and who caused
// the event; every application event embeds it, so its fields sit at the
// top level of the event's JSON.
type ApplicationRef struct {
	ApplicationID uuid.UUID `json:"application_id"`
	By            string    `json:"by"`
	ByRole        string    `json:"by_role"`
}

func refOf(id uuid.UUID, ac Actor) ApplicationRef {
	return ApplicationRef{ApplicationID: id, By: strings.TrimSpace(ac.ID), ByRole: strings.TrimSpace(ac.Role)}
}

// ApplicationSubmitted records that the citizen submitted an application
// for Service with a checked, normalised Form and DocumentIDs. Deadline is
// the last working day for a decision; for a service with a Fee it is null
// and set by FeePaid, because processing starts once the duty is paid.
type ApplicationSubmitted struct {
	ApplicationRef
	Number      string         `json:"number"`
	Service     string         `json:"service"`
	Form        map[string]any `json:"form"`
	DocumentIDs []uuid.UUID    `json:"document_ids"`
	Fee         Money          `json:"fee"`
	Deadline    Date           `json:"deadline"`
	OccurredAt  time.Time      `json:"occurred_at"`
}

// FeeCharged records that the state duty was charged: the application
// awaits its payment.
type FeeCharged struct {
	ApplicationRef
	Amount     int64     `json:"amount"`
	Currency   string    `json:"currency"`
	OccurredAt time.Time `json:"occurred_at"`
}

// FeePaid records the payment gateway's confirmation of the duty; it
// accepts the application and starts its Deadline.
type FeePaid struct {
	ApplicationRef
	Amount        int64     `json:"amount"`
	Currency      string    `json:"currency"`
	TransactionID string    `json:"transaction_id"`
	Deadline      Date      `json:"deadline"`
	OccurredAt    time.Time `json:"occurred_at"`
}

// ApplicationAccepted records that an operator accepted the application
// for processing.
type ApplicationAccepted struct {
	ApplicationRef
	OccurredAt time.Time `json:"occurred_at"`
}

// ApplicationReviewStarted records that an operator started the review.
type ApplicationReviewStarted struct {
	ApplicationRef
	OccurredAt time.Time `json:"occurred_at"`
}

// ClarificationRequested records that an operator asked the citizen for
// more information, to be given by Due (inclusive).
type ClarificationRequested struct {
	ApplicationRef
	Comment    string    `json:"comment"`
	Due        Date      `json:"due"`
	OccurredAt time.Time `json:"occurred_at"`
}

// ClarificationProvided records the citizen's answer: a comment and
// further documents, added to the application's; it is back in review.
type ClarificationProvided struct {
	ApplicationRef
	Comment     string      `json:"comment"`
	DocumentIDs []uuid.UUID `json:"document_ids"`
	// Deadline is the authority's deadline moved by the working days the
	// citizen took to answer, which do not count against it (zero: it
	// stays, as in histories written before the rule).
	Deadline   Date      `json:"deadline,omitzero"`
	OccurredAt time.Time `json:"occurred_at"`
}

// ResultDocument is what an approval issues: a patent, a certificate, a
// notification receipt… FileID is the blob of its PDF, when there is one.
type ResultDocument struct {
	Type       string `json:"type"`
	Number     string `json:"number"`
	IssuedAt   Date   `json:"issued_at"`
	ValidUntil Date   `json:"valid_until"`
	FileID     string `json:"file_id,omitempty"`
}

// ApplicationApproved records the positive decision and its result.
type ApplicationApproved struct {
	ApplicationRef
	ResultDocument ResultDocument `json:"result_document"`
	Comment        string         `json:"comment"`
	OccurredAt     time.Time      `json:"occurred_at"`
}

// ApplicationRejected records a refusal with reason codes, a comment and the
// missing or wrong documents. Timeout is set when the refusal is the
// scheduler's, because a clarification went unanswered past its due date.
type ApplicationRejected struct {
	ApplicationRef
	Reasons          []string  `json:"reasons"`
	Comment          string    `json:"comment"`
	MissingDocuments []string  `json:"missing_documents"`
	Timeout          bool      `json:"timeout"`
	OccurredAt       time.Time `json:"occurred_at"`
}

// ApplicationResubmitted records that the citizen corrected a rejected
// application and sent it back to review. Form and DocumentIDs are null when
// unchanged and replace the old ones otherwise; Deadline starts anew.
type ApplicationResubmitted struct {
	ApplicationRef
	Form        map[string]any `json:"form"`
	DocumentIDs []uuid.UUID    `json:"document_ids"`
	Deadline    Date           `json:"deadline"`
	OccurredAt  time.Time      `json:"occurred_at"`
}

// ApplicationWithdrawn records that the citizen withdrew the application.
type ApplicationWithdrawn struct {
	ApplicationRef
	OccurredAt time.Time `json:"occurred_at"`
}

// EventType implements Event.
func (ApplicationSubmitted) EventType() string { return "ApplicationSubmitted" }

// EventType implements Event.
func (FeeCharged) EventType() string { return "FeeCharged" }

// EventType implements Event.
func (FeePaid) EventType() string { return "FeePaid" }

// EventType implements Event.
func (ApplicationAccepted) EventType() string { return "ApplicationAccepted" }

// EventType implements Event.
func (ApplicationReviewStarted) EventType() string { return "ApplicationReviewStarted" }

// EventType implements Event.
func (ClarificationRequested) EventType() string { return "ClarificationRequested" }

// EventType implements Event.
func (ClarificationProvided) EventType() string { return "ClarificationProvided" }

// EventType implements Event.
func (ApplicationApproved) EventType() string { return "ApplicationApproved" }

// EventType implements Event.
func (ApplicationRejected) EventType() string { return "ApplicationRejected" }

// EventType implements Event.
func (ApplicationResubmitted) EventType() string { return "ApplicationResubmitted" }

// EventType implements Event.
func (ApplicationWithdrawn) EventType() string { return "ApplicationWithdrawn" }

func (e ApplicationSubmitted) occurredAt() time.Time     { return e.OccurredAt }
func (e FeeCharged) occurredAt() time.Time               { return e.OccurredAt }
func (e FeePaid) occurredAt() time.Time                  { return e.OccurredAt }
func (e ApplicationAccepted) occurredAt() time.Time      { return e.OccurredAt }
func (e ApplicationReviewStarted) occurredAt() time.Time { return e.OccurredAt }
func (e ClarificationRequested) occurredAt() time.Time   { return e.OccurredAt }
func (e ClarificationProvided) occurredAt() time.Time    { return e.OccurredAt }
func (e ApplicationApproved) occurredAt() time.Time      { return e.OccurredAt }
func (e ApplicationRejected) occurredAt() time.Time      { return e.OccurredAt }
func (e ApplicationResubmitted) occurredAt() time.Time   { return e.OccurredAt }
func (e ApplicationWithdrawn) occurredAt() time.Time     { return e.OccurredAt }

// applicationEventTypes are the events of applications (заявления).
var applicationEventTypes = []eventType{
	typeOf[ApplicationSubmitted](1),
	typeOf[FeeCharged](1),
	typeOf[FeePaid](1),
	typeOf[ApplicationAccepted](1),
	typeOf[ApplicationReviewStarted](1),
	typeOf[ClarificationRequested](1),
	typeOf[ClarificationProvided](1),
	typeOf[ApplicationApproved](1),
	typeOf[ApplicationRejected](1),
	typeOf[ApplicationResubmitted](1),
	typeOf[ApplicationWithdrawn](1),
	typeOf[ApplicationEdited](1),
}

// ApplicationEdited records that the citizen changed an application before
// an operator accepted it (docs/DOMAIN.md §6): Form and DocumentIDs replace the old
// ones when not null. Status is the status it stays in (submitted or
// awaiting_payment), so the history shows the edit.
type ApplicationEdited struct {
	ApplicationRef
	Status      string         `json:"status"`
	Form        map[string]any `json:"form"`
	DocumentIDs []uuid.UUID    `json:"document_ids"`
	OccurredAt  time.Time      `json:"occurred_at"`
}

// EventType implements Event.
func (ApplicationEdited) EventType() string { return "ApplicationEdited" }

func (e ApplicationEdited) occurredAt() time.Time { return e.OccurredAt }
