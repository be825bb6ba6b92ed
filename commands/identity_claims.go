package commands

import (
	"context"
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

// IdentifierClaims keeps a SNILS or INN on one account, as ContactClaims
// does for contacts: one stream per number, "snils-<keyed hash>" or
// "inn-<keyed hash>", whose first event (expected: no stream) names the
// owner. The stream lives in the event store, so links survive restarts
// and hold across instances; the keyed hash keeps numbers out of stream
// names. It implements registry.Links for the simulator.
type IdentifierClaims struct{ claims }

var _ registry.Links = (*IdentifierClaims)(nil)

// NewIdentifierClaims builds the claims over store; key keys the stream names.
func NewIdentifierClaims(store eventstore.Store, key []byte, newID func() uuid.UUID) *IdentifierClaims {
	return &IdentifierClaims{newClaims("NewIdentifierClaims", store, key, newID, IdentifierClaimedType)}
}

func (c *IdentifierClaims) streamOf(kind registry.Identifier, digits string) string {
	return c.stream(string(kind), string(kind)+":"+digits)
}

// LinkedAccount returns the account holding the number, or uuid.Nil.
func (c *IdentifierClaims) LinkedAccount(ctx context.Context, kind registry.Identifier, digits string) (uuid.UUID, error) {
	return c.owner(ctx, c.streamOf(kind, digits), string(kind))
}

// Claim reserves the number for account. A number the account already
// holds is claimed again without error (a retried command); one another
// account won meanwhile is registry_mismatch.
func (c *IdentifierClaims) Claim(ctx context.Context, kind registry.Identifier, digits string, account uuid.UUID, now time.Time, md Metadata) error {
	_, err := c.claim(ctx, c.streamOf(kind, digits), string(kind), account, now, md, func() error {
		msg := fmt.Sprintf("this %s is already linked to another account", kind)
		return (&domain.Error{Code: domain.CodeRegistryMismatch, Message: msg, Fields: []domain.FieldError{
			{Field: string(kind), Code: domain.CodeRegistryMismatch, Message: msg},
		}}).WithDetail("reason", registry.ReasonLinkedElsewhere)
	})
	return err
}
