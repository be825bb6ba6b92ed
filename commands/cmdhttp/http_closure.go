package cmdhttp

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/httpx"
)

// ClosureRoutes mounts closing an account (its owner) and erasing its
// personal data (admin).
func (h *HTTP) ClosureRoutes(r chi.Router) {
	r.Post("/v1/accounts/{id}/closure", h.closeAccount)
	r.Post("/v1/accounts/{id}/erasure", h.eraseAccount)
}

func (h *HTTP) closeAccount(w http.ResponseWriter, r *http.Request) {
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		h.guard.Deny(w, r, http.StatusNotFound, "not_found")
		return
	}
	if !h.guard.Owner(w, r, id) {
		return
	}
	res, err := h.app.CloseAccount.Handle(h.withMetadata(r), commands.CloseAccount{AccountID: id, Reason: domain.ClosedByOwner})
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	h.answer(w, http.StatusAccepted, res)
}

type erasureRequest struct {
	Reason string `json:"reason"`
}

// eraseAccount admits the admin role only; anyone else learns nothing of
// the account (404), an anonymous caller is asked to sign in (401).
func (h *HTTP) eraseAccount(w http.ResponseWriter, r *http.Request) {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		h.guard.Deny(w, r, http.StatusUnauthorized, auth.ReasonUnauthorized)
		return
	}
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil || p.Role != auth.RoleAdmin {
		h.guard.Deny(w, r, http.StatusNotFound, auth.ReasonNotFound)
		return
	}
	var req erasureRequest
	if !decodeBody(w, r, &req) {
		return
	}
	res, err := h.app.ErasePersonalData.Handle(h.withMetadata(r), commands.ErasePersonalData{AccountID: id, Reason: req.Reason})
	if err != nil {
		// A shredding failure after the event was saved is a 500 too: the
		// erasure job finishes it, and a retry answers personal_data_erased.
		httpx.WriteError(w, r, err)
		return
	}
	h.answer(w, http.StatusAccepted, res)
}
