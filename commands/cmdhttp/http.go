package cmdhttp

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/httpx"
	"github.com/kabinet/kabinet/platform/observability"
)

// HTTP is the command side's transport: it only translates requests into
// commands and results or errors into answers.
type HTTP struct {
	app      commands.Application
	sessions commands.SessionOpener
	guard    *auth.Guard
	newID    func() uuid.UUID
}

// NewHTTP builds the transport. sessions opens the session whose tokens a
// registration answers with; guard decides who may act on an account.
func NewHTTP(app commands.Application, sessions commands.SessionOpener, guard *auth.Guard, newID func() uuid.UUID) *HTTP {
	if sessions == nil || guard == nil || newID == nil {
		panic("commands.NewHTTP: nil dependency")
	}
	return &HTTP{app: app, sessions: sessions, guard: guard, newID: newID}
}

// PublicRoutes mounts the commands anyone may send.
func (h *HTTP) PublicRoutes(r chi.Router) {
	r.Post("/v1/accounts", h.register)
}

// Routes mounts the commands that need an authenticated principal.
func (h *HTTP) Routes(r chi.Router) {
	r.Post("/v1/accounts/{id}/contacts", h.addContact)
	r.Post("/v1/accounts/{id}/contacts/{channel}/code", h.requestCode)
	r.Post("/v1/accounts/{id}/contacts/{channel}/confirm", h.confirm)
	r.Delete("/v1/accounts/{id}/contacts/{channel}/{value}", h.removeContact)
	r.Delete("/v1/accounts/{id}/consents/{kind}", h.withdrawConsent)
}

type registerRequest struct {
	Surname     string          `json:"surname"`
	GivenNames  string          `json:"given_names"`
	Patronymic  string          `json:"patronymic"`
	Citizenship string          `json:"citizenship"`
	Phone       string          `json:"phone"`
	Email       string          `json:"email"`
	Consent     *consentRequest `json:"consent"`
}

type commandAnswer struct {
	AccountID string `json:"account_id"`
	Position  uint64 `json:"position"`
}

// registerAnswer is a registration's answer: the account and its first
// session's tokens.
type registerAnswer struct {
	commandAnswer
	SessionID    string `json:"session_id"`
	Token        string `json:"token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
}

func (h *HTTP) register(w http.ResponseWriter, r *http.Request) {
	var req registerRequest
	if !decodeBody(w, r, &req) {
		return
	}
	ctx := h.withMetadata(r)
	res, err := h.app.RegisterAccount.Handle(ctx, commands.RegisterAccount{Registration: domain.Registration{
		Surname: req.Surname, GivenNames: req.GivenNames, Patronymic: req.Patronymic,
		Citizenship: req.Citizenship, Phone: req.Phone, Email: req.Email, Consent: req.Consent.domain(),
	}})
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	tok, err := h.sessions.Open(ctx, res.AccountID, r.UserAgent())
	if err != nil {
		httpx.WriteError(w, r, fmt.Errorf("open first session: %w", err))
		return
	}
	w.Header().Set("X-Kabinet-Position", strconv.FormatUint(res.Position, 10))
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusCreated, registerAnswer{
		commandAnswer: commandAnswer{AccountID: res.AccountID.String(), Position: res.Position},
		SessionID:     tok.SessionID, Token: tok.Token, RefreshToken: tok.RefreshToken, ExpiresIn: tok.ExpiresIn,
	})
}

func (h *HTTP) requestCode(w http.ResponseWriter, r *http.Request) {
	id, ch, ok := h.accountAndChannel(w, r)
	if !ok {
		return
	}
	res, err := h.app.RequestContactCode.Handle(h.withMetadata(r), commands.RequestContactCode{
		AccountID: id, Channel: ch, Value: r.URL.Query().Get("value"),
	})
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	h.answer(w, http.StatusAccepted, res)
}

type confirmRequest struct {
	Code string `json:"code"`
}

func (h *HTTP) confirm(w http.ResponseWriter, r *http.Request) {
	id, ch, ok := h.accountAndChannel(w, r)
	var req confirmRequest
	if !ok || !decodeBody(w, r, &req) {
		return
	}
	res, err := h.app.ConfirmContact.Handle(h.withMetadata(r), commands.ConfirmContact{
		AccountID: id, Channel: ch, Value: r.URL.Query().Get("value"), Code: req.Code,
	})
	if err != nil {
		if res.Position > 0 {
			w.Header().Set("X-Kabinet-Position", strconv.FormatUint(res.Position, 10))
		}
		httpx.WriteError(w, r, err)
		return
	}
	h.answer(w, http.StatusOK, res)
}

// accountAndChannel resolves the path and applies the owner rule: only the
// account's citizen may act on its contacts; anyone else learns nothing (404).
func (h *HTTP) accountAndChannel(w http.ResponseWriter, r *http.Request) (uuid.UUID, domain.Channel, bool) {
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil || !h.guard.Owner(w, r, id) {
		if err != nil {
			h.guard.Deny(w, r, http.StatusNotFound, "not_found")
		}
		return uuid.Nil, domain.Channel{}, false
	}
	ch, err := domain.ChannelFromString(chi.URLParam(r, "channel"))
	if err != nil {
		httpx.WriteError(w, r, httpx.NotFound("unknown contact channel"))
		return uuid.Nil, domain.Channel{}, false
	}
	return id, ch, true
}

func (h *HTTP) answer(w http.ResponseWriter, status int, res commands.Result) {
	w.Header().Set("X-Kabinet-Position", strconv.FormatUint(res.Position, 10))
	httpx.WriteJSON(w, status, commandAnswer{AccountID: res.AccountID.String(), Position: res.Position})
}

// decodeBody decodes the request's JSON body into dst, answering a bad one
// itself; it reports whether the request may go on.
func decodeBody(w http.ResponseWriter, r *http.Request, dst any) bool {
	if err := httpx.DecodeJSON(w, r, dst); err != nil {
		httpx.WriteError(w, r, err)
		return false
	}
	return true
}

// decodeOptional is decodeBody for a body that may be empty, which leaves
// dst as it is.
func decodeOptional(w http.ResponseWriter, r *http.Request, dst any) bool {
	return r.ContentLength == 0 || decodeBody(w, r, dst)
}

// withMetadata puts the request's actor, correlation and origin on ctx.
func (h *HTTP) withMetadata(r *http.Request) context.Context {
	md := commands.Metadata{
		CorrelationID: observability.CorrelationIDFrom(r.Context()),
		CommandID:     h.newID().String(),
		SourceIP:      httpx.ClientIP(r),
		UserAgent:     httpx.UserAgent(r),
	}
	md.CausationID = md.CommandID
	if p, ok := auth.FromContext(r.Context()); ok {
		md.ActorID, md.ActorRole = p.Subject, p.Role.String()
	}
	return commands.WithMetadata(r.Context(), md)
}
