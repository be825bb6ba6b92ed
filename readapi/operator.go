package readapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/httpx"
	"github.com/kabinet/kabinet/projections/operatorqueue"
)

// QueueReader reads the operators' work queue.
type QueueReader interface {
	List(ctx context.Context, q operatorqueue.Query) ([]operatorqueue.Item, string, error)
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
	items, next, err := s.queue.List(r.Context(), operatorqueue.Query{
		Kind: kind, Cursor: r.URL.Query().Get("cursor"), Limit: limit, Today: s.today(),
	})
	if errors.Is(err, operatorqueue.ErrBadCursor) {
		badCursor(w, r)
		return
	}
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
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
	s.staffReadAll(r, ids, "ReadOperatorQueue")
	httpx.WriteJSON(w, http.StatusOK, page[operatorqueue.Item]{Items: items, NextCursor: next})
}
