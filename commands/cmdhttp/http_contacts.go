package cmdhttp

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/httpx"
)

// consentRequest is the registration's consent:
// {"personal_data": true, "version": "2026-01"}.
type consentRequest struct {
	PersonalData bool   `json:"personal_data"`
	Version      string `json:"version"`
}

func (c *consentRequest) domain() *domain.Consent {
	if c == nil {
		return nil
	}
	return &domain.Consent{PersonalData: c.PersonalData, Version: c.Version}
}

type addContactRequest struct {
	Channel  string `json:"channel"`
	Value    string `json:"value"`
	Replaces string `json:"replaces"`
}

// contactAnswer is a contact command's answer: which contact it was about.
type contactAnswer struct {
	AccountID string `json:"account_id"`
	Position  uint64 `json:"position"`
	Channel   string `json:"channel"`
	Value     string `json:"value"`
}

// addContact is POST /v1/accounts/{id}/contacts: 202, a code sent to the
// new contact, which is then confirmed through
// /contacts/{channel}/confirm?value=….
func (h *HTTP) addContact(w http.ResponseWriter, r *http.Request) {
	id, ok := h.ownerAccount(w, r)
	var req addContactRequest
	if !ok || !decodeBody(w, r, &req) {
		return
	}
	ch, err := domain.ChannelFromString(req.Channel)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	value, err := domain.ParseContact(ch, req.Value)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	res, err := h.app.AddContact.Handle(h.withMetadata(r), commands.AddContact{AccountID: id, Channel: ch, Value: value, Replaces: req.Replaces})
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	h.contactAnswer(w, http.StatusAccepted, res, ch, value)
}

// removeContact is DELETE /v1/accounts/{id}/contacts/{channel}/{value}.
func (h *HTTP) removeContact(w http.ResponseWriter, r *http.Request) {
	id, ch, ok := h.accountAndChannel(w, r)
	if !ok {
		return
	}
	value, err := url.PathUnescape(chi.URLParam(r, "value"))
	if err != nil || value == "" {
		httpx.WriteError(w, r, httpx.BadRequest("contact_value_invalid", "the contact's value is not a valid path segment"))
		return
	}
	res, err := h.app.RemoveContact.Handle(h.withMetadata(r), commands.RemoveContact{AccountID: id, Channel: ch, Value: value})
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	h.contactAnswer(w, http.StatusOK, res, ch, value)
}

// withdrawConsent is DELETE /v1/accounts/{id}/consents/{kind}.
func (h *HTTP) withdrawConsent(w http.ResponseWriter, r *http.Request) {
	id, ok := h.ownerAccount(w, r)
	if !ok {
		return
	}
	kind := chi.URLParam(r, "kind")
	if kind != domain.ConsentPersonalData {
		httpx.WriteError(w, r, httpx.NotFound("no such consent"))
		return
	}
	res, err := h.app.WithdrawConsent.Handle(h.withMetadata(r), commands.WithdrawConsent{AccountID: id, Kind: kind})
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	h.answer(w, http.StatusOK, res)
}

func (h *HTTP) contactAnswer(w http.ResponseWriter, status int, res commands.Result, ch domain.Channel, value string) {
	w.Header().Set("X-Kabinet-Position", strconv.FormatUint(res.Position, 10))
	httpx.WriteJSON(w, status, contactAnswer{
		AccountID: res.AccountID.String(), Position: res.Position, Channel: ch.String(), Value: value,
	})
}
