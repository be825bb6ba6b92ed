package operatorqueue

import (
	"slices"

	"github.com/kabinet/kabinet/domain"
)

// waitingOnOperator are the application statuses an operator must act on;
// the others wait on the citizen (payment, clarification, resubmission) or
// are decided.
var waitingOnOperator = []string{domain.StatusSubmitted, domain.StatusAccepted, domain.StatusInReview}

// apply is the table: event type → queue rows changed.
//
//	AccountRegistered, PersonalDataProvided     → the person's name
//	IdentityVerificationRequested                → identity item opens (method, deadline)
//	VerificationDeadlineExtended                 → its deadline moves, extended
//	IdentityVerified, …Rejected, …Reset          → identity item closes
//	ApplicationSubmitted … ApplicationWithdrawn  → application item follows its status:
//	                                               open while submitted, accepted or in review
func (b *batch) apply(acc *accountRow, e domain.Event) {
	at := domain.EventTime(e).UnixNano()
	switch e := e.(type) {
	case domain.AccountRegistered:
		acc.Surname, acc.GivenNames, acc.Patronymic = e.Surname, e.GivenNames, e.Patronymic
	case domain.PersonalDataProvided:
		acc.Surname, acc.GivenNames, acc.Patronymic = e.Surname, e.GivenNames, e.Patronymic
	case domain.IdentityVerificationRequested:
		it := b.identity(acc.AccountID)
		it.Method, it.Status, it.Open, it.QueuedNs = e.Method.String(), domain.VerificationPending, true, at
		it.Deadline, it.Extended = e.Deadline.String(), false
	case domain.VerificationDeadlineExtended:
		it := b.identity(acc.AccountID)
		it.Deadline, it.Extended = e.NewDeadline.String(), true
	case domain.IdentityVerified:
		b.closeIdentity(acc.AccountID, domain.VerificationVerified)
	case domain.IdentityVerificationRejected:
		b.closeIdentity(acc.AccountID, domain.VerificationRejected)
	case domain.IdentityVerificationReset, domain.IdentityVerificationCancelled:
		b.closeIdentity(acc.AccountID, domain.VerificationNone)
	default:
		b.applyApplication(acc.AccountID, e, at)
	}
}

func (b *batch) identity(account string) *itemRow {
	id := identityItem(account)
	it := b.items[id]
	if it == nil {
		it = &itemRow{ItemID: id, Kind: KindIdentity, AccountID: account}
		b.items[id] = it
	}
	b.touchItem(id)
	return it
}

func (b *batch) closeIdentity(account, status string) {
	it := b.identity(account)
	it.Status, it.Open = status, false
}

func (b *batch) applyApplication(account string, e domain.Event, at int64) {
	ref, status, ok := domain.ApplicationStatusOf(e)
	if !ok {
		return
	}
	id := ref.ApplicationID.String()
	it := b.items[id]
	switch sub, submitted := e.(domain.ApplicationSubmitted); {
	case submitted && it == nil:
		it = &itemRow{ItemID: id, Kind: KindApplication, AccountID: account, ApplicationID: id,
			Number: sub.Number, Service: sub.Service, Deadline: sub.Deadline.String()}
		b.items[id] = it
	case submitted || it == nil || it.AccountID != account:
		return // a second submission, or news of an application never submitted here
	}
	switch e := e.(type) {
	case domain.FeePaid:
		it.Deadline = e.Deadline.String()
	case domain.ApplicationResubmitted:
		it.Deadline = e.Deadline.String()
	case domain.ComplaintUpheld:
		it.Deadline = e.Deadline.String()
	case domain.ClarificationProvided:
		if !e.Deadline.IsZero() {
			it.Deadline = e.Deadline.String()
		}
	}
	open := slices.Contains(waitingOnOperator, status)
	if open && !it.Open {
		it.QueuedNs = at // back in the queue: it waits from now
	}
	it.Status, it.Open = status, open
	b.touchItem(id)
}
