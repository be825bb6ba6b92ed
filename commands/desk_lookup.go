package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
)

// LookupIndexedType is the event of a lookup stream.
const LookupIndexedType = "EntityIndexed"

// Lookup maps the id of something that lives in an account's stream (a
// support request, an appointment, a complaint) to that account, as
// ApplicationIndex does for applications: one one-event stream per id,
// "<prefix>-<id>", written (expected: no stream) before the account's
// event. Outside the account streams, the projections never see it. The
// mapping never changes, so lookups are cached.
type Lookup struct {
	prefix   string
	notFound func(uuid.UUID) error
	store    eventstore.Store
	newID    func() uuid.UUID

	mu    sync.RWMutex
	cache map[uuid.UUID]uuid.UUID
}

// NewLookup builds the lookup of prefix streams over store; notFound makes
// the error for an unknown id.
func NewLookup(store eventstore.Store, newID func() uuid.UUID, prefix string, notFound func(uuid.UUID) error) *Lookup {
	if store == nil || newID == nil || prefix == "" || notFound == nil {
		panic("commands.NewLookup: nil dependency")
	}
	return &Lookup{prefix: prefix, notFound: notFound, store: store, newID: newID, cache: map[uuid.UUID]uuid.UUID{}}
}

// Put records that id is in account's stream.
func (x *Lookup) Put(ctx context.Context, id, account uuid.UUID, now time.Time, md Metadata) error {
	meta, err := md.Encode()
	if err != nil {
		return fmt.Errorf("encode metadata: %w", err)
	}
	data, _ := json.Marshal(applicationIndexed{AccountID: account, At: now})
	_, err = x.store.Append(ctx, x.prefix+"-"+id.String(), eventstore.NoStream, []eventstore.EventData{{
		ID: x.newID(), Type: LookupIndexedType, SchemaVersion: 1, Data: data, Metadata: meta, OccurredAt: now,
	}})
	if err != nil {
		return fmt.Errorf("index %s %s: %w", x.prefix, id, err)
	}
	markWrote(ctx)
	x.remember(id, account)
	return nil
}

// Account returns the account holding id, or the lookup's not-found error.
func (x *Lookup) Account(ctx context.Context, id uuid.UUID) (uuid.UUID, error) {
	x.mu.RLock()
	acc, ok := x.cache[id]
	x.mu.RUnlock()
	if ok {
		return acc, nil
	}
	recs, err := x.store.ReadStream(ctx, x.prefix+"-"+id.String(), eventstore.Forward, 0, 1)
	if err != nil {
		return uuid.Nil, fmt.Errorf("look up %s %s: %w", x.prefix, id, err)
	}
	if len(recs) == 0 {
		return uuid.Nil, x.notFound(id)
	}
	var e applicationIndexed
	if err := json.Unmarshal(recs[0].Data, &e); err != nil {
		return uuid.Nil, fmt.Errorf("decode %s %s lookup: %w", x.prefix, id, err)
	}
	x.remember(id, e.AccountID)
	return e.AccountID, nil
}

func (x *Lookup) remember(id, account uuid.UUID) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.cache) >= maxIndexCache {
		clear(x.cache)
	}
	x.cache[id] = account
}

func notFoundError(code, what string) func(uuid.UUID) error {
	return func(id uuid.UUID) error { return domain.NewError(code, "%s %s not found", what, id) }
}
