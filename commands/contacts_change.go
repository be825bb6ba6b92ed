package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/delivery"
)

// AddContact adds another phone or email to an account and sends its code.
type AddContact struct {
	AccountID uuid.UUID
	Channel   domain.Channel
	Value     string
	// Replaces, when set, is the contact (same channel) the new one
	// replaces once confirmed.
	Replaces string
}

// AddContactHandler handles AddContact.
type AddContactHandler struct{ d Deps }

// NewAddContactHandler builds the handler; it panics on nil dependencies.
func NewAddContactHandler(d Deps) *AddContactHandler {
	d.check("NewAddContactHandler")
	return &AddContactHandler{d: d}
}

// Handle refuses a contact confirmed on another account (contact_taken, as
// at registration), records ContactAdded and its first code, and sends it.
func (h *AddContactHandler) Handle(ctx context.Context, cmd AddContact) (Result, error) {
	md := MetadataFrom(ctx)
	md.Command = "AddContact"
	now := h.d.Clock()
	value, err := domain.ParseContact(cmd.Channel, cmd.Value)
	if err != nil {
		return Result{}, err
	}
	owner, err := h.d.Claims.Owner(ctx, domain.ContactKey(cmd.Channel, value))
	if err != nil {
		return Result{}, err
	}
	if owner != uuid.Nil && owner != cmd.AccountID {
		return Result{}, domain.ErrContactTaken(cmd.Channel)
	}
	var code string
	res, err := h.d.Repo.Update(ctx, cmd.AccountID, md, func(a *domain.ForeignerAccount) error {
		_, c, err := a.AddContact(cmd.Channel, value, cmd.Replaces, now, h.d.Random, h.d.Hasher)
		code = c
		return err
	})
	if err != nil {
		return res, err
	}
	if err := h.d.Notifier.Notify(ctx, contactCodeNotification(cmd.AccountID, cmd.Channel, value, code, now)); err != nil {
		return res, fmt.Errorf("send contact code: %w", err)
	}
	return res, nil
}

// RemoveContact removes one of an account's contacts.
type RemoveContact struct {
	AccountID uuid.UUID
	Channel   domain.Channel
	Value     string
}

// RemoveContactHandler handles RemoveContact.
type RemoveContactHandler struct{ d Deps }

// NewRemoveContactHandler builds the handler; it panics on nil dependencies.
func NewRemoveContactHandler(d Deps) *RemoveContactHandler {
	d.check("NewRemoveContactHandler")
	return &RemoveContactHandler{d: d}
}

// Handle records ContactRemoved (never the last confirmed contact:
// last_contact) and, once saved, releases a confirmed contact's claim so
// that another account may confirm it.
func (h *RemoveContactHandler) Handle(ctx context.Context, cmd RemoveContact) (Result, error) {
	md := MetadataFrom(ctx)
	md.Command = "RemoveContact"
	now := h.d.Clock()
	var removed []domain.ContactRemoved
	res, err := h.d.Repo.Update(ctx, cmd.AccountID, md, func(a *domain.ForeignerAccount) error {
		err := a.RemoveContact(cmd.Channel, cmd.Value, now)
		removed = removedContacts(a)
		return err
	})
	if err != nil {
		return res, err
	}
	return res, releaseRemoved(ctx, h.d.Claims, cmd.AccountID, removed, md, h.d)
}

// removedContacts lists the ContactRemoved events a decision recorded.
func removedContacts(a *domain.ForeignerAccount) []domain.ContactRemoved {
	var out []domain.ContactRemoved
	for _, e := range a.Changes() {
		if r, ok := e.(domain.ContactRemoved); ok {
			out = append(out, r)
		}
	}
	return out
}

// releaseRemoved releases the claims of the confirmed contacts removed.
func releaseRemoved(ctx context.Context, claims *ContactClaims, account uuid.UUID, removed []domain.ContactRemoved, md Metadata, d Deps) error {
	for _, r := range removed {
		if !r.WasConfirmed {
			continue
		}
		if err := claims.Release(ctx, domain.ContactKey(r.Channel, r.Value), account, d.Clock(), md); err != nil {
			return fmt.Errorf("release removed %s: %w", r.Channel, err)
		}
	}
	return nil
}

// WithdrawConsent withdraws the account's consent to personal data processing.
type WithdrawConsent struct {
	AccountID uuid.UUID
	Kind      string
}

// WithdrawConsentHandler handles WithdrawConsent.
type WithdrawConsentHandler struct{ d Deps }

// NewWithdrawConsentHandler builds the handler; it panics on nil dependencies.
func NewWithdrawConsentHandler(d Deps) *WithdrawConsentHandler {
	d.check("NewWithdrawConsentHandler")
	return &WithdrawConsentHandler{d: d}
}

// Handle records ConsentWithdrawn (consent_not_given when none is in
// force) and closes the account in the same append (docs/DOMAIN.md §12: the
// withdrawal closes it; pending applications are withdrawn, sessions end).
func (h *WithdrawConsentHandler) Handle(ctx context.Context, cmd WithdrawConsent) (Result, error) {
	md := MetadataFrom(ctx)
	md.Command = "WithdrawConsent"
	now := h.d.Clock()
	res, err := h.d.Repo.Update(ctx, cmd.AccountID, md, func(a *domain.ForeignerAccount) error {
		if err := a.WithdrawConsent(cmd.Kind, now); err != nil {
			return err
		}
		return a.Close(domain.ClosedConsentWithdrawn, actorOf(md), now)
	})
	if err != nil {
		return res, err
	}
	return res, endSessions(ctx, h.d, cmd.AccountID)
}

// contactCodeNotification is the message carrying a contact's code.
func contactCodeNotification(account uuid.UUID, ch domain.Channel, to, code string, now time.Time) delivery.Notification {
	n := delivery.Notification{
		Channel: "email", To: to, AccountID: account.String(), Code: code, Kind: "contact_code", At: now,
		Text: fmt.Sprintf("Код подтверждения адреса: %s. Действует 30 минут.", code),
	}
	if ch == domain.ChannelPhone {
		n.Channel = "sms"
		n.Text = fmt.Sprintf("Код подтверждения: %s. Действует 15 минут. Никому не сообщайте код.", code)
	}
	return n
}
