package domain

import (
	"strings"
	"time"

	"github.com/google/uuid"
)

// Complaints about a refusal (обжалование, docs/DOMAIN.md §12).
const (
	// ComplaintWindow is how long after a rejection a complaint may be filed.
	ComplaintWindow = 30 * 24 * time.Hour
	// Complaint outcomes.
	ComplaintUpheldOutcome    = "upheld"
	ComplaintDismissedOutcome = "dismissed"
	// ComplaintPending is a complaint not yet decided.
	ComplaintPending = "pending"
)

// Complaint error codes.
const (
	CodeComplaintTooLate       = "complaint_too_late"
	CodeComplaintPending       = "complaint_pending"
	CodeComplaintNotFound      = "complaint_not_found"
	CodeComplaintSameOperator  = "complaint_same_operator"
	CodeComplaintDecided       = "complaint_decided"
	CodeApplicationNotRejected = "application_not_rejected"
)

// ComplaintState is one complaint as the account holds it.
type ComplaintState struct {
	ComplaintID   uuid.UUID `json:"complaint_id"`
	ApplicationID uuid.UUID `json:"application_id"`
	RejectedBy    string    `json:"-"`
	Status        string    `json:"status"` // pending, upheld, dismissed
	FiledAt       time.Time `json:"filed_at"`
}

// ComplaintFiled records a citizen's complaint about the rejection of an
// application, naming the corrections; RejectedBy is the operator whose
// refusal it is about, who may not decide it.
type ComplaintFiled struct {
	ComplaintID   uuid.UUID `json:"complaint_id"`
	ApplicationID uuid.UUID `json:"application_id"`
	Text          string    `json:"text"`
	Corrections   string    `json:"corrections"`
	RejectedAt    time.Time `json:"rejected_at"`
	RejectedBy    string    `json:"rejected_by"`
	By            string    `json:"by"`
	ByRole        string    `json:"by_role"`
	OccurredAt    time.Time `json:"occurred_at"`
}

// ComplaintUpheld records that another operator found the complaint right:
// the application goes back to review with a new Deadline. It is an
// application event (ApplicationStatusOf: in_review).
type ComplaintUpheld struct {
	ApplicationRef
	ComplaintID uuid.UUID `json:"complaint_id"`
	Comment     string    `json:"comment"`
	Deadline    Date      `json:"deadline"`
	OccurredAt  time.Time `json:"occurred_at"`
}

// ComplaintDismissed records that the refusal stands.
type ComplaintDismissed struct {
	ComplaintID   uuid.UUID `json:"complaint_id"`
	ApplicationID uuid.UUID `json:"application_id"`
	Comment       string    `json:"comment"`
	By            string    `json:"by"`
	ByRole        string    `json:"by_role"`
	OccurredAt    time.Time `json:"occurred_at"`
}

// FileComplaint files complaint id about application app, which must be
// rejected (application_not_rejected) no more than ComplaintWindow ago
// (complaint_too_late), with no other complaint about it pending
// (complaint_pending).
func (a *ForeignerAccount) FileComplaint(id, app uuid.UUID, text, corrections string, actor Actor, now time.Time) error {
	if err := actor.check(); err != nil {
		return err
	}
	st := a.apps.byID[app]
	if st == nil {
		return NewError(CodeApplicationNotFound, "no application %s on this account", app)
	}
	var f fieldErrs
	text, corrections = strings.TrimSpace(text), strings.TrimSpace(corrections)
	f.add(boundedText("text", text, maxSupportText))
	f.add(boundedText("corrections", corrections, maxSupportText))
	if err := ValidationError(f.fields); err != nil {
		return err
	}
	if st.Status != StatusRejected || len(st.History) == 0 {
		return NewError(CodeApplicationNotRejected, "only a rejected application can be complained about").WithDetail("status", st.Status)
	}
	rejection := st.History[len(st.History)-1]
	if now.Sub(rejection.At) > ComplaintWindow {
		return NewError(CodeComplaintTooLate, "a complaint is filed within 30 days of the rejection").
			WithDetail("rejected_at", rejection.At.UTC().Format(time.RFC3339))
	}
	for _, c := range a.desk.complaints {
		if c.ApplicationID == app && c.Status == ComplaintPending {
			return NewError(CodeComplaintPending, "a complaint about this application awaits a decision").
				WithDetail("complaint_id", c.ComplaintID.String())
		}
	}
	a.record(ComplaintFiled{
		ComplaintID: id, ApplicationID: app, Text: text, Corrections: corrections,
		RejectedAt: rejection.At, RejectedBy: rejection.By, By: actor.ID, ByRole: actor.Role, OccurredAt: now.UTC(),
	})
	return nil
}

// DecideComplaint decides complaint id: never by the operator who rejected
// the application (complaint_same_operator, four eyes). Upheld returns the
// application to review with a deadline of the service's working days from
// today; dismissed keeps the refusal.
func (a *ForeignerAccount) DecideComplaint(id uuid.UUID, outcome, comment string, actor Actor, now time.Time, cal *Calendar) error {
	if err := actor.check(); err != nil {
		return err
	}
	c := a.desk.complaints[id]
	switch {
	case c == nil:
		return NewError(CodeComplaintNotFound, "no complaint %s on this account", id)
	case c.RejectedBy == actor.ID:
		return NewError(CodeComplaintSameOperator, "the operator who rejected the application may not decide the complaint")
	case c.Status != ComplaintPending:
		return NewError(CodeComplaintDecided, "the complaint is %s already", c.Status)
	}
	comment = strings.TrimSpace(comment)
	if err := boundedText("comment", comment, maxCommentLen); err != nil {
		return err
	}
	now = now.UTC()
	switch outcome {
	case ComplaintUpheldOutcome:
		app := a.apps.byID[c.ApplicationID]
		days := 10
		if svc, ok := ServiceByCode(app.Service); ok && svc.DeadlineDays > 0 {
			days = svc.DeadlineDays
		}
		a.record(ComplaintUpheld{ApplicationRef: refOf(c.ApplicationID, actor), ComplaintID: id, Comment: comment,
			Deadline: cal.AddWorkingDays(MoscowDate(now), days), OccurredAt: now})
	case ComplaintDismissedOutcome:
		a.record(ComplaintDismissed{ComplaintID: id, ApplicationID: c.ApplicationID, Comment: comment,
			By: actor.ID, ByRole: actor.Role, OccurredAt: now})
	default:
		return fieldError("outcome", CodeEnum, "outcome is upheld or dismissed")
	}
	return nil
}

// Complaint returns complaint id, if the account has it.
func (a *ForeignerAccount) Complaint(id uuid.UUID) (ComplaintState, bool) {
	c, ok := a.desk.complaints[id]
	if !ok {
		return ComplaintState{}, false
	}
	return *c, true
}

// applyComplaints folds the complaint events.
func (d *desk) applyComplaints(e Event) {
	switch e := e.(type) {
	case ComplaintFiled:
		d.complaints[e.ComplaintID] = &ComplaintState{ComplaintID: e.ComplaintID, ApplicationID: e.ApplicationID,
			RejectedBy: e.RejectedBy, Status: ComplaintPending, FiledAt: e.OccurredAt}
	case ComplaintUpheld:
		if c := d.complaints[e.ComplaintID]; c != nil {
			c.Status = ComplaintUpheldOutcome
		}
	case ComplaintDismissed:
		if c := d.complaints[e.ComplaintID]; c != nil {
			c.Status = ComplaintDismissedOutcome
		}
	}
}
