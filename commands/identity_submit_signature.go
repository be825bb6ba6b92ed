package commands

import (
	"context"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// SubmitSignature answers a pending e_signature verification's challenge
// with a CMS signature (standard base64 of DER SignedData, detached).
type SubmitSignature struct {
	AccountID uuid.UUID
	Signature string
}

// SubmitSignatureHandler handles SubmitSignature.
type SubmitSignatureHandler struct{ d Deps }

// NewSubmitSignatureHandler builds the handler; it panics on nil dependencies.
func NewSubmitSignatureHandler(d Deps) *SubmitSignatureHandler {
	d.checkIdentity("NewSubmitSignatureHandler")
	return &SubmitSignatureHandler{d: d}
}

// Handle reads the account's challenge, verifies the signature over it
// and the certificate's chain to the trust store at now (esign), then lets
// the account match the subject to the person and record IdentityVerified.
// Every refusal records nothing and leaves the verification pending:
// signature_invalid, certificate_untrusted, certificate_expired,
// certificate_name_mismatch, code_expired (the challenge),
// verification_not_pending and method_mismatch.
func (h *SubmitSignatureHandler) Handle(ctx context.Context, cmd SubmitSignature) (VerificationResult, error) {
	md := MetadataFrom(ctx)
	md.Command = "SubmitSignature"
	now := h.d.Clock()
	var acc *domain.ForeignerAccount
	res, err := h.d.Repo.Update(ctx, cmd.AccountID, md, func(a *domain.ForeignerAccount) error {
		acc = a
		challenge, err := a.SignatureChallenge(now)
		if err != nil {
			return err
		}
		cert, err := h.d.Identity.ESign.Verify(cmd.Signature, challenge, now)
		if err != nil {
			return err
		}
		return a.VerifyByESignature(cert, now)
	})
	return verificationResult(res, acc), err
}
