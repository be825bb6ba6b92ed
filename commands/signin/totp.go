package signin

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/domain"
)

// TotpIssuer names the service in authenticator apps.
const TotpIssuer = "Kabinet"

// totpOpts are RFC 6238's defaults, one step of clock drift allowed.
var totpOpts = totp.ValidateOpts{Period: 30, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

func validTotp(code, secret string, now time.Time) bool {
	ok, err := totp.ValidateCustom(code, secret, now, totpOpts)
	return err == nil && ok
}

// TotpEnrolment is a secret to put in an authenticator app.
type TotpEnrolment struct {
	Secret     string `json:"secret"`
	OtpauthURL string `json:"otpauth_url"`
}

// StartTotp draws a new authenticator secret for the account, pending
// until ConfirmTotp proves the app has it; a second start replaces it.
// An account that enrolled already is totp_already_enrolled; one without
// a password has nothing to sign in with yet (current_password_required).
func (s *Service) StartTotp(ctx context.Context, account uuid.UUID) (TotpEnrolment, error) {
	a, err := s.c.Repo.Load(ctx, account)
	if err != nil {
		return TotpEnrolment{}, err
	}
	if a.HasTotp() {
		return TotpEnrolment{}, domain.NewError(domain.CodeTotpAlreadyEnrolled, "an authenticator app is already enrolled")
	}
	cred, ok, err := s.loadCredential(ctx, account.String())
	if err != nil {
		return TotpEnrolment{}, err
	}
	if !ok || cred.PasswordHash == "" {
		return TotpEnrolment{}, domain.NewError(domain.CodePasswordRequired, "set a password before enrolling an authenticator app")
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: TotpIssuer, AccountName: account.String(), Rand: s.c.Random})
	if err != nil {
		return TotpEnrolment{}, fmt.Errorf("totp secret: %w", err)
	}
	sealed, err := s.seal.seal(s.c.Random, account.String(), key.Secret())
	if err != nil {
		return TotpEnrolment{}, err
	}
	_, err = s.c.DB.NewUpdate().Model((*credential)(nil)).Set("totp_pending = ?", sealed).Set("totp_tries = 0").
		Set("updated_at = ?", s.now()).Where("account_id = ?", account.String()).Exec(ctx)
	if err != nil {
		return TotpEnrolment{}, fmt.Errorf("store pending totp: %w", err)
	}
	return TotpEnrolment{Secret: key.Secret(), OtpauthURL: key.URL()}, nil
}

// ConfirmTotp checks a code of the pending secret; a right one enrolls it
// (TotpEnrolled) and from then on the app's codes replace the SMS at
// sign-in. A wrong code is code_invalid with attempts_left; the third
// discards the pending secret (totp_not_started afterwards).
func (s *Service) ConfirmTotp(ctx context.Context, account uuid.UUID, code string) (commands.Result, error) {
	cred, ok, err := s.loadCredential(ctx, account.String())
	if err != nil {
		return commands.Result{}, err
	}
	if !ok || cred.TotpPending == "" {
		return commands.Result{}, domain.NewError(domain.CodeTotpNotStarted, "start the enrolment first")
	}
	pending, err := s.seal.open(account.String(), cred.TotpPending)
	if err != nil {
		return commands.Result{}, err
	}
	if !validTotp(code, pending, s.now()) {
		left := domain.MaxCodeAttempts - cred.TotpTries - 1
		q := s.c.DB.NewUpdate().Model((*credential)(nil)).Set("totp_tries = totp_tries + 1").Where("account_id = ?", account.String())
		if left <= 0 {
			q = q.Set("totp_pending = ''")
		}
		if _, err := q.Exec(ctx); err != nil {
			return commands.Result{}, fmt.Errorf("count totp failure: %w", err)
		}
		return commands.Result{}, domain.NewError(domain.CodeCodeInvalid, "the code is wrong").WithDetail("attempts_left", max(left, 0))
	}
	md := commands.MetadataFrom(ctx)
	md.Command = "EnrollTotp"
	res, err := s.c.Repo.Update(ctx, account, md, func(a *domain.ForeignerAccount) error { return a.EnrollTotp(s.now()) })
	if err != nil {
		return res, err
	}
	_, err = s.c.DB.NewUpdate().Model((*credential)(nil)).Set("totp_secret = totp_pending").Set("totp_pending = ''").
		Set("updated_at = ?", s.now()).Where("account_id = ?", account.String()).Exec(ctx)
	if err != nil {
		return res, fmt.Errorf("store totp secret: %w", err)
	}
	return res, nil
}
