package domain

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Rejection reasons (docs/DOMAIN.md §6: data that does not match the documents,
// expired or invalid documents, unreadable scans, missing fields or
// documents). clarification_timeout is the scheduler's alone.
const (
	ReasonDocumentsMissing     = "documents_missing"
	ReasonDocumentsInvalid     = "documents_invalid"
	ReasonDocumentExpired      = "document_expired"
	ReasonDataMismatch         = "data_mismatch"
	ReasonScanUnreadable       = "scan_unreadable"
	ReasonMissingFields        = "missing_fields"
	ReasonNotEligible          = "not_eligible"
	ReasonNoLegalStay          = "no_legal_stay"
	ReasonFeeNotPaid           = "fee_not_paid"
	ReasonClarificationTimeout = "clarification_timeout"
	ReasonOther                = "other"
)

var rejectionReasons = []string{
	ReasonDocumentsMissing, ReasonDocumentsInvalid, ReasonDocumentExpired, ReasonDataMismatch,
	ReasonScanUnreadable, ReasonMissingFields, ReasonNotEligible, ReasonNoLegalStay,
	ReasonFeeNotPaid, ReasonClarificationTimeout, ReasonOther,
}

// RejectionReasons lists every reason code an application may be rejected for.
func RejectionReasons() []string { return slices.Clone(rejectionReasons) }

// maxCommentLen bounds comments of operators and citizens, in characters.
const maxCommentLen = 2000

// step finds the application id and checks that action may move it now:
// actor required, application_not_found, invalid_transition.
func (a *ForeignerAccount) step(id uuid.UUID, action string, actor Actor) (*ApplicationState, error) {
	if err := actor.check(); err != nil {
		return nil, err
	}
	app := a.apps.byID[id]
	if app == nil {
		return nil, NewError(CodeApplicationNotFound, "no application %s on this account", id)
	}
	if _, err := move(app.Status, action); err != nil {
		return nil, err
	}
	return app, nil
}

// AcceptApplication records that an operator accepted a submitted application.
func (a *ForeignerAccount) AcceptApplication(id uuid.UUID, actor Actor, now time.Time) error {
	if _, err := a.step(id, ActionAccept, actor); err != nil {
		return err
	}
	a.record(ApplicationAccepted{ApplicationRef: refOf(id, actor), OccurredAt: now.UTC()})
	return nil
}

// StartReview records that an operator started reviewing an accepted application.
func (a *ForeignerAccount) StartReview(id uuid.UUID, actor Actor, now time.Time) error {
	if _, err := a.step(id, ActionStartReview, actor); err != nil {
		return err
	}
	a.record(ApplicationReviewStarted{ApplicationRef: refOf(id, actor), OccurredAt: now.UTC()})
	return nil
}

// RequestClarification asks the citizen, in comment (required), for more
// information by due, which must be after today.
func (a *ForeignerAccount) RequestClarification(id uuid.UUID, comment string, due Date, actor Actor, now time.Time, today Date) error {
	if _, err := a.step(id, ActionRequestClarification, actor); err != nil {
		return err
	}
	var errs []FieldError
	comment = cleanComment("comment", comment, true, &errs)
	switch {
	case due.IsZero():
		errs = append(errs, FieldError{Field: "due", Code: CodeRequired, Message: "the date to answer by is required"})
	case !due.After(today):
		errs = append(errs, FieldError{Field: "due", Code: CodeDateInPast, Message: "the date to answer by must be after today"})
	}
	if err := ValidationError(errs); err != nil {
		return err
	}
	a.record(ClarificationRequested{ApplicationRef: refOf(id, actor), Comment: comment, Due: due, OccurredAt: now.UTC()})
	return nil
}

// ProvideClarification records the citizen's answer: a comment, further
// documents on the account (in force on today), or both; the application
// returns to review. The working days of cal from the request to today do
// not count against the authority: its deadline moves by as many.
func (a *ForeignerAccount) ProvideClarification(id uuid.UUID, comment string, docIDs []uuid.UUID, actor Actor, now time.Time, today Date, cal *Calendar) error {
	if cal == nil {
		return errors.New("domain: ProvideClarification needs a calendar")
	}
	app, err := a.step(id, ActionProvideClarification, actor)
	if err != nil {
		return err
	}
	var errs []FieldError
	comment = cleanComment("comment", comment, false, &errs)
	if comment == "" && len(docIDs) == 0 {
		errs = append(errs, FieldError{Field: "comment", Code: CodeRequired, Message: "answer with a comment or documents"})
	}
	if err := ValidationError(errs); err != nil {
		return err
	}
	ids, err := a.attachable(docIDs, today)
	if err != nil {
		return err
	}
	var deadline Date
	if !app.Deadline.IsZero() && len(app.History) > 0 {
		asked := MoscowDate(app.History[len(app.History)-1].At) // the request: the status's last entry
		deadline = cal.AddWorkingDays(app.Deadline, max(cal.WorkingDaysBetween(asked, today), 0))
	}
	a.record(ClarificationProvided{ApplicationRef: refOf(id, actor), Comment: comment, DocumentIDs: ids,
		Deadline: deadline, OccurredAt: now.UTC()})
	return nil
}

// ApproveApplication records the positive decision and its result document.
// The result's number is required; its type defaults to the service's
// result type and its issue date to the day of now; a validity end, when
// given, must follow the issue date. A decision past the deadline is still
// accepted (the application was shown overdue meanwhile).
func (a *ForeignerAccount) ApproveApplication(id uuid.UUID, result ResultDocument, comment string, actor Actor, now time.Time) error {
	app, err := a.step(id, ActionApprove, actor)
	if err != nil {
		return err
	}
	var errs []FieldError
	comment = cleanComment("comment", comment, false, &errs)
	result.Number = cleanText("result_document.number", result.Number, 50, true, &errs)
	result.Type = cleanText("result_document.type", result.Type, 100, false, &errs)
	result.FileID = cleanText("result_document.file_id", result.FileID, 200, false, &errs)
	if result.Type == "" {
		if svc, ok := ServiceByCode(app.Service); ok {
			result.Type = svc.ResultType
		} else {
			result.Type = app.Service
		}
	}
	if result.IssuedAt.IsZero() {
		result.IssuedAt = DateOf(now)
	}
	if !result.ValidUntil.IsZero() && !result.ValidUntil.After(result.IssuedAt) {
		errs = append(errs, FieldError{Field: "result_document.valid_until", Code: CodeDateOrder, Message: "valid_until must be after issued_at"})
	}
	if err := ValidationError(errs); err != nil {
		return err
	}
	a.record(ApplicationApproved{ApplicationRef: refOf(id, actor), ResultDocument: result, Comment: comment, OccurredAt: now.UTC()})
	return nil
}

// RejectApplication records a refusal: one or more reason codes of
// RejectionReasons (clarification_timeout is the scheduler's), a comment
// (required with the reason other) and the missing or wrong documents
// (required with documents_missing), which the citizen then supplies in a
// resubmission.
func (a *ForeignerAccount) RejectApplication(id uuid.UUID, reasons []string, comment string, missing []string, actor Actor, now time.Time) error {
	if _, err := a.step(id, ActionReject, actor); err != nil {
		return err
	}
	var errs []FieldError
	var rs []string
	for i, r := range reasons {
		r = strings.TrimSpace(r)
		switch {
		case r == ReasonClarificationTimeout || !slices.Contains(rejectionReasons, r):
			errs = append(errs, FieldError{Field: fmt.Sprintf("reasons[%d]", i), Code: CodeEnum, Message: "unknown rejection reason " + r})
		case !slices.Contains(rs, r):
			rs = append(rs, r)
		}
	}
	if len(reasons) == 0 {
		errs = append(errs, FieldError{Field: "reasons", Code: CodeRequired, Message: "at least one reason is required"})
	}
	comment = cleanComment("comment", comment, slices.Contains(rs, ReasonOther), &errs)
	var docs []string
	for i, m := range missing {
		if m = cleanText(fmt.Sprintf("missing_documents[%d]", i), m, 100, true, &errs); m != "" && !slices.Contains(docs, m) {
			docs = append(docs, m)
		}
	}
	if slices.Contains(rs, ReasonDocumentsMissing) && len(docs) == 0 {
		errs = append(errs, FieldError{Field: "missing_documents", Code: CodeRequired, Message: "name the missing documents"})
	}
	if err := ValidationError(errs); err != nil {
		return err
	}
	a.record(ApplicationRejected{
		ApplicationRef: refOf(id, actor), Reasons: rs, Comment: comment,
		MissingDocuments: docs, OccurredAt: now.UTC(),
	})
	return nil
}

// TimeoutClarification rejects an application whose clarification went
// unanswered: only once today is after the due date (clarification_not_due
// before, with due in Details). The rejection carries
// clarification_timeout and Timeout.
func (a *ForeignerAccount) TimeoutClarification(id uuid.UUID, actor Actor, now time.Time, today Date) error {
	app, err := a.step(id, ActionTimeoutClarification, actor)
	if err != nil {
		return err
	}
	if !today.After(app.ClarificationDue) {
		return NewError(CodeClarificationNotDue, "the clarification may still be given until %s", app.ClarificationDue.Russian()).
			WithDetail("due", app.ClarificationDue.String())
	}
	a.record(ApplicationRejected{
		ApplicationRef: refOf(id, actor),
		Reasons:        []string{ReasonClarificationTimeout},
		Comment:        "no clarification was given by " + app.ClarificationDue.Russian(),
		Timeout:        true,
		OccurredAt:     now.UTC(),
	})
	return nil
}

// UnpaidFeeTimeout is how long an application waits in awaiting_payment
// before it is rejected with fee_not_paid.
const UnpaidFeeTimeout = 30 * 24 * time.Hour

// TimeoutUnpaidFee rejects an application whose fee went unpaid for
// UnpaidFeeTimeout since it was charged: fee_not_paid, Timeout, by the
// scheduler (payment_not_due before, with due in Details). The citizen is
// notified of the rejection like any other and may apply again.
func (a *ForeignerAccount) TimeoutUnpaidFee(id uuid.UUID, actor Actor, now time.Time) error {
	app, err := a.step(id, ActionTimeoutPayment, actor)
	if err != nil {
		return err
	}
	charged := app.History[len(app.History)-1].At // the status's last entry: FeeCharged
	due := charged.Add(UnpaidFeeTimeout)
	if now.Before(due) {
		return NewError(CodePaymentNotDue, "the fee may still be paid until %s", due.UTC().Format(time.RFC3339)).
			WithDetail("due", due.UTC().Format(time.RFC3339))
	}
	a.record(ApplicationRejected{
		ApplicationRef: refOf(id, actor),
		Reasons:        []string{ReasonFeeNotPaid},
		Comment:        fmt.Sprintf("the fee of %s was not paid within 30 days", app.Fee.Display()),
		Timeout:        true,
		OccurredAt:     now.UTC(),
	})
	return nil
}

// WithdrawApplication records that the citizen withdrew an application not
// yet decided.
func (a *ForeignerAccount) WithdrawApplication(id uuid.UUID, actor Actor, now time.Time) error {
	if _, err := a.step(id, ActionWithdraw, actor); err != nil {
		return err
	}
	a.record(ApplicationWithdrawn{ApplicationRef: refOf(id, actor), OccurredAt: now.UTC()})
	return nil
}

// PayFee records the payment gateway's confirmation of an application's
// fee, which accepts it and starts its deadline (cal counts working days
// from today). The amount and currency must be the fee's
// (payment_amount_mismatch, with expected and got in Details). A
// transaction already recorded for the application records nothing and
// returns nil, so a redelivered callback is harmless.
func (a *ForeignerAccount) PayFee(id uuid.UUID, amount int64, currency, transactionID string, actor Actor, now time.Time, today Date, cal *Calendar) error {
	if cal == nil {
		return errors.New("domain: PayFee needs a calendar")
	}
	if err := actor.check(); err != nil {
		return err
	}
	transactionID = strings.TrimSpace(transactionID)
	if transactionID == "" {
		return fieldError("transaction_id", CodeRequired, "the transaction id is required")
	}
	if app := a.apps.byID[id]; app != nil && app.paid(transactionID) {
		return nil
	}
	app, err := a.step(id, ActionPay, actor)
	if err != nil {
		return err
	}
	if amount != app.Fee.Amount || currency != app.Fee.Currency {
		return NewError(CodePaymentAmountMismatch, "the fee is %s, the payment was %s",
			Money{app.Fee.Amount, app.Fee.Currency}.Display(), Money{amount, currency}.Display()).
			WithDetail("expected_amount", app.Fee.Amount).
			WithDetail("expected_currency", app.Fee.Currency).
			WithDetail("amount", amount).
			WithDetail("currency", currency).
			WithDetail("expected", Money{app.Fee.Amount, app.Fee.Currency}.Display()).
			WithDetail("paid", Money{amount, currency}.Display())
	}
	days := 0
	if svc, ok := ServiceByCode(app.Service); ok {
		days = svc.DeadlineDays
	}
	a.record(FeePaid{
		ApplicationRef: refOf(id, actor), Amount: amount, Currency: currency,
		TransactionID: transactionID, Deadline: cal.AddWorkingDays(today, days), OccurredAt: now.UTC(),
	})
	return nil
}

// cleanComment trims a comment and checks its length (and presence when required).
func cleanComment(field, s string, required bool, errs *[]FieldError) string {
	return cleanText(field, s, maxCommentLen, required, errs)
}

// cleanText trims s and appends a field error when it is required and
// blank or longer than maxLen characters.
func cleanText(field, s string, maxLen int, required bool, errs *[]FieldError) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		*errs = append(*errs, FieldError{Field: field, Code: CodeRequired, Message: field + " is required"})
	case len([]rune(s)) > maxLen:
		*errs = append(*errs, FieldError{Field: field, Code: CodeTooLong, Message: fmt.Sprintf("%s is longer than %d characters", field, maxLen)})
		return ""
	}
	return s
}
