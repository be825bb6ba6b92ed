package readapi

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/httpx"
	"github.com/kabinet/kabinet/projections/applications"
)

// ApplicationsReader reads the application status read model.
type ApplicationsReader interface {
	List(ctx context.Context, q applications.ListQuery) ([]applications.Item, string, error)
	// GetShared and GetStateByNumber answer the application's account and
	// state, nil when there is none; GetShared's states are shared between
	// callers and never changed.
	GetShared(ctx context.Context, id uuid.UUID) (string, *domain.ApplicationState, error)
	GetStateByNumber(ctx context.Context, number string) (string, *domain.ApplicationState, error)
}

// page is one page of a cursor-paginated list (docs/API.md "Lists").
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// today is the Moscow day deadlines and expiry dates are judged on.
func (s *Server) today() domain.Date { return domain.MoscowDate(s.clock()) }

// badCursor answers a cursor the API did not issue.
func badCursor(w http.ResponseWriter, r *http.Request) {
	httpx.WriteError(w, r, httpx.BadRequest("cursor_invalid", "cursor is not one this API issued"))
}

// GET /v1/accounts/{id}/applications — owner or operator; ?status= (one
// or more, comma-separated), ?limit=, ?cursor=; newest first.
func (s *Server) listApplications(w http.ResponseWriter, r *http.Request) {
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		s.guard.Deny(w, r, http.StatusNotFound, auth.ReasonNotFound)
		return
	}
	if !s.guard.AccountAccess(w, r, id, auth.RoleOperator) {
		return
	}
	limit, err := pageLimit(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	var statuses []string
	if q := r.URL.Query().Get("status"); q != "" {
		for _, st := range strings.Split(q, ",") {
			if st = strings.TrimSpace(st); !slices.Contains(domain.Statuses(), st) {
				httpx.WriteError(w, r, httpx.BadRequest("status_invalid", "unknown status "+st+": one of "+strings.Join(domain.Statuses(), ", ")))
				return
			}
			statuses = append(statuses, st)
		}
	}
	if !s.consistent(w, r, applications.ProjectorName) {
		return
	}
	items, next, err := s.apps.List(r.Context(), applications.ListQuery{
		AccountID: id, Statuses: statuses, Cursor: r.URL.Query().Get("cursor"), Limit: limit, Today: s.today(),
	})
	if errors.Is(err, applications.ErrBadCursor) {
		badCursor(w, r)
		return
	}
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	s.staffRead(r, id, "ListApplications")
	httpx.WriteJSON(w, http.StatusOK, page[applications.Item]{Items: items, NextCursor: next})
}

// GET /v1/applications/{app} — the owner of its account or an operator.
func (s *Server) getApplication(w http.ResponseWriter, r *http.Request) {
	id, err := uuid.Parse(chi.URLParam(r, "app"))
	if err != nil {
		httpx.WriteError(w, r, httpx.NotFound("application not found"))
		return
	}
	s.application(w, r, true, func(ctx context.Context) (string, *domain.ApplicationState, error) {
		return s.apps.GetShared(ctx, id)
	})
}

// GET /v1/applications/by-number/{number} — as getApplication.
func (s *Server) getApplicationByNumber(w http.ResponseWriter, r *http.Request) {
	number := chi.URLParam(r, "number")
	s.application(w, r, false, func(ctx context.Context) (string, *domain.ApplicationState, error) {
		return s.apps.GetStateByNumber(ctx, number)
	})
}

// applicationKey names one encoded application answer: the shared state
// (the same pointer while the read model's document is unchanged), the
// day (overdue depends on it) and whether staff ids are left out.
type applicationKey struct {
	state   *domain.ApplicationState
	today   domain.Date
	citizen bool
}

// application answers one application to whoever may see its account;
// anyone else learns nothing (404, as for an unknown one). A citizen sees
// which role decided each step, not which operator. get answers the
// account and the state; shared: a state shared between callers (see
// applications.Reader.GetShared), whose answers are encoded once.
func (s *Server) application(w http.ResponseWriter, r *http.Request, shared bool, get func(context.Context) (string, *domain.ApplicationState, error)) {
	if !s.consistent(w, r, applications.ProjectorName) {
		return
	}
	accountID, st, err := get(r.Context())
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if st == nil {
		httpx.WriteError(w, r, httpx.NotFound("application not found"))
		return
	}
	account, err := uuid.Parse(accountID)
	if err != nil || !s.guard.AccountAccess(w, r, account, auth.RoleOperator) {
		return
	}
	p, _ := principalOf(r)
	s.staffRead(r, account, "ReadApplication")
	key := applicationKey{state: st, today: s.today(), citizen: p.Role == auth.RoleCitizen}
	present := func() any {
		d := applications.Present(accountID, st, key.today)
		if key.citizen {
			d.WithoutStaffIDs()
		}
		return d
	}
	if !shared {
		httpx.WriteJSON(w, http.StatusOK, present())
		return
	}
	s.applications.write(w, key, present)
}
