package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/commands/registry"
	"github.com/kabinet/kabinet/domain"
)

// Fines lists account's fines and debts: the registry's list for the
// person on file (none before personal data is given) and the payments
// recorded for each, refused ones with their refund status.
func (k *Desk) Fines(ctx context.Context, account uuid.UUID) ([]domain.FineView, error) {
	a, err := k.d.Repo.Load(ctx, account)
	if err != nil {
		return nil, err
	}
	fines, err := k.finesOf(ctx, a)
	if err != nil {
		return nil, err
	}
	return a.FineViews(fines), nil
}

func (k *Desk) finesOf(ctx context.Context, a *domain.ForeignerAccount) ([]domain.Fine, error) {
	pd, ok := a.PersonalData()
	if !ok {
		return nil, nil
	}
	fines, err := k.x.Fines.Fines(ctx, registry.PersonFrom(pd))
	if err != nil {
		return nil, fmt.Errorf("ask the fines registry: %w", err)
	}
	return fines, nil
}

// PayFine is the payment gateway's confirmation of a payment for fine of account.
type PayFine struct {
	AccountID     uuid.UUID
	FineID        string
	Amount        int64
	Currency      string
	TransactionID string
}

// FinePaymentResult is PayFine's answer: how the payment was taken.
type FinePaymentResult struct {
	Result
	Payment domain.FinePayment
}

// PayFine records the payment: the fine must be the registry's for the
// person (fine_not_found); the transaction is claimed for the fine, so one
// transaction never pays two things (409 payment_transaction_reused). A
// payment that cannot settle the fine is refused and set for a refund.
func (k *Desk) PayFine(ctx context.Context, cmd PayFine) (FinePaymentResult, error) {
	md := MetadataFrom(ctx)
	md.ActorID, md.ActorRole = GatewayActor.ID, GatewayActor.Role
	ctx = WithMetadata(ctx, md)
	tx := strings.TrimSpace(cmd.TransactionID)
	var out FinePaymentResult
	res, err := k.update(ctx, cmd.AccountID, "PayFine", func(a *domain.ForeignerAccount, _ domain.Actor, now time.Time) error {
		fines, err := k.finesOf(ctx, a)
		if err != nil {
			return abort(err)
		}
		var fine *domain.Fine
		for i := range fines {
			if fines[i].ID == cmd.FineID {
				fine = &fines[i]
			}
		}
		if fine == nil {
			return domain.NewError(domain.CodeFineNotFound, "no fine %s for this person", cmd.FineID)
		}
		if err := a.PayFine(*fine, cmd.Amount, cmd.Currency, tx, now, k.x.Calendar); err != nil {
			return err
		}
		if len(a.Changes()) > 0 {
			if err := k.x.Payments.Claim(ctx, tx, fineClaimID(fine.ID), a.ID(), now, md); err != nil {
				return abort(err)
			}
		}
		for _, p := range a.FinePayments() {
			if p.TransactionID == tx {
				out.Payment = p
			}
		}
		return nil
	})
	out.Result = res
	return out, err
}

// fineClaimID is the id a fine's payments are claimed under.
func fineClaimID(fine string) uuid.UUID {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("kabinet-fine:"+fine))
}

// RemindAccount records the expiry reminders due on account at now (the
// scheduler's command).
func (k *Desk) RemindAccount(ctx context.Context, account uuid.UUID, now time.Time) error {
	md := MetadataFrom(k.systemContext(ctx))
	md.Command = "RemindExpiringDocuments"
	_, err := k.d.Repo.Update(WithMetadata(ctx, md), account, md, func(a *domain.ForeignerAccount) error {
		a.RemindExpiringDocuments(domain.MoscowDate(now), now)
		return nil
	})
	return err
}

// RefundAccount returns the refused fine payments of account due at now
// (the scheduler's command).
func (k *Desk) RefundAccount(ctx context.Context, account uuid.UUID, now time.Time) error {
	md := MetadataFrom(k.systemContext(ctx))
	md.Command = "RefundFinePayments"
	_, err := k.d.Repo.Update(WithMetadata(ctx, md), account, md, func(a *domain.ForeignerAccount) error {
		a.RefundDuePayments(domain.MoscowDate(now), now)
		return nil
	})
	return err
}
