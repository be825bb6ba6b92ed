package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/commands/registry"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/delivery"
)

// ChannelBank is the outbox channel of a partner bank's own messages.
const ChannelBank = "bank"

// BankOutbox is the embedded bank channel: the partner bank's messages go
// through the portal's notifier as channel "bank", to the bank's contact
// for its customer.
type BankOutbox struct {
	Notifier delivery.Notifier
	Clock    func() time.Time
}

var _ registry.BankChannel = BankOutbox{}

// Deliver implements registry.BankChannel.
func (b BankOutbox) Deliver(ctx context.Context, m registry.BankMessage) error {
	return b.Notifier.Notify(ctx, delivery.Notification{
		Channel: ChannelBank, To: m.To, AccountID: m.AccountID.String(), Text: m.Text, Code: m.Code,
		Kind: "identity_code", At: b.Clock(),
	})
}

// takeIdentityCode counts a bank or Russian Post code against the hourly
// limit of codes to one person before anything is recorded; an
// e-signature challenge (no code is sent) is not counted.
func (d Deps) takeIdentityCode(ctx context.Context, m domain.VerificationMethod, account uuid.UUID, code string) error {
	if d.CodeLimit == nil || code == "" || m == domain.MethodESignature {
		return nil
	}
	if err := d.CodeLimit.TakeIdentity(ctx, m, account); err != nil {
		return abort(err)
	}
	return nil
}

// sendIdentityCode sends a bank or Russian Post code once the request that
// issued it is durable: the bank through its own channel to the contact it
// holds for the person, a letter to the address on file (abroad when given,
// else in Russia).
func (d Deps) sendIdentityCode(ctx context.Context, a *domain.ForeignerAccount, m domain.VerificationMethod, code string, now time.Time) error {
	pd, _ := a.PersonalData()
	if m == domain.MethodBank {
		if err := d.Identity.Registries.Bank.SendCode(ctx, a.ID(), registry.PersonFrom(pd), code); err != nil {
			return fmt.Errorf("send identity code by the bank: %w", err)
		}
		return nil
	}
	n := delivery.Notification{AccountID: a.ID().String(), Code: code, Kind: "identity_code", At: now, Channel: "post"}
	if pd.AddressAbroad != "" {
		n.To = pd.AddressAbroad
	} else {
		ad := pd.AddressRU
		n.To = strings.Join(nonEmpty(ad.PostalCode, ad.Region, ad.City, ad.Street, ad.House, ad.Flat), ", ")
	}
	n.Text = fmt.Sprintf("Заказное письмо «Почты России»: код подтверждения личности %s. Введите его в личном кабинете.", code)
	if err := d.Notifier.Notify(ctx, n); err != nil {
		return fmt.Errorf("send identity code by post: %w", err)
	}
	return nil
}

func nonEmpty(parts ...string) []string {
	out := parts[:0:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}
