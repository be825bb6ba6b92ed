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

	"github.com/kabinet/kabinet/commands/registry"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
)

// IdentifierClaimedType is the event that reserves a SNILS or INN for one
// account in its claim stream.
const IdentifierClaimedType = "IdentifierClaimed"

type identifierClaimed struct {
	AccountID uuid.UUID `json:"account_id"`
	At        time.Time `json:"occurred_at"`
}

// IdentifierClaims keeps a SNILS or INN on one account, as ContactClaims
// does for contacts: one stream per number, "snils-<keyed hash>" or
// "inn-<keyed hash>", whose first event (expected: no stream) names the
// owner. The stream lives in the event store, so links survive restarts
// and hold across instances; the keyed hash keeps numbers out of stream
// names. It implements registry.Links for the simulator.
type IdentifierClaims struct {
	store eventstore.Store
	key   []byte
	newID func() uuid.UUID
}

var _ registry.Links = (*IdentifierClaims)(nil)

// NewIdentifierClaims builds the claims over store; key keys the stream names.
func NewIdentifierClaims(store eventstore.Store, key []byte, newID func() uuid.UUID) *IdentifierClaims {
	if store == nil || len(key) == 0 || newID == nil {
		panic("commands.NewIdentifierClaims: nil dependency")
	}
	return &IdentifierClaims{store: store, key: key, newID: newID}
}

func (c *IdentifierClaims) stream(kind registry.Identifier, digits string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(string(kind) + ":" + digits))
	return string(kind) + "-" + hex.EncodeToString(m.Sum(nil))[:40]
}

// LinkedAccount returns the account holding the number, or uuid.Nil.
func (c *IdentifierClaims) LinkedAccount(ctx context.Context, kind registry.Identifier, digits string) (uuid.UUID, error) {
	recs, err := c.store.ReadStream(ctx, c.stream(kind, digits), eventstore.Forward, 0, 1)
	if err != nil {
		return uuid.Nil, fmt.Errorf("read %s claim: %w", kind, err)
	}
	if len(recs) == 0 {
		return uuid.Nil, nil
	}
	var e identifierClaimed
	if err := json.Unmarshal(recs[0].Data, &e); err != nil {
		return uuid.Nil, fmt.Errorf("decode %s claim: %w", kind, err)
	}
	return e.AccountID, nil
}

// Claim reserves the number for account. A number the account already
// holds is claimed again without error (a retried command); one another
// account won meanwhile is registry_mismatch.
func (c *IdentifierClaims) Claim(ctx context.Context, kind registry.Identifier, digits string, account uuid.UUID, now time.Time, md Metadata) error {
	data, _ := json.Marshal(identifierClaimed{AccountID: account, At: now})
	meta, err := md.Encode()
	if err != nil {
		return fmt.Errorf("encode metadata: %w", err)
	}
	_, err = c.store.Append(ctx, c.stream(kind, digits), eventstore.NoStream, []eventstore.EventData{{
		ID: c.newID(), Type: IdentifierClaimedType, SchemaVersion: 1, Data: data, Metadata: meta, OccurredAt: now,
	}})
	if errors.Is(err, eventstore.ErrConflict) {
		owner, oerr := c.LinkedAccount(ctx, kind, digits)
		if oerr != nil {
			return oerr
		}
		if owner == account {
			return nil
		}
		msg := fmt.Sprintf("this %s is already linked to another account", kind)
		return (&domain.Error{Code: domain.CodeRegistryMismatch, Message: msg, Fields: []domain.FieldError{
			{Field: string(kind), Code: domain.CodeRegistryMismatch, Message: msg},
		}}).WithDetail("reason", registry.ReasonLinkedElsewhere)
	}
	if err != nil {
		return fmt.Errorf("claim %s: %w", kind, err)
	}
	return nil
}
