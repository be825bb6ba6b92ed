package readapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/httpx"
	"github.com/kabinet/kabinet/platform/pii"
)

// HistoryItem is one event of an account's stream as auditors see it.
type HistoryItem struct {
	Position   uint64          `json:"position"`
	Version    int64           `json:"version"`
	Type       string          `json:"type"`
	Schema     int             `json:"schema_version"`
	OccurredAt time.Time       `json:"occurred_at"`
	Data       json.RawMessage `json:"data"`
	Metadata   HistoryMeta     `json:"metadata"`
	// With proofs=true: the event hash, leaf index and inclusion proof.
	*ItemProof
}

// HistoryMeta is the metadata docs/DOMAIN.md §8 puts on every event.
type HistoryMeta struct {
	ActorID       string `json:"actor_id"`
	ActorRole     string `json:"actor_role"`
	CorrelationID string `json:"correlation_id"`
	CausationID   string `json:"causation_id"`
	SourceIP      string `json:"source_ip"`
	UserAgent     string `json:"user_agent,omitempty"`
	Command       string `json:"command,omitempty"`
	// Outcome is "refused" when a refused command still recorded this event
	// (a wrong code is a failed attempt); Reason is then the domain code.
	Outcome string `json:"outcome,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// Histories replays account streams from the event store itself — the
// source of truth, not a projection.
type Histories struct {
	store  eventstore.Store
	codec  *pii.Codec
	proofs Proofs
}

// NewHistories reads histories from store.
func NewHistories(store eventstore.Store) *Histories { return &Histories{store: store} }

// NewSealedHistories reads histories from store, which holds personal
// fields sealed by codec: they are opened for the auditor, and an erased
// account's show as "[erased]" (docs/DOMAIN.md §11).
func NewSealedHistories(store eventstore.Store, codec *pii.Codec) *Histories {
	return &Histories{store: store, codec: codec}
}

// reveal opens rec's personal fields, naming those erased.
func (h *Histories) reveal(ctx context.Context, rec eventstore.RecordedEvent) (eventstore.RecordedEvent, []string, []string, error) {
	if h.codec == nil {
		return rec, nil, nil, nil
	}
	return h.codec.Reveal(ctx, rec)
}

func stream(id uuid.UUID) string { return "account-" + id.String() }

// Page returns up to limit events from version from on, upcast to their
// current schema, and whether more follow.
func (h *Histories) Page(ctx context.Context, id uuid.UUID, from int64, limit int) ([]HistoryItem, bool, error) {
	p, err := h.page(ctx, id, from, limit, false)
	return p.Items, p.more, err
}

// ProvenPage is Page with each item's proof against the latest signed
// checkpoint, which it returns as well (see ItemProof).
func (h *Histories) ProvenPage(ctx context.Context, id uuid.UUID, from int64, limit int) (HistoryPage, bool, error) {
	p, err := h.page(ctx, id, from, limit, true)
	return p, p.more, err
}

func (h *Histories) page(ctx context.Context, id uuid.UUID, from int64, limit int, proofs bool) (HistoryPage, error) {
	recs, err := h.store.ReadStream(ctx, stream(id), eventstore.Forward, from, limit+1)
	if err != nil {
		return HistoryPage{}, fmt.Errorf("history %s: %w", id, err)
	}
	p := HistoryPage{more: len(recs) > limit}
	if p.more {
		recs = recs[:limit]
	}
	if p.Items, err = h.items(ctx, recs); err != nil {
		return HistoryPage{}, err
	}
	if proofs {
		if p.Checkpoint, err = h.prove(ctx, p.Items, recs); err != nil {
			return HistoryPage{}, err
		}
	}
	return p, nil
}

// Events returns the events at positions, in that order, as history items
// (decoded as Page decodes them), with their proofs when proofs is set,
// and the checkpoint those are against.
func (h *Histories) Events(ctx context.Context, positions []uint64, proofs bool) ([]HistoryItem, string, error) {
	sorted := slices.Clone(positions)
	slices.Sort(sorted)
	got, err := eventstore.ReadPositions(ctx, h.store, slices.Compact(sorted))
	if err != nil {
		return nil, "", fmt.Errorf("events: %w", err)
	}
	byPos := make(map[uint64]eventstore.RecordedEvent, len(got))
	for _, rec := range got {
		byPos[rec.Position] = rec
	}
	recs := make([]eventstore.RecordedEvent, len(positions))
	for i, p := range positions {
		rec, ok := byPos[p]
		if !ok {
			return nil, "", fmt.Errorf("event %d is missing from the event store", p)
		}
		recs[i] = rec
	}
	its, err := h.items(ctx, recs)
	if err != nil || !proofs {
		return its, "", err
	}
	cp, err := h.prove(ctx, its, recs)
	return its, cp, err
}

// items decodes recs (as stored) into history items: personal fields
// opened through the codec, the erased ones shown as "[erased]".
func (h *Histories) items(ctx context.Context, recs []eventstore.RecordedEvent) ([]HistoryItem, error) {
	out := make([]HistoryItem, 0, len(recs))
	for _, rec := range recs {
		rec, erased, erasedMeta, err := h.reveal(ctx, rec)
		if err != nil {
			return nil, fmt.Errorf("history %s v%d: %w", rec.StreamID, rec.Version, err)
		}
		it, err := historyItem(rec, erased)
		if err != nil {
			return nil, err
		}
		for _, f := range erasedMeta {
			switch f {
			case "source_ip":
				it.Metadata.SourceIP = domain.Erased
			case "user_agent":
				it.Metadata.UserAgent = domain.Erased
			}
		}
		out = append(out, it)
	}
	return out, nil
}

// historyItem decodes rec through the domain's registry (upcasting older
// schemas) and re-encodes it, so every item shows the current shape; the
// erased fields show as "[erased]".
func historyItem(rec eventstore.RecordedEvent, erased []string) (HistoryItem, error) {
	e, err := domain.DecodeEvent(rec.Type, rec.SchemaVersion, rec.Data)
	if err != nil {
		return HistoryItem{}, fmt.Errorf("history %s v%d: %w", rec.StreamID, rec.Version, err)
	}
	_, schema, data, err := domain.EncodeEvent(e)
	if err != nil {
		return HistoryItem{}, fmt.Errorf("history %s v%d: %w", rec.StreamID, rec.Version, err)
	}
	if data, err = pii.ShowErased(data, erased); err != nil {
		return HistoryItem{}, fmt.Errorf("history %s v%d: %w", rec.StreamID, rec.Version, err)
	}
	var md HistoryMeta
	if len(rec.Metadata) > 0 {
		if err := json.Unmarshal(rec.Metadata, &md); err != nil {
			return HistoryItem{}, fmt.Errorf("history %s v%d metadata: %w", rec.StreamID, rec.Version, err)
		}
	}
	return HistoryItem{
		Position: rec.Position, Version: rec.Version, Type: rec.Type, Schema: schema,
		OccurredAt: rec.OccurredAt.UTC(), Data: data, Metadata: md,
	}, nil
}

// StateAt is the aggregate replayed up to a point.
type StateAt struct {
	AccountID string              `json:"account_id"`
	Version   int64               `json:"version"`
	Position  uint64              `json:"position"`
	At        *time.Time          `json:"at,omitempty"`
	State     domain.AccountState `json:"state"`
}

// State folds the stream up to and including version (if version ≥ 0) or
// up to the last event that occurred at or before at. ok is false when
// nothing of the account existed at that point.
func (h *Histories) State(ctx context.Context, id uuid.UUID, version int64, at *time.Time) (StateAt, bool, error) {
	var events []domain.Event
	var last eventstore.RecordedEvent
	const page = 1000
	for from := int64(0); ; {
		recs, err := h.store.ReadStream(ctx, stream(id), eventstore.Forward, from, page)
		if err != nil {
			return StateAt{}, false, fmt.Errorf("state %s: %w", id, err)
		}
		for _, rec := range recs {
			if (version >= 0 && rec.Version > version) || (at != nil && rec.OccurredAt.After(*at)) {
				return h.fold(id, events, last, at)
			}
			if rec, _, _, err = h.reveal(ctx, rec); err != nil {
				return StateAt{}, false, fmt.Errorf("state %s: %w", id, err)
			}
			e, err := domain.DecodeEvent(rec.Type, rec.SchemaVersion, rec.Data)
			if err != nil {
				return StateAt{}, false, fmt.Errorf("state %s v%d: %w", id, rec.Version, err)
			}
			events, last = append(events, e), rec
		}
		if len(recs) < page {
			return h.fold(id, events, last, at)
		}
		from = recs[len(recs)-1].Version + 1
	}
}

func (h *Histories) fold(id uuid.UUID, events []domain.Event, last eventstore.RecordedEvent, at *time.Time) (StateAt, bool, error) {
	if len(events) == 0 {
		return StateAt{}, false, nil
	}
	return StateAt{
		AccountID: id.String(), Version: last.Version, Position: last.Position, At: at,
		State: domain.NewAccountFromHistory(id, events).State(),
	}, true, nil
}

// page size rules of docs/API.md ("Lists").
func pageLimit(r *http.Request) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 500 {
		return 0, httpx.BadRequest("limit_invalid", "limit must be an integer from 1 to 500")
	}
	return n, nil
}

// HistoryPage is a page of a history (or of the audit log): its items,
// the cursor of the next page and, with proofs=true, the signed checkpoint
// (a C2SP signed note) the items' inclusion proofs are against.
type HistoryPage struct {
	Checkpoint string        `json:"checkpoint,omitempty"`
	Items      []HistoryItem `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty"`
	more       bool
}

func (s *Server) getHistory(w http.ResponseWriter, r *http.Request) {
	id, ok := s.auditorAccount(w, r)
	if !ok {
		return
	}
	limit, err := pageLimit(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	from := int64(0)
	if c := r.URL.Query().Get("cursor"); c != "" {
		if from, err = strconv.ParseInt(c, 10, 64); err != nil || from < 0 {
			httpx.WriteError(w, r, httpx.BadRequest("cursor_invalid", "cursor is not one this API issued"))
			return
		}
	}
	proofs, ok := proofsParam(w, r)
	if !ok {
		return
	}
	p, err := s.histories.page(r.Context(), id, from, limit, proofs)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if len(p.Items) == 0 && from == 0 {
		httpx.WriteError(w, r, httpx.NotFound("account not found"))
		return
	}
	if p.more {
		p.NextCursor = strconv.FormatInt(p.Items[len(p.Items)-1].Version+1, 10)
	}
	s.staffRead(r, id, "ReadHistory")
	httpx.WriteJSON(w, http.StatusOK, p)
}

func (s *Server) getState(w http.ResponseWriter, r *http.Request) {
	id, ok := s.auditorAccount(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	version := int64(-1)
	var at *time.Time
	switch {
	case q.Get("version") != "" && q.Get("at") != "":
		httpx.WriteError(w, r, httpx.BadRequest("query_invalid", "give either at or version, not both"))
		return
	case q.Get("version") != "":
		v, err := strconv.ParseInt(q.Get("version"), 10, 64)
		if err != nil || v < 0 {
			httpx.WriteError(w, r, httpx.BadRequest("version_invalid", "version must be a non-negative integer"))
			return
		}
		version = v
	case q.Get("at") != "":
		t, err := time.Parse(time.RFC3339Nano, strings.ReplaceAll(q.Get("at"), " ", "+"))
		if err != nil {
			httpx.WriteError(w, r, httpx.BadRequest("at_invalid", "at must be an RFC 3339 time"))
			return
		}
		t = t.UTC()
		at = &t
	}
	st, found, err := s.histories.State(r.Context(), id, version, at)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if !found {
		httpx.WriteError(w, r, httpx.NotFound("the account had no events at that point"))
		return
	}
	s.staffRead(r, id, "ReadState")
	httpx.WriteJSON(w, http.StatusOK, st)
}

// proofsParam reads ?proofs= (true or false; absent: false).
func proofsParam(w http.ResponseWriter, r *http.Request) (bool, bool) {
	switch r.URL.Query().Get("proofs") {
	case "", "false":
		return false, true
	case "true":
		return true, true
	}
	httpx.WriteError(w, r, httpx.BadRequest("proofs_invalid", "proofs must be true or false"))
	return false, false
}

// auditorAccount admits auditors only; everyone else learns nothing (404).
func (s *Server) auditorAccount(w http.ResponseWriter, r *http.Request) (uuid.UUID, bool) {
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	p, _ := principalOf(r)
	if p.Role.String() != "auditor" {
		s.guard.Deny(w, r, http.StatusNotFound, "not_found")
		return uuid.Nil, false
	}
	if err != nil {
		httpx.WriteError(w, r, httpx.NotFound("account not found"))
		return uuid.Nil, false
	}
	return id, true
}
