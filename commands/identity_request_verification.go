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

// RequestIdentityVerification starts identity verification by Method. For
// e_signature, Certificate is what the client read from the qualified
// certificate, and the verification is decided at once.
type RequestIdentityVerification struct {
	AccountID   uuid.UUID
	Method      domain.VerificationMethod
	Certificate *domain.CertificateInfo
}

// VerificationResult is a verification command's Result with the
// verification's status afterwards (pending, verified or rejected) and its
// deadline while pending.
type VerificationResult struct {
	Result
	Status   string
	Deadline domain.Date
}

// RequestIdentityVerificationHandler handles RequestIdentityVerification.
type RequestIdentityVerificationHandler struct{ d Deps }

// NewRequestIdentityVerificationHandler builds the handler; it panics on nil dependencies.
func NewRequestIdentityVerificationHandler(d Deps) *RequestIdentityVerificationHandler {
	d.checkIdentity("NewRequestIdentityVerificationHandler")
	return &RequestIdentityVerificationHandler{d: d}
}

// Handle records IdentityVerificationRequested, due in five working days.
// bank first asks the partner bank whether it knows the person; bank and
// russian_post then send the one-time code through the notifier once the
// request is durable (codes ignore the notification preferences).
// e_signature checks the certificate in the same decision and records the
// outcome; a refused certificate is saved and answered
// identity_verification_rejected.
func (h *RequestIdentityVerificationHandler) Handle(ctx context.Context, cmd RequestIdentityVerification) (VerificationResult, error) {
	md := MetadataFrom(ctx)
	md.Command = "RequestIdentityVerification"
	now := h.d.Clock()
	if err := checkCertificate(cmd); err != nil {
		return VerificationResult{Result: Result{AccountID: cmd.AccountID}}, err
	}
	var code string
	var acc *domain.ForeignerAccount
	res, err := h.d.Repo.Update(ctx, cmd.AccountID, md, func(a *domain.ForeignerAccount) error {
		acc = a
		if cmd.Method == domain.MethodBank {
			if err := h.askBank(ctx, a); err != nil {
				return err
			}
		}
		c, err := a.RequestIdentityVerification(cmd.Method, now, h.d.Identity.Calendar, h.d.Random, h.d.Hasher)
		if err != nil {
			return err
		}
		code = c
		if cmd.Method == domain.MethodESignature {
			return a.VerifyByESignature(*cmd.Certificate, now)
		}
		return nil
	})
	out := verificationResult(res, acc)
	if err != nil || code == "" {
		return out, err
	}
	if err := h.d.Notifier.Notify(ctx, identityCodeNotification(acc, cmd.Method, code, now)); err != nil {
		return out, fmt.Errorf("send identity code: %w", err)
	}
	return out, nil
}

// checkCertificate requires the certificate for e_signature and refuses it
// for any other method.
func checkCertificate(cmd RequestIdentityVerification) error {
	switch {
	case cmd.Method == domain.MethodESignature && cmd.Certificate == nil:
		return domain.ValidationError([]domain.FieldError{{Field: "certificate", Code: domain.CodeRequired,
			Message: "an e_signature verification needs the certificate"}})
	case cmd.Method != domain.MethodESignature && cmd.Certificate != nil:
		return domain.ValidationError([]domain.FieldError{{Field: "certificate", Code: domain.CodeUnknownField,
			Message: "only an e_signature verification takes a certificate"}})
	}
	return nil
}

// askBank refuses a bank verification the partner bank cannot do.
func (h *RequestIdentityVerificationHandler) askBank(ctx context.Context, a *domain.ForeignerAccount) error {
	pd, ok := a.PersonalData()
	if !ok {
		return nil // the domain refuses: level_too_low
	}
	v, err := h.d.Identity.Registries.Bank.KnowsCustomer(ctx, a.ID(), registry.PersonFrom(pd))
	if err != nil {
		return abort(err)
	}
	if !v.Match {
		return domain.NewError(domain.CodeRegistryMismatch, "the partner bank cannot verify this person").
			WithDetail("reason", v.Reason)
	}
	return nil
}

// verificationResult reads the verification's status from the account the
// decision ran on (nil when it did not load).
func verificationResult(res Result, a *domain.ForeignerAccount) VerificationResult {
	out := VerificationResult{Result: res}
	if a != nil {
		v := a.State().Verification
		out.Status = v.Status
		if v.Status == domain.VerificationPending {
			out.Deadline = v.Deadline
		}
	}
	return out
}

// identityCodeNotification is the message carrying a bank or Russian Post
// code: the bank texts the confirmed phone (else e-mails), a letter goes to
// the address in Russia.
func identityCodeNotification(a *domain.ForeignerAccount, m domain.VerificationMethod, code string, now time.Time) Notification {
	n := Notification{AccountID: a.ID().String(), Code: code, Kind: "identity_code", At: now}
	if m == domain.MethodRussianPost {
		n.Channel = "post"
		if pd, ok := a.PersonalData(); ok {
			ad := pd.AddressRU
			n.To = strings.Join(nonEmpty(ad.PostalCode, ad.Region, ad.City, ad.Street, ad.House, ad.Flat), ", ")
		}
		n.Text = fmt.Sprintf("Заказное письмо «Почты России»: код подтверждения личности %s. Введите его в личном кабинете.", code)
		return n
	}
	n.Channel, n.To = "sms", confirmedContact(a, domain.ChannelPhone)
	if n.To == "" {
		n.Channel, n.To = "email", confirmedContact(a, domain.ChannelEmail)
	}
	n.Text = fmt.Sprintf("Банк-партнёр: код подтверждения личности на Госуслугах %s. Действует 15 минут. Никому не сообщайте код.", code)
	return n
}

func confirmedContact(a *domain.ForeignerAccount, ch domain.Channel) string {
	for _, c := range a.State().Contacts {
		if c.Channel == ch && c.Confirmed {
			return c.Value
		}
	}
	return ""
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
