package domain

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestApproveIdentity(t *testing.T) {
	tests := []struct {
		name     string
		account  func(*testing.T) *ForeignerAccount
		method   VerificationMethod
		operator string
		comment  string
		code     string // "" approves
		field    string
	}{
		{"at a service centre", func(t *testing.T) *ForeignerAccount { return pendingAccount(t, MethodServiceCenter) }, MethodServiceCenter, operatorID, "ok", "", ""},
		{"on a video call", func(t *testing.T) *ForeignerAccount { return pendingAccount(t, MethodVideo) }, MethodVideo, operatorID, "", "", ""},
		{"only the pending method: not a service centre for a letter", func(t *testing.T) *ForeignerAccount { return pendingAccount(t, MethodRussianPost) }, MethodServiceCenter, operatorID, "", CodeMethodMismatch, ""},
		{"only the pending method: not video for a service centre", func(t *testing.T) *ForeignerAccount { return pendingAccount(t, MethodServiceCenter) }, MethodVideo, operatorID, "", CodeMethodMismatch, ""},
		{"four eyes: not the operator who uploaded a document", func(t *testing.T) *ForeignerAccount {
			a := pendingAccount(t, MethodServiceCenter)
			in := stayInput()
			in.Type, in.Number, in.UploadedBy = DocMigrationCard, "4519000001", operatorID
			require.NoError(t, a.AddDocument(in, []ScanRef{sampleScan}, nil, idToday, otherDocID, acctT0))
			return a
		}, MethodServiceCenter, operatorID, "", CodeFourEyesRequired, ""},
		{"a bank verification is not an operator's", func(t *testing.T) *ForeignerAccount { return pendingAccount(t, MethodBank) }, MethodBank, operatorID, "", CodeMethodNotOperator, "method"},
		{"an e-signature is not an operator's", func(t *testing.T) *ForeignerAccount { return pendingAccount(t, MethodESignature) }, MethodESignature, operatorID, "", CodeMethodNotOperator, "method"},
		{"the operator is named", func(t *testing.T) *ForeignerAccount { return pendingAccount(t, MethodVideo) }, MethodVideo, " ", "", CodeRequired, "operator_id"},
		{"the comment is bounded", func(t *testing.T) *ForeignerAccount { return pendingAccount(t, MethodVideo) }, MethodVideo, operatorID, strings.Repeat("я", 2001), CodeTooLong, "comment"},
		{"nothing is pending", func(t *testing.T) *ForeignerAccount { return standardAccount(t, true) }, MethodVideo, operatorID, "", CodeVerificationNotPending, ""},
		{"already verified", confirmedAccount, MethodVideo, operatorID, "", CodeAlreadyVerified, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.account(t)
			at := acctT0.Add(time.Hour)
			got := newChanges(a, func() {
				err := a.ApproveIdentity(tt.method, tt.operator, tt.comment, at)
				if tt.code != "" {
					requireDomainErr(t, err, tt.code, tt.field)
					return
				}
				require.NoError(t, err)
			})
			if tt.code != "" {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, []Event{IdentityVerified{Method: tt.method, By: operatorID, Comment: tt.comment, OccurredAt: at}}, got)
			v := a.State().Verification
			assert.Equal(t, VerificationVerified, v.Status)
			assert.Equal(t, tt.method, v.Method)
			assert.Equal(t, operatorID, v.By)
			assert.Equal(t, LevelConfirmed, a.Level())
		})
	}
}

func TestApproveIdentity_FourEyesAnotherOperatorDecides(t *testing.T) {
	a := pendingAccount(t, MethodServiceCenter)
	in := stayInput()
	in.Type, in.Number, in.UploadedBy = DocMigrationCard, "4519000001", operatorID
	require.NoError(t, a.AddDocument(in, []ScanRef{sampleScan}, nil, idToday, otherDocID, acctT0))
	assert.Equal(t, VerificationPending, a.State().Verification.Status, "a stay-right upload is no identity edit")
	requireDomainErr(t, a.RejectIdentity([]string{ReasonScanUnreadable}, "", operatorID, acctT0), CodeFourEyesRequired, "")
	require.NoError(t, a.ApproveIdentity(MethodServiceCenter, "another-operator", "", acctT0))
	assert.Equal(t, LevelConfirmed, a.Level())
}

func TestRejectIdentity(t *testing.T) {
	tests := []struct {
		name    string
		reasons []string
		code    string
		want    []string
	}{
		{"one reason", []string{ReasonScanUnreadable}, "", []string{ReasonScanUnreadable}},
		{"every listed reason", VerificationRejectionReasons(), "", VerificationRejectionReasons()},
		{"duplicates are dropped", []string{ReasonNoLegalStay, " no_legal_stay", ReasonRegistryMismatch}, "",
			[]string{ReasonNoLegalStay, ReasonRegistryMismatch}},
		{"a reason outside the list", []string{ReasonDataMismatch, "bad_hair_day"}, CodeReasonInvalid, nil},
		{"an application-only reason", []string{ReasonFeeNotPaid}, CodeReasonInvalid, nil},
		{"no reason", nil, CodeRequired, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := pendingAccount(t, MethodVideo)
			got := newChanges(a, func() {
				err := a.RejectIdentity(tt.reasons, "the scan is blurred", operatorID, acctT0)
				if tt.code != "" {
					requireDomainErr(t, err, tt.code, "reasons")
					return
				}
				require.NoError(t, err)
			})
			if tt.code != "" {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, []Event{IdentityVerificationRejected{
				Reasons: tt.want, Comment: "the scan is blurred", By: operatorID, OccurredAt: acctT0,
			}}, got)
			v := a.State().Verification
			assert.Equal(t, VerificationRejected, v.Status)
			assert.Equal(t, tt.want, v.Reasons)
			assert.Equal(t, LevelStandard, a.Level())
		})
	}
}

func TestRejectIdentity_NeedsAPendingRequest(t *testing.T) {
	err := standardAccount(t, true).RejectIdentity([]string{ReasonDataMismatch}, "", operatorID, acctT0)
	requireDomainErr(t, err, CodeVerificationNotPending, "")
	err = confirmedAccount(t).RejectIdentity([]string{ReasonDataMismatch}, "", operatorID, acctT0)
	requireDomainErr(t, err, CodeAlreadyVerified, "")
}

func TestRejectIdentity_TheCitizenFixesDataAndRequestsAgain(t *testing.T) {
	a := pendingAccount(t, MethodVideo)
	require.NoError(t, a.RejectIdentity([]string{ReasonDataMismatch}, "the surname differs", operatorID, acctT0))
	in := validPersonalData()
	in.Surname = "Каримова"
	require.NoError(t, a.ProvidePersonalData(in, idToday, acctT0.Add(time.Hour)))
	_, err := a.RequestIdentityVerification(MethodVideo, acctT0.Add(2*time.Hour), idCal, nil, nil)
	require.NoError(t, err)
	v := a.State().Verification
	assert.Equal(t, VerificationPending, v.Status)
	assert.Empty(t, v.Reasons, "a new request clears the old rejection")
	require.NoError(t, a.ApproveIdentity(MethodVideo, operatorID, "", acctT0.Add(3*time.Hour)))
	assert.Equal(t, LevelConfirmed, a.Level())
}

func TestExtendVerificationDeadline_OnceToTenWorkingDays(t *testing.T) {
	a := pendingAccount(t, MethodServiceCenter)
	at := acctT0.Add(48 * time.Hour)
	require.NoError(t, a.ExtendVerificationDeadline(at, idCal))
	assert.Equal(t, VerificationDeadlineExtended{NewDeadline: MustDate(2026, 4, 15), OccurredAt: at}, a.Changes()[len(a.Changes())-1])
	v := a.State().Verification
	assert.True(t, v.Extended)
	assert.Equal(t, MustDate(2026, 4, 15), v.Deadline)

	requireDomainErr(t, a.ExtendVerificationDeadline(at, idCal), CodeExtensionUsed, "")
	requireDomainErr(t, standardAccount(t, true).ExtendVerificationDeadline(at, idCal), CodeVerificationNotPending, "")
}

func TestExtendVerificationDeadline_CountsHolidays(t *testing.T) {
	a := standardAccount(t, true)
	requested := time.Date(2026, 4, 30, 9, 0, 0, 0, Moscow) // Thursday before 1 and 11 May
	_, err := a.RequestIdentityVerification(MethodVideo, requested, idCal, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, MustDate(2026, 5, 8), a.State().Verification.Deadline, "Fri 1 May is a day off")
	require.NoError(t, a.ExtendVerificationDeadline(requested, idCal))
	assert.Equal(t, MustDate(2026, 5, 18), a.State().Verification.Deadline, "and so is Mon 11 May")
}
