package domain

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

var (
	idToday     = MoscowDate(acctT0) // 2026-04-01, a Wednesday
	idCal       = NewRussianCalendar()
	passportID  = uuid.MustParse("11111111-1111-4111-8111-111111111111")
	stayID      = uuid.MustParse("22222222-2222-4222-8222-222222222222")
	otherDocID  = uuid.MustParse("33333333-3333-4333-8333-333333333333")
	validSnils  = mustSnils("112-233-445 95")
	validInn    = mustInn("500100732259")
	sampleScan  = ScanRef{BlobID: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", Size: 1 << 20, Type: ScanPDF, SHA256: strings.Repeat("ab", 32)}
	operatorID  = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	verifyCode  = "424242"
	verifyDraws = uint32(424242)
	// testChallenge is the e_signature challenge pendingAccount issues.
	testChallenge = bytes.Repeat([]byte{0x5a}, ChallengeSize)
)

func mustSnils(s string) Snils {
	v, err := ParseSnils(s)
	if err != nil {
		panic(err)
	}
	return v
}

func mustInn(s string) Inn {
	v, err := ParseInn(s)
	if err != nil {
		panic(err)
	}
	return v
}

// validPersonalData is a complete form for the registered Каримов.
func validPersonalData() PersonalDataInput {
	return PersonalDataInput{
		Surname: "Каримов", GivenNames: "Алишер", Patronymic: "Рустамович",
		BirthDate:   "15.03.1990",
		BirthPlace:  BirthPlace{Country: "uz", City: "Ташкент"},
		Citizenship: "UZ",
		AddressRU: AddressRU{
			Region: "Москва", City: "Москва", Street: "ул. Тверская", House: "1", Flat: "12", PostalCode: "125009",
		},
	}
}

func passportInput() DocumentInput {
	return DocumentInput{
		Kind: DocumentKindIdentity, Type: DocForeignPassport, Series: "FA", Number: "1234 567",
		IssuedAt: "2020-01-10", ExpiresAt: "2030-01-09", Issuer: "MIA Uzbekistan",
	}
}

func stayInput() DocumentInput {
	return DocumentInput{
		Kind: DocumentKindStayRight, Type: DocTemporaryResidencePermit, Series: "77", Number: "2600123456",
		IssuedAt: "2026-02-01", ExpiresAt: "2026-12-31", Issuer: "ГУ МВД России по г. Москве",
	}
}

// simplifiedAccount is registered with a confirmed phone.
func simplifiedAccount(t *testing.T) *ForeignerAccount {
	t.Helper()
	a := registered(t)
	code := requestCode(t, a, ChannelPhone, acctT0)
	require.NoError(t, a.ConfirmContact(ChannelPhone, code, acctT0, hasher))
	return a
}

// standardAccount has personal data, a passport and a SNILS; with stay it
// also has a patent, so verification may be requested.
func standardAccount(t *testing.T, stay bool) *ForeignerAccount {
	t.Helper()
	a := simplifiedAccount(t)
	require.NoError(t, a.ProvidePersonalData(validPersonalData(), idToday, acctT0))
	require.NoError(t, a.AddDocument(passportInput(), []ScanRef{sampleScan}, nil, idToday, passportID, acctT0))
	require.NoError(t, a.LinkSnils(validSnils, true, "", acctT0))
	if stay {
		require.NoError(t, a.AddDocument(stayInput(), []ScanRef{sampleScan}, nil, idToday, stayID, acctT0))
	}
	return a
}

// pendingAccount has a verification by m pending (code methods with verifyCode).
func pendingAccount(t *testing.T, m VerificationMethod) *ForeignerAccount {
	t.Helper()
	a := standardAccount(t, true)
	var rnd io.Reader = draws(verifyDraws)
	if m == MethodESignature {
		rnd = bytes.NewReader(testChallenge)
	}
	_, err := a.RequestIdentityVerification(m, acctT0, idCal, rnd, hasher)
	require.NoError(t, err)
	return a
}

// confirmedAccount is verified at a service centre.
func confirmedAccount(t *testing.T) *ForeignerAccount {
	t.Helper()
	a := pendingAccount(t, MethodServiceCenter)
	require.NoError(t, a.ApproveIdentity(MethodServiceCenter, operatorID, "originals checked", acctT0.Add(time.Hour)))
	require.Equal(t, LevelConfirmed, a.Level())
	return a
}

// newChanges returns the events recorded by fn.
func newChanges(a *ForeignerAccount, fn func()) []Event {
	before := len(a.Changes())
	fn()
	return a.Changes()[before:]
}

func typesOf(events []Event) []string {
	out := []string{}
	for _, e := range events {
		out = append(out, e.EventType())
	}
	return out
}
