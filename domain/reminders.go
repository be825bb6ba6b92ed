package domain

import (
	"slices"
	"time"

	"github.com/google/uuid"
)

// ReminderDays are how many days before a document on file expires the
// citizen is reminded (docs/DOMAIN.md §12), largest first.
var ReminderDays = []int{30, 7}

// DocumentExpiryReminded records that the citizen was reminded that a
// document expires on ExpiresAt, DaysBefore days ahead. Once recorded for a
// (document, days) pair it is never recorded again.
type DocumentExpiryReminded struct {
	DocumentID uuid.UUID `json:"document_id"`
	Type       string    `json:"type"`
	ExpiresAt  Date      `json:"expires_at"`
	DaysBefore int       `json:"days_before"`
	OccurredAt time.Time `json:"occurred_at"`
}

// reminderKey names one reminder of one document.
type reminderKey struct {
	doc  uuid.UUID
	days int
}

// RemindExpiringDocuments records a reminder for every document in force
// whose expiry is at most 30 (then 7) days after today and that was not
// reminded of at that step or a nearer one yet; a document added with
// 5 days left gets the 7-day reminder alone. It returns how many it
// recorded; running it again on the same day records nothing.
func (a *ForeignerAccount) RemindExpiringDocuments(today Date, now time.Time) int {
	n := 0
	for _, doc := range a.identity.documents {
		d, id := doc.state(), doc.DocumentID
		if !d.IsValidOn(today) {
			continue
		}
		left := today.DaysUntil(d.ExpiresAt)
		step := 0
		for _, days := range ReminderDays {
			if left <= days {
				step = days // the nearest step reached
			}
		}
		if step == 0 || a.remindedAtOrBelow(id, step) {
			continue
		}
		a.record(DocumentExpiryReminded{DocumentID: id, Type: d.Type, ExpiresAt: d.ExpiresAt, DaysBefore: step, OccurredAt: now.UTC()})
		n++
	}
	return n
}

func (a *ForeignerAccount) remindedAtOrBelow(doc uuid.UUID, step int) bool {
	return slices.ContainsFunc(ReminderDays, func(days int) bool {
		return days <= step && a.desk.reminded[reminderKey{doc, days}]
	})
}

func (d *desk) applyReminders(e Event) {
	if e, ok := e.(DocumentExpiryReminded); ok {
		d.reminded[reminderKey{e.DocumentID, e.DaysBefore}] = true
	}
}
