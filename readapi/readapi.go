// Package readapi is Kabinet's query side: chi routes that serve the read
// models (waiting for X-Kabinet-Min-Position when asked), the health
// endpoints and the OpenAPI document.
package readapi

import (
	"context"
	_ "embed"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/httpx"
	"github.com/kabinet/kabinet/projections"
	"github.com/kabinet/kabinet/projections/cabinet"
	"github.com/kabinet/kabinet/projections/notifications"
)

//go:embed openapi.json
var openapiJSON []byte

// OpenAPI returns the OpenAPI 3.1 document served at /openapi.json.
func OpenAPI() []byte { return openapiJSON }

// CabinetReader reads one account's cabinet view.
type CabinetReader interface {
	Get(ctx context.Context, accountID uuid.UUID) (*cabinet.View, error)
}

// countingCabinet is a CabinetReader that also answers the account's
// unread notifications in the same read (cabinet.Reader does). Its views
// are shared and never changed: the same *View while the account's
// document is unchanged, a new one when it changes.
type countingCabinet interface {
	GetCounting(ctx context.Context, accountID uuid.UUID) (*cabinet.View, int, error)
}

// Server serves queries.
type Server struct {
	histories    *Histories
	staffReads   func(r *http.Request, accountID uuid.UUID, action string)
	staffMany    func(r *http.Request, accountIDs []uuid.UUID, action string)
	cabinet      CabinetReader
	apps         ApplicationsReader
	notes        NotificationsReader
	queue        QueueReader
	queueAnswers bounded[queueKey, queueAnswer]
	audit        AuditReader
	clock        func() time.Time
	cabinets     encodedAnswers[cabinetKey]
	applications encodedAnswers[applicationKey]
	tracker      *projections.Tracker
	guard        *auth.Guard
	wait         time.Duration
	ready        func(context.Context) error
	poisoned     func(context.Context) (map[string]int, error)
}

// Config wires a Server.
type Config struct {
	Cabinet CabinetReader
	Tracker *projections.Tracker
	Guard   *auth.Guard
	// MinPositionWait bounds the wait for X-Kabinet-Min-Position (default 2s).
	MinPositionWait time.Duration
	// Ready reports whether the stores answer and the projections run.
	Ready func(context.Context) error
	// Poisoned, when set, counts the events each projection could not
	// apply: /readyz stays ready but answers "degraded" and names them.
	Poisoned func(context.Context) (map[string]int, error)
	// Histories replays account streams for auditors.
	Histories *Histories
	// StaffReads, when set, is told of every read of a person's data by
	// staff (the journal records them).
	StaffReads func(r *http.Request, accountID uuid.UUID, action string)
	// StaffReadsMany, when set, is told at once of a read of many people's
	// data (a page of the operator queue), so it can journal them together.
	StaffReadsMany func(r *http.Request, accountIDs []uuid.UUID, action string)
	// Applications, Notifications and Queue serve the application status,
	// notifications and operator queue read models.
	Applications  ApplicationsReader
	Notifications NotificationsReader
	Queue         QueueReader
	// Audit, optional, serves GET /v1/audit/events from the audit log
	// read model (the route is not mounted without it).
	Audit AuditReader
	// Clock tells today for deadlines and expiry dates (default time.Now).
	Clock func() time.Time
}

// New builds the query server; it panics on nil dependencies.
func New(c Config) *Server {
	if c.Cabinet == nil || c.Tracker == nil || c.Guard == nil || c.Ready == nil || c.Histories == nil ||
		c.Applications == nil || c.Notifications == nil || c.Queue == nil {
		panic("readapi.New: nil dependency")
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.MinPositionWait <= 0 {
		c.MinPositionWait = 2 * time.Second
	}
	return &Server{cabinet: c.Cabinet, tracker: c.Tracker, guard: c.Guard, wait: c.MinPositionWait,
		ready: c.Ready, poisoned: c.Poisoned, histories: c.Histories, staffReads: c.StaffReads, staffMany: c.StaffReadsMany,
		apps: c.Applications, notes: c.Notifications, queue: c.Queue, audit: c.Audit, clock: c.Clock}
}

// PublicRoutes mounts what anyone may read.
func (s *Server) PublicRoutes(r chi.Router) {
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Get("/v1/services", s.getServices)
	r.Get("/v1/services/{code}", s.getService)
	r.Get("/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openapiJSON)
	})
	docsRoutes(r)
}

// Routes mounts the queries that need an authenticated principal.
func (s *Server) Routes(r chi.Router) {
	r.Get("/v1/accounts/{id}/cabinet", s.getCabinet)
	r.Get("/v1/accounts/{id}/history", s.getHistory)
	r.Get("/v1/accounts/{id}/state", s.getState)
	r.Get("/v1/accounts/{id}/applications", s.listApplications)
	r.Get("/v1/applications/{app}", s.getApplication)
	r.Get("/v1/applications/by-number/{number}", s.getApplicationByNumber)
	r.Get("/v1/accounts/{id}/notifications", s.listNotifications)
	r.Post("/v1/accounts/{id}/notifications/{nid}/read", s.markNotificationRead)
	r.Get("/v1/operator/queue", s.getOperatorQueue)
	if s.audit != nil {
		r.Get("/v1/audit/events", s.getAuditEvents)
	}
}

func principalOf(r *http.Request) (auth.Principal, bool) { return auth.FromContext(r.Context()) }

// staffReadAll reports a read of several people's data by staff.
func (s *Server) staffReadAll(r *http.Request, ids []uuid.UUID, action string) {
	p, ok := principalOf(r)
	if !ok || len(ids) == 0 || p.Role == auth.RoleCitizen {
		return
	}
	if s.staffMany == nil {
		for _, id := range ids {
			s.staffRead(r, id, action)
		}
		return
	}
	s.staffMany(r, ids, action)
}

// staffRead reports a read of a person's data by anyone but that person.
func (s *Server) staffRead(r *http.Request, id uuid.UUID, action string) {
	p, ok := principalOf(r)
	if !ok || s.staffReads == nil || (p.Role == auth.RoleCitizen && p.AccountID == id) {
		return
	}
	s.staffReads(r, id, action)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": err.Error()})
		return
	}
	if s.poisoned != nil {
		if n, err := s.poisoned(ctx); err == nil && len(n) > 0 {
			httpx.WriteJSON(w, http.StatusOK, map[string]any{"status": "degraded", "poisoned": n})
			return
		}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// consistent waits until every projection the answer reads has reached the
// client's X-Kabinet-Min-Position and sets X-Kabinet-Position to the lowest
// of their positions; false means it has answered (400 or 503) already.
func (s *Server) consistent(w http.ResponseWriter, r *http.Request, projections ...string) bool {
	var want uint64
	if h := r.Header.Get("X-Kabinet-Min-Position"); h != "" {
		var err error
		if want, err = strconv.ParseUint(h, 10, 64); err != nil {
			httpx.WriteError(w, r, httpx.BadRequest("min_position_invalid", "X-Kabinet-Min-Position must be a non-negative integer"))
			return false
		}
	}
	low := uint64(math.MaxUint64)
	for _, p := range projections {
		pos, ok := s.waitFor(w, r, p, want)
		if !ok {
			return false
		}
		low = min(low, pos)
	}
	w.Header().Set("X-Kabinet-Position", strconv.FormatUint(low, 10))
	return true
}

// waitFor waits (bounded) until projection has reached want (0: no wait).
func (s *Server) waitFor(w http.ResponseWriter, r *http.Request, projection string, want uint64) (uint64, bool) {
	if want == 0 {
		return s.tracker.Position(projection), true
	}
	pos, err := s.tracker.Wait(r.Context(), projection, want, s.wait)
	var nc *projections.ErrNotCaughtUp
	if errors.As(err, &nc) {
		w.Header().Set("Retry-After", "1")
		w.Header().Set("X-Kabinet-Position", strconv.FormatUint(nc.Have, 10))
		httpx.WriteError(w, r, httpx.NotCaughtUp(err.Error()))
		return 0, false
	}
	if err != nil {
		httpx.WriteError(w, r, err)
		return 0, false
	}
	return pos, true
}

func (s *Server) getCabinet(w http.ResponseWriter, r *http.Request) {
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		s.guard.Deny(w, r, http.StatusNotFound, "not_found")
		return
	}
	if !s.guard.AccountAccess(w, r, id, auth.RoleOperator) {
		return
	}
	// The cabinet shows the unread count from the notifications read model.
	if !s.consistent(w, r, cabinet.ProjectorName, notifications.ProjectorName) {
		return
	}
	var v *cabinet.View
	unread := -1 // not read with the cabinet
	cc, shared := s.cabinet.(countingCabinet)
	if shared {
		v, unread, err = cc.GetCounting(r.Context(), id)
	} else {
		v, err = s.cabinet.Get(r.Context(), id)
	}
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if v == nil {
		httpx.WriteError(w, r, httpx.NotFound("account not found"))
		return
	}
	s.staffRead(r, id, "ReadCabinet")
	if shared {
		s.writeCabinet(w, r, id, v, unread)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, s.presentCabinet(r, id, v, unread))
}
