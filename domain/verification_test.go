package domain

import (
	"bytes"
	"encoding/base64"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRequestIdentityVerification_Preconditions(t *testing.T) {
	tests := []struct {
		name    string
		account func(*testing.T) *ForeignerAccount
		code    string
		missing []string
	}{
		{"a simplified account lacks the standard level", simplifiedAccount, CodeLevelTooLow,
			[]string{"personal_data", "identity_document", "snils"}},
		{"SNILS must be linked", func(t *testing.T) *ForeignerAccount {
			a := simplifiedAccount(t)
			require.NoError(t, a.ProvidePersonalData(validPersonalData(), idToday, acctT0))
			require.NoError(t, a.AddDocument(passportInput(), []ScanRef{sampleScan}, nil, idToday, passportID, acctT0))
			return a
		}, CodeLevelTooLow, []string{"snils"}},
		{"an unconfirmed contact is missing too", func(t *testing.T) *ForeignerAccount { return registered(t) }, CodeLevelTooLow,
			[]string{"confirmed_contact", "personal_data", "identity_document", "snils"}},
		{"a stay-right document is needed", func(t *testing.T) *ForeignerAccount { return standardAccount(t, false) }, CodeNoLegalStay, nil},
		{"one verification at a time", func(t *testing.T) *ForeignerAccount { return pendingAccount(t, MethodVideo) }, CodeVerificationPending, nil},
		{"a verified identity is not verified again", confirmedAccount, CodeAlreadyVerified, nil},
		{"an unregistered account is not found", func(*testing.T) *ForeignerAccount { return NewAccountFromHistory(acctID, nil) }, CodeAccountNotFound, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.account(t)
			got := newChanges(a, func() {
				code, err := a.RequestIdentityVerification(MethodServiceCenter, acctT0, idCal, nil, hasher)
				de := requireDomainErr(t, err, tt.code, "")
				assert.Empty(t, code)
				if tt.missing != nil {
					assert.Equal(t, tt.missing, de.Details["missing"])
				}
			})
			assert.Empty(t, got)
		})
	}
}

func TestRequestIdentityVerification_AnExpiredStayDoesNotCount(t *testing.T) {
	a := standardAccount(t, true)
	later := MustDate(2027, 1, 1).Time(Moscow).Add(10 * time.Hour) // the patent ended on 31.12.2026
	_, err := a.RequestIdentityVerification(MethodVideo, later, idCal, nil, nil)
	requireDomainErr(t, err, CodeNoLegalStay, "")
}

func TestRequestIdentityVerification_RefusesNoMethod(t *testing.T) {
	_, err := standardAccount(t, true).RequestIdentityVerification(VerificationMethod{}, acctT0, idCal, nil, nil)
	requireDomainErr(t, err, CodeRequired, "method")
}

func TestRequestIdentityVerification_DueInFiveWorkingDays(t *testing.T) {
	a := standardAccount(t, true)
	code, err := a.RequestIdentityVerification(MethodServiceCenter, acctT0, idCal, nil, nil)
	require.NoError(t, err)
	assert.Empty(t, code, "an operator method sends no code")
	assert.Equal(t, IdentityVerificationRequested{
		Method: MethodServiceCenter, Deadline: MustDate(2026, 4, 8), OccurredAt: acctT0,
	}, a.Changes()[len(a.Changes())-1])
	v := a.State().Verification
	assert.Equal(t, VerificationPending, v.Status)
	assert.Equal(t, MustDate(2026, 4, 8), v.Deadline)
	assert.Equal(t, LevelStandard, a.Level())
}

func TestRequestIdentityVerification_CodeMethodsIssueAHashedCode(t *testing.T) {
	tests := []struct {
		method VerificationMethod
		ttl    time.Duration
	}{
		{MethodBank, 15 * time.Minute},
		{MethodRussianPost, 30 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.method.String(), func(t *testing.T) {
			a := standardAccount(t, true)
			got := newChanges(a, func() {
				code, err := a.RequestIdentityVerification(tt.method, acctT0, idCal, draws(verifyDraws), hasher)
				require.NoError(t, err)
				assert.Equal(t, verifyCode, code)
			})
			require.Equal(t, []string{"IdentityVerificationRequested", "VerificationCodeIssued"}, typesOf(got))
			issued := got[1].(VerificationCodeIssued)
			assert.Equal(t, tt.method, issued.Method)
			assert.Equal(t, acctT0.Add(tt.ttl), issued.ExpiresAt)
			assert.NotContains(t, issued.CodeHash, verifyCode)
			assert.NotEqual(t, hasher.HashCode(acctID, ChannelPhone, verifyCode), issued.CodeHash,
				"the hash is bound to verification, not to a contact")
			v := a.State().Verification
			assert.Equal(t, acctT0.Add(tt.ttl), v.PendingCodeExpiresAt)
			assert.Equal(t, MaxCodeAttempts, v.AttemptsLeft)
		})
	}
}

func TestEnterVerificationCode_RightCodeVerifies(t *testing.T) {
	for _, m := range []VerificationMethod{MethodBank, MethodRussianPost} {
		a := pendingAccount(t, m)
		at := acctT0.Add(time.Minute)
		require.NoError(t, a.EnterVerificationCode(verifyCode, at, hasher))
		assert.Equal(t, IdentityVerified{Method: m, By: m.String(), OccurredAt: at}, a.Changes()[len(a.Changes())-1])
		assert.Equal(t, LevelConfirmed, a.Level())
		assert.Zero(t, a.State().Verification.PendingCodeExpiresAt, "the code is spent")
	}
}

func TestEnterVerificationCode_ThirdWrongCodeRejects(t *testing.T) {
	a := pendingAccount(t, MethodBank)
	at := acctT0.Add(time.Minute)
	de := requireDomainErr(t, a.EnterVerificationCode("000000", at, hasher), CodeCodeInvalid, "")
	assert.Equal(t, 2, de.Details["attempts_left"])
	de = requireDomainErr(t, a.EnterVerificationCode("000001", at, hasher), CodeCodeInvalid, "")
	assert.Equal(t, 1, de.Details["attempts_left"])
	got := newChanges(a, func() {
		de = requireDomainErr(t, a.EnterVerificationCode("000002", at, hasher), CodeCodeInvalid, "")
	})
	assert.Equal(t, 0, de.Details["attempts_left"])
	assert.Equal(t, []Event{
		VerificationCodeFailed{AttemptsLeft: 0, OccurredAt: at},
		IdentityVerificationRejected{Reasons: []string{ReasonDataMismatch},
			Comment: "the verification code was entered wrong too many times", By: BySystem, OccurredAt: at},
		VerificationMethodLocked{Method: MethodBank, Until: at.Add(24 * time.Hour), OccurredAt: at},
	}, got)
	assert.Equal(t, VerificationRejected, a.State().Verification.Status)
	requireDomainErr(t, a.EnterVerificationCode(verifyCode, at, hasher), CodeVerificationNotPending, "")

	_, err := a.RequestIdentityVerification(MethodVideo, at, idCal, nil, nil)
	require.NoError(t, err, "a rejected citizen may request again, by another method")
}

func TestEnterVerificationCode_ThreeFailedCodesLockTheMethodFor24Hours(t *testing.T) {
	for _, m := range []VerificationMethod{MethodBank, MethodRussianPost} {
		t.Run(m.String(), func(t *testing.T) {
			a := pendingAccount(t, m)
			at := acctT0.Add(time.Minute)
			for _, c := range []string{"000000", "000001", "000002"} {
				require.Error(t, a.EnterVerificationCode(c, at, hasher))
			}
			got := newChanges(a, func() {
				_, err := a.RequestIdentityVerification(m, at.Add(24*time.Hour-time.Second), idCal, draws(1), hasher)
				de := requireDomainErr(t, err, CodeConfirmationLocked, "")
				assert.Equal(t, m.String(), de.Details["method"])
				assert.Equal(t, 1, de.Details["retry_after"])
			})
			assert.Empty(t, got)
			_, err := a.RequestIdentityVerification(m, at.Add(24*time.Hour), idCal, draws(1), hasher)
			require.NoError(t, err, "after 24 hours the method may be requested again")
		})
	}
}

func TestEnterVerificationCode_RefusalsThatRecordNothing(t *testing.T) {
	tests := []struct {
		name   string
		method VerificationMethod
		code   string
		at     time.Time
		want   string
	}{
		{"the bank code expires after 15 minutes", MethodBank, verifyCode, acctT0.Add(BankCodeTTL), CodeCodeExpired},
		{"the letter's code lasts 30 days", MethodRussianPost, verifyCode, acctT0.Add(29 * 24 * time.Hour), ""},
		{"the letter's code expires after 30 days", MethodRussianPost, verifyCode, acctT0.Add(RussianPostCodeTTL), CodeCodeExpired},
		{"input that is not six digits costs no attempt", MethodBank, "12 34", acctT0, CodeCodeInvalid},
		{"no code for an operator method", MethodVideo, verifyCode, acctT0, CodeMethodMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := pendingAccount(t, tt.method)
			got := newChanges(a, func() {
				err := a.EnterVerificationCode(tt.code, tt.at, hasher)
				if tt.want == "" {
					require.NoError(t, err)
					return
				}
				requireDomainErr(t, err, tt.want, "")
			})
			if tt.want != "" {
				assert.Empty(t, got)
			}
		})
	}
	requireDomainErr(t, standardAccount(t, true).EnterVerificationCode(verifyCode, acctT0, hasher), CodeVerificationNotPending, "")
}

func TestResendVerificationCode_VoidsTheOldCodeAfterTheInterval(t *testing.T) {
	a := pendingAccount(t, MethodBank)
	_, err := a.ResendVerificationCode(acctT0.Add(59*time.Second), draws(1), hasher)
	de := requireDomainErr(t, err, CodeResendTooSoon, "")
	assert.Equal(t, 1, de.Details["retry_after"])

	require.Error(t, a.EnterVerificationCode("000000", acctT0, hasher))
	at := acctT0.Add(20 * time.Minute)
	code, err := a.ResendVerificationCode(at, draws(123456), hasher)
	require.NoError(t, err)
	assert.Equal(t, "123456", code)
	assert.Equal(t, MaxCodeAttempts, a.State().Verification.AttemptsLeft, "a new code restores the attempts")
	requireDomainErr(t, a.EnterVerificationCode(verifyCode, at, hasher), CodeCodeInvalid, "")
	require.NoError(t, a.EnterVerificationCode("123456", at, hasher))

	post := pendingAccount(t, MethodRussianPost)
	_, err = post.ResendVerificationCode(acctT0.Add(6*24*time.Hour), draws(1), hasher)
	requireDomainErr(t, err, CodeResendTooSoon, "")
	_, err = pendingAccount(t, MethodVideo).ResendVerificationCode(acctT0, draws(1), hasher)
	requireDomainErr(t, err, CodeMethodMismatch, "")
}

func TestRequestIdentityVerification_ESignatureIssuesATenMinuteChallenge(t *testing.T) {
	a := standardAccount(t, true)
	c, err := a.RequestIdentityVerification(MethodESignature, acctT0, idCal, bytes.NewReader(testChallenge), nil)
	require.NoError(t, err)
	assert.Equal(t, base64.StdEncoding.EncodeToString(testChallenge), c)
	got, err := a.SignatureChallenge(acctT0.Add(SignatureChallengeTTL - time.Second))
	require.NoError(t, err)
	assert.Equal(t, testChallenge, got)
	_, err = a.SignatureChallenge(acctT0.Add(SignatureChallengeTTL))
	requireDomainErr(t, err, CodeCodeExpired, "")

	fresh := bytes.Repeat([]byte{7}, ChallengeSize)
	later := acctT0.Add(time.Hour)
	c, err = a.RequestIdentityVerification(MethodESignature, later, idCal, bytes.NewReader(fresh), nil)
	require.NoError(t, err, "asking again while e_signature is pending issues a new challenge")
	assert.Equal(t, base64.StdEncoding.EncodeToString(fresh), c)
	got, err = a.SignatureChallenge(later)
	require.NoError(t, err)
	assert.Equal(t, fresh, got, "the new challenge voids the old")
	_, err = a.RequestIdentityVerification(MethodVideo, later, idCal, nil, nil)
	requireDomainErr(t, err, CodeVerificationPending, "")
}

func TestVerifyByESignature_NameValidityAndChallenge(t *testing.T) {
	valid := SignerCertificate{
		CommonName: "Каримов Алишер Рустамович", SerialNumber: "01AB", Issuer: "CN=Тестовый УЦ",
		NotBefore: acctT0.AddDate(-1, 0, 0), NotAfter: acctT0.AddDate(1, 0, 0),
	}
	tests := []struct {
		name string
		edit func(*SignerCertificate)
		at   time.Time
		code string // "" verifies
	}{
		{"a CN naming the person", func(*SignerCertificate) {}, acctT0, ""},
		{"case, ё/е and spacing are evened out", func(c *SignerCertificate) { c.CommonName = "  КАРИМОВ  алишер РУСТАМОВИЧ " }, acctT0, ""},
		{"SN and GN instead of CN", func(c *SignerCertificate) {
			c.CommonName, c.Surname, c.GivenName = "ООО Ромашка", "каримов", "Алишер Рустамович"
		}, acctT0, ""},
		{"another person", func(c *SignerCertificate) { c.CommonName = "Иванов Иван Иванович" }, acctT0, CodeCertificateNameMismatch},
		{"the name without its patronymic", func(c *SignerCertificate) { c.CommonName = "Каримов Алишер" }, acctT0, CodeCertificateNameMismatch},
		{"the words in another order", func(c *SignerCertificate) { c.CommonName = "Алишер Рустамович Каримов" }, acctT0, CodeCertificateNameMismatch},
		{"a Latin spelling is not the Russian name", func(c *SignerCertificate) { c.CommonName = "Karimov Alisher Rustamovich" }, acctT0, CodeCertificateNameMismatch},
		{"an empty subject", func(c *SignerCertificate) { c.CommonName = "" }, acctT0, CodeCertificateNameMismatch},
		{"an expired certificate", func(c *SignerCertificate) { c.NotAfter = acctT0.Add(-time.Second) }, acctT0, CodeCertificateExpired},
		{"a certificate not yet valid", func(c *SignerCertificate) { c.NotBefore = acctT0.Add(time.Second) }, acctT0, CodeCertificateExpired},
		{"an expired challenge", func(*SignerCertificate) {}, acctT0.Add(SignatureChallengeTTL), CodeCodeExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := pendingAccount(t, MethodESignature)
			cert := valid
			tt.edit(&cert)
			got := newChanges(a, func() {
				err := a.VerifyByESignature(cert, tt.at)
				if tt.code != "" {
					requireDomainErr(t, err, tt.code, "")
					return
				}
				require.NoError(t, err)
			})
			if tt.code != "" {
				assert.Empty(t, got, "a refused signature records nothing")
				assert.Equal(t, VerificationPending, a.State().Verification.Status)
				return
			}
			assert.Equal(t, []Event{IdentityVerified{
				Method: MethodESignature, By: "e_signature", CertificateSerial: cert.SerialNumber,
				CertificateIssuer: cert.Issuer, OccurredAt: tt.at,
			}}, got)
			assert.Equal(t, LevelConfirmed, a.Level())
			_, err := a.SignatureChallenge(tt.at)
			requireDomainErr(t, err, CodeVerificationNotPending, "")
		})
	}
}

func TestVerifyByESignature_NeedsAPendingESignatureRequest(t *testing.T) {
	cert := SignerCertificate{CommonName: "Каримов Алишер Рустамович", NotAfter: acctT0.Add(time.Hour)}
	requireDomainErr(t, standardAccount(t, true).VerifyByESignature(cert, acctT0), CodeVerificationNotPending, "")
	requireDomainErr(t, pendingAccount(t, MethodBank).VerifyByESignature(cert, acctT0), CodeMethodMismatch, "")
}
