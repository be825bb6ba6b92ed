// Package journalhttp serves the action journal over HTTP (docs/API.md): the
// security team's entry list, verification and inclusion proofs, and the
// public checkpoints, consistency proofs and verifier key that outside
// parties and witnesses check the journal with.
package journalhttp

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kabinet/kabinet/platform/journal"
)

// Page sizes of GET /v1/journal.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// ReadObserver learns of every answered read of the security endpoints
// (entries, verification, inclusion proofs), so that it can journal it:
// action names the read, accountID the account the read was filtered by
// ("" when none). nil observes nothing.
type ReadObserver func(r *http.Request, action, accountID string)

// Actions the ReadObserver is told of.
const (
	ActionReadJournal   = "ReadJournal"
	ActionVerifyJournal = "VerifyJournal"
	ActionReadInclusion = "ReadJournalInclusionProof"
)

// Routes mounts the journal endpoints on r. requireSecurity guards the
// endpoints that show entries (the security role); the checkpoints,
// consistency proofs and the public key are public by design. onRead, when
// not nil, is told of every answered read of the guarded endpoints.
func Routes(r chi.Router, j *journal.Journal, requireSecurity func(http.Handler) http.Handler, onRead ReadObserver) {
	h := handlers{j: j, onRead: onRead}
	r.Group(func(r chi.Router) {
		r.Use(requireSecurity)
		r.Get("/v1/journal", h.list)
		r.Get("/v1/journal/verify", h.verify)
		r.Get("/v1/journal/proof/inclusion", h.inclusion)
	})
	r.Get("/v1/journal/checkpoint", h.latest)
	r.Get("/v1/journal/checkpoints/{size}", h.checkpointAt)
	r.Get("/v1/journal/proof/consistency", h.consistency)
	r.Get("/v1/journal/public-key", h.publicKey)
}

type handlers struct {
	j      *journal.Journal
	onRead ReadObserver
}

func (h handlers) read(r *http.Request, action, accountID string) {
	if h.onRead != nil {
		h.onRead(r, action, accountID)
	}
}

// Item is one entry of GET /v1/journal.
type Item struct {
	Seq            uint64    `json:"seq"`
	At             time.Time `json:"at"`
	ActorID        string    `json:"actor_id"`
	ActorRole      string    `json:"actor_role"`
	Action         string    `json:"action"`
	AccountID      string    `json:"account_id,omitempty"`
	AccountIDs     []string  `json:"account_ids,omitempty"`
	Outcome        string    `json:"outcome"`
	Reason         string    `json:"reason,omitempty"`
	CorrelationID  string    `json:"correlation_id,omitempty"`
	EventPositions []uint64  `json:"event_positions,omitempty"`
	SourceIP       string    `json:"source_ip,omitempty"`
	UserAgent      string    `json:"user_agent,omitempty"`
	IPHash         []byte    `json:"ip_hash,omitempty"`
	UserAgentHash  []byte    `json:"user_agent_hash,omitempty"`
	Erased         bool      `json:"erased,omitempty"`
	LeafHash       []byte    `json:"leaf_hash"`
}

// List is the answer of GET /v1/journal.
type List struct {
	Items      []Item `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func (h handlers) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := journal.Filter{
		AccountID: q.Get("account_id"), ActorID: q.Get("actor_id"), Action: q.Get("action"),
		Outcome: journal.Outcome(q.Get("outcome")), Limit: DefaultLimit,
	}
	if f.Outcome != "" && !f.Outcome.Valid() {
		badRequest(w, "invalid_parameter", "outcome must be done, refused or denied")
		return
	}
	var ok bool
	if f.From, ok = timeParam(w, q.Get("from"), "from"); !ok {
		return
	}
	if f.To, ok = timeParam(w, q.Get("to"), "to"); !ok {
		return
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			badRequest(w, "invalid_parameter", "limit must be a positive integer")
			return
		}
		f.Limit = min(n, MaxLimit)
	}
	if v := q.Get("cursor"); v != "" {
		if f.FromSeq, ok = uintParam(w, v, "cursor"); !ok {
			return
		}
	}
	limit := f.Limit
	f.Limit++ // one more tells whether there is a next page
	es, err := h.j.Entries(r.Context(), f)
	if err != nil {
		internal(w, r, err)
		return
	}
	out := List{Items: make([]Item, 0, min(len(es), limit))}
	if len(es) > limit {
		es = es[:limit]
		out.NextCursor = strconv.FormatUint(es[len(es)-1].Seq+1, 10)
	}
	for _, e := range es {
		out.Items = append(out.Items, Item{
			Seq: e.Seq, At: e.At, ActorID: e.ActorID, ActorRole: e.ActorRole, Action: e.Action,
			AccountID: e.AccountID, AccountIDs: e.AccountIDs, Outcome: string(e.Outcome), Reason: e.Reason, CorrelationID: e.CorrelationID,
			EventPositions: e.EventPositions, SourceIP: e.IP, UserAgent: e.UserAgent, IPHash: e.IPHash,
			UserAgentHash: e.UserAgentHash, Erased: e.Erased, LeafHash: e.LeafHash,
		})
	}
	h.read(r, ActionReadJournal, f.AccountID)
	writeJSON(w, out)
}

// VerifyAnswer is the answer of GET /v1/journal/verify.
type VerifyAnswer struct {
	OK                 bool    `json:"ok"`
	Entries            uint64  `json:"entries"`
	Checkpoints        int     `json:"checkpoints"`
	RootHash           []byte  `json:"root_hash,omitempty"`
	FirstBadSeq        *uint64 `json:"first_bad_seq,omitempty"`
	FirstBadCheckpoint *uint64 `json:"first_bad_checkpoint,omitempty"`
	Reason             string  `json:"reason,omitempty"`
	// Events under proof: event leaves checked, events recomputed from the
	// event store, the first bad global position, the signed checkpoint
	// the answer vouches for, the last position proven under it, and the
	// events not yet proven (past it).
	EventLeaves      uint64  `json:"event_leaves"`
	Events           uint64  `json:"events"`
	FirstBadPosition *uint64 `json:"first_bad_position,omitempty"`
	CheckpointSize   uint64  `json:"checkpoint_size"`
	ProvenPosition   uint64  `json:"proven_position"`
	EventHead        uint64  `json:"event_head"`
	StoreHead        uint64  `json:"store_head"`
	Unproven         uint64  `json:"unproven_events"`
}

func (h handlers) verify(w http.ResponseWriter, r *http.Request) {
	res, err := h.j.Verify(r.Context())
	if err != nil {
		internal(w, r, err)
		return
	}
	h.read(r, ActionVerifyJournal, "")
	writeJSON(w, VerifyAnswer{
		OK: res.OK, Entries: res.Entries, Checkpoints: res.Checkpoints, RootHash: res.RootHash,
		FirstBadSeq: res.FirstBadSeq, FirstBadCheckpoint: res.FirstBadCheckpoint, Reason: res.Reason,
		EventLeaves: res.EventLeaves, Events: res.Events, FirstBadPosition: res.FirstBadPosition,
		CheckpointSize: res.CheckpointSize, ProvenPosition: res.ProvenPosition,
		EventHead: res.EventHead, StoreHead: res.StoreHead, Unproven: res.Unproven,
	})
}

// InclusionAnswer is the answer of GET /v1/journal/proof/inclusion.
type InclusionAnswer struct {
	Seq      uint64   `json:"seq"`
	Size     uint64   `json:"size"`
	LeafHash []byte   `json:"leaf_hash"`
	Hashes   [][]byte `json:"hashes"`
}

// inclusion proves seq is in the tree of size (default: the latest
// checkpoint's size).
func (h handlers) inclusion(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	seq, ok := uintParam(w, q.Get("seq"), "seq")
	if !ok {
		return
	}
	var size uint64
	if v := q.Get("size"); v != "" {
		if size, ok = uintParam(w, v, "size"); !ok {
			return
		}
	} else {
		cp, err := h.j.LatestCheckpoint(r.Context())
		if err != nil {
			journalError(w, r, err)
			return
		}
		size = cp.Size
	}
	hashes, leaf, err := h.j.InclusionProof(r.Context(), seq, size)
	if err != nil {
		journalError(w, r, err)
		return
	}
	h.read(r, ActionReadInclusion, "")
	writeJSON(w, InclusionAnswer{Seq: seq, Size: size, LeafHash: leaf, Hashes: nonNil(hashes)})
}

// ConsistencyAnswer is the answer of GET /v1/journal/proof/consistency.
type ConsistencyAnswer struct {
	From   uint64   `json:"from"`
	To     uint64   `json:"to"`
	Hashes [][]byte `json:"hashes"`
}

func (h handlers) consistency(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, ok := uintParam(w, q.Get("from"), "from")
	if !ok {
		return
	}
	to, ok := uintParam(w, q.Get("to"), "to")
	if !ok {
		return
	}
	hashes, err := h.j.ConsistencyProof(r.Context(), from, to)
	if err != nil {
		journalError(w, r, err)
		return
	}
	writeJSON(w, ConsistencyAnswer{From: from, To: to, Hashes: nonNil(hashes)})
}

func (h handlers) latest(w http.ResponseWriter, r *http.Request) {
	cp, err := h.j.LatestCheckpoint(r.Context())
	if err != nil {
		journalError(w, r, err)
		return
	}
	writeText(w, cp.Note)
}

func (h handlers) checkpointAt(w http.ResponseWriter, r *http.Request) {
	size, ok := uintParam(w, chi.URLParam(r, "size"), "size")
	if !ok {
		return
	}
	cp, err := h.j.CheckpointAt(r.Context(), size)
	if err != nil {
		journalError(w, r, err)
		return
	}
	writeText(w, cp.Note)
}

func (h handlers) publicKey(w http.ResponseWriter, _ *http.Request) {
	key := h.j.PublicKey()
	if key == "" {
		problem(w, http.StatusNotFound, "not_found", "this journal publishes no verifier key")
		return
	}
	writeText(w, []byte(key+"\n"))
}

// journalError answers the journal's own errors; anything else is internal.
func journalError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, journal.ErrNotFound):
		problem(w, http.StatusNotFound, "not_found", "no checkpoint was issued at that size")
	case errors.Is(err, journal.ErrNoCheckpoint):
		problem(w, http.StatusNotFound, "not_found", "no checkpoint has been issued yet")
	case errors.Is(err, journal.ErrBadRequest):
		badRequest(w, "invalid_range", "the sizes or seq are out of range for this tree")
	default:
		internal(w, r, err)
	}
}

// internal answers 500 without internals, logging the error once.
func internal(w http.ResponseWriter, r *http.Request, err error) {
	level := slog.LevelError
	if errors.Is(err, context.Canceled) {
		level = slog.LevelWarn
	}
	slog.Log(r.Context(), level, "journal request failed", "err", err, "method", r.Method, "path", r.URL.Path)
	problem(w, http.StatusInternalServerError, "internal", "the server failed to handle the request")
}

func nonNil(h [][]byte) [][]byte {
	if h == nil {
		return [][]byte{}
	}
	return h
}
