package cmdhttp

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/httpx"
)

// FinePaymentRoutes mounts the payment gateway's callback for fines and
// debts: like the fee callback it carries no token and is authenticated by
// its body's signature (X-Kabinet-Signature) before anything else; then
// come after (the idempotency layer), then the handler.
func (h *HTTP) FinePaymentRoutes(gw *commands.PaymentGateway, k *commands.Desk, after ...func(http.Handler) http.Handler) func(chi.Router) {
	if gw == nil || k == nil {
		panic("cmdhttp.FinePaymentRoutes: nil dependency")
	}
	return func(r chi.Router) {
		r.With(h.paymentSignature(gw)).With(after...).Post("/v1/accounts/{id}/fines/{fine}/payments",
			func(w http.ResponseWriter, r *http.Request) { h.payFine(w, r, k) })
	}
}

// finePaymentRequest is the gateway's callback; FineID and AccountID, when
// sent, must be the path's (the signature covers the body, not the path).
type finePaymentRequest struct {
	Amount        int64     `json:"amount"`
	Currency      string    `json:"currency"`
	TransactionID string    `json:"transaction_id"`
	FineID        string    `json:"fine_id"`
	AccountID     uuid.UUID `json:"account_id"`
}

// payFine settles a fine from a callback whose signature paymentSignature
// has checked.
func (h *HTTP) payFine(w http.ResponseWriter, r *http.Request, k *commands.Desk) {
	account, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		httpx.WriteError(w, r, httpx.NotFound("no such account"))
		return
	}
	fine := chi.URLParam(r, "fine")
	var req finePaymentRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if (req.FineID != "" && req.FineID != fine) || (req.AccountID != uuid.Nil && req.AccountID != account) {
		httpx.WriteError(w, r, domain.ValidationError([]domain.FieldError{{
			Field: "fine_id", Code: "mismatch", Message: "the signed fine or account is not the path's",
		}}))
		return
	}
	res, err := k.PayFine(h.withMetadata(r), commands.PayFine{AccountID: account, FineID: fine, Amount: req.Amount,
		Currency: req.Currency, TransactionID: req.TransactionID})
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	w.Header().Set("X-Kabinet-Position", strconv.FormatUint(res.Position, 10))
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"account_id": account.String(), "fine_id": fine, "transaction_id": res.Payment.TransactionID,
		"status": res.Payment.Status, "reason": res.Payment.Reason, "amount": res.Payment.Amount,
		"currency": res.Payment.Currency, "refund_due": res.Payment.RefundDue, "position": res.Position,
	})
}
