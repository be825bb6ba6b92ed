package journaling_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/kabinet/kabinet/commands/journaling"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/eventstore/sqlstore"
	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb"
)

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// rig is an event store, a journal and the writer's tables on one database,
// with what the test recorded into the inbox.
type rig struct {
	db    *sqldb.DB
	store *sqlstore.Store
	j     *journal.Journal
	cfg   journaling.Config

	mu       sync.Mutex
	recorded []string // correlation ids of the entries given to Record
}

// fakeClock advances one second per reading, so every time-triggered
// checkpoint is due and times are distinct.
func fakeClock() func() time.Time {
	var n atomic.Int64
	return func() time.Time { return t0.Add(time.Duration(n.Add(1)) * time.Second) }
}

// newRig opens the store and the journal on db. The journal checkpoints
// every cpEvery entries (by count, inside the writer's transaction) and on
// every cycle by time (its clock is fake).
func newRig(t testing.TB, db *sqldb.DB, cpEvery uint64) *rig {
	t.Helper()
	return newSplitRig(t, db, db, cpEvery)
}

// newSplitRig is newRig with the events in eventsDB and the journal, with
// the writer's tables, in db.
func newSplitRig(t testing.TB, eventsDB, db *sqldb.DB, cpEvery uint64) *rig {
	t.Helper()
	ctx := context.Background()
	store, err := sqlstore.New(ctx, eventsDB, sqlstore.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	skey, vkey, err := note.GenerateKey(rand.Reader, journal.DefaultOrigin)
	require.NoError(t, err)
	signer, verifier, _, err := journal.ParseKey(skey)
	require.NoError(t, err)
	j, err := journal.Open(ctx, db, signer, verifier, journal.Options{
		VerifierKey: vkey, CheckpointEvery: cpEvery, CheckpointInterval: time.Millisecond, Now: fakeClock(),
		Events: store,
	})
	require.NoError(t, err)
	return &rig{db: db, store: store, j: j, cfg: journaling.Config{
		Store: store, DB: db, Journal: j, Now: fakeClock(),
		MinInterval: time.Millisecond, PollInterval: 20 * time.Millisecond, RetryDelay: 20 * time.Millisecond,
	}}
}

// writer builds a new Writer on the rig's database: a fresh process.
func (r *rig) writer(t testing.TB, edit func(*journaling.Config)) *journaling.Writer {
	t.Helper()
	cfg := r.cfg
	if edit != nil {
		edit(&cfg)
	}
	w, err := journaling.New(context.Background(), cfg)
	require.NoError(t, err)
	return w
}

// catchUp runs w until everything written so far is journaled and a
// checkpoint covers it, then stops it; Run must return nil.
func (r *rig) catchUp(t testing.TB, w *journaling.Writer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	require.Eventually(t, func() bool {
		st, err := w.Status(context.Background())
		if err != nil || !st.CaughtUp() {
			return false
		}
		size, err := r.j.Size(context.Background())
		if err != nil {
			return false
		}
		cp, err := r.j.LatestCheckpoint(context.Background())
		return err == nil && cp.Size == size
	}, 30*time.Second, 5*time.Millisecond, "the writer catches up and checkpoints")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err, "Run returns nil when its context ends")
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

// cmd describes one command's append.
type cmd struct {
	stream   string
	expected eventstore.ExpectedVersion
	types    []string
	data     string // JSON of every event; "{}" when empty
	command  string
	id       string // command_id; a new one when empty
	actor    string // actor_id; "actor-" and the command id's first 8 characters when empty
	refused  string // the reason, when the decision refused
	foreign  bool   // no command metadata at all
}

// appendCmd appends c's events with the metadata commands would write.
func (r *rig) appendCmd(ctx context.Context, c cmd) (eventstore.AppendResult, error) {
	if c.id == "" {
		c.id = uuid.NewString()
	}
	if c.actor == "" {
		c.actor = "actor-" + c.id[:8]
	}
	md := metadata{
		ActorID: c.actor, ActorRole: "citizen", CorrelationID: "corr-" + c.id,
		CausationID: "cause-" + c.id, SourceIP: "10.1.2.3", UserAgent: "test-agent/1.0",
		Command: c.command, CommandID: c.id,
	}
	if c.refused != "" {
		md.Outcome, md.Reason = "refused", c.refused
	}
	meta, err := json.Marshal(md)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if c.foreign {
		meta = []byte(`{"tool":"import"}`)
	}
	if c.data == "" {
		c.data = "{}"
	}
	evs := make([]eventstore.EventData, len(c.types))
	for i, typ := range c.types {
		evs[i] = eventstore.EventData{
			ID: uuid.Must(uuid.NewV7()), Type: typ, SchemaVersion: 1,
			Data: []byte(c.data), Metadata: meta, OccurredAt: t0.Add(time.Duration(i) * time.Millisecond),
		}
	}
	return r.store.Append(ctx, c.stream, c.expected, evs)
}

func (r *rig) mustAppend(t testing.TB, c cmd) eventstore.AppendResult {
	t.Helper()
	res, err := r.appendCmd(context.Background(), c)
	require.NoError(t, err)
	return res
}

// record gives w an event-less entry with a fresh correlation id.
func (r *rig) record(t testing.TB, w *journaling.Writer, e journal.Entry) {
	t.Helper()
	require.NoError(t, r.recordErr(w, e))
}

func (r *rig) recordErr(w *journaling.Writer, e journal.Entry) error {
	e.CorrelationID = "inbox-" + uuid.NewString()
	if err := w.Record(context.Background(), e); err != nil {
		return err
	}
	r.mu.Lock()
	r.recorded = append(r.recorded, e.CorrelationID)
	r.mu.Unlock()
	return nil
}

// workload writes a mix of commands and inbox entries (tag keeps them apart):
// a registration of two events, a contact claim and its confirmation (one
// command, two streams), a refused decision with events, a command of six
// events (longer than the test writers' batch), a foreign event, a failed
// append, and a denial, a refusal and a staff read recorded via w.
func (r *rig) workload(t testing.TB, w *journaling.Writer, tag string) {
	t.Helper()
	acc := uuid.New()
	stream := "account-" + acc.String()
	r.mustAppend(t, cmd{stream: stream, expected: eventstore.NoStream, command: "RegisterAccount",
		types: []string{"AccountRegistered", "ContactConfirmationRequested"}})
	confirm := uuid.NewString()
	r.mustAppend(t, cmd{stream: "contact-" + tag + acc.String()[:8], expected: eventstore.NoStream,
		command: "ConfirmContact", id: confirm, types: []string{"ContactClaimed"},
		data: fmt.Sprintf(`{"account_id":%q,"occurred_at":"2025-03-01T09:00:00Z"}`, acc)})
	r.mustAppend(t, cmd{stream: stream, expected: eventstore.Exact(1), command: "ConfirmContact", id: confirm,
		types: []string{"ContactConfirmed"}})
	r.mustAppend(t, cmd{stream: stream, expected: eventstore.Exact(2), command: "ConfirmContact",
		refused: "code_invalid", types: []string{"ContactConfirmationFailed"}})
	r.mustAppend(t, cmd{stream: stream, expected: eventstore.Exact(3), command: "ProvidePersonalData",
		types: []string{"PersonalDataProvided", "DocumentAdded", "DocumentAdded", "DocumentAdded", "SnilsLinked", "InnLinked"}})
	r.mustAppend(t, cmd{stream: "foreign-" + tag, expected: eventstore.Any, foreign: true, types: []string{"Imported"}})
	_, err := r.appendCmd(context.Background(), cmd{stream: stream, expected: eventstore.Exact(1),
		command: "RequestContactCode", types: []string{"ContactConfirmationRequested"}})
	require.ErrorIs(t, err, eventstore.ErrConflict, "a stale expected version is refused")

	r.record(t, w, journal.Entry{ActorID: "anonymous", Action: "GET cabinet", Outcome: journal.Denied,
		Reason: "unauthorized", IP: "10.9.9.9"})
	r.record(t, w, journal.Entry{ActorID: "actor-x", ActorRole: "citizen", Action: "ConfirmContact",
		AccountID: acc.String(), Outcome: journal.Refused, Reason: "code_expired"})
	r.record(t, w, journal.Entry{ActorID: "operator-1", ActorRole: "operator", Action: "GET account",
		AccountID: acc.String(), Outcome: journal.Done})
}

// allEntries reads the whole journal.
func allEntries(t testing.TB, j *journal.Journal) []journal.Entry {
	t.Helper()
	var out []journal.Entry
	for {
		page, err := j.Entries(context.Background(), journal.Filter{FromSeq: uint64(len(out)), Limit: journal.MaxLimit})
		require.NoError(t, err)
		out = append(out, page...)
		if len(page) < journal.MaxLimit {
			return out
		}
	}
}

// runKey names the entry an event belongs to: its stream and command
// execution, or the event alone when it carries no command metadata.
func runKey(e eventstore.RecordedEvent) string {
	md, err := decodeMetadata(e.Metadata)
	if err != nil || md.CommandID == "" || md.Command == "" {
		return fmt.Sprintf("event %d", e.Position)
	}
	return e.StreamID + " " + md.CommandID
}

// check asserts the journal's promises: every command's events in one
// stream have exactly one entry naming exactly their positions (its fields
// taken from their metadata), no entry names an event not in the log,
// every recorded entry is there exactly once, nothing else is, the writer
// consumed everything, and the journal verifies.
func (r *rig) check(t testing.TB, w *journaling.Writer) {
	t.Helper()
	ctx := context.Background()
	evs, err := r.store.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	entries := allEntries(t, r.j)

	byPos := make(map[uint64]eventstore.RecordedEvent, len(evs))
	runs := map[string][]uint64{}
	for _, e := range evs {
		byPos[e.Position] = e
		runs[runKey(e)] = append(runs[runKey(e)], e.Position)
	}
	seen := map[string]bool{}
	inbox := map[string]int{}
	for _, en := range entries {
		if len(en.EventPositions) == 0 {
			inbox[en.CorrelationID]++
			continue
		}
		first, ok := byPos[en.EventPositions[0]]
		require.True(t, ok, "entry %d names position %d, which is not in the log", en.Seq, en.EventPositions[0])
		key := runKey(first)
		require.False(t, seen[key], "a second entry (%d) for %s", en.Seq, key)
		seen[key] = true
		require.Equal(t, runs[key], en.EventPositions, "entry %d names exactly the events of %s", en.Seq, key)
		md, _ := decodeMetadata(first.Metadata)
		if md.CommandID == "" {
			assert.Equal(t, first.Type, en.Action)
			assert.Equal(t, journaling.Unknown, en.ActorID)
			continue
		}
		assert.Equal(t, md.Command, en.Action)
		assert.Equal(t, md.ActorID, en.ActorID)
		assert.Equal(t, md.CorrelationID, en.CorrelationID)
		if md.Outcome == "refused" {
			assert.Equal(t, journal.Refused, en.Outcome)
			assert.Equal(t, md.Reason, en.Reason)
		} else {
			assert.Equal(t, journal.Done, en.Outcome)
		}
		if acc, ok := strings.CutPrefix(first.StreamID, "account-"); ok {
			assert.Equal(t, acc, en.AccountID)
		}
	}
	assert.Len(t, seen, len(runs), "every command in the log has its entry")

	r.mu.Lock()
	want := append([]string(nil), r.recorded...)
	r.mu.Unlock()
	for _, id := range want {
		assert.Equal(t, 1, inbox[id], "recorded entry %s is journaled exactly once", id)
	}
	assert.Len(t, inbox, len(want), "no event-less entry that was not recorded")

	st, err := w.Status(ctx)
	require.NoError(t, err)
	assert.True(t, st.CaughtUp(), "cursor %d at head %d, inbox %d", st.Cursor, st.Head, st.Inbox)
	res, err := r.j.Verify(ctx)
	require.NoError(t, err)
	assert.True(t, res.OK, res.Reason)
	assert.Equal(t, uint64(len(entries)), res.Entries)
}

// metadata mirrors commands.Metadata, the event metadata the writer reads
// (compat/ checks the writer against the real one).
type metadata struct {
	ActorID       string `json:"actor_id"`
	ActorRole     string `json:"actor_role"`
	CorrelationID string `json:"correlation_id"`
	CausationID   string `json:"causation_id"`
	SourceIP      string `json:"source_ip,omitempty"`
	UserAgent     string `json:"user_agent,omitempty"`
	Command       string `json:"command"`
	CommandID     string `json:"command_id"`
	Outcome       string `json:"outcome,omitempty"`
	Reason        string `json:"reason,omitempty"`
}

func decodeMetadata(b []byte) (metadata, error) {
	var m metadata
	err := json.Unmarshal(b, &m)
	return m, err
}

// errCrash is a hook's "the process died here".
var errCrash = errors.New("simulated crash")
