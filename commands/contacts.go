package commands

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
)

// ContactClaimedType is the event that reserves a confirmed contact for one
// account in its claim stream; a contact can be confirmed on one account only.
const ContactClaimedType = "ContactClaimed"

type contactClaimed struct {
	AccountID uuid.UUID `json:"account_id"`
	At        time.Time `json:"occurred_at"`
}

// ContactClaims enforces contact uniqueness across accounts with one stream
// per contact, "contact-<keyed hash>": the first account to append to it
// (expected: no stream) owns the contact. The stream name is a keyed hash so
// the log does not reveal phone numbers.
type ContactClaims struct {
	store eventstore.Store
	key   []byte
	newID func() uuid.UUID
}

// NewContactClaims builds the claims over store; key keys the stream names.
func NewContactClaims(store eventstore.Store, key []byte, newID func() uuid.UUID) *ContactClaims {
	if store == nil || len(key) == 0 || newID == nil {
		panic("commands.NewContactClaims: nil dependency")
	}
	return &ContactClaims{store: store, key: key, newID: newID}
}

func (c *ContactClaims) stream(contactKey string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(contactKey))
	return "contact-" + hex.EncodeToString(m.Sum(nil))[:40]
}

// Owner returns the account that claimed the contact, or uuid.Nil.
func (c *ContactClaims) Owner(ctx context.Context, contactKey string) (uuid.UUID, error) {
	recs, err := c.store.ReadStream(ctx, c.stream(contactKey), eventstore.Forward, 0, 1)
	if err != nil {
		return uuid.Nil, fmt.Errorf("read contact claim: %w", err)
	}
	if len(recs) == 0 {
		return uuid.Nil, nil
	}
	var e contactClaimed
	if err := json.Unmarshal(recs[0].Data, &e); err != nil {
		return uuid.Nil, fmt.Errorf("decode contact claim: %w", err)
	}
	return e.AccountID, nil
}

// Claim reserves the contact for account. Claiming a contact the account
// already holds succeeds (a retried command); one held by another account
// is contact_taken.
func (c *ContactClaims) Claim(ctx context.Context, ch domain.Channel, contactKey string, account uuid.UUID, now time.Time, md Metadata) error {
	data, _ := json.Marshal(contactClaimed{AccountID: account, At: now})
	meta, err := md.Encode()
	if err != nil {
		return fmt.Errorf("encode metadata: %w", err)
	}
	_, err = c.store.Append(ctx, c.stream(contactKey), eventstore.NoStream, []eventstore.EventData{{
		ID: c.newID(), Type: ContactClaimedType, SchemaVersion: 1, Data: data, Metadata: meta, OccurredAt: now,
	}})
	if errors.Is(err, eventstore.ErrConflict) {
		owner, oerr := c.Owner(ctx, contactKey)
		if oerr != nil {
			return oerr
		}
		if owner == account {
			return nil
		}
		return domain.ErrContactTaken(ch)
	}
	if err != nil {
		return fmt.Errorf("claim contact: %w", err)
	}
	markWrote(ctx)
	return nil
}
