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

// ApplicationIndexedType is the event of an application's lookup stream.
// Like the numbers' counter streams it lives outside the account streams,
// so the projections, which follow "account-…" streams, never see it.
const ApplicationIndexedType = "ApplicationIndexed"

// applicationIndexed is the one event of an application's lookup stream.
type applicationIndexed struct {
	AccountID uuid.UUID `json:"account_id"`
	At        time.Time `json:"occurred_at"`
}

// ApplicationIndex maps an application id to the account whose stream holds
// it. Routes name applications by id alone (/v1/applications/{app}/…), yet
// the application lives in its account's stream; the mapping is a one-event
// stream per application, "application-<id>", written (expected: no stream)
// before the account's ApplicationSubmitted. It lives in the event store, so
// it survives restarts and every instance sees it. A lookup whose account
// append then failed points at an account without that application, which
// the domain answers application_not_found. The mapping never changes, so
// lookups are cached.
type ApplicationIndex struct {
	store eventstore.Store
	newID func() uuid.UUID

	mu    sync.RWMutex
	cache map[uuid.UUID]uuid.UUID
}

// maxIndexCache bounds the cached lookups; the cache restarts when full.
const maxIndexCache = 100_000

// NewApplicationIndex builds the index over store.
func NewApplicationIndex(store eventstore.Store, newID func() uuid.UUID) *ApplicationIndex {
	if store == nil || newID == nil {
		panic("commands.NewApplicationIndex: nil dependency")
	}
	return &ApplicationIndex{store: store, newID: newID, cache: map[uuid.UUID]uuid.UUID{}}
}

func applicationStream(id uuid.UUID) string { return "application-" + id.String() }

// Put records that application app is in account's stream.
func (x *ApplicationIndex) Put(ctx context.Context, app, account uuid.UUID, now time.Time, md Metadata) error {
	meta, err := md.EncodeIn(ctx)
	if err != nil {
		return fmt.Errorf("encode metadata: %w", err)
	}
	data, _ := json.Marshal(applicationIndexed{AccountID: account, At: now})
	_, err = x.store.Append(ctx, applicationStream(app), eventstore.NoStream, []eventstore.EventData{{
		ID: x.newID(), Type: ApplicationIndexedType, SchemaVersion: 1, Data: data, Metadata: meta, OccurredAt: now,
	}})
	if err != nil {
		return fmt.Errorf("index application %s: %w", app, err)
	}
	x.remember(app, account)
	return nil
}

// Account returns the account holding application app, or
// application_not_found.
func (x *ApplicationIndex) Account(ctx context.Context, app uuid.UUID) (uuid.UUID, error) {
	x.mu.RLock()
	acc, ok := x.cache[app]
	x.mu.RUnlock()
	if ok {
		return acc, nil
	}
	recs, err := x.store.ReadStream(ctx, applicationStream(app), eventstore.Forward, 0, 1)
	if err != nil {
		return uuid.Nil, fmt.Errorf("look up application %s: %w", app, err)
	}
	if len(recs) == 0 {
		return uuid.Nil, errApplicationNotFound(app)
	}
	var e applicationIndexed
	if err := json.Unmarshal(recs[0].Data, &e); err != nil {
		return uuid.Nil, fmt.Errorf("decode application %s lookup: %w", app, err)
	}
	x.remember(app, e.AccountID)
	return e.AccountID, nil
}

func (x *ApplicationIndex) remember(app, account uuid.UUID) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.cache) >= maxIndexCache {
		clear(x.cache)
	}
	x.cache[app] = account
}

func errApplicationNotFound(id uuid.UUID) error {
	return domain.NewError(domain.CodeApplicationNotFound, "application %s not found", id)
}
