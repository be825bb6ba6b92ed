// Package projtest drives accounts through the whole domain — contacts,
// personal data, documents, SNILS and INN, identity verification,
// notification preferences and applications — by the domain's own
// decisions, so the read models' tests see histories real users make.
package projtest

import (
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
)

// Start is when scripted traffic begins (a Wednesday, 12:00 Moscow).
var Start = time.Date(2026, 4, 15, 9, 0, 0, 0, time.UTC)

// Step is how far the clock moves per scripted step: 400 steps span about
// five and a half days, so deadlines pass and documents expire.
const Step = 20 * time.Minute

var (
	cal      = domain.NewRussianCalendar()
	operator = domain.Actor{ID: "7c9e6679-7425-40de-944b-e07fc1f90ae7", Role: "operator"}
	gateway  = domain.Actor{ID: "gateway", Role: "payment_gateway"}
	system   = domain.Actor{ID: "system", Role: "system"}
	numbers  atomic.Int64
)

// account is what the script remembers of one account.
type account struct {
	id    uuid.UUID
	codes map[domain.Channel]string
	apps  []uuid.UUID
	docs  []uuid.UUID
}

// Traffic registers accounts and then runs steps random decisions on them
// (most are refused now and then, as real requests are), returning the
// account ids. seed fixes the sequence of decisions.
func Traffic(t testing.TB, store eventstore.Store, accounts, steps int, seed uint64) []uuid.UUID {
	t.Helper()
	ctx := context.Background()
	rnd := mrand.New(mrand.NewPCG(seed, seed^0x9e3779b9))
	rp := repo{store: store}
	hasher, err := domain.NewHMACCodeHasher([]byte("test-key-test-key-test-key-12345"))
	require.NoError(t, err)
	now := Start
	accs := make([]*account, accounts)
	ids := make([]uuid.UUID, accounts)
	for i := range accs {
		id := uuid.Must(uuid.NewV7())
		n := numbers.Add(1)
		a, err := domain.Register(id, domain.Registration{Consent: domain.CurrentConsent(),
			Surname: "Каримов", GivenNames: "Алишер", Citizenship: "UZ",
			Phone: fmt.Sprintf("+79%09d", n%1_000_000_000), Email: fmt.Sprintf("p%d@example.com", n),
		}, now)
		require.NoError(t, err)
		require.NoError(t, rp.create(ctx, a, meta("citizen", "RegisterAccount")))
		accs[i], ids[i] = &account{id: id, codes: map[domain.Channel]string{}}, id
	}
	for s := 0; s < steps; s++ {
		now = now.Add(Step)
		acc := accs[rnd.IntN(len(accs))]
		rp.update(ctx, t, acc.id, func(a *domain.ForeignerAccount) ([]byte, error) {
			action, app := journey(a, acc, rnd)
			if rnd.IntN(4) == 0 {
				action = pick(rnd) // now and then, anything at all
			}
			role := "citizen"
			if strings.HasPrefix(action, "op_") {
				role = "operator"
			}
			return meta(role, action), step(a, acc, action, app, rnd, now, hasher)
		})
	}
	return ids
}

// actions are the script's decisions with their weights.
var actions = []struct {
	name   string
	weight int
}{
	{"request_code", 4}, {"confirm_code", 4}, {"wrong_code", 1},
	{"personal_data", 3}, {"passport", 3}, {"stay_document", 3},
	{"snils", 3}, {"snils_rejected", 1}, {"inn", 2}, {"preferences", 2},
	{"request_verification", 3}, {"op_approve_identity", 2}, {"op_reject_identity", 1},
	{"op_extend_deadline", 1}, {"expire_documents", 3},
	{"submit_certificate", 3}, {"submit_stay_registration", 3}, {"pay", 3},
	{"op_accept", 3}, {"op_start_review", 3}, {"op_request_clarification", 2},
	{"clarify", 2}, {"op_approve", 2}, {"op_reject", 2}, {"resubmit", 2},
	{"withdraw", 1}, {"timeout_clarification", 1}, {"edit", 1},
}

// journey is what a person would most likely do next: confirm a contact,
// fill in the data, get verified, then apply and see applications through.
func journey(a *domain.ForeignerAccount, acc *account, rnd *mrand.Rand) (string, uuid.UUID) {
	s := a.State()
	switch {
	case s.Level.IsZero():
		return "confirm_phone", uuid.Nil
	case s.PersonalData == nil:
		return "personal_data", uuid.Nil
	case !hasDoc(s, domain.DocumentKindIdentity):
		return "passport", uuid.Nil
	case !s.StayValid:
		return "stay_document", uuid.Nil
	case s.Snils.IsZero():
		return "snils", uuid.Nil
	case s.Verification.Status == domain.VerificationPending:
		return []string{"op_approve_identity", "op_approve_identity", "op_reject_identity", "op_extend_deadline"}[rnd.IntN(4)], uuid.Nil
	case s.Verification.Status != domain.VerificationVerified:
		return "request_verification", uuid.Nil
	}
	if len(acc.apps) == 0 || rnd.IntN(4) == 0 {
		return []string{"submit_certificate", "submit_stay_registration"}[rnd.IntN(2)], uuid.Nil
	}
	id := acc.apps[rnd.IntN(len(acc.apps))]
	app, _ := a.Application(id)
	next := map[string][]string{
		domain.StatusSubmitted:              {"op_accept", "op_accept", "op_reject", "withdraw", "edit"},
		domain.StatusAwaitingPayment:        {"pay"},
		domain.StatusAccepted:               {"op_start_review"},
		domain.StatusInReview:               {"op_approve", "op_reject", "op_request_clarification"},
		domain.StatusClarificationRequested: {"clarify", "clarify", "timeout_clarification"},
		domain.StatusRejected:               {"resubmit"},
	}[app.Status]
	if len(next) == 0 {
		return "submit_certificate", uuid.Nil
	}
	return next[rnd.IntN(len(next))], id
}

func hasDoc(s domain.AccountState, kind string) bool {
	for _, d := range s.Documents {
		if d.Kind == kind && !d.Expired {
			return true
		}
	}
	return false
}

func pick(rnd *mrand.Rand) string {
	total := 0
	for _, a := range actions {
		total += a.weight
	}
	n := rnd.IntN(total)
	for _, a := range actions {
		if n -= a.weight; n < 0 {
			return a.name
		}
	}
	return actions[0].name
}

func meta(role, command string) []byte {
	return []byte(`{"actor_id":"` + role + `-1","actor_role":"` + role + `","correlation_id":"projtest","command":"` + command + `"}`)
}

// step runs one decision of the script on a.
func step(a *domain.ForeignerAccount, acc *account, action string, app uuid.UUID, rnd *mrand.Rand, now time.Time, h domain.CodeHasher) error {
	today := domain.MoscowDate(now)
	citizen := domain.Actor{ID: acc.id.String(), Role: "citizen"}
	ch := domain.ChannelPhone
	if rnd.IntN(2) == 0 {
		ch = domain.ChannelEmail
	}
	if app == uuid.Nil && len(acc.apps) > 0 {
		app = acc.apps[rnd.IntN(len(acc.apps))]
	}
	switch action {
	case "request_code":
		c, err := a.RequestContactCode(ch, now, rand.Reader, h)
		if err == nil {
			acc.codes[ch] = c
		}
		return err
	case "confirm_code":
		return a.ConfirmContact(ch, acc.codes[ch], now, h)
	case "confirm_phone":
		// Codes live 15 minutes and the script's clock moves faster:
		// ask for one and type it in at once.
		c, err := a.RequestContactCode(domain.ChannelPhone, now, rand.Reader, h)
		if err != nil {
			return err
		}
		return a.ConfirmContact(domain.ChannelPhone, c, now, h)
	case "wrong_code":
		return a.ConfirmContact(ch, "000000", now, h)
	case "personal_data":
		return a.ProvidePersonalData(personalData(rnd.IntN(4) == 0), today, now)
	case "passport":
		return addDocument(a, acc, domain.DocumentInput{
			Kind: domain.DocumentKindIdentity, Type: domain.DocForeignPassport, Series: "FA",
			Number: fmt.Sprintf("%07d", rnd.IntN(1e7)), IssuedAt: "2020-01-10", ExpiresAt: "2030-01-09", Issuer: "MIA Uzbekistan",
		}, today, now)
	case "stay_document":
		// Most residence permits here run out within the script, so
		// DocumentExpired (and the level drop it brings) happens.
		expires := today.AddDays(1 + rnd.IntN(4))
		if rnd.IntN(3) == 0 {
			expires = domain.MustDate(2026, 12, 31)
		}
		return addDocument(a, acc, domain.DocumentInput{
			Kind: domain.DocumentKindStayRight, Type: domain.DocTemporaryResidencePermit, Series: "77",
			Number: fmt.Sprintf("26%08d", rnd.IntN(1e8)), IssuedAt: "2026-02-01", ExpiresAt: expires.String(),
			Issuer: "ГУ МВД России по г. Москве",
		}, today, now)
	case "snils":
		return a.LinkSnils(mustSnils("112-233-445 95"), true, "", now)
	case "snils_rejected":
		return a.LinkSnils(mustSnils("112-233-445 95"), false, "registry_mismatch", now)
	case "inn":
		inn, _ := domain.ParseInn("500100732259")
		return a.LinkInn(inn, true, now)
	case "preferences":
		freqs := []string{domain.FrequencyImmediate, domain.FrequencyImmediate, domain.FrequencyDaily, domain.FrequencyWeekly}
		return a.SetNotificationPreferences(domain.NotificationPreferences{
			Email: rnd.IntN(3) > 0, SMS: rnd.IntN(3) > 0, Push: rnd.IntN(2) == 0,
			Frequency: freqs[rnd.IntN(len(freqs))], DisableAll: rnd.IntN(6) == 0,
		}, now)
	case "request_verification":
		_, err := a.RequestIdentityVerification(domain.MethodServiceCenter, now, cal, rand.Reader, h)
		return err
	case "op_approve_identity":
		return a.ApproveIdentity(domain.MethodServiceCenter, operator.ID, "originals checked", now)
	case "op_reject_identity":
		return a.RejectIdentity([]string{"data_mismatch"}, "the name differs from the passport", operator.ID, now)
	case "op_extend_deadline":
		return a.ExtendVerificationDeadline(now, cal)
	case "expire_documents":
		return a.ExpireDocuments(today, now)
	}
	return applicationStep(a, acc, action, app, citizen, now, today)
}

// applicationStep runs one decision about an application.
func applicationStep(a *domain.ForeignerAccount, acc *account, action string, app uuid.UUID, citizen domain.Actor, now time.Time, today domain.Date) error {
	switch action {
	case "submit_certificate", "submit_stay_registration":
		id := uuid.Must(uuid.NewV7())
		in := domain.SubmitInput{ApplicationID: id, Number: fmt.Sprintf("2026-%06d", numbers.Add(1)%1_000_000),
			Service: domain.ServiceCertificate, Form: map[string]any{"kind": "right_to_work", "purpose": "Для работодателя"}}
		if action == "submit_stay_registration" {
			in.Service, in.Form, in.DocumentIDs = domain.ServiceStayRegistration, stayForm(today), validDocs(a, today)
		}
		err := a.SubmitApplication(in, citizen, now, today, cal)
		if err == nil {
			acc.apps = append(acc.apps, id)
		}
		return err
	case "pay":
		return a.PayFee(app, 100000, domain.CurrencyRUB, "tx-"+app.String(), gateway, now, today, cal)
	case "op_accept":
		return a.AcceptApplication(app, operator, now)
	case "op_start_review":
		return a.StartReview(app, operator, now)
	case "op_request_clarification":
		return a.RequestClarification(app, "Уточните адрес", cal.AddWorkingDays(today, 2), operator, now, today)
	case "clarify":
		return a.ProvideClarification(app, "Адрес уточнён", nil, citizen, now, today, cal)
	case "op_approve":
		return a.ApproveApplication(app, domain.ResultDocument{Number: "R-" + app.String()[:8]}, "", operator, now)
	case "op_reject":
		return a.RejectApplication(app, []string{domain.ReasonDocumentsMissing}, "Нет скана",
			[]string{"stay_right_document"}, operator, now)
	case "resubmit":
		return a.ResubmitApplication(app, nil, nil, citizen, now, today, cal)
	case "edit":
		s, _ := a.Application(app)
		return a.EditApplication(app, s.Form, nil, citizen, now, today, cal)
	case "withdraw":
		return a.WithdrawApplication(app, citizen, now)
	case "timeout_clarification":
		return a.TimeoutClarification(app, system, now, today)
	}
	return fmt.Errorf("projtest: unknown action %s", action)
}

func addDocument(a *domain.ForeignerAccount, acc *account, in domain.DocumentInput, today domain.Date, now time.Time) error {
	id := uuid.Must(uuid.NewV7())
	scan := domain.ScanRef{BlobID: uuid.NewString(), Size: 1 << 20, Type: domain.ScanPDF, SHA256: strings.Repeat("ab", 32)}
	err := a.AddDocument(in, []domain.ScanRef{scan}, nil, today, id, now)
	if err == nil {
		acc.docs = append(acc.docs, id)
	}
	return err
}

// validDocs are the documents in force an application attaches.
func validDocs(a *domain.ForeignerAccount, today domain.Date) []uuid.UUID {
	var ids []uuid.UUID
	for _, d := range a.State().Documents {
		if d.IsValidOn(today) {
			ids = append(ids, d.ID)
		}
	}
	return ids
}

func stayForm(today domain.Date) map[string]any {
	return map[string]any{
		"basis": "extension", "host_type": "individual", "host_name": "Иванов Иван Иванович",
		"address":   map[string]any{"region": "Москва", "city": "Москва", "street": "ул. Тверская", "house": "7", "flat": "12", "postal_code": "125009"},
		"stay_from": today.AddDays(-10).String(), "stay_until": today.AddDays(120).String(), "purpose": "work",
	}
}

// personalData is a complete form; other spells the name differently, so
// providing it after verification resets the verification.
func personalData(other bool) domain.PersonalDataInput {
	given := "Алишер"
	if other {
		given = "Алишер Рустам"
	}
	return domain.PersonalDataInput{
		Surname: "Каримов", GivenNames: given, Patronymic: "Рустамович", BirthDate: "15.03.1990",
		BirthPlace: domain.BirthPlace{Country: "UZ", City: "Ташкент"}, Citizenship: "UZ",
		AddressRU: domain.AddressRU{Region: "Москва", City: "Москва", Street: "ул. Тверская", House: "1", Flat: "12", PostalCode: "125009"},
	}
}

func mustSnils(s string) domain.Snils {
	v, err := domain.ParseSnils(s)
	if err != nil {
		panic(err)
	}
	return v
}
