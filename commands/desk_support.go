package commands

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// SupportResult is a support command's answer: the request afterwards.
type SupportResult struct {
	DeskResult
	Request domain.SupportRequestState
}

// OpenSupportRequest opens a request on account: once the input is valid
// it takes the next S-YYYY-NNNNNN number, indexes the request and records
// SupportRequestOpened with the deadlines in operators' hours.
func (k *Desk) OpenSupportRequest(ctx context.Context, account uuid.UUID, in domain.SupportInput) (SupportResult, error) {
	id := k.d.NewID()
	md := MetadataFrom(ctx)
	number := ""
	return k.onSupport(ctx, account, id, "OpenSupportRequest", func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
		if _, err := domain.CheckSupportInput(in); err != nil {
			return err // nothing is numbered or indexed for a refusal
		}
		if number == "" { // a retry after a conflict keeps the number
			n, err := k.x.SupportNumbers.Next(ctx, domain.MoscowDate(now).Year(), id, account, now, md)
			if err != nil {
				return abort(err)
			}
			if err := k.x.Support.Put(ctx, id, account, now, md); err != nil {
				return abort(err)
			}
			number = n
		}
		return a.OpenSupportRequest(id, number, in, actor, now)
	})
}

// PostSupportMessage adds text to request id's thread as the metadata's
// actor: an operator's answer or the citizen's follow-up.
func (k *Desk) PostSupportMessage(ctx context.Context, id uuid.UUID, text string) (SupportResult, error) {
	account, err := k.x.Support.Account(ctx, id)
	if err != nil {
		return SupportResult{DeskResult: DeskResult{ID: id}}, err
	}
	msg := k.d.NewID()
	return k.onSupport(ctx, account, id, "PostSupportMessage", func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
		return a.PostSupportMessage(id, msg, text, actor, now)
	})
}

// ResolveSupportRequest records that an operator resolved request id.
func (k *Desk) ResolveSupportRequest(ctx context.Context, id uuid.UUID) (SupportResult, error) {
	account, err := k.x.Support.Account(ctx, id)
	if err != nil {
		return SupportResult{DeskResult: DeskResult{ID: id}}, err
	}
	return k.onSupport(ctx, account, id, "ResolveSupportRequest", func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
		return a.ResolveSupportRequest(id, actor, now)
	})
}

// CloseSupportRequest records that the citizen closed request id.
func (k *Desk) CloseSupportRequest(ctx context.Context, id uuid.UUID) (SupportResult, error) {
	account, err := k.x.Support.Account(ctx, id)
	if err != nil {
		return SupportResult{DeskResult: DeskResult{ID: id}}, err
	}
	return k.onSupport(ctx, account, id, "CloseSupportRequest", func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
		return a.CloseSupportRequest(id, actor, now)
	})
}

func (k *Desk) onSupport(ctx context.Context, account, id uuid.UUID, command string, decide func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error) (SupportResult, error) {
	out := SupportResult{DeskResult: DeskResult{ID: id}}
	res, err := k.update(ctx, account, command, func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
		if err := decide(a, actor, now); err != nil {
			return err
		}
		out.Request, _ = a.SupportRequest(id)
		return nil
	})
	out.Result = res
	out.Number, out.Status = out.Request.Number, out.Request.Status
	return out, err
}
