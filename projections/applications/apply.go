package applications

import (
	"slices"

	"github.com/kabinet/kabinet/domain"
)

// submit starts an application's state from its submission, as
// domain/applications.go does.
func submit(e domain.ApplicationSubmitted) *domain.ApplicationState {
	s := &domain.ApplicationState{
		ApplicationID: e.ApplicationID, Number: e.Number, Service: e.Service,
		Form: e.Form, DocumentIDs: slices.Clone(e.DocumentIDs), Fee: e.Fee,
		SubmittedAt: e.OccurredAt, Deadline: e.Deadline,
	}
	enter(s, domain.StatusChange{Status: domain.StatusSubmitted, At: e.OccurredAt, By: e.By, ByRole: e.ByRole, Event: e.EventType()})
	return s
}

// apply is the table: application event → what changes in its state and
// which history entry it adds. It mirrors the domain's own fold (a test
// holds them equal) because that fold is the aggregate's private business.
func apply(s *domain.ApplicationState, ref domain.ApplicationRef, e domain.Event, status string) {
	at := domain.EventTime(e)
	entry := domain.StatusChange{Status: status, At: at, By: ref.By, ByRole: ref.ByRole, Event: e.EventType()}
	switch e := e.(type) {
	case domain.FeeCharged:
		s.Fee = domain.Money{Amount: e.Amount, Currency: e.Currency}
	case domain.FeePaid:
		s.Payments = append(s.Payments, domain.Payment{Amount: e.Amount, Currency: e.Currency, TransactionID: e.TransactionID, At: at})
		s.Deadline = e.Deadline
	case domain.ClarificationRequested:
		s.ClarificationDue = e.Due
		entry.Comment = e.Comment
	case domain.ClarificationProvided:
		for _, id := range e.DocumentIDs {
			if !slices.Contains(s.DocumentIDs, id) {
				s.DocumentIDs = append(s.DocumentIDs, id)
			}
		}
		entry.Comment = e.Comment
		if !e.Deadline.IsZero() {
			s.Deadline = e.Deadline
		}
	case domain.ApplicationApproved:
		r := e.ResultDocument
		s.Result = &r
		entry.Comment = e.Comment
	case domain.ApplicationRejected:
		entry.Comment = e.Comment
		entry.Reasons = slices.Clone(e.Reasons)
		entry.MissingDocuments = slices.Clone(e.MissingDocuments)
	case domain.ApplicationResubmitted:
		if e.Form != nil {
			s.Form = e.Form
		}
		if e.DocumentIDs != nil {
			s.DocumentIDs = slices.Clone(e.DocumentIDs)
		}
		s.Deadline = e.Deadline
	case domain.ComplaintUpheld:
		s.Deadline = e.Deadline
		entry.Comment = e.Comment
	case domain.ApplicationEdited:
		if e.Form != nil {
			s.Form = e.Form
		}
		if e.DocumentIDs != nil {
			s.DocumentIDs = slices.Clone(e.DocumentIDs)
		}
		entry.Comment = "изменено заявителем"
	}
	if status != domain.StatusClarificationRequested {
		s.ClarificationDue = domain.Date{}
	}
	enter(s, entry)
}

func enter(s *domain.ApplicationState, c domain.StatusChange) {
	s.Status, s.StatusLabel, s.UpdatedAt = c.Status, domain.StatusLabel(c.Status), c.At
	s.History = append(s.History, c)
}
