package domain

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Support requests («Мои обращения», docs/DOMAIN.md §12): operators work 9:00–21:00
// Moscow time, every day; the clocks of a request run only in those hours.
const (
	// SupportOpensAt and SupportClosesAt bound the operators' day, Moscow hours.
	SupportOpensAt  = 9
	SupportClosesAt = 21
	// SupportFirstAnswer is the working time within which an operator answers.
	SupportFirstAnswer = 15 * time.Minute
	// SupportResolution is the working time within which a request is resolved.
	SupportResolution = 48 * time.Hour
	// SupportPriorityResolution is the working time for a data-security request.
	SupportPriorityResolution = 4 * time.Hour
	// maxSupportTopic and maxSupportText bound a request, in characters.
	maxSupportTopic = 200
	maxSupportText  = 5000
)

// Support request statuses.
const (
	SupportOpen     = "open"
	SupportAnswered = "answered"
	SupportResolved = "resolved"
	SupportClosed   = "closed"
)

// Support priorities: data_security requests are resolved within 4 hours.
const (
	PriorityNormal       = "normal"
	PriorityDataSecurity = "data_security"
)

// Support error codes.
const (
	CodeSupportRequestNotFound = "support_request_not_found"
)

// SupportDeadline adds d of operators' working time (9:00–21:00 Moscow,
// every day) to from: a request opened at 20:55 with 15 minutes to go is
// due at 9:10 the next morning; one opened at night starts at 9:00.
func SupportDeadline(from time.Time, d time.Duration) time.Time {
	t := from.In(Moscow)
	for {
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, Moscow)
		open, closeAt := day.Add(SupportOpensAt*time.Hour), day.Add(SupportClosesAt*time.Hour)
		switch {
		case t.Before(open):
			t = open
		case !t.Before(closeAt):
			t = day.AddDate(0, 0, 1).Add(SupportOpensAt * time.Hour)
			continue
		}
		left := closeAt.Sub(t)
		if d <= left {
			return t.Add(d).UTC()
		}
		d -= left
		t = closeAt
	}
}

// SupportInput is what a citizen writes to open a request.
type SupportInput struct {
	Topic    string
	Text     string
	Priority string // "" is normal
}

// SupportMessage is one message of a request's thread.
type SupportMessage struct {
	MessageID uuid.UUID `json:"message_id"`
	Text      string    `json:"text"`
	ByRole    string    `json:"by_role"`
	At        time.Time `json:"at"`
}

// SupportRequestState is one request as the account holds it.
type SupportRequestState struct {
	RequestID     uuid.UUID        `json:"request_id"`
	Number        string           `json:"number"`
	Topic         string           `json:"topic"`
	Priority      string           `json:"priority"`
	Status        string           `json:"status"`
	OpenedAt      time.Time        `json:"opened_at"`
	AnswerDue     time.Time        `json:"answer_due"` // zero while no answer is awaited
	ResolutionDue time.Time        `json:"resolution_due"`
	Messages      []SupportMessage `json:"messages"`
}

// SupportRequestOpened records a citizen's new request with its number and
// its deadlines: the first answer (FirstAnswerDue) and the resolution.
type SupportRequestOpened struct {
	RequestID      uuid.UUID `json:"request_id"`
	Number         string    `json:"number"`
	Topic          string    `json:"topic"`
	Text           string    `json:"text"`
	Priority       string    `json:"priority"`
	FirstAnswerDue time.Time `json:"first_answer_due"`
	ResolutionDue  time.Time `json:"resolution_due"`
	By             string    `json:"by"`
	ByRole         string    `json:"by_role"`
	OccurredAt     time.Time `json:"occurred_at"`
}

// SupportMessagePosted records a message in a request's thread. An
// operator's message answers the request; a citizen's reopens it, with a
// new AnswerDue.
type SupportMessagePosted struct {
	RequestID  uuid.UUID `json:"request_id"`
	MessageID  uuid.UUID `json:"message_id"`
	Text       string    `json:"text"`
	AnswerDue  time.Time `json:"answer_due,omitzero"`
	By         string    `json:"by"`
	ByRole     string    `json:"by_role"`
	OccurredAt time.Time `json:"occurred_at"`
}

// SupportRequestResolved records that an operator resolved a request.
type SupportRequestResolved struct {
	RequestID  uuid.UUID `json:"request_id"`
	By         string    `json:"by"`
	ByRole     string    `json:"by_role"`
	OccurredAt time.Time `json:"occurred_at"`
}

// SupportRequestClosed records that the citizen closed a request.
type SupportRequestClosed struct {
	RequestID  uuid.UUID `json:"request_id"`
	By         string    `json:"by"`
	ByRole     string    `json:"by_role"`
	OccurredAt time.Time `json:"occurred_at"`
}

// CheckSupportInput validates and normalises a new request: topic and
// text required and bounded, priority normal (the default) or data_security.
func CheckSupportInput(in SupportInput) (SupportInput, error) {
	var f fieldErrs
	out := SupportInput{Topic: strings.TrimSpace(in.Topic), Text: strings.TrimSpace(in.Text), Priority: strings.TrimSpace(in.Priority)}
	f.add(boundedText("topic", out.Topic, maxSupportTopic))
	f.add(boundedText("text", out.Text, maxSupportText))
	switch out.Priority {
	case "":
		out.Priority = PriorityNormal
	case PriorityNormal, PriorityDataSecurity:
	default:
		f.add(fieldError("priority", CodeEnum, "priority is normal or data_security"))
	}
	return out, ValidationError(f.fields)
}

// OpenSupportRequest validates in (CheckSupportInput) and records
// SupportRequestOpened with its number and deadlines computed from now in
// operators' working time.
func (a *ForeignerAccount) OpenSupportRequest(id uuid.UUID, number string, in SupportInput, actor Actor, now time.Time) error {
	if err := actor.check(); err != nil {
		return err
	}
	in, err := CheckSupportInput(in)
	if err != nil {
		return err
	}
	resolution := SupportResolution
	if in.Priority == PriorityDataSecurity {
		resolution = SupportPriorityResolution
	}
	now = now.UTC()
	a.record(SupportRequestOpened{
		RequestID: id, Number: number, Topic: in.Topic, Text: in.Text, Priority: in.Priority,
		FirstAnswerDue: SupportDeadline(now, SupportFirstAnswer), ResolutionDue: SupportDeadline(now, resolution),
		By: actor.ID, ByRole: actor.Role, OccurredAt: now,
	})
	return nil
}

// PostSupportMessage adds a message to request id's thread: an operator's
// (actor role "operator") answers it, the citizen's asks again. A closed
// request takes no messages (invalid_transition).
func (a *ForeignerAccount) PostSupportMessage(id, messageID uuid.UUID, text string, actor Actor, now time.Time) error {
	r, err := a.supportRequest(id, actor)
	if err != nil {
		return err
	}
	text = strings.TrimSpace(text)
	if err := boundedText("text", text, maxSupportText); err != nil {
		return err
	}
	if r.Status == SupportClosed {
		return invalidSupportTransition(r.Status, "message")
	}
	now = now.UTC()
	e := SupportMessagePosted{RequestID: id, MessageID: messageID, Text: text, By: actor.ID, ByRole: actor.Role, OccurredAt: now}
	if actor.Role != "operator" {
		e.AnswerDue = SupportDeadline(now, SupportFirstAnswer)
	}
	a.record(e)
	return nil
}

// ResolveSupportRequest records that an operator resolved request id.
func (a *ForeignerAccount) ResolveSupportRequest(id uuid.UUID, actor Actor, now time.Time) error {
	r, err := a.supportRequest(id, actor)
	if err != nil {
		return err
	}
	if r.Status != SupportOpen && r.Status != SupportAnswered {
		return invalidSupportTransition(r.Status, SupportResolved)
	}
	a.record(SupportRequestResolved{RequestID: id, By: actor.ID, ByRole: actor.Role, OccurredAt: now.UTC()})
	return nil
}

// CloseSupportRequest records that the citizen closed request id.
func (a *ForeignerAccount) CloseSupportRequest(id uuid.UUID, actor Actor, now time.Time) error {
	r, err := a.supportRequest(id, actor)
	if err != nil {
		return err
	}
	if r.Status == SupportClosed {
		return invalidSupportTransition(r.Status, SupportClosed)
	}
	a.record(SupportRequestClosed{RequestID: id, By: actor.ID, ByRole: actor.Role, OccurredAt: now.UTC()})
	return nil
}

// SupportRequest returns request id, if the account has it.
func (a *ForeignerAccount) SupportRequest(id uuid.UUID) (SupportRequestState, bool) {
	r, ok := a.desk.support[id]
	if !ok {
		return SupportRequestState{}, false
	}
	c := *r
	c.Messages = append([]SupportMessage(nil), r.Messages...)
	return c, true
}

func (a *ForeignerAccount) supportRequest(id uuid.UUID, actor Actor) (*SupportRequestState, error) {
	if err := actor.check(); err != nil {
		return nil, err
	}
	r, ok := a.desk.support[id]
	if !ok {
		return nil, NewError(CodeSupportRequestNotFound, "no support request %s on this account", id)
	}
	return r, nil
}

func invalidSupportTransition(from, to string) error {
	return NewError(CodeInvalidTransition, "a %s request cannot move to %s", from, to).
		WithDetail("from", from).WithDetail("to", to)
}

// boundedText checks a required text of at most max characters.
func boundedText(field, s string, max int) *Error {
	switch {
	case s == "":
		return fieldError(field, CodeRequired, field+" is required")
	case utf8.RuneCountInString(s) > max:
		return fieldError(field, CodeTooLong, field+" is too long")
	}
	return nil
}

// applySupport folds the support events.
func (d *desk) applySupport(e Event) {
	switch e := e.(type) {
	case SupportRequestOpened:
		d.support[e.RequestID] = &SupportRequestState{
			RequestID: e.RequestID, Number: e.Number, Topic: e.Topic, Priority: e.Priority, Status: SupportOpen,
			OpenedAt: e.OccurredAt, AnswerDue: e.FirstAnswerDue, ResolutionDue: e.ResolutionDue,
			Messages: []SupportMessage{{MessageID: e.RequestID, Text: e.Text, ByRole: e.ByRole, At: e.OccurredAt}},
		}
	case SupportMessagePosted:
		if r := d.support[e.RequestID]; r != nil {
			r.Messages = append(r.Messages, SupportMessage{MessageID: e.MessageID, Text: e.Text, ByRole: e.ByRole, At: e.OccurredAt})
			r.Status, r.AnswerDue = SupportAnswered, time.Time{}
			if !e.AnswerDue.IsZero() {
				r.Status, r.AnswerDue = SupportOpen, e.AnswerDue
			}
		}
	case SupportRequestResolved:
		if r := d.support[e.RequestID]; r != nil {
			r.Status, r.AnswerDue = SupportResolved, time.Time{}
		}
	case SupportRequestClosed:
		if r := d.support[e.RequestID]; r != nil {
			r.Status, r.AnswerDue = SupportClosed, time.Time{}
		}
	}
}
