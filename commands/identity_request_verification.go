package commands

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/commands/registry"
	"github.com/kabinet/kabinet/domain"
)

// RequestIdentityVerification starts identity verification by Method.
type RequestIdentityVerification struct {
	AccountID uuid.UUID
	Method    domain.VerificationMethod
}

// VerificationResult is a verification command's Result with the
// verification's status afterwards (none, pending, verified or rejected),
// its deadline while pending and, for e_signature, the challenge to sign
// (standard base64) and until when.
type VerificationResult struct {
	Result
	Status             string
	Deadline           domain.Date
	Challenge          string
	ChallengeExpiresAt time.Time
}

// RequestIdentityVerificationHandler handles RequestIdentityVerification.
type RequestIdentityVerificationHandler struct{ d Deps }

// NewRequestIdentityVerificationHandler builds the handler; it panics on nil dependencies.
func NewRequestIdentityVerificationHandler(d Deps) *RequestIdentityVerificationHandler {
	d.checkIdentity("NewRequestIdentityVerificationHandler")
	return &RequestIdentityVerificationHandler{d: d}
}

// Handle records IdentityVerificationRequested, due in five working days.
// bank first asks the partner bank whether it knows the person; once the
// request is durable the bank sends its code through its own channel and a
// russian_post letter goes to the address on file (codes ignore the
// notification preferences). e_signature answers the challenge to sign
// (see SubmitSignature); asked again while pending, a new one.
func (h *RequestIdentityVerificationHandler) Handle(ctx context.Context, cmd RequestIdentityVerification) (VerificationResult, error) {
	md := MetadataFrom(ctx)
	md.Command = "RequestIdentityVerification"
	now := h.d.Clock()
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
		return h.d.takeIdentityCode(ctx, cmd.Method, a.ID(), code)
	})
	out := verificationResult(res, acc)
	if err != nil || code == "" {
		return out, err
	}
	if cmd.Method == domain.MethodESignature {
		out.Challenge, out.ChallengeExpiresAt = code, now.UTC().Add(domain.SignatureChallengeTTL)
		return out, nil
	}
	return out, h.d.sendIdentityCode(ctx, acc, cmd.Method, code, now)
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
