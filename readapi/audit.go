package readapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/httpx"
	"github.com/kabinet/kabinet/projections/audit"
)

// AuditReader reads the audit log read model.
type AuditReader interface {
	List(ctx context.Context, q audit.Query) ([]audit.Ref, string, error)
}

// GET /v1/audit/events — auditors only; anyone else is answered as if the
// route did not exist (404). Events across accounts, oldest first, shaped
// as in the history (with proofs=true, each with its inclusion proof).
// Every account on the page is a staff read.
func (s *Server) getAuditEvents(w http.ResponseWriter, r *http.Request) {
	p, ok := principalOf(r)
	if !ok || p.Role != auth.RoleAuditor {
		s.guard.Deny(w, r, http.StatusNotFound, auth.ReasonNotFound)
		return
	}
	q, ok := auditQuery(w, r)
	if !ok {
		return
	}
	proofs, ok := proofsParam(w, r)
	if !ok {
		return
	}
	if !s.consistent(w, r, audit.ProjectorName) {
		return
	}
	refs, next, err := s.audit.List(r.Context(), q)
	if errors.Is(err, audit.ErrBadCursor) {
		badCursor(w, r)
		return
	}
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	positions := make([]uint64, len(refs))
	for i, ref := range refs {
		positions[i] = ref.Position
	}
	items, cp, err := s.histories.Events(r.Context(), positions, proofs)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	seen := map[string]bool{}
	var ids []uuid.UUID
	for _, ref := range refs {
		if id, err := uuid.Parse(ref.AccountID); err == nil && !seen[ref.AccountID] {
			seen[ref.AccountID] = true
			ids = append(ids, id)
		}
	}
	s.staffReadAll(r, ids, "ReadAuditEvents")
	httpx.WriteJSON(w, http.StatusOK, HistoryPage{Checkpoint: cp, Items: items, NextCursor: next})
}

// auditQuery reads the filters of GET /v1/audit/events.
func auditQuery(w http.ResponseWriter, r *http.Request) (audit.Query, bool) {
	v := r.URL.Query()
	limit, err := pageLimit(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return audit.Query{}, false
	}
	q := audit.Query{
		AccountID: v.Get("account_id"), ActorID: v.Get("actor_id"), ActorRole: v.Get("actor_role"),
		Type: v.Get("type"), Cursor: v.Get("cursor"), Limit: limit,
	}
	if q.AccountID != "" {
		if _, err := uuid.Parse(q.AccountID); err != nil {
			httpx.WriteError(w, r, httpx.BadRequest("account_id_invalid", "account_id must be a UUID"))
			return audit.Query{}, false
		}
	}
	if q.ActorRole != "" && !auditRoles[q.ActorRole] {
		httpx.WriteError(w, r, httpx.BadRequest("actor_role_invalid", "actor_role must be citizen, operator, auditor, security, admin, system, payment_gateway or anonymous"))
		return audit.Query{}, false
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		s := v.Get(t.name)
		if s == "" {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, strings.ReplaceAll(s, " ", "+"))
		if err != nil {
			httpx.WriteError(w, r, httpx.BadRequest(t.name+"_invalid", t.name+" must be an RFC 3339 time"))
			return audit.Query{}, false
		}
		*t.dst = at.UTC()
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		httpx.WriteError(w, r, httpx.BadRequest("to_invalid", "to must be after from"))
		return audit.Query{}, false
	}
	return q, true
}

// auditRoles are the actor roles events carry.
var auditRoles = map[string]bool{
	"citizen": true, "operator": true, "auditor": true, "security": true, "admin": true, "system": true,
	"payment_gateway": true, "anonymous": true,
}
