package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
)

// StreamName is the event stream of one account.
func StreamName(id uuid.UUID) string { return "account-" + id.String() }

// Result tells where a command's events landed.
type Result struct {
	AccountID uuid.UUID
	// Position is the global position of the last event written (0 when the
	// command wrote nothing).
	Position uint64
	// Version is the stream version after the command.
	Version int64
}

// Repository loads ForeignerAccount streams, runs decisions and appends
// their events with optimistic concurrency, retrying on conflicts. It keeps
// the streams it loaded or wrote lately and reads only what came after them.
type Repository struct {
	store      eventstore.Store
	newID      func() uuid.UUID
	maxRetries int
	streams    streamCache
}

// NewRepository builds a repository over store. newID mints event ids.
func NewRepository(store eventstore.Store, newID func() uuid.UUID) *Repository {
	if store == nil || newID == nil {
		panic("commands.NewRepository: nil dependency")
	}
	return &Repository{store: store, newID: newID, maxRetries: 5}
}

// Load folds the account's stream. An account without events is
// account_not_found.
func (r *Repository) Load(ctx context.Context, id uuid.UUID) (*domain.ForeignerAccount, error) {
	a, _, err := r.load(ctx, id)
	return a, err
}

// load is Load, with the stream's events it folded.
func (r *Repository) load(ctx context.Context, id uuid.UUID) (*domain.ForeignerAccount, []storedEvent, error) {
	stored, read, err := r.loadStream(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if len(stored) == 0 {
		return nil, nil, domain.NewError(domain.CodeAccountNotFound, "account %s not found", id)
	}
	stream := StreamName(id)
	events := make([]domain.Event, len(stored))
	for i, se := range stored {
		if events[i], err = domain.DecodeEvent(se.typ, se.schemaVersion, se.data); err != nil {
			return nil, nil, fmt.Errorf("load %s v%d: %w", stream, i, err)
		}
	}
	a := domain.NewAccountFromHistory(id, events)
	switch {
	case a.Closed():
		r.streams.drop(id)
	case read > 0:
		r.streams.put(id, stored)
	}
	return a, stored, nil
}

// loadStream returns the stream's events, those cached and then those after
// them in the store, and how many it read from the store.
func (r *Repository) loadStream(ctx context.Context, id uuid.UUID) ([]storedEvent, int, error) {
	const page = 1000
	stream := StreamName(id)
	out := r.streams.get(id)
	read := 0
	for {
		from := int64(len(out))
		recs, err := r.store.ReadStream(ctx, stream, eventstore.Forward, from, page)
		if err != nil {
			return nil, 0, fmt.Errorf("load %s: %w", stream, err)
		}
		if len(recs) > 0 && recs[0].Version != from {
			if from == 0 {
				return nil, 0, fmt.Errorf("load %s: first event has version %d", stream, recs[0].Version)
			}
			r.streams.drop(id) // not the prefix it was taken for: read it all
			out = nil
			continue
		}
		for _, rec := range recs {
			out = append(out, storedEvent{typ: rec.Type, schemaVersion: rec.SchemaVersion, data: rec.Data})
		}
		read += len(recs)
		if len(recs) < page {
			return out, read, nil
		}
	}
}

// Create appends the events of a new account; the stream must not exist.
func (r *Repository) Create(ctx context.Context, a *domain.ForeignerAccount, md Metadata) (Result, error) {
	res, written, err := r.save(ctx, a.ID(), eventstore.NoStream, a.Changes(), md)
	if err != nil {
		return Result{}, err
	}
	r.streams.put(a.ID(), written)
	return res, nil
}

// Update loads the account, runs decide on it and appends what it recorded
// with the loaded version as the expectation; on a conflict it reloads and
// decides again, a bounded number of times. A decision may record events
// and still refuse (a wrong code records the failed attempt): the events are
// saved and the refusal is returned with the result.
//
// A closed account refuses every decision with account_closed before it
// runs (docs/DOMAIN.md §11); only UpdateClosed reaches one.
func (r *Repository) Update(ctx context.Context, id uuid.UUID, md Metadata, decide func(a *domain.ForeignerAccount) error) (Result, error) {
	return r.update(ctx, id, md, decide, false)
}

// UpdateClosed is Update for the decisions that still apply to a closed
// account (erasure).
func (r *Repository) UpdateClosed(ctx context.Context, id uuid.UUID, md Metadata, decide func(a *domain.ForeignerAccount) error) (Result, error) {
	return r.update(ctx, id, md, decide, true)
}

func (r *Repository) update(ctx context.Context, id uuid.UUID, md Metadata, decide func(a *domain.ForeignerAccount) error, closedToo bool) (Result, error) {
	for attempt := 0; ; attempt++ {
		a, loaded, err := r.load(ctx, id)
		if err != nil {
			return Result{}, err
		}
		if !closedToo && a.Closed() {
			return Result{AccountID: id, Version: a.Version()}, a.EnsureOpen()
		}
		decision := decide(a)
		var ab *abortError
		if errors.As(decision, &ab) {
			return Result{AccountID: id, Version: a.Version()}, ab.err
		}
		changes := a.Changes()
		if len(changes) == 0 {
			return Result{AccountID: id, Version: a.Version()}, decision
		}
		saved := md
		var de *domain.Error
		if errors.As(decision, &de) {
			saved.Outcome, saved.Reason = "refused", de.Code
		}
		res, written, err := r.save(ctx, id, eventstore.Exact(a.Version()), changes, saved)
		if errors.Is(err, eventstore.ErrConflict) {
			r.streams.drop(id) // read it whole again, whatever came in between
			if attempt < r.maxRetries {
				continue
			}
		}
		if err != nil {
			return Result{}, err
		}
		if a.Closed() {
			r.streams.drop(id)
		} else {
			r.streams.put(id, append(loaded[:len(loaded):len(loaded)], written...))
		}
		return res, decision
	}
}

// save appends changes with the expectation and returns, besides where they
// landed, the events as the stream now holds them after the expected version.
func (r *Repository) save(ctx context.Context, id uuid.UUID, expected eventstore.ExpectedVersion, changes []domain.Event, md Metadata) (Result, []storedEvent, error) {
	meta, err := md.EncodeIn(ctx)
	if err != nil {
		return Result{}, nil, fmt.Errorf("encode metadata: %w", err)
	}
	data := make([]eventstore.EventData, len(changes))
	written := make([]storedEvent, len(changes))
	for i, e := range changes {
		typ, ver, payload, err := domain.EncodeEvent(e)
		if err != nil {
			return Result{}, nil, fmt.Errorf("encode %T: %w", e, err)
		}
		data[i] = eventstore.EventData{
			ID: r.newID(), Type: typ, SchemaVersion: ver, Data: payload, Metadata: meta,
			OccurredAt: domain.EventTime(e),
		}
		written[i] = storedEvent{typ: typ, schemaVersion: ver, data: payload}
	}
	stream := StreamName(id)
	res, err := r.store.Append(ctx, stream, expected, data)
	if err != nil {
		return Result{}, nil, fmt.Errorf("append %s: %w", stream, err)
	}
	markWrote(ctx)
	return Result{AccountID: id, Position: res.LastPosition, Version: res.NextVersion}, written, nil
}

// abortError makes Update discard what a decision recorded.
type abortError struct{ err error }

func (e *abortError) Error() string { return e.err.Error() }
func (e *abortError) Unwrap() error { return e.err }

// abort tells Update to save nothing and return err, even though the
// decision recorded events (a check after the domain decision failed).
func abort(err error) error { return &abortError{err: err} }
