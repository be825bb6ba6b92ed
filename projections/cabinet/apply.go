package cabinet

import (
	"time"

	"github.com/kabinet/kabinet/domain"
)

// apply is the table: event type → what changes in the cabinet. The level,
// stay validity and open services are then derived again by the domain's
// rules (View.derive).
func apply(d *stored, e domain.Event) {
	v := &d.View
	switch e := e.(type) {
	case domain.AccountRegistered:
		v.Profile = Profile{Surname: e.Surname, GivenNames: e.GivenNames, Patronymic: e.Patronymic,
			Citizenship: e.Citizenship, RegisteredAt: e.OccurredAt.UTC()}
		if e.Phone != "" {
			v.contact("phone", e.Phone)
		}
		if e.Email != "" {
			v.contact("email", e.Email)
		}
	case domain.ContactAdded:
		c := v.contact(e.Channel.String(), e.Value)
		*c = Contact{Channel: c.Channel, Value: e.Value, AddedAt: ptr(e.OccurredAt), Replaces: e.Replaces}
	case domain.ContactRemoved:
		v.removeContact(e.Channel.String(), e.Value)
	case domain.ContactConfirmationRequested:
		c := v.contact(e.Channel.String(), e.Value)
		c.Value = e.Value
		c.CodeSentAt, c.CodeExpiresAt = ptr(e.OccurredAt), ptr(e.ExpiresAt)
		if c.LockedUntil != nil { // a code after a lock: the attempts start afresh
			c.FailedAttempts, c.LockedUntil = 0, nil
		}
	case domain.ContactConfirmationFailed:
		v.contact(e.Channel.String(), e.Value).FailedAttempts++
	case domain.ContactConfirmationLocked:
		c := v.contact(e.Channel.String(), e.Value)
		c.LockedUntil, c.CodeExpiresAt = ptr(e.Until), nil
	case domain.ContactConfirmed:
		c := v.contact(e.Channel.String(), e.Value)
		c.Value, c.Confirmed, c.ConfirmedAt = e.Value, true, ptr(e.OccurredAt)
		c.CodeExpiresAt, c.FailedAttempts, c.LockedUntil, c.Replaces = nil, 0, nil, ""
	case domain.ConsentGiven:
		if e.Kind == domain.ConsentPersonalData {
			v.Consent = &Consent{Version: e.Version, GivenAt: e.OccurredAt.UTC()}
		}
	case domain.ConsentWithdrawn:
		if v.Consent != nil && e.Kind == domain.ConsentPersonalData {
			v.Consent.WithdrawnAt = ptr(e.OccurredAt)
		}
	case domain.PersonalDataProvided:
		pd := e.PersonalData
		v.PersonalData = &pd
		v.Profile.Surname, v.Profile.GivenNames, v.Profile.Patronymic = pd.Surname, pd.GivenNames, pd.Patronymic
		v.Profile.Citizenship = pd.Citizenship
	case domain.DocumentAdded:
		v.Documents = append(v.Documents, documentOf(e))
	case domain.DocumentExpired:
		if doc := v.document(e.DocumentID.String()); doc != nil {
			doc.Expired = true
		}
	case domain.SnilsLinked:
		v.Snils, v.SnilsRejection = e.Snils.String(), nil
	case domain.SnilsRejected:
		v.SnilsRejection = &Rejection{Masked: e.SnilsMasked, Reason: e.Reason, At: e.OccurredAt.UTC()}
	case domain.InnLinked:
		v.Inn, v.InnRejection = e.Inn.String(), nil
	case domain.InnRejected:
		v.InnRejection = &Rejection{Masked: e.InnMasked, Reason: e.Reason, At: e.OccurredAt.UTC()}
	case domain.SnilsUnlinked:
		v.Snils, v.SnilsRejection = "", &Rejection{Masked: e.SnilsMasked, Reason: e.Reason, At: e.OccurredAt.UTC()}
	case domain.InnUnlinked:
		v.Inn, v.InnRejection = "", &Rejection{Masked: e.InnMasked, Reason: e.Reason, At: e.OccurredAt.UTC()}
	case domain.NotificationPreferencesChanged:
		v.NotificationPreferences = e.NotificationPreferences
	default:
		if !applyVerification(&v.Verification, e) {
			applyApplication(d, e)
		}
	}
	v.derive()
}

// applyVerification folds identity verification as domain/identity.go
// does; it reports whether e was a verification event.
func applyVerification(v *domain.VerificationState, e domain.Event) bool {
	switch e := e.(type) {
	case domain.IdentityVerificationRequested:
		*v = domain.VerificationState{Status: domain.VerificationPending, Method: e.Method,
			RequestedAt: e.OccurredAt, Deadline: e.Deadline}
	case domain.VerificationCodeIssued:
		v.PendingCodeExpiresAt, v.AttemptsLeft = e.ExpiresAt, domain.MaxCodeAttempts
	case domain.VerificationCodeFailed:
		v.AttemptsLeft = e.AttemptsLeft
	case domain.VerificationDeadlineExtended:
		v.Deadline, v.Extended = e.NewDeadline, true
	case domain.IdentityVerified:
		decide(v, domain.VerificationVerified, nil, e.Comment, e.By, e.OccurredAt)
		v.Method = e.Method
	case domain.IdentityVerificationRejected:
		decide(v, domain.VerificationRejected, e.Reasons, e.Comment, e.By, e.OccurredAt)
	case domain.IdentityVerificationReset:
		*v = domain.VerificationState{Status: domain.VerificationNone, ResetReason: e.Reason}
	case domain.IdentityVerificationCancelled:
		*v = domain.VerificationState{Status: domain.VerificationNone, ResetReason: e.Reason}
	default:
		return false
	}
	return true
}

func decide(v *domain.VerificationState, status string, reasons []string, comment, by string, at time.Time) {
	v.Status, v.Reasons, v.Comment, v.By, v.DecidedAt = status, reasons, comment, by, at
	v.PendingCodeExpiresAt, v.AttemptsLeft = time.Time{}, 0
}

// applyApplication moves one application from its status's count to the
// next; an event about an application never submitted changes nothing.
func applyApplication(d *stored, e domain.Event) {
	ref, status, ok := domain.ApplicationStatusOf(e)
	if !ok {
		return
	}
	id := ref.ApplicationID.String()
	prev, known := d.Apps[id]
	_, submitted := e.(domain.ApplicationSubmitted)
	if known == submitted {
		return // a second submission of one id, or news of an unknown one
	}
	if d.Apps == nil {
		d.Apps = map[string]string{}
	}
	if d.ApplicationCounts == nil {
		d.ApplicationCounts = map[string]int{}
	}
	if known {
		if d.ApplicationCounts[prev]--; d.ApplicationCounts[prev] <= 0 {
			delete(d.ApplicationCounts, prev)
		}
	}
	d.Apps[id] = status
	d.ApplicationCounts[status]++
}

func documentOf(e domain.DocumentAdded) Document {
	d := Document{
		ID: e.DocumentID.String(), Kind: e.Kind, Type: e.Type, VisaKind: e.VisaKind, Series: e.Series,
		Number: e.Number, IssuedAt: e.IssuedAt, ExpiresAt: e.ExpiresAt, Issuer: e.Issuer,
		ScanCount: len(e.Scans), Scans: make([]Scan, 0, len(e.Scans)), AddedAt: e.OccurredAt.UTC(),
	}
	if e.Latin != nil {
		l := *e.Latin
		d.Latin = &l
	}
	for _, s := range e.Scans {
		d.Scans = append(d.Scans, Scan{Type: s.Type.String(), Size: s.Size})
	}
	if e.Translation != nil {
		d.Translation = &Scan{Type: e.Translation.Type.String(), Size: e.Translation.Size}
	}
	return d
}

func ptr(t time.Time) *time.Time {
	u := t.UTC()
	return &u
}
