package domain

import (
	"slices"
	"strings"
	"time"
)

// Fines and debts («Штрафы и пени», docs/DOMAIN.md §12) come from a registry;
// the account records only what happened to their payments.
const (
	// Payment statuses of a fine.
	FinePaymentPaid           = "paid"
	FinePaymentRefundPending  = "refund_pending"
	FinePaymentStatusRefunded = "refunded"
	// RefundAfterDays and RefundWithinDays bound when a refused payment is
	// returned: within 3–5 working days.
	RefundAfterDays  = 3
	RefundWithinDays = 5
	// Reasons a payment is refused and returned.
	RefundAlreadyPaid    = "already_paid"
	RefundAmountMismatch = "amount_mismatch"
)

// Fine error codes: a fine the registry does not list for the person; a
// transaction already recorded for another fine.
const (
	CodeFineNotFound             = "fine_not_found"
	CodePaymentTransactionReused = "payment_transaction_reused"
)

// Fine is one fine or debt as a registry lists it: ID is its payment
// identifier (УИН).
type Fine struct {
	ID        string `json:"fine_id"`
	Kind      string `json:"kind"` // fine or debt
	Title     string `json:"title"`
	Authority string `json:"authority"`
	Amount    Money  `json:"amount"`
	IssuedOn  Date   `json:"issued_on"`
	DueOn     Date   `json:"due_on"`
}

// FinePayment is one payment received for a fine.
type FinePayment struct {
	FineID        string    `json:"fine_id"`
	TransactionID string    `json:"transaction_id"`
	Amount        int64     `json:"amount"`
	Currency      string    `json:"currency"`
	Status        string    `json:"status"`
	Reason        string    `json:"reason,omitempty"`
	RefundAfter   Date      `json:"refund_after,omitzero"`
	RefundDue     Date      `json:"refund_due,omitzero"`
	At            time.Time `json:"at"`
}

// FineView is one fine or debt of the registry with what the account
// recorded of its payments.
type FineView struct {
	Fine
	Status   string        `json:"status"` // unpaid or paid
	Payments []FinePayment `json:"payments"`
}

// FineViews joins the registry's fines with the account's payments.
func (a *ForeignerAccount) FineViews(fines []Fine) []FineView {
	out := make([]FineView, 0, len(fines))
	for _, f := range fines {
		v := FineView{Fine: f, Status: "unpaid", Payments: []FinePayment{}}
		for _, p := range a.desk.finePayments {
			if p.FineID == f.ID {
				v.Payments = append(v.Payments, p)
			}
		}
		if a.FinePaidOff(f.ID) {
			v.Status = "paid"
		}
		out = append(out, v)
	}
	return out
}

// FinePaid records a confirmed payment that settled a fine.
type FinePaid struct {
	FineID        string    `json:"fine_id"`
	Amount        int64     `json:"amount"`
	Currency      string    `json:"currency"`
	TransactionID string    `json:"transaction_id"`
	OccurredAt    time.Time `json:"occurred_at"`
}

// FinePaymentRefused records a payment that could not settle the fine (it
// was paid already, or the amount differs); the money goes back between
// RefundAfter and RefundDue.
type FinePaymentRefused struct {
	FineID        string    `json:"fine_id"`
	Amount        int64     `json:"amount"`
	Currency      string    `json:"currency"`
	TransactionID string    `json:"transaction_id"`
	Reason        string    `json:"reason"`
	RefundAfter   Date      `json:"refund_after"`
	RefundDue     Date      `json:"refund_due"`
	OccurredAt    time.Time `json:"occurred_at"`
}

// FinePaymentRefunded records that a refused payment was returned.
type FinePaymentRefunded struct {
	FineID        string    `json:"fine_id"`
	TransactionID string    `json:"transaction_id"`
	OccurredAt    time.Time `json:"occurred_at"`
}

// PayFine records the gateway's payment tx for fine f: FinePaid when it
// settles the fine, else FinePaymentRefused with the refund window. A
// transaction already recorded for f records nothing (a redelivery); for
// another fine it is payment_transaction_reused.
func (a *ForeignerAccount) PayFine(f Fine, amount int64, currency, tx string, now time.Time, cal *Calendar) error {
	tx, currency = strings.TrimSpace(tx), strings.ToUpper(strings.TrimSpace(currency))
	var fe fieldErrs
	if tx == "" {
		fe.add(fieldError("transaction_id", CodeRequired, "transaction_id is required"))
	}
	if amount <= 0 {
		fe.add(fieldError("amount", CodeOutOfRange, "amount must be positive"))
	}
	if currency == "" {
		fe.add(fieldError("currency", CodeRequired, "currency is required"))
	}
	if err := ValidationError(fe.fields); err != nil {
		return err
	}
	for _, p := range a.desk.finePayments {
		switch {
		case p.TransactionID != tx:
		case p.FineID != f.ID:
			return NewError(CodePaymentTransactionReused, "transaction %s already paid another fine", tx)
		default:
			return nil // a redelivery
		}
	}
	now = now.UTC()
	reason := ""
	switch {
	case a.FinePaidOff(f.ID):
		reason = RefundAlreadyPaid
	case amount != f.Amount.Amount || currency != f.Amount.Currency:
		reason = RefundAmountMismatch
	}
	if reason == "" {
		a.record(FinePaid{FineID: f.ID, Amount: amount, Currency: currency, TransactionID: tx, OccurredAt: now})
		return nil
	}
	today := MoscowDate(now)
	a.record(FinePaymentRefused{FineID: f.ID, Amount: amount, Currency: currency, TransactionID: tx, Reason: reason,
		RefundAfter: cal.AddWorkingDays(today, RefundAfterDays), RefundDue: cal.AddWorkingDays(today, RefundWithinDays), OccurredAt: now})
	return nil
}

// RefundDuePayments returns every refused payment whose refund is due on
// today and not yet made, recording FinePaymentRefunded for each.
func (a *ForeignerAccount) RefundDuePayments(today Date, now time.Time) int {
	n := 0
	for _, p := range a.FinePayments() {
		if p.Status == FinePaymentRefundPending && !today.Before(p.RefundAfter) {
			a.record(FinePaymentRefunded{FineID: p.FineID, TransactionID: p.TransactionID, OccurredAt: now.UTC()})
			n++
		}
	}
	return n
}

// FinePaidOff reports whether a payment settled fine id.
func (a *ForeignerAccount) FinePaidOff(id string) bool {
	return slices.ContainsFunc(a.desk.finePayments, func(p FinePayment) bool { return p.FineID == id && p.Status == FinePaymentPaid })
}

// FinePayments returns every payment received for fines, oldest first.
func (a *ForeignerAccount) FinePayments() []FinePayment { return slices.Clone(a.desk.finePayments) }

// applyFines folds the fine payment events.
func (d *desk) applyFines(e Event) {
	switch e := e.(type) {
	case FinePaid:
		d.finePayments = append(d.finePayments, FinePayment{FineID: e.FineID, TransactionID: e.TransactionID,
			Amount: e.Amount, Currency: e.Currency, Status: FinePaymentPaid, At: e.OccurredAt})
	case FinePaymentRefused:
		d.finePayments = append(d.finePayments, FinePayment{FineID: e.FineID, TransactionID: e.TransactionID,
			Amount: e.Amount, Currency: e.Currency, Status: FinePaymentRefundPending, Reason: e.Reason,
			RefundAfter: e.RefundAfter, RefundDue: e.RefundDue, At: e.OccurredAt})
	case FinePaymentRefunded:
		for i := range d.finePayments {
			if p := &d.finePayments[i]; p.TransactionID == e.TransactionID {
				p.Status = FinePaymentStatusRefunded
			}
		}
	}
}
