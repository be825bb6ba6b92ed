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

// BookkeepingTypes are the event types the write side records on its own
// claim, index, number and slot streams, beside the account events of the
// command that needed them.
func BookkeepingTypes() map[string]bool {
	return map[string]bool{
		ContactClaimedType: true, ClaimReleasedType: true, IdentifierClaimedType: true,
		PaymentTransactionClaimedType: true, ApplicationNumberAssignedType: true, ApplicationIndexedType: true,
		LookupIndexedType: true, SlotClaimedType: true, SlotReleasedType: true,
	}
}

// ClaimReleasedType is the event that gives a claimed value back: after
// it, the claim stream's value is free for any account to claim again.
const ClaimReleasedType = "ClaimReleased"

// maxClaimTries bounds the retries of a claim racing other claims and
// releases of the same value.
const maxClaimTries = 5

// last reads the newest event of stream: the account it names and its
// version; uuid.Nil when the stream is absent or the value was released.
func (c claims) last(ctx context.Context, stream, what string) (uuid.UUID, eventstore.ExpectedVersion, error) {
	recs, err := c.store.ReadStream(ctx, stream, eventstore.Backward, -1, 1)
	if err != nil {
		return uuid.Nil, 0, fmt.Errorf("read %s claim: %w", what, err)
	}
	if len(recs) == 0 {
		return uuid.Nil, eventstore.NoStream, nil
	}
	version := eventstore.Exact(recs[0].Version)
	if recs[0].Type == ClaimReleasedType {
		return uuid.Nil, version, nil
	}
	var e claimed
	if err := json.Unmarshal(recs[0].Data, &e); err != nil {
		return uuid.Nil, 0, fmt.Errorf("decode %s claim: %w", what, err)
	}
	return e.AccountID, version, nil
}

// owner returns the account that holds the claim on stream, or uuid.Nil;
// what names the value in errors.
func (c claims) owner(ctx context.Context, stream, what string) (uuid.UUID, error) {
	owner, _, err := c.last(ctx, stream, what)
	return owner, err
}

// claim appends account's claim to stream, reporting whether it appended:
// to a new stream (expected: no stream) or after a release (expected: the
// release's version), so of two accounts racing for a value exactly one
// wins. A stream account already owns is claimed again without error (a
// retried command); one another account owns is taken().
func (c claims) claim(ctx context.Context, stream, what string, account uuid.UUID, now time.Time, md Metadata, taken func() error) (bool, error) {
	expected := eventstore.NoStream
	for range maxClaimTries {
		wrote, err := c.appendIfExpected(ctx, stream, c.event, expected, account, now, md)
		if err == nil {
			return wrote, nil
		}
		if !errors.Is(err, eventstore.ErrConflict) {
			return false, fmt.Errorf("claim %s: %w", what, err)
		}
		owner, version, err := c.last(ctx, stream, what)
		switch {
		case err != nil:
			return false, err
		case owner == account:
			return false, nil
		case owner != uuid.Nil:
			return false, taken()
		}
		expected = version // released: claim after the release
	}
	return false, fmt.Errorf("claim %s: %w after %d tries", what, eventstore.ErrConflict, maxClaimTries)
}

// release gives the value of stream back when account holds it; a claim
// of another account, or none, is left as it is.
func (c claims) release(ctx context.Context, stream, what string, account uuid.UUID, now time.Time, md Metadata) error {
	for range maxClaimTries {
		owner, version, err := c.last(ctx, stream, what)
		if err != nil || owner != account {
			return err
		}
		_, err = c.appendIfExpected(ctx, stream, ClaimReleasedType, version, account, now, md)
		if !errors.Is(err, eventstore.ErrConflict) {
			if err != nil {
				return fmt.Errorf("release %s: %w", what, err)
			}
			return nil
		}
	}
	return fmt.Errorf("release %s: %w after %d tries", what, eventstore.ErrConflict, maxClaimTries)
}

// appendIfExpected appends one claim-stream event of typ naming account.
func (c claims) appendIfExpected(ctx context.Context, stream, typ string, expected eventstore.ExpectedVersion, account uuid.UUID, now time.Time, md Metadata) (bool, error) {
	data, _ := json.Marshal(claimed{AccountID: account, At: now})
	meta, err := md.EncodeIn(ctx)
	if err != nil {
		return false, fmt.Errorf("encode metadata: %w", err)
	}
	_, err = c.store.Append(ctx, stream, expected, []eventstore.EventData{{
		ID: c.newID(), Type: typ, SchemaVersion: 1, Data: data, Metadata: meta, OccurredAt: now,
	}})
	if err != nil {
		return false, err
	}
	markWrote(ctx) // the request wrote an event: the journal takes it from the log
	return true, nil
}
