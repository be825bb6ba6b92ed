package readapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/httpx"
	"github.com/kabinet/kabinet/projections/operatorqueue"
)

// QueueReader reads the operators' work queue.
type QueueReader interface {
	List(ctx context.Context, q operatorqueue.Query) ([]operatorqueue.Item, string, error)
	// Position is the log position the queue's tables reflect: every
	// change to them moves it, so two reads at one position and query
	// answer alike.
	Position(ctx context.Context) (uint64, error)
}

// queueKinds maps ?kind= to the queue's item kinds ("" is both).
var queueKinds = map[string]string{
	"": "", "identity": operatorqueue.KindIdentity,
	"applications": operatorqueue.KindApplication, "application": operatorqueue.KindApplication,
}

// GET /v1/operator/queue?kind=identity|applications — operators only;
// anyone else is answered as if the route did not exist (404). Oldest
// first. The page names people, so each account on it is a staff read.
func (s *Server) getOperatorQueue(w http.ResponseWriter, r *http.Request) {
	p, ok := principalOf(r)
	if !ok || p.Role != auth.RoleOperator {
		s.guard.Deny(w, r, http.StatusNotFound, auth.ReasonNotFound)
		return
	}
	kind, ok := queueKinds[r.URL.Query().Get("kind")]
	if !ok {
		httpx.WriteError(w, r, httpx.BadRequest("kind_invalid", "kind must be identity or applications"))
		return
	}
	limit, err := pageLimit(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if !s.consistent(w, r, operatorqueue.ProjectorName) {
		return
	}
	q := operatorqueue.Query{Kind: kind, Cursor: r.URL.Query().Get("cursor"), Limit: limit, Today: s.today()}
	answer, err := s.queuePage(r.Context(), q)
	if errors.Is(err, operatorqueue.ErrBadCursor) {
		badCursor(w, r)
		return
	}
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	s.staffReadAll(r, answer.accounts, "ReadOperatorQueue")
	httpx.WriteEncodedJSON(w, answer.body)
}

// queuePage answers q from the queue's tables, encoded once per query and
// position of the queue: the position is read first, so the page read
// after it reflects that position or a later one, never an earlier one.
func (s *Server) queuePage(ctx context.Context, q operatorqueue.Query) (queueAnswer, error) {
	pos, err := s.queue.Position(ctx)
	if err != nil {
		return queueAnswer{}, err
	}
	key := queueKey{query: q, position: pos}
	if a, ok := s.queueAnswers.get(key); ok {
		return a, nil
	}
	items, next, err := s.queue.List(ctx, q)
	if err != nil {
		return queueAnswer{}, err
	}
	body, err := json.Marshal(page[operatorqueue.Item]{Items: items, NextCursor: next})
	if err != nil {
		return queueAnswer{}, fmt.Errorf("encode operator queue: %w", err)
	}
	a := queueAnswer{body: append(body, '\n'), accounts: pageAccounts(items)}
	s.queueAnswers.put(key, a, queueMax)
	return a, nil
}

// pageAccounts lists the accounts a page of the queue names, each once, in
// the order they first appear.
func pageAccounts(items []operatorqueue.Item) []uuid.UUID {
	seen := map[string]bool{}
	var ids []uuid.UUID
	for _, it := range items {
		if !seen[it.AccountID] {
			seen[it.AccountID] = true
			if id, err := uuid.Parse(it.AccountID); err == nil {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// queueKey is what a page of the queue depends on.
type queueKey struct {
	query    operatorqueue.Query
	position uint64
}

// queueAnswer is an encoded page of the queue and the accounts it names.
type queueAnswer struct {
	body     []byte
	accounts []uuid.UUID
}

// queueMax bounds the pages the server keeps: a page is up to a thousand
// times an answer of the cabinet, and pages of passed positions are never
// asked again.
const queueMax = 256
