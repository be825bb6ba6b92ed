package projtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/eventstore/sqlstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/projections"
	"github.com/kabinet/kabinet/projections/esbus"
	"github.com/kabinet/kabinet/projections/poison"
)

// Rig is an event store and a read database with a projection runner over
// the projectors under test.
type Rig struct {
	Store       eventstore.Store
	DB          *sqldb.DB
	Runner      *projections.Runner
	Checkpoints *esbus.SQLCheckpoints
}

// NewRig keeps events and read models in db and runs projectors.
func NewRig(t testing.TB, db *sqldb.DB, projectors ...projections.Projector) *Rig {
	t.Helper()
	ctx := context.Background()
	store, err := sqlstore.New(ctx, db, sqlstore.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	cps, err := esbus.NewSQLCheckpoints(ctx, db)
	require.NoError(t, err)
	pq, err := poison.New(ctx, db, poison.Options{})
	require.NoError(t, err)
	r := &projections.Runner{
		DB: db, Store: store, Checkpoint: cps, Poison: pq, Tracker: projections.NewTracker(db),
		Projectors: projectors, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	require.NoError(t, r.Migrate(ctx))
	return &Rig{Store: store, DB: db, Runner: r, Checkpoints: cps}
}

// StopAndRestart runs traffic while the runner is stopped at random moments
// and started again a dozen times, then lets every projector catch up.
func (r *Rig) StopAndRestart(t *testing.T, seed uint64, traffic func()) {
	t.Helper()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		traffic()
	}()
	rnd := mrand.New(mrand.NewPCG(seed, seed+1))
	for i := 0; i < 12; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- r.Runner.Run(ctx) }()
		time.Sleep(time.Duration(5+rnd.IntN(60)) * time.Millisecond)
		cancel()
		require.NoError(t, ignoreCanceled(<-done))
	}
	wg.Wait()
	r.CatchUp(t)
}

// CatchUp runs the runner until every projector has reached the head.
func (r *Rig) CatchUp(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Runner.Run(ctx) }()
	head, err := r.Store.Head(context.Background())
	require.NoError(t, err)
	for _, p := range r.Runner.Projectors {
		_, err := r.Runner.Tracker.Wait(context.Background(), p.Name(), head, 30*time.Second)
		require.NoError(t, err, p.Name())
	}
	cancel()
	require.NoError(t, ignoreCanceled(<-done))
}

// Rebuild empties p's tables and replays the whole log into them.
func (r *Rig) Rebuild(t testing.TB, p projections.Projector) {
	t.Helper()
	require.NoError(t, projections.Rebuild(context.Background(), r.DB, r.Store, r.Checkpoints, p, nil))
}

// ignoreCanceled treats a stop by cancellation, wherever it struck, as a
// clean stop.
func ignoreCanceled(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// Fold replays the account's stream with the domain itself.
func Fold(t testing.TB, store eventstore.Store, id uuid.UUID) (*domain.ForeignerAccount, []eventstore.RecordedEvent) {
	t.Helper()
	recs, err := store.ReadStream(context.Background(), stream(id), eventstore.Forward, 0, 100000)
	require.NoError(t, err)
	var evs []domain.Event
	for _, rec := range recs {
		e, err := domain.DecodeEvent(rec.Type, rec.SchemaVersion, rec.Data)
		require.NoError(t, err)
		evs = append(evs, e)
	}
	return domain.NewAccountFromHistory(id, evs), recs
}

// Dump reads every row of table, ordered by orderBy, with values rendered
// as text so two dumps compare with assert.Equal.
func Dump(t testing.TB, db *sqldb.DB, table, orderBy string) []map[string]string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), "SELECT * FROM "+table+" ORDER BY "+orderBy)
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	var out []map[string]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		m := map[string]string{}
		for i, c := range cols {
			m[c] = render(vals[i])
		}
		out = append(out, m)
	}
	require.NoError(t, rows.Err())
	return out
}

func render(v any) string {
	switch v := v.(type) {
	case nil:
		return "<null>"
	case []byte:
		return string(v)
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

// Keys returns m's keys, sorted.
func Keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// stream is the event stream of one account.
func stream(id uuid.UUID) string { return "account-" + id.String() }

// repo appends decisions' events the way commands.Repository does (load,
// decide, append with the loaded version), without depending on the
// command layer, which the read models' tests do not exercise.
type repo struct{ store eventstore.Store }

func (r repo) create(ctx context.Context, a *domain.ForeignerAccount, md []byte) error {
	return r.save(ctx, a.ID(), eventstore.NoStream, a.Changes(), md)
}

// update runs decide on the loaded account and saves what it recorded,
// even when it also refused (a wrong code is a recorded failure).
func (r repo) update(ctx context.Context, t testing.TB, id uuid.UUID, decide func(a *domain.ForeignerAccount) ([]byte, error)) {
	a, _ := Fold(t, r.store, id)
	md, _ := decide(a)
	if len(a.Changes()) == 0 {
		return
	}
	require.NoError(t, r.save(ctx, id, eventstore.Exact(a.Version()), a.Changes(), md))
}

func (r repo) save(ctx context.Context, id uuid.UUID, expected eventstore.ExpectedVersion, changes []domain.Event, md []byte) error {
	data := make([]eventstore.EventData, len(changes))
	for i, e := range changes {
		typ, ver, payload, err := domain.EncodeEvent(e)
		if err != nil {
			return err
		}
		data[i] = eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: typ, SchemaVersion: ver, Data: payload,
			Metadata: md, OccurredAt: domain.EventTime(e)}
	}
	_, err := r.store.Append(ctx, stream(id), expected, data)
	return err
}
