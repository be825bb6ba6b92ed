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
// their events with optimistic concurrency, retrying on conflicts.
type Repository struct {
	store      eventstore.Store
	newID      func() uuid.UUID
	maxRetries int
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
	events, err := r.loadEvents(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(events) == 0 {
		return nil, domain.NewError(domain.CodeAccountNotFound, "account %s not found", id)
	}
	return domain.NewAccountFromHistory(id, events), nil
}

func (r *Repository) loadEvents(ctx context.Context, id uuid.UUID) ([]domain.Event, error) {
	const page = 1000
	var out []domain.Event
	stream := StreamName(id)
	for from := int64(0); ; {
		recs, err := r.store.ReadStream(ctx, stream, eventstore.Forward, from, page)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", stream, err)
		}
		for _, rec := range recs {
			e, err := domain.DecodeEvent(rec.Type, rec.SchemaVersion, rec.Data)
			if err != nil {
				return nil, fmt.Errorf("load %s v%d: %w", stream, rec.Version, err)
			}
			out = append(out, e)
		}
		if len(recs) < page {
			return out, nil
		}
		from = recs[len(recs)-1].Version + 1
	}
}

// Create appends the events of a new account; the stream must not exist.
func (r *Repository) Create(ctx context.Context, a *domain.ForeignerAccount, md Metadata) (Result, error) {
	res, err := r.save(ctx, a.ID(), eventstore.NoStream, a.Changes(), md)
	if err != nil {
		return Result{}, err
	}
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
		a, err := r.Load(ctx, id)
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
		res, err := r.save(ctx, id, eventstore.Exact(a.Version()), changes, saved)
		if errors.Is(err, eventstore.ErrConflict) && attempt < r.maxRetries {
			continue
		}
		if err != nil {
			return Result{}, err
		}
		return res, decision
	}
}

func (r *Repository) save(ctx context.Context, id uuid.UUID, expected eventstore.ExpectedVersion, changes []domain.Event, md Metadata) (Result, error) {
	meta, err := md.EncodeIn(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("encode metadata: %w", err)
	}
	data := make([]eventstore.EventData, len(changes))
	for i, e := range changes {
		typ, ver, payload, err := domain.EncodeEvent(e)
		if err != nil {
			return Result{}, fmt.Errorf("encode %T: %w", e, err)
		}
		data[i] = eventstore.EventData{
			ID: r.newID(), Type: typ, SchemaVersion: ver, Data: payload, Metadata: meta,
			OccurredAt: domain.EventTime(e),
		}
	}
	stream := StreamName(id)
	res, err := r.store.Append(ctx, stream, expected, data)
	if err != nil {
		return Result{}, fmt.Errorf("append %s: %w", stream, err)
	}
	markWrote(ctx)
	return Result{AccountID: id, Position: res.LastPosition, Version: res.NextVersion}, nil
}

// abortError makes Update discard what a decision recorded.
type abortError struct{ err error }

func (e *abortError) Error() string { return e.err.Error() }
func (e *abortError) Unwrap() error { return e.err }

// abort tells Update to save nothing and return err, even though the
// decision recorded events (a check after the domain decision failed).
func abort(err error) error { return &abortError{err: err} }
