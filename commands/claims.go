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

	"github.com/kabinet/kabinet/platform/eventstore"
)

// claims reserves a value (a contact, a SNILS, an INN) for one account
// with one stream per value, "<prefix>-<keyed hash of the value>": the
// first account to append to it (expected: no stream) owns the value. The
// stream lives in the event store, so claims survive restarts and hold
// across instances; the keyed hash keeps the values out of stream names.
// ContactClaims and IdentifierClaims are its two uses.
type claims struct {
	store eventstore.Store
	key   []byte
	newID func() uuid.UUID
	event string // the claim event's type
}

// claimed is the claim event's data.
type claimed struct {
	AccountID uuid.UUID `json:"account_id"`
	At        time.Time `json:"occurred_at"`
}

// newClaims builds claims appending events of type event; caller names the
// constructor in the panic on nil dependencies.
func newClaims(caller string, store eventstore.Store, key []byte, newID func() uuid.UUID, event string) claims {
	if store == nil || len(key) == 0 || newID == nil {
		panic("commands." + caller + ": nil dependency")
	}
	return claims{store: store, key: key, newID: newID, event: event}
}

// stream names the claim stream of value.
func (c claims) stream(prefix, value string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(value))
	return prefix + "-" + hex.EncodeToString(m.Sum(nil))[:40]
}

// owner returns the account whose claim opens stream, or uuid.Nil; what
// names the value in errors.
func (c claims) owner(ctx context.Context, stream, what string) (uuid.UUID, error) {
	recs, err := c.store.ReadStream(ctx, stream, eventstore.Forward, 0, 1)
	if err != nil {
		return uuid.Nil, fmt.Errorf("read %s claim: %w", what, err)
	}
	if len(recs) == 0 {
		return uuid.Nil, nil
	}
	var e claimed
	if err := json.Unmarshal(recs[0].Data, &e); err != nil {
		return uuid.Nil, fmt.Errorf("decode %s claim: %w", what, err)
	}
	return e.AccountID, nil
}

// claim opens stream with account's claim, reporting whether it appended.
// A stream account already owns is claimed again without error (a retried
// command); one another account owns is taken().
func (c claims) claim(ctx context.Context, stream, what string, account uuid.UUID, now time.Time, md Metadata, taken func() error) (bool, error) {
	data, _ := json.Marshal(claimed{AccountID: account, At: now})
	meta, err := md.EncodeIn(ctx)
	if err != nil {
		return false, fmt.Errorf("encode metadata: %w", err)
	}
	_, err = c.store.Append(ctx, stream, eventstore.NoStream, []eventstore.EventData{{
		ID: c.newID(), Type: c.event, SchemaVersion: 1, Data: data, Metadata: meta, OccurredAt: now,
	}})
	if errors.Is(err, eventstore.ErrConflict) {
		owner, oerr := c.owner(ctx, stream, what)
		if oerr != nil {
			return false, oerr
		}
		if owner == account {
			return false, nil
		}
		return false, taken()
	}
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", what, err)
	}
	markWrote(ctx) // the request wrote an event: the journal takes it from the log
	return true, nil
}
