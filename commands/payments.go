package commands

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/httpx"
)

// PayFee is the payment gateway's confirmation that an application's fee
// was paid: Amount in minor units (kopecks) of Currency, under the
// gateway's TransactionID.
type PayFee struct {
	ApplicationID uuid.UUID
	Amount        int64
	Currency      string
	TransactionID string
}

// PaymentResult is PayFee's answer. A redelivered confirmation gets the
// first one's answer again, position included, with Replayed set.
type PaymentResult struct {
	ApplicationResult
	TransactionID string
	Amount        int64
	Currency      string
	Replayed      bool
}

// GatewayActor is who payment confirmations are recorded as.
var GatewayActor = domain.Actor{ID: "payment-gateway", Role: "payment_gateway"}

// PayFeeHandler handles PayFee.
type PayFeeHandler struct{ d Deps }

// NewPayFeeHandler builds the handler; it panics on nil dependencies.
func NewPayFeeHandler(d Deps) *PayFeeHandler {
	d.checkApplications("NewPayFeeHandler")
	return &PayFeeHandler{d: d}
}

// Handle lets the domain check the payment against the fee
// (payment_amount_mismatch) and record FeePaid, which accepts the
// application and starts its deadline. The transaction is first claimed
// for this application, so one transaction never pays two applications
// (409 payment_transaction_reused). A transaction the application already
// recorded writes nothing and answers as the first time did.
func (h *PayFeeHandler) Handle(ctx context.Context, cmd PayFee) (PaymentResult, error) {
	md := MetadataFrom(ctx)
	md.Command = "PayFee"
	md.ActorID, md.ActorRole = GatewayActor.ID, GatewayActor.Role
	ctx = WithMetadata(ctx, md)
	cmd.TransactionID = strings.TrimSpace(cmd.TransactionID)
	out := PaymentResult{TransactionID: cmd.TransactionID, Amount: cmd.Amount, Currency: cmd.Currency}
	cal := h.d.Applications.Calendar
	claims := h.d.Applications.Payments
	res, err := h.d.onApplication(ctx, cmd.ApplicationID, "PayFee", func(a *domain.ForeignerAccount, _ domain.Actor, now time.Time) error {
		err := a.PayFee(cmd.ApplicationID, cmd.Amount, cmd.Currency, cmd.TransactionID, GatewayActor, now, today(now), cal)
		if err != nil || len(a.Changes()) == 0 {
			out.Replayed = err == nil
			return err
		}
		if err := claims.Claim(ctx, cmd.TransactionID, cmd.ApplicationID, a.ID(), now, md); err != nil {
			return abort(err)
		}
		return nil
	})
	out.ApplicationResult = res
	if err != nil {
		return out, err
	}
	// The answer is the payment's: the status it led to, and where FeePaid
	// landed — found again in the stream for a redelivery.
	out.Status = domain.StatusAccepted
	if out.Replayed {
		if err := h.replay(ctx, &out); err != nil {
			return out, err
		}
	}
	return out, nil
}

// replay fills a redelivered payment's answer from the recorded FeePaid.
func (h *PayFeeHandler) replay(ctx context.Context, out *PaymentResult) error {
	for _, p := range out.App.Payments {
		if p.TransactionID == out.TransactionID {
			out.Amount, out.Currency = p.Amount, p.Currency
		}
	}
	stream := StreamName(out.AccountID)
	for from := int64(0); ; {
		recs, err := h.d.Repo.store.ReadStream(ctx, stream, eventstore.Forward, from, 500)
		if err != nil {
			return fmt.Errorf("find payment %s: %w", out.TransactionID, err)
		}
		for _, rec := range recs {
			if rec.Type != "FeePaid" {
				continue
			}
			var e domain.FeePaid
			if json.Unmarshal(rec.Data, &e) == nil && e.ApplicationID == out.ApplicationID && e.TransactionID == out.TransactionID {
				out.Position = rec.Position
				return nil
			}
		}
		if len(recs) < 500 {
			return nil
		}
		from = recs[len(recs)-1].Version + 1
	}
}

// PaymentTransactionClaimedType is the event that binds a gateway
// transaction to the one application it paid.
const PaymentTransactionClaimedType = "PaymentTransactionClaimed"

type paymentClaimed struct {
	ApplicationID uuid.UUID `json:"application_id"`
	AccountID     uuid.UUID `json:"account_id"`
	At            time.Time `json:"occurred_at"`
}

// PaymentClaims keep each gateway transaction on one application, with one
// stream per transaction, "payment-<sha256 of the id>": the first
// application to append to it (expected: no stream) owns the transaction.
// Without it a signed confirmation could be replayed against another
// application with the same fee: the signature covers the body, not the
// path.
type PaymentClaims struct {
	store eventstore.Store
	newID func() uuid.UUID
}

// NewPaymentClaims builds the claims over store.
func NewPaymentClaims(store eventstore.Store, newID func() uuid.UUID) *PaymentClaims {
	if store == nil || newID == nil {
		panic("commands.NewPaymentClaims: nil dependency")
	}
	return &PaymentClaims{store: store, newID: newID}
}

func paymentStream(tx string) string {
	sum := sha256.Sum256([]byte(tx))
	return "payment-" + hex.EncodeToString(sum[:20])
}

// Claim binds transaction tx to application app of account. Claiming it
// again for the same application succeeds (a retried command); for
// another it is 409 payment_transaction_reused.
func (c *PaymentClaims) Claim(ctx context.Context, tx string, app, account uuid.UUID, now time.Time, md Metadata) error {
	meta, err := md.EncodeIn(ctx)
	if err != nil {
		return fmt.Errorf("encode metadata: %w", err)
	}
	data, _ := json.Marshal(paymentClaimed{ApplicationID: app, AccountID: account, At: now})
	stream := paymentStream(tx)
	_, err = c.store.Append(ctx, stream, eventstore.NoStream, []eventstore.EventData{{
		ID: c.newID(), Type: PaymentTransactionClaimedType, SchemaVersion: 1, Data: data, Metadata: meta, OccurredAt: now,
	}})
	if !errors.Is(err, eventstore.ErrConflict) {
		if err != nil {
			return fmt.Errorf("claim payment transaction: %w", err)
		}
		return nil
	}
	recs, err := c.store.ReadStream(ctx, stream, eventstore.Forward, 0, 1)
	if err != nil {
		return fmt.Errorf("read payment claim: %w", err)
	}
	if len(recs) == 0 {
		return fmt.Errorf("payment claim %s conflicted yet is empty", stream)
	}
	var e paymentClaimed
	if err := json.Unmarshal(recs[0].Data, &e); err != nil {
		return fmt.Errorf("decode payment claim: %w", err)
	}
	if e.ApplicationID == app {
		return nil
	}
	return httpx.Conflict("payment_transaction_reused", "transaction "+tx+" already paid another application")
}
