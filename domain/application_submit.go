package domain

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/google/uuid"
)

// SubmitInput is a citizen's application: the id and the human number the
// command layer assigned, the service's code, the form as decoded from JSON
// and the ids of documents on the account to attach.
type SubmitInput struct {
	ApplicationID uuid.UUID
	Number        string
	Service       string
	Form          map[string]any
	DocumentIDs   []uuid.UUID
}

// applicationNumber is the format of a human application number, YYYY-NNNNNN.
var applicationNumber = regexp.MustCompile(`^[0-9]{4}-[0-9]{6}$`)

// ValidApplicationNumber reports whether n has the form YYYY-NNNNNN.
func ValidApplicationNumber(n string) bool { return applicationNumber.MatchString(n) }

// SubmitApplication files an application for a catalog service, on the day
// today (cal counts working days for the deadline and the form's rules). It
// refuses, in this order: a missing actor; an unknown id or one already on
// the account (application_exists); a malformed number; an unknown service
// (service_unknown); an account below the service's level (level_too_low,
// with required and current); a service that needs a legal stay without a
// stay-right document in force (no_legal_stay); an invalid form
// (validation_failed with field errors, or notification_late when lateness
// is the only problem); documents not on the account (document_unknown) or
// expired (document_expired); and documents the service requires but
// nobody attached (documents_missing, naming them in Details["missing"]).
// It records ApplicationSubmitted, and FeeCharged for a service with a fee.
func (a *ForeignerAccount) SubmitApplication(in SubmitInput, actor Actor, now time.Time, today Date, cal *Calendar) error {
	if cal == nil {
		return errors.New("domain: SubmitApplication needs a calendar")
	}
	if err := actor.check(); err != nil {
		return err
	}
	if !a.registered {
		return NewError(CodeAccountNotFound, "account %s is not registered", a.id)
	}
	switch {
	case in.ApplicationID == uuid.Nil:
		return fieldError("application_id", CodeRequired, "the application id is required")
	case a.apps.byID[in.ApplicationID] != nil:
		return NewError(CodeApplicationExists, "application %s already exists", in.ApplicationID)
	case !ValidApplicationNumber(in.Number):
		return fieldError("number", CodePattern, "an application number reads YYYY-NNNNNN")
	}
	svc, ok := ServiceByCode(in.Service)
	if !ok {
		return fieldError("service", CodeServiceUnknown, fmt.Sprintf("there is no service %q", in.Service))
	}
	if err := a.eligible(svc, today); err != nil {
		return err
	}
	form, fieldErrs := checkForm(svc, in.Form, today, cal)
	if len(fieldErrs) > 0 {
		return formError(fieldErrs)
	}
	docIDs, err := a.attachable(in.DocumentIDs, today)
	if err != nil {
		return err
	}
	if err := a.documentsComplete(svc, docIDs); err != nil {
		return err
	}
	var deadline Date
	if svc.Fee.IsZero() {
		deadline = cal.AddWorkingDays(today, svc.DeadlineDays)
	}
	ref := refOf(in.ApplicationID, actor)
	now = now.UTC()
	a.record(ApplicationSubmitted{
		ApplicationRef: ref,
		Number:         in.Number,
		Service:        svc.Code,
		Form:           form,
		DocumentIDs:    docIDs,
		Fee:            svc.Fee,
		Deadline:       deadline,
		OccurredAt:     now,
	})
	if !svc.Fee.IsZero() {
		a.record(FeeCharged{ApplicationRef: ref, Amount: svc.Fee.Amount, Currency: svc.Fee.Currency, OccurredAt: now})
	}
	return nil
}

// ResubmitApplication sends a rejected application back to review with
// corrections: a new form and/or new documents (nil keeps the old ones). It
// checks the application again as SubmitApplication does — level, legal
// stay, the new form, and the documents, old or new, must still be on the
// account, in force and complete — and restarts the deadline from today.
func (a *ForeignerAccount) ResubmitApplication(id uuid.UUID, form map[string]any, docIDs []uuid.UUID, actor Actor, now time.Time, today Date, cal *Calendar) error {
	if cal == nil {
		return errors.New("domain: ResubmitApplication needs a calendar")
	}
	app, err := a.step(id, ActionResubmit, actor)
	if err != nil {
		return err
	}
	svc, ok := ServiceByCode(app.Service)
	if !ok {
		return fieldError("service", CodeServiceUnknown, fmt.Sprintf("the service %q is no longer offered", app.Service))
	}
	if err := a.eligible(svc, today); err != nil {
		return err
	}
	var newForm map[string]any
	if form != nil {
		var fieldErrs []FieldError
		if newForm, fieldErrs = checkForm(svc, form, today, cal); len(fieldErrs) > 0 {
			return formError(fieldErrs)
		}
	}
	attach := app.DocumentIDs
	if docIDs != nil {
		attach = docIDs
	}
	checked, err := a.attachable(attach, today)
	if err != nil {
		return err
	}
	if err := a.documentsComplete(svc, checked); err != nil {
		return err
	}
	var newDocs []uuid.UUID
	if docIDs != nil {
		newDocs = checked
	}
	a.record(ApplicationResubmitted{
		ApplicationRef: refOf(id, actor),
		Form:           newForm,
		DocumentIDs:    newDocs,
		Deadline:       cal.AddWorkingDays(today, svc.DeadlineDays),
		OccurredAt:     now.UTC(),
	})
	return nil
}

// ActionEdit is the citizen's edit of an application not yet accepted; it
// leaves the status as it is, so it is not in the transitions table.
const ActionEdit = "edit"

// EditApplication changes an application the citizen submitted, while no
// operator has accepted it — submitted, or awaiting_payment (the payment
// accepts it) — with a new form and/or documents (nil keeps the old ones),
// checked as SubmitApplication checks them. The deadline and the fee stay.
// Refused with invalid_transition (from, action edit) once accepted, and
// the refusals of SubmitApplication's checks.
func (a *ForeignerAccount) EditApplication(id uuid.UUID, form map[string]any, docIDs []uuid.UUID, actor Actor, now time.Time, today Date, cal *Calendar) error {
	if cal == nil {
		return errors.New("domain: EditApplication needs a calendar")
	}
	if err := actor.check(); err != nil {
		return err
	}
	app := a.apps.byID[id]
	switch {
	case app == nil:
		return NewError(CodeApplicationNotFound, "no application %s on this account", id)
	case app.Status != StatusSubmitted && app.Status != StatusAwaitingPayment:
		return NewError(CodeInvalidTransition, "an application %s can no longer be edited: it was accepted", app.Status).
			WithDetail("from", app.Status).WithDetail("action", ActionEdit).WithDetail("to", app.Status)
	case form == nil && docIDs == nil:
		return fieldError("form", CodeRequired, "send the new form, the new document_ids, or both")
	}
	svc, ok := ServiceByCode(app.Service)
	if !ok {
		return fieldError("service", CodeServiceUnknown, fmt.Sprintf("the service %q is no longer offered", app.Service))
	}
	var newForm map[string]any
	if form != nil {
		var fieldErrs []FieldError
		if newForm, fieldErrs = checkForm(svc, form, today, cal); len(fieldErrs) > 0 {
			return formError(fieldErrs)
		}
	}
	attach := app.DocumentIDs
	if docIDs != nil {
		attach = docIDs
	}
	checked, err := a.attachable(attach, today)
	if err != nil {
		return err
	}
	if err := a.documentsComplete(svc, checked); err != nil {
		return err
	}
	var newDocs []uuid.UUID
	if docIDs != nil {
		newDocs = checked
	}
	a.record(ApplicationEdited{ApplicationRef: refOf(id, actor), Status: app.Status, Form: newForm,
		DocumentIDs: newDocs, OccurredAt: now.UTC()})
	return nil
}

// eligible checks the account's level and legal stay against svc.
func (a *ForeignerAccount) eligible(svc Service, today Date) error {
	if lvl := a.Level(); !lvl.AtLeast(svc.Level) {
		return NewError(CodeLevelTooLow, "%s needs a %s account; this one is %q", svc.Code, svc.Level, lvl).
			WithDetail("required", svc.Level.String()).
			WithDetail("current", lvl.String())
	}
	if svc.RequiresStay && !a.HasValidStay(today) {
		return NewError(CodeNoLegalStay, "%s needs a stay-right document in force", svc.Code)
	}
	return nil
}

// formError turns a form's field errors into one refusal: notification_late
// when lateness is all that is wrong, else validation_failed.
func formError(fields []FieldError) error {
	code := CodeNotificationLate
	for _, f := range fields {
		if f.Code != CodeNotificationLate {
			code = CodeValidation
			break
		}
	}
	msg := "some fields of the form are invalid"
	if code == CodeNotificationLate {
		msg = "the arrival notification is late: the law gives 7 working days"
	}
	return &Error{Code: code, Message: msg, Fields: fields}
}

// attachable checks that every id names a document on the account that is
// in force on today, and returns the ids without repeats, in order.
// Unknown ids refuse with document_unknown, then expired ones with
// document_expired; each names its ids in Fields and Details["document_ids"].
func (a *ForeignerAccount) attachable(ids []uuid.UUID, today Date) ([]uuid.UUID, error) {
	out := make([]uuid.UUID, 0, len(ids))
	var unknown, expired []FieldError
	var unknownIDs, expiredIDs []string
	for i, id := range ids {
		if slices.Contains(out, id) {
			continue
		}
		out = append(out, id)
		path := fmt.Sprintf("document_ids[%d]", i)
		d, ok := a.Document(id)
		switch {
		case !ok:
			unknown = append(unknown, FieldError{Field: path, Code: CodeDocumentUnknown, Message: "no document " + id.String() + " on this account"})
			unknownIDs = append(unknownIDs, id.String())
		case !d.IsValidOn(today):
			expired = append(expired, FieldError{Field: path, Code: CodeDocumentExpired, Message: "document " + id.String() + " has expired"})
			expiredIDs = append(expiredIDs, id.String())
		}
	}
	if len(unknown) > 0 {
		e := &Error{Code: CodeDocumentUnknown, Message: "some documents are not on this account", Fields: unknown}
		return nil, e.WithDetail("document_ids", unknownIDs)
	}
	if len(expired) > 0 {
		e := &Error{Code: CodeDocumentExpired, Message: "some documents have expired", Fields: expired}
		return nil, e.WithDetail("document_ids", expiredIDs)
	}
	return out, nil
}

// documentsComplete checks that the attached documents meet every document
// requirement of svc; each missing one is named in Fields
// (documents.<code>) and in Details["missing"].
func (a *ForeignerAccount) documentsComplete(svc Service, ids []uuid.UUID) error {
	docs := make([]DocumentState, 0, len(ids))
	for _, id := range ids {
		if d, ok := a.Document(id); ok {
			docs = append(docs, d)
		}
	}
	var fields []FieldError
	var missing []string
	for _, r := range svc.Documents {
		if slices.ContainsFunc(docs, r.MetBy) {
			continue
		}
		fields = append(fields, FieldError{Field: "documents." + r.Code, Code: CodeDocumentsMissing, Message: r.Label.EN + " is required"})
		missing = append(missing, r.Code)
	}
	if len(missing) == 0 {
		return nil
	}
	e := &Error{Code: CodeDocumentsMissing, Message: "required documents are missing", Fields: fields}
	return e.WithDetail("missing", missing)
}
