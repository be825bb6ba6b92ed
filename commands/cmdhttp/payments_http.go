package cmdhttp

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/httpx"
)

// maxPaymentBody bounds a payment callback's body.
const maxPaymentBody = 64 << 10

// PaymentRoutes mounts the payment gateway's callback. It carries no token:
// mount it among the public routes. gw authenticates the callback by its
// body's signature before anything else is looked at: then come after
// (the idempotency layer, which so never buffers or records an unsigned
// body), then the handler.
func (h *HTTP) PaymentRoutes(gw *commands.PaymentGateway, after ...func(http.Handler) http.Handler) func(chi.Router) {
	if gw == nil {
		panic("commands.PaymentRoutes: nil gateway")
	}
	return func(r chi.Router) {
		r.With(h.paymentSignature(gw)).With(after...).Post("/v1/applications/{app}/payments", h.payFee)
	}
}

// paymentSignature reads at most maxPaymentBody bytes of the body and lets
// the request on, with those bytes as its body, only if they carry the
// gateway's signature; else it is denied 401 through the guard.
func (h *HTTP) paymentSignature(gw *commands.PaymentGateway) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPaymentBody))
			if err != nil {
				var tooLarge *http.MaxBytesError
				if errors.As(err, &tooLarge) {
					httpx.WriteError(w, r, httpx.ErrBodyTooLarge)
				} else {
					httpx.WriteError(w, r, httpx.BadRequest("malformed_body", "the body could not be read"))
				}
				return
			}
			if !gw.Verify(raw, r.Header.Get(commands.PaymentSignatureHeader)) {
				w.Header().Set("WWW-Authenticate", `Signature realm="kabinet-payments", header="`+commands.PaymentSignatureHeader+`"`)
				h.guard.Deny(w, r, http.StatusUnauthorized, auth.ReasonUnauthorized)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(raw))
			next.ServeHTTP(w, r)
		})
	}
}

// paymentRequest is the gateway's callback. Amount is in minor units
// (kopecks). ApplicationID, when the gateway sends it, must be the path's.
type paymentRequest struct {
	Amount        int64     `json:"amount"`
	Currency      string    `json:"currency"`
	TransactionID string    `json:"transaction_id"`
	ApplicationID uuid.UUID `json:"application_id"`
}

type paymentAnswer struct {
	ApplicationID string `json:"application_id"`
	AccountID     string `json:"account_id"`
	Number        string `json:"number,omitempty"`
	Status        string `json:"status"`
	TransactionID string `json:"transaction_id"`
	Amount        int64  `json:"amount"`
	Currency      string `json:"currency"`
	Position      uint64 `json:"position"`
}

// payFee handles a callback paymentSignature has authenticated.
func (h *HTTP) payFee(w http.ResponseWriter, r *http.Request) {
	app, err := uuid.Parse(chi.URLParam(r, "app"))
	if err != nil {
		httpx.WriteError(w, r, httpx.NotFound("no such application"))
		return
	}
	var req paymentRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.ApplicationID != uuid.Nil && req.ApplicationID != app {
		httpx.WriteError(w, r, domain.ValidationError([]domain.FieldError{{
			Field: "application_id", Code: "mismatch", Message: "the signed application id is not the path's",
		}}))
		return
	}
	res, err := h.app.Applications.PayFee.Handle(h.withMetadata(r), commands.PayFee{
		ApplicationID: app, Amount: req.Amount, Currency: req.Currency, TransactionID: req.TransactionID,
	})
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if res.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("X-Kabinet-Position", strconv.FormatUint(res.Position, 10))
	httpx.WriteJSON(w, http.StatusOK, paymentAnswer{
		ApplicationID: res.ApplicationID.String(), AccountID: res.AccountID.String(), Number: res.Number,
		Status: res.Status, TransactionID: res.TransactionID, Amount: res.Amount, Currency: res.Currency,
		Position: res.Position,
	})
}
