package commands

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
)

// ContactClaimedType is the event that reserves a confirmed contact for one
// account in its claim stream; a contact can be confirmed on one account only.
const ContactClaimedType = "ContactClaimed"

// ContactClaims enforces contact uniqueness across accounts with one stream
// per contact, "contact-<keyed hash>": the first account to append to it
// (expected: no stream) owns the contact. The stream name is a keyed hash so
// the log does not reveal phone numbers.
type ContactClaims struct{ claims }

// NewContactClaims builds the claims over store; key keys the stream names.
func NewContactClaims(store eventstore.Store, key []byte, newID func() uuid.UUID) *ContactClaims {
	return &ContactClaims{newClaims("NewContactClaims", store, key, newID, ContactClaimedType)}
}

// Owner returns the account that claimed the contact, or uuid.Nil.
func (c *ContactClaims) Owner(ctx context.Context, contactKey string) (uuid.UUID, error) {
	return c.owner(ctx, c.stream("contact", contactKey), "contact")
}

// Claim reserves the contact for account. Claiming a contact the account
// already holds succeeds (a retried command); one held by another account
// is contact_taken.
func (c *ContactClaims) Claim(ctx context.Context, ch domain.Channel, contactKey string, account uuid.UUID, now time.Time, md Metadata) error {
	_, err := c.claim(ctx, c.stream("contact", contactKey), "contact", account, now, md,
		func() error { return domain.ErrContactTaken(ch) })
	return err
}

// Release gives the contact back when account holds it, so that another
// account may confirm it (the contact was removed from account).
func (c *ContactClaims) Release(ctx context.Context, contactKey string, account uuid.UUID, now time.Time, md Metadata) error {
	return c.release(ctx, c.stream("contact", contactKey), "contact", account, now, md)
}
