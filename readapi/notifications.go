package readapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/httpx"
	"github.com/kabinet/kabinet/projections/notifications"
)

// NotificationsReader reads an account's notifications and records that
// its owner read one.
type NotificationsReader interface {
	List(ctx context.Context, accountID uuid.UUID, cursor string, limit int) ([]notifications.Item, string, error)
	Unread(ctx context.Context, accountID uuid.UUID) (int, error)
	MarkRead(ctx context.Context, accountID uuid.UUID, id string, now time.Time) (notifications.Item, error)
}

// ownerAccount parses {id} and admits only that account's citizen.
func (s *Server) ownerAccount(w http.ResponseWriter, r *http.Request) (uuid.UUID, bool) {
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		s.guard.Deny(w, r, http.StatusNotFound, auth.ReasonNotFound)
		return uuid.Nil, false
	}
	return id, s.guard.Owner(w, r, id)
}

// GET /v1/accounts/{id}/notifications — owner only; newest first.
func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) {
	id, ok := s.ownerAccount(w, r)
	if !ok {
		return
	}
	limit, err := pageLimit(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if !s.consistent(w, r, notifications.ProjectorName) {
		return
	}
	items, next, err := s.notes.List(r.Context(), id, r.URL.Query().Get("cursor"), limit)
	if errors.Is(err, notifications.ErrBadCursor) {
		badCursor(w, r)
		return
	}
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, page[notifications.Item]{Items: items, NextCursor: next})
}

// readAnswer is what marking a notification read answers.
type readAnswer struct {
	AccountID    string             `json:"account_id"`
	Position     uint64             `json:"position"`
	Notification notifications.Item `json:"notification"`
}

// POST /v1/accounts/{id}/notifications/{nid}/read — owner only. Reading
// is not a domain event (it changes nothing in the account's history): it
// is recorded in the notifications read model, and repeating it is
// harmless. Position is the read model's, for X-Kabinet-Min-Position.
func (s *Server) markNotificationRead(w http.ResponseWriter, r *http.Request) {
	id, ok := s.ownerAccount(w, r)
	if !ok {
		return
	}
	n, err := s.notes.MarkRead(r.Context(), id, chi.URLParam(r, "nid"), s.clock())
	if errors.Is(err, notifications.ErrNotFound) {
		httpx.WriteError(w, r, httpx.NotFound("notification not found"))
		return
	}
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	pos := s.tracker.Position(notifications.ProjectorName)
	w.Header().Set("X-Kabinet-Position", strconv.FormatUint(pos, 10))
	httpx.WriteJSON(w, http.StatusOK, readAnswer{AccountID: id.String(), Position: pos, Notification: n})
}
