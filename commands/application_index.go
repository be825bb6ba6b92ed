package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
)

// Event types of the applications' bookkeeping streams. They live outside
// the account streams ("appnumbers-<year>", "application-<id>"), so the
// projections, which follow "account-…" streams, never see them.
const (
	ApplicationNumberAssignedType = "ApplicationNumberAssigned"
	ApplicationIndexedType        = "ApplicationIndexed"
)

// applicationNumbered is the event of a year's counter stream: its stream
// version v (0-based) is the number's sequence v+1.
type applicationNumbered struct {
	Number        string    `json:"number"`
	ApplicationID uuid.UUID `json:"application_id"`
	AccountID     uuid.UUID `json:"account_id"`
	At            time.Time `json:"occurred_at"`
}

// ApplicationNumbers hands out human application numbers YYYY-NNNNNN,
// unique under any concurrency and across instances: one counter stream per
// year, "appnumbers-<year>", whose n-th event (version n-1) is the number n.
// An append expects the version last seen, so two submissions can never
// take the same number; the loser of a race learns the winner's version
// from the conflict and tries the next number. Numbers may have gaps (a
// submission refused after its number was taken), never duplicates.
type ApplicationNumbers struct {
	store eventstore.Store
	newID func() uuid.UUID

	mu   sync.Mutex
	last map[int]int64 // year → last version seen (a hint, never trusted)
}

// NewApplicationNumbers builds the counter over store.
func NewApplicationNumbers(store eventstore.Store, newID func() uuid.UUID) *ApplicationNumbers {
	if store == nil || newID == nil {
		panic("commands.NewApplicationNumbers: nil dependency")
	}
	return &ApplicationNumbers{store: store, newID: newID, last: map[int]int64{}}
}

// maxSequence is the largest number a year holds (six digits).
const maxSequence = 999_999

// unknownVersion marks that the counter's version must be read.
const unknownVersion = -3

// Next takes the next number of year for the application app of account.
func (n *ApplicationNumbers) Next(ctx context.Context, year int, app, account uuid.UUID, now time.Time, md Metadata) (string, error) {
	meta, err := md.Encode()
	if err != nil {
		return "", fmt.Errorf("encode metadata: %w", err)
	}
	stream := fmt.Sprintf("appnumbers-%04d", year)
	last := n.hint(year)
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		if last == unknownVersion {
			if last, err = n.lastVersion(ctx, stream); err != nil {
				return "", err
			}
		}
		seq := last + 2 // version last+1 holds the number last+2
		if seq > maxSequence {
			return "", fmt.Errorf("application numbers of %d are exhausted", year)
		}
		number := fmt.Sprintf("%04d-%06d", year, seq)
		data, _ := json.Marshal(applicationNumbered{Number: number, ApplicationID: app, AccountID: account, At: now})
		_, err := n.store.Append(ctx, stream, eventstore.ExpectedVersion(last), []eventstore.EventData{{
			ID: n.newID(), Type: ApplicationNumberAssignedType, SchemaVersion: 1, Data: data, Metadata: meta, OccurredAt: now,
		}})
		var ce *eventstore.ConflictError
		switch {
		case err == nil:
			n.remember(year, last+1)
			return number, nil
		case errors.As(err, &ce):
			// Someone took this number: try the one after theirs. Every few
			// conflicts read the stream, in case the store's hint is stale,
			// and pause a little so a crowd does not retry in lockstep.
			last = ce.Actual
			if ce.Actual < -1 || attempt%8 == 7 {
				last = unknownVersion
			}
			if attempt >= 4 {
				time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
			}
		default:
			return "", fmt.Errorf("take application number: %w", err)
		}
	}
}

func (n *ApplicationNumbers) hint(year int) int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	if v, ok := n.last[year]; ok {
		return v
	}
	return unknownVersion
}

func (n *ApplicationNumbers) remember(year int, v int64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if cur, ok := n.last[year]; !ok || v > cur {
		n.last[year] = v
	}
}

// lastVersion reads the version of the stream's last event (-1: none).
func (n *ApplicationNumbers) lastVersion(ctx context.Context, stream string) (int64, error) {
	recs, err := n.store.ReadStream(ctx, stream, eventstore.Backward, -1, 1)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", stream, err)
	}
	if len(recs) == 0 {
		return -1, nil
	}
	return recs[0].Version, nil
}

// applicationIndexed is the one event of an application's lookup stream.
type applicationIndexed struct {
	AccountID uuid.UUID `json:"account_id"`
	Number    string    `json:"number"`
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

// Put records that application app (number) is in account's stream.
func (x *ApplicationIndex) Put(ctx context.Context, app, account uuid.UUID, number string, now time.Time, md Metadata) error {
	meta, err := md.Encode()
	if err != nil {
		return fmt.Errorf("encode metadata: %w", err)
	}
	data, _ := json.Marshal(applicationIndexed{AccountID: account, Number: number, At: now})
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
