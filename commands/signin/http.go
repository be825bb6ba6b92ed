package signin

import (
	"context"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/httpx"
	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/observability"
)

// Recorder journals one sign-in step: who tried (accountID may be empty),
// the action, its outcome and the refusal's code.
type Recorder func(r *http.Request, action, accountID string, outcome journal.Outcome, reason string)

// HTTP serves signing in and sessions (docs/API.md "Signing in and sessions").
type HTTP struct {
	s       *Service
	guard   *auth.Guard
	journal Recorder
	newID   func() uuid.UUID
}

// NewHTTP builds the transport; journal receives every success, failure
// and lock that writes no event (events are journaled from the log).
func NewHTTP(s *Service, guard *auth.Guard, journal Recorder, newID func() uuid.UUID) *HTTP {
	if s == nil || guard == nil || journal == nil || newID == nil {
		panic("signin.NewHTTP: nil dependency")
	}
	return &HTTP{s: s, guard: guard, journal: journal, newID: newID}
}

// PublicRoutes mounts what anyone may call: signing in, refreshing and
// recovery.
func (h *HTTP) PublicRoutes(r chi.Router) {
	r.Post("/v1/sessions", h.signIn)
	r.Post("/v1/sessions/challenges/{challenge_id}", h.complete)
	r.Post("/v1/sessions/refresh", h.refresh)
	r.Post("/v1/password-resets", h.requestReset)
	r.Post("/v1/password-resets/confirm", h.confirmReset)
}

// Routes mounts what needs a principal: the password, the sessions and the
// authenticator of one's own account, and logout.
func (h *HTTP) Routes(r chi.Router) {
	r.Delete("/v1/sessions/current", h.logout)
	r.Put("/v1/accounts/{id}/password", h.setPassword)
	r.Get("/v1/accounts/{id}/sessions", h.list)
	r.Delete("/v1/accounts/{id}/sessions/{session_id}", h.revoke)
	r.Post("/v1/accounts/{id}/totp", h.startTotp)
	r.Post("/v1/accounts/{id}/totp/confirm", h.confirmTotp)
}

// record journals err as a refusal (a 4xx domain or transport refusal)
// or, when err is nil and done is set, the step as done.
func (h *HTTP) record(r *http.Request, action string, account uuid.UUID, err error, done bool) {
	id := ""
	if account != uuid.Nil {
		id = account.String()
	}
	switch status := httpx.StatusFor(err); {
	case err == nil && done:
		h.journal(r, action, id, journal.Done, "")
	case err != nil && status >= 400 && status < 500:
		h.journal(r, action, id, journal.Refused, httpx.CodeFor(err))
	}
}

// fail journals and answers a refusal.
func (h *HTTP) fail(w http.ResponseWriter, r *http.Request, action string, account uuid.UUID, err error) {
	h.record(r, action, account, err, false)
	httpx.WriteError(w, r, err)
}

// withMetadata puts the request's actor, correlation and origin on ctx;
// an anonymous request acts as account (recovery) when it is known.
func (h *HTTP) withMetadata(r *http.Request, account uuid.UUID) context.Context {
	md := commands.Metadata{
		CorrelationID: observability.CorrelationIDFrom(r.Context()), CommandID: h.newID().String(),
		SourceIP: httpx.ClientIP(r), UserAgent: r.UserAgent(),
	}
	md.CausationID = md.CommandID
	if p, ok := auth.FromContext(r.Context()); ok {
		md.ActorID, md.ActorRole = p.Subject, p.Role.String()
	} else if account != uuid.Nil {
		md.ActorID, md.ActorRole = account.String(), auth.RoleCitizen.String()
	}
	return commands.WithMetadata(r.Context(), md)
}

// tokensAnswer is a new session's or a refresh's answer.
type tokensAnswer struct {
	SessionID    string `json:"session_id"`
	AccountID    string `json:"account_id"`
	Token        string `json:"token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
}

func writeTokens(w http.ResponseWriter, status int, account uuid.UUID, t commands.SessionTokens) {
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, status, tokensAnswer{SessionID: t.SessionID, AccountID: account.String(),
		Token: t.Token, RefreshToken: t.RefreshToken, ExpiresIn: t.ExpiresIn})
}

func writeResult(w http.ResponseWriter, res commands.Result) {
	w.Header().Set("X-Kabinet-Position", strconv.FormatUint(res.Position, 10))
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"account_id": res.AccountID.String(), "position": res.Position})
}

func (h *HTTP) signIn(w http.ResponseWriter, r *http.Request) {
	req, err := decodeSignIn(w, r)
	if err != nil {
		h.fail(w, r, "SignIn", uuid.Nil, err)
		return
	}
	ch, at, err := h.s.SignIn(r.Context(), req.Login, req.Password, r.UserAgent())
	if at.Locked {
		h.journal(r, "SignInLocked", at.AccountID.String(), journal.Done, domain.CodeAccountLocked)
	}
	if err != nil {
		h.fail(w, r, "SignIn", at.AccountID, err)
		return
	}
	h.record(r, "SignIn", at.AccountID, nil, true)
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusAccepted, ch)
}

type codeRequest struct {
	Code string `json:"code"`
}

func (h *HTTP) complete(w http.ResponseWriter, r *http.Request) {
	var req codeRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		h.fail(w, r, "CompleteSignIn", uuid.Nil, err)
		return
	}
	tok, at, err := h.s.Complete(r.Context(), chi.URLParam(r, "challenge_id"), req.Code, r.UserAgent())
	if err != nil {
		h.fail(w, r, "CompleteSignIn", at.AccountID, err)
		return
	}
	h.record(r, "CompleteSignIn", at.AccountID, nil, true)
	writeTokens(w, http.StatusCreated, at.AccountID, tok)
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func (h *HTTP) refresh(w http.ResponseWriter, r *http.Request) {
	var req refreshRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		h.fail(w, r, "RefreshSession", uuid.Nil, err)
		return
	}
	tok, account, err := h.s.Refresh(r.Context(), req.RefreshToken)
	if err != nil {
		h.fail(w, r, "RefreshSession", account, err)
		return
	}
	h.record(r, "RefreshSession", account, nil, true)
	writeTokens(w, http.StatusOK, account, tok)
}

func (h *HTTP) logout(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.FromContext(r.Context())
	if p.SessionID == "" {
		h.guard.Deny(w, r, http.StatusNotFound, auth.ReasonNotFound)
		return
	}
	if err := h.s.End(r.Context(), p.SessionID, EndLogout); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	h.record(r, "EndSession", p.AccountID, nil, true)
	w.WriteHeader(http.StatusNoContent)
}

// owner resolves {id} and applies the owner rule (404 for anyone else).
func (h *HTTP) owner(w http.ResponseWriter, r *http.Request) (uuid.UUID, bool) {
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		h.guard.Deny(w, r, http.StatusNotFound, auth.ReasonNotFound)
		return uuid.Nil, false
	}
	return id, h.guard.Owner(w, r, id)
}

type passwordRequest struct {
	Password        string `json:"password"`
	CurrentPassword string `json:"current_password"`
}

func (h *HTTP) setPassword(w http.ResponseWriter, r *http.Request) {
	id, ok := h.owner(w, r)
	if !ok {
		return
	}
	var req passwordRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		h.fail(w, r, "SetPassword", id, err)
		return
	}
	res, err := h.s.SetPassword(h.withMetadata(r, id), id, req.Password, req.CurrentPassword)
	if err != nil {
		h.fail(w, r, "SetPassword", id, err)
		return
	}
	writeResult(w, res)
}

func (h *HTTP) list(w http.ResponseWriter, r *http.Request) {
	id, ok := h.owner(w, r)
	if !ok {
		return
	}
	p, _ := auth.FromContext(r.Context())
	items, err := h.s.List(r.Context(), id, p.SessionID)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (h *HTTP) revoke(w http.ResponseWriter, r *http.Request) {
	id, ok := h.owner(w, r)
	if !ok {
		return
	}
	if err := h.s.Revoke(r.Context(), id, chi.URLParam(r, "session_id")); err != nil {
		h.fail(w, r, "RevokeSession", id, err)
		return
	}
	h.record(r, "RevokeSession", id, nil, true)
	w.WriteHeader(http.StatusNoContent)
}

func (h *HTTP) startTotp(w http.ResponseWriter, r *http.Request) {
	id, ok := h.owner(w, r)
	if !ok {
		return
	}
	enr, err := h.s.StartTotp(r.Context(), id)
	if err != nil {
		h.fail(w, r, "StartTotp", id, err)
		return
	}
	h.record(r, "StartTotp", id, nil, true)
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusCreated, enr)
}

func (h *HTTP) confirmTotp(w http.ResponseWriter, r *http.Request) {
	id, ok := h.owner(w, r)
	if !ok {
		return
	}
	var req codeRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		h.fail(w, r, "EnrollTotp", id, err)
		return
	}
	res, err := h.s.ConfirmTotp(h.withMetadata(r, id), id, req.Code)
	if err != nil {
		h.fail(w, r, "EnrollTotp", id, err)
		return
	}
	writeResult(w, res)
}

type resetRequest struct {
	Login string `json:"login"`
}

func (h *HTTP) requestReset(w http.ResponseWriter, r *http.Request) {
	var req resetRequest
	err := httpx.DecodeJSON(w, r, &req)
	if err == nil {
		err = checkLogin(req.Login)
	}
	if err != nil {
		h.fail(w, r, "RequestPasswordReset", uuid.Nil, err)
		return
	}
	at, err := h.s.RequestReset(r.Context(), req.Login, r.UserAgent())
	if err != nil {
		h.fail(w, r, "RequestPasswordReset", at.AccountID, err)
		return
	}
	h.record(r, "RequestPasswordReset", at.AccountID, nil, true)
	httpx.WriteJSON(w, http.StatusAccepted, map[string]string{"status": "sent if the login is a confirmed contact"})
}

type resetConfirmRequest struct {
	Login       string `json:"login"`
	Code        string `json:"code"`
	NewPassword string `json:"new_password"`
}

func (h *HTTP) confirmReset(w http.ResponseWriter, r *http.Request) {
	var req resetConfirmRequest
	err := httpx.DecodeJSON(w, r, &req)
	if err == nil {
		err = checkLogin(req.Login)
	}
	if err != nil {
		h.fail(w, r, "ResetPassword", uuid.Nil, err)
		return
	}
	// The account is not known before the code is judged: the service
	// names it as the actor once it is.
	res, at, err := h.s.ConfirmReset(h.withMetadata(r, uuid.Nil), req.Login, req.Code, req.NewPassword)
	if err != nil {
		h.fail(w, r, "ResetPassword", at.AccountID, err)
		return
	}
	writeResult(w, res)
}
