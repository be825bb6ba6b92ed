package notifications

import (
	"github.com/kabinet/kabinet/domain"
)

// notice is a notification an event makes, before it is addressed.
type notice struct {
	message
	applicationID string
}

// apply is the table: event type → what changes for addressing, and the
// notification it makes, if any.
//
//	ContactConfirmed                          → the address of that channel
//	ContactRemoved                            → that address no more
//	NotificationPreferencesChanged            → channels, frequency, disable all
//	IdentityVerified, …Rejected               → a verification notice
//	VerificationDeadlineExtended              → a verification notice
//	IdentityVerificationCancelled             → a verification notice
//	AccountLevelLowered                       → a level notice
//	ApplicationSubmitted … ApplicationWithdrawn → a status notice (numbers
//	                                            and services kept for later ones)
//	support, appointment, complaint, fine and
//	reminder events (deskRelevant)              → a desk notice (desk_texts.go)
func apply(acc *account, e domain.Event) *notice {
	switch e := e.(type) {
	case domain.ContactConfirmed:
		switch e.Channel {
		case domain.ChannelPhone:
			acc.row.Phone = e.Value
		case domain.ChannelEmail:
			acc.row.Email = e.Value
		}
		return nil
	case domain.ContactRemoved:
		// A removed address is never written to again; the next contact
		// confirmed on the channel becomes the address.
		switch {
		case e.Channel == domain.ChannelPhone && acc.row.Phone == e.Value:
			acc.row.Phone = ""
		case e.Channel == domain.ChannelEmail && acc.row.Email == e.Value:
			acc.row.Email = ""
		}
		return nil
	case domain.NotificationPreferencesChanged:
		acc.prefs = e.NotificationPreferences
		return nil
	}
	if m, ok := verificationMessage(e); ok {
		return &notice{message: m}
	}
	if m, ok := deskMessage(e); ok {
		return &notice{message: m}
	}
	ref, status, ok := domain.ApplicationStatusOf(e)
	if !ok {
		return nil
	}
	id := ref.ApplicationID.String()
	app, known := acc.apps[id]
	sub, submitted := e.(domain.ApplicationSubmitted)
	switch {
	case submitted && !known:
		app = appInfo{Number: sub.Number, Service: sub.Service}
		acc.apps[id] = app
	case submitted || !known:
		return nil // a second submission, or news of an application never submitted here
	}
	return &notice{message: applicationMessage(app, e, status), applicationID: id}
}
