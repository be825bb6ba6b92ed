package readapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/httpx"
	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/tickets"
	"github.com/kabinet/kabinet/projections/appointments"
	"github.com/kabinet/kabinet/projections/support"
)

// SupportReader reads support requests.
type SupportReader interface {
	Get(ctx context.Context, id string, now time.Time) (*support.Request, error)
	List(ctx context.Context, account, cursor string, limit int, now time.Time) ([]support.Request, string, error)
	Queue(ctx context.Context, cursor string, limit int, now time.Time) ([]support.Request, string, error)
}

// AppointmentsReader reads booked visits.
type AppointmentsReader interface {
	Get(ctx context.Context, id string) (*appointments.Appointment, error)
	List(ctx context.Context, account, cursor string, limit int) ([]appointments.Appointment, string, error)
	Held(ctx context.Context, office string, from, to time.Time) (map[int64]bool, error)
}

// FinesReader lists an account's fines and debts with their payments.
type FinesReader interface {
	Fines(ctx context.Context, account uuid.UUID) ([]domain.FineView, error)
}

// JournalReader reads journal entries (the citizen's activity).
type JournalReader interface {
	Entries(ctx context.Context, f journal.Filter) ([]journal.Entry, error)
}

// Desk serves the reads of the rest of the cabinet (docs/DOMAIN.md §12).
type Desk struct {
	Support      SupportReader
	Appointments AppointmentsReader
	Tickets      *tickets.Tickets
	Fines        FinesReader
	Journal      JournalReader
	Calendar     *domain.Calendar
	// Bookkeeping names the journal actions a citizen's activity leaves
	// out: the write side's own records on its claim, index and slot
	// streams, journaled beside the command that caused them.
	Bookkeeping map[string]bool
}

// DeskRoutes returns the public and the authenticated routes of d.
func (s *Server) DeskRoutes(d Desk) (public, private func(chi.Router)) {
	if d.Support == nil || d.Appointments == nil || d.Tickets == nil || d.Fines == nil || d.Journal == nil || d.Calendar == nil {
		panic("readapi.DeskRoutes: nil dependency")
	}
	h := &deskServer{Server: s, d: d}
	public = func(r chi.Router) {
		r.Get("/v1/offices", h.listOffices)
		r.Get("/v1/offices/{office}/slots", h.freeSlots)
		r.Get("/v1/tickets/verify", h.verifyTicket)
		r.Get("/v1/tickets/public-key", h.ticketKey)
	}
	private = func(r chi.Router) {
		r.Get("/v1/accounts/{id}/support-requests", h.listSupport)
		r.Get("/v1/support-requests/{req}", h.getSupport)
		r.Get("/v1/operator/support-queue", h.supportQueue)
		r.Get("/v1/accounts/{id}/appointments", h.listAppointments)
		r.Get("/v1/appointments/{ap}", h.getAppointment)
		r.Get("/v1/appointments/{ap}/ticket.png", h.ticketPNG)
		r.Get("/v1/accounts/{id}/fines", h.listFines)
		r.Get("/v1/accounts/{id}/activity", h.activity)
	}
	return public, private
}

type deskServer struct {
	*Server
	d Desk
}

// accountParam parses {id} and admits the owner (and staff roles).
func (h *deskServer) accountParam(w http.ResponseWriter, r *http.Request, staff ...auth.Role) (uuid.UUID, bool) {
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		h.guard.Deny(w, r, http.StatusNotFound, auth.ReasonNotFound)
		return uuid.Nil, false
	}
	return id, h.guard.AccountAccess(w, r, id, staff...)
}

// listing reads ?limit= and ?cursor=, answering a bad limit itself.
func listing(w http.ResponseWriter, r *http.Request) (int, string, bool) {
	limit, err := pageLimit(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return 0, "", false
	}
	return limit, r.URL.Query().Get("cursor"), true
}

// writePage answers a page, or a cursor the API did not issue.
func writePage[T any](w http.ResponseWriter, r *http.Request, items []T, next string, err error) {
	if errors.Is(err, support.ErrBadCursor) {
		badCursor(w, r)
		return
	}
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if items == nil {
		items = []T{}
	}
	httpx.WriteJSON(w, http.StatusOK, page[T]{Items: items, NextCursor: next})
}

// GET /v1/accounts/{id}/support-requests — owner or operator, newest first.
func (h *deskServer) listSupport(w http.ResponseWriter, r *http.Request) {
	id, ok := h.accountParam(w, r, auth.RoleOperator)
	if !ok {
		return
	}
	limit, cursor, ok := listing(w, r)
	if !ok || !h.consistent(w, r, support.ProjectorName) {
		return
	}
	items, next, err := h.d.Support.List(r.Context(), id.String(), cursor, limit, h.clock())
	h.staffRead(r, id, "ReadSupportRequests")
	writePage(w, r, items, next, err)
}

// GET /v1/support-requests/{req} — the owner or an operator: the request
// with its thread. Someone else's request is 404, as is an unknown one.
func (h *deskServer) getSupport(w http.ResponseWriter, r *http.Request) {
	p, ok := principalOf(r)
	if !ok {
		h.guard.Deny(w, r, http.StatusUnauthorized, auth.ReasonUnauthorized)
		return
	}
	if _, err := uuid.Parse(chi.URLParam(r, "req")); err != nil || (p.Role != auth.RoleCitizen && p.Role != auth.RoleOperator) {
		h.guard.Deny(w, r, http.StatusNotFound, auth.ReasonNotFound)
		return
	}
	if !h.consistent(w, r, support.ProjectorName) {
		return
	}
	req, err := h.d.Support.Get(r.Context(), chi.URLParam(r, "req"), h.clock())
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if req == nil || (p.Role == auth.RoleCitizen && p.AccountID.String() != req.AccountID) {
		h.guard.Deny(w, r, http.StatusNotFound, auth.ReasonNotFound)
		return
	}
	h.staffRead(r, uuid.MustParse(req.AccountID), "ReadSupportRequest")
	httpx.WriteJSON(w, http.StatusOK, req)
}

// GET /v1/operator/support-queue — operators only: requests waiting on
// them, the soonest deadline first, so overdue ones (overdue: true) lead.
func (h *deskServer) supportQueue(w http.ResponseWriter, r *http.Request) {
	p, ok := principalOf(r)
	if !ok || p.Role != auth.RoleOperator {
		h.guard.Deny(w, r, http.StatusNotFound, auth.ReasonNotFound)
		return
	}
	limit, cursor, ok := listing(w, r)
	if !ok || !h.consistent(w, r, support.ProjectorName) {
		return
	}
	items, next, err := h.d.Support.Queue(r.Context(), cursor, limit, h.clock())
	writePage(w, r, items, next, err)
}
