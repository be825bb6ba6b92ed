package domain

import (
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"
)

// applications is every application of the account and its status, by id,
// in the order they were submitted. The zero value is no applications.
type applications struct {
	byID  map[uuid.UUID]*ApplicationState
	order []uuid.UUID
}

// ApplicationState is one application as the cabinet, the operator and the
// auditor see it. Deadline is the last working day for a decision (zero
// while a fee awaits payment); ClarificationDue is set while a
// clarification is awaited. History lists every status change, oldest first.
type ApplicationState struct {
	ApplicationID    uuid.UUID       `json:"application_id"`
	Number           string          `json:"number"`
	Service          string          `json:"service"`
	Status           string          `json:"status"`
	StatusLabel      string          `json:"status_label"`
	Form             map[string]any  `json:"form"`
	DocumentIDs      []uuid.UUID     `json:"document_ids"`
	Fee              Money           `json:"fee"`
	Payments         []Payment       `json:"payments"`
	SubmittedAt      time.Time       `json:"submitted_at"`
	UpdatedAt        time.Time       `json:"updated_at"`
	Deadline         Date            `json:"deadline"`
	ClarificationDue Date            `json:"clarification_due"`
	Result           *ResultDocument `json:"result,omitempty"`
	History          []StatusChange  `json:"history"`
}

// Payment is one confirmed payment of an application's fee.
type Payment struct {
	Amount        int64     `json:"amount"`
	Currency      string    `json:"currency"`
	TransactionID string    `json:"transaction_id"`
	At            time.Time `json:"at"`
}

// StatusChange is one entry of an application's history: the status it
// entered, when, by whom, through which event, and what was said.
type StatusChange struct {
	Status           string    `json:"status"`
	At               time.Time `json:"at"`
	By               string    `json:"by"`
	ByRole           string    `json:"by_role"`
	Event            string    `json:"event"`
	Comment          string    `json:"comment,omitempty"`
	Reasons          []string  `json:"reasons,omitempty"`
	MissingDocuments []string  `json:"missing_documents,omitempty"`
}

// Overdue reports whether the authority has let the deadline pass: today is
// after Deadline while the application waits on the authority (submitted,
// accepted, in review). An application waiting on the citizen (payment,
// clarification, resubmission) or decided is never overdue.
func (s ApplicationState) Overdue(today Date) bool {
	switch s.Status {
	case StatusSubmitted, StatusAccepted, StatusInReview:
		return !s.Deadline.IsZero() && today.After(s.Deadline)
	}
	return false
}

// paid reports whether a payment with transaction id tx is recorded.
func (s *ApplicationState) paid(tx string) bool {
	return slices.ContainsFunc(s.Payments, func(p Payment) bool { return p.TransactionID == tx })
}

// Applications returns the account's applications, oldest submission first.
// The states are copies: editing them changes nothing.
func (a *ForeignerAccount) Applications() []ApplicationState {
	out := make([]ApplicationState, 0, len(a.apps.order))
	for _, id := range a.apps.order {
		out = append(out, a.apps.byID[id].clone())
	}
	slices.SortStableFunc(out, func(x, y ApplicationState) int { return x.SubmittedAt.Compare(y.SubmittedAt) })
	return out
}

// Application returns the application with id, if the account has it.
func (a *ForeignerAccount) Application(id uuid.UUID) (ApplicationState, bool) {
	s, ok := a.apps.byID[id]
	if !ok {
		return ApplicationState{}, false
	}
	return s.clone(), true
}

// ApplicationCounts returns how many applications are in each status that
// has any.
func ApplicationCounts(apps []ApplicationState) map[string]int {
	counts := map[string]int{}
	for _, s := range apps {
		counts[s.Status]++
	}
	return counts
}

// apply folds one application event; others leave it unchanged. An event
// about an application the state does not know (only in a foreign history)
// is ignored.
func (s *applications) apply(e Event) {
	if e, ok := e.(ApplicationSubmitted); ok {
		s.submit(e)
		return
	}
	ref, status, ok := ApplicationStatusOf(e)
	if !ok {
		return
	}
	app := s.byID[ref.ApplicationID]
	if app == nil {
		return
	}
	at := EventTime(e)
	entry := StatusChange{Status: status, At: at, By: ref.By, ByRole: ref.ByRole, Event: e.EventType()}
	switch e := e.(type) {
	case FeeCharged:
		app.Fee = Money{Amount: e.Amount, Currency: e.Currency}
	case FeePaid:
		app.Payments = append(app.Payments, Payment{Amount: e.Amount, Currency: e.Currency, TransactionID: e.TransactionID, At: at})
		app.Deadline = e.Deadline
	case ClarificationRequested:
		app.ClarificationDue = e.Due
		entry.Comment = e.Comment
	case ClarificationProvided:
		for _, id := range e.DocumentIDs {
			if !slices.Contains(app.DocumentIDs, id) {
				app.DocumentIDs = append(app.DocumentIDs, id)
			}
		}
		entry.Comment = e.Comment
		if !e.Deadline.IsZero() {
			app.Deadline = e.Deadline
		}
	case ApplicationApproved:
		r := e.ResultDocument
		app.Result = &r
		entry.Comment = e.Comment
	case ApplicationRejected:
		entry.Comment = e.Comment
		entry.Reasons = slices.Clone(e.Reasons)
		entry.MissingDocuments = slices.Clone(e.MissingDocuments)
	case ApplicationResubmitted:
		if e.Form != nil {
			app.Form = cloneForm(e.Form)
		}
		if e.DocumentIDs != nil {
			app.DocumentIDs = slices.Clone(e.DocumentIDs)
		}
		app.Deadline = e.Deadline
	case ComplaintUpheld:
		app.Deadline = e.Deadline
		entry.Comment = e.Comment
	case ApplicationEdited:
		if e.Form != nil {
			app.Form = cloneForm(e.Form)
		}
		if e.DocumentIDs != nil {
			app.DocumentIDs = slices.Clone(e.DocumentIDs)
		}
		entry.Comment = "изменено заявителем"
	}
	if entry.Status != StatusClarificationRequested {
		app.ClarificationDue = Date{}
	}
	app.enter(entry)
}

func (s *applications) submit(e ApplicationSubmitted) {
	if s.byID == nil {
		s.byID = map[uuid.UUID]*ApplicationState{}
	}
	if _, dup := s.byID[e.ApplicationID]; dup {
		return
	}
	app := &ApplicationState{
		ApplicationID: e.ApplicationID,
		Number:        e.Number,
		Service:       e.Service,
		Form:          cloneForm(e.Form),
		DocumentIDs:   slices.Clone(e.DocumentIDs),
		Fee:           e.Fee,
		SubmittedAt:   e.OccurredAt,
		Deadline:      e.Deadline,
	}
	s.byID[e.ApplicationID] = app
	s.order = append(s.order, e.ApplicationID)
	app.enter(StatusChange{Status: StatusSubmitted, At: e.OccurredAt, By: e.By, ByRole: e.ByRole, Event: e.EventType()})
}

// enter moves the application into the entry's status and records it.
func (s *ApplicationState) enter(c StatusChange) {
	s.Status = c.Status
	s.StatusLabel = StatusLabel(c.Status)
	s.UpdatedAt = c.At
	s.History = append(s.History, c)
}

// ApplicationStatusOf tells, for an application event, which application it
// is about and the status it moves that application into — the one table
// of event → status that the aggregate and the read models share.
func ApplicationStatusOf(e Event) (ref ApplicationRef, status string, ok bool) {
	switch e := e.(type) {
	case ApplicationSubmitted:
		return e.ApplicationRef, StatusSubmitted, true
	case FeeCharged:
		return e.ApplicationRef, StatusAwaitingPayment, true
	case FeePaid:
		return e.ApplicationRef, StatusAccepted, true
	case ApplicationAccepted:
		return e.ApplicationRef, StatusAccepted, true
	case ApplicationReviewStarted:
		return e.ApplicationRef, StatusInReview, true
	case ClarificationRequested:
		return e.ApplicationRef, StatusClarificationRequested, true
	case ClarificationProvided:
		return e.ApplicationRef, StatusInReview, true
	case ApplicationEdited:
		return e.ApplicationRef, e.Status, true
	case ApplicationApproved:
		return e.ApplicationRef, StatusApproved, true
	case ApplicationRejected:
		return e.ApplicationRef, StatusRejected, true
	case ApplicationResubmitted:
		return e.ApplicationRef, StatusInReview, true
	case ApplicationWithdrawn:
		return e.ApplicationRef, StatusWithdrawn, true
	case ComplaintUpheld:
		return e.ApplicationRef, StatusInReview, true
	}
	return ApplicationRef{}, "", false
}

// clone deep-copies s, so a reader cannot change the aggregate's state.
func (s *ApplicationState) clone() ApplicationState {
	c := *s
	c.Form = cloneForm(s.Form)
	c.DocumentIDs = append([]uuid.UUID{}, s.DocumentIDs...)
	c.Payments = append([]Payment{}, s.Payments...)
	if s.Result != nil {
		r := *s.Result
		c.Result = &r
	}
	c.History = slices.Clone(s.History)
	for i, h := range c.History {
		h.Reasons = slices.Clone(h.Reasons)
		h.MissingDocuments = slices.Clone(h.MissingDocuments)
		c.History[i] = h
	}
	return c
}

// cloneForm deep-copies a JSON-shaped value map (nil stays nil).
func cloneForm(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := maps.Clone(m)
	for k, v := range out {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return cloneForm(v)
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = cloneValue(x)
		}
		return out
	}
	return v
}
