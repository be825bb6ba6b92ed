package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/domain"
)

// applicant is an account that may apply for every service: confirmed,
// with a passport, a patent, a migration card and an RVP on file.
type applicant struct {
	id, token string
	docs      map[string]uuid.UUID // passport, patent, migration_card, rvp
}

// confirmedApplicant registers an account and confirms its phone over
// HTTP; then, since personal data, documents, SNILS and verification are
// the identity routes, it records them by running the domain's own decisions
// through commands.Repository on the server's store — the events those
// routes write — ending with an operator's service-centre approval.
func (ts *testServer) confirmedApplicant(phone string) applicant {
	ts.t.Helper()
	t := ts.t
	id, tok := ts.simplifiedApplicant(phone)
	today := domain.MoscowDate(time.Now())
	iso := func(d domain.Date) string { return d.String() }
	docs := map[string]uuid.UUID{"passport": newID(), "patent": newID(), "migration_card": newID(), "rvp": newID()}
	inputs := map[string]domain.DocumentInput{
		"passport": {Kind: domain.DocumentKindIdentity, Type: domain.DocForeignPassport, Series: "FA", Number: "1234567",
			IssuedAt: iso(today.AddDays(-400)), ExpiresAt: iso(today.AddDays(2000)), Issuer: "MIA Uzbekistan"},
		"patent": {Kind: domain.DocumentKindStayRight, Type: domain.DocPatent, Series: "77", Number: "2600123456",
			IssuedAt: iso(today.AddDays(-30)), ExpiresAt: iso(today.AddDays(300)), Issuer: "ГУ МВД России по г. Москве"},
		"migration_card": {Kind: domain.DocumentKindStayRight, Type: domain.DocMigrationCard, Series: "4519", Number: "1234567",
			IssuedAt: iso(today.AddDays(-3)), ExpiresAt: iso(today.AddDays(87)), Issuer: "ФСБ России"},
		"rvp": {Kind: domain.DocumentKindStayRight, Type: domain.DocTemporaryResidencePermit, Number: "77001234",
			IssuedAt: iso(today.AddDays(-60)), ExpiresAt: iso(today.AddDays(1000)), Issuer: "ГУ МВД России по г. Москве"},
	}
	scan := domain.ScanRef{BlobID: newID().String(), Size: 1 << 20, Type: domain.ScanPDF, SHA256: strings.Repeat("ab", 32)}
	snils, err := domain.ParseSnils("112-233-445 95")
	require.NoError(t, err)
	hasher, err := domain.NewHMACCodeHasher([]byte(strings.Repeat("h", 32)))
	require.NoError(t, err)
	repo := commands.NewRepository(ts.app.Store, newID)
	now := time.Now().UTC()
	md := commands.Metadata{ActorID: id, ActorRole: "citizen", CorrelationID: newID().String(), Command: "TestSetup"}
	_, err = repo.Update(context.Background(), uuid.MustParse(id), md, func(a *domain.ForeignerAccount) error {
		require.NoError(t, a.ProvidePersonalData(domain.PersonalDataInput{
			Surname: "Иванов", GivenNames: "Пётр", BirthDate: "15.03.1990",
			BirthPlace: domain.BirthPlace{Country: "UZ", City: "Ташкент"}, Citizenship: "UZ",
			AddressRU: domain.AddressRU{Region: "Москва", City: "Москва", Street: "ул. Тверская", House: "1", Flat: "12", PostalCode: "125009"},
		}, today, now))
		for name, in := range inputs {
			require.NoError(t, a.AddDocument(in, []domain.ScanRef{scan}, nil, today, docs[name], now), name)
		}
		require.NoError(t, a.LinkSnils(snils, true, "", now))
		_, err := a.RequestIdentityVerification(domain.MethodServiceCenter, now, domain.NewRussianCalendar(), rand.Reader, hasher)
		require.NoError(t, err)
		require.NoError(t, a.ApproveIdentity(domain.MethodServiceCenter, "op-setup", "originals checked", now))
		require.Equal(t, domain.LevelConfirmed, a.Level())
		return nil
	})
	require.NoError(t, err)
	return applicant{id: id, token: tok, docs: docs}
}

// simplifiedApplicant registers an account and confirms its phone over HTTP.
func (ts *testServer) simplifiedApplicant(phone string) (id, token string) {
	ts.t.Helper()
	id, tok := ts.register(phone)
	require.Equal(ts.t, http.StatusAccepted, ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/code", tok, nil).status)
	a := ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/confirm", tok, map[string]string{"code": ts.lastCode(id)})
	require.Equal(ts.t, http.StatusOK, a.status, string(a.raw))
	return id, tok
}

func (ts *testServer) operatorToken() string {
	ts.t.Helper()
	tok, err := ts.app.Issuer.Mint(principal("op-1", "operator", ""), time.Hour)
	require.NoError(ts.t, err)
	return tok
}

// attachments are the documents an application for svc attaches.
func (p applicant) attachments(svc string) []string {
	var names []string
	switch svc {
	case domain.ServiceCertificate:
	case domain.ServiceSnilsIssue:
		names = []string{"passport"}
	case domain.ServiceArrivalNotification, domain.ServicePatent, domain.ServiceWorkPermit:
		names = []string{"passport", "migration_card"}
	case domain.ServiceResidenceRegistration:
		names = []string{"passport", "rvp"}
	default:
		names = []string{"passport", "patent"}
	}
	ids := []string{}
	for _, n := range names {
		ids = append(ids, p.docs[n].String())
	}
	return ids
}

// validForm is a valid form for svc on today (Moscow).
func validForm(svc string) map[string]any {
	today := domain.MoscowDate(time.Now())
	day := func(n int) string { return today.AddDays(n).String() }
	addr := map[string]any{"region": "Москва", "city": "Москва", "street": "ул. Тверская", "house": "7", "flat": "12", "postal_code": "125009"}
	return map[string]map[string]any{
		"certificate":          {"kind": "right_to_work", "purpose": "Для работодателя"},
		"arrival_notification": {"arrival_date": day(0), "host_address": addr, "stay_until": day(90), "purpose": "work"},
		"stay_registration": {"basis": "extension", "address": addr, "host_type": "individual",
			"host_name": "Иванов Иван Иванович", "stay_from": day(0), "stay_until": day(180), "purpose": "work"},
		"residence_registration": {"address": addr, "move_in_date": day(0), "housing": "tenant", "owner_name": "Петров Пётр", "owner_consent": true},
		"patent": {"region": "Москва", "profession": "Повар", "employer_type": "organization",
			"employer_name": "ООО «Ромашка»", "employer_inn": "7707083893", "period_months": 6, "arrival_date": day(0)},
		"work_permit": {"employer_name": "ООО «Ромашка»", "employer_inn": "7707083893", "work_address": addr,
			"position": "Инженер", "contract_start": day(10), "contract_end": day(375), "highly_qualified": false},
		"rvp": {"basis": "quota", "address": addr, "marital_status": "married", "occupation": "Инженер",
			"criminal_record": false, "language_certificate": true},
		"vnzh": {"basis": "rvp_holder", "address": addr, "marital_status": "single",
			"income_source": "employment", "monthly_income": 90000, "criminal_record": false},
		"inn_issue":   {"purpose": "employment", "address": addr, "paper_copy": false},
		"snils_issue": {"address": addr, "delivery": "electronic"},
	}[svc]
}

// submit files an application for svc and returns the answer.
func (ts *testServer) submit(p applicant, svc string) answer {
	ts.t.Helper()
	return ts.do("POST", "/v1/accounts/"+p.id+"/applications", p.token, map[string]any{
		"service": svc, "form": validForm(svc), "document_ids": p.attachments(svc),
	})
}

// act sends an application action and requires the status it answers.
func (ts *testServer) act(app, action, token string, body any, want int) answer {
	ts.t.Helper()
	a := ts.do("POST", "/v1/applications/"+app+"/"+action, token, body)
	require.Equal(ts.t, want, a.status, "%s: %s", action, a.raw)
	return a
}

// pay sends a payment callback signed with the server's gateway secret.
func (ts *testServer) pay(app string, amount float64, tx string) answer {
	ts.t.Helper()
	body, err := json.Marshal(map[string]any{"amount": int64(amount), "currency": "RUB", "transaction_id": tx})
	require.NoError(ts.t, err)
	return ts.do("POST", "/v1/applications/"+app+"/payments", "", body, commands.PaymentSignatureHeader, ts.gateway().Sign(body))
}

func (ts *testServer) gateway() *commands.PaymentGateway {
	ts.t.Helper()
	secret, err := os.ReadFile(filepath.Join(ts.dataDir, commands.PaymentSecretFile))
	require.NoError(ts.t, err)
	gw, err := commands.NewPaymentGateway(secret)
	require.NoError(ts.t, err)
	return gw
}

// appState loads application app of account from its stream.
func (ts *testServer) appState(account, app string) domain.ApplicationState {
	ts.t.Helper()
	a, err := commands.NewRepository(ts.app.Store, newID).Load(context.Background(), uuid.MustParse(account))
	require.NoError(ts.t, err)
	s, ok := a.Application(uuid.MustParse(app))
	require.True(ts.t, ok, "application %s on %s", app, account)
	return s
}

func TestApplications_EveryServiceReachesApproved(t *testing.T) {
	ts := startServer(t, nil)
	p := ts.confirmedApplicant("+79160000001")
	op := ts.operatorToken()
	for i, svc := range domain.Catalog() {
		t.Run(svc.Code, func(t *testing.T) {
			sub := ts.submit(p, svc.Code)
			require.Equal(t, http.StatusCreated, sub.status, string(sub.raw))
			app := sub.body["application_id"].(string)
			assert.Regexp(t, `^\d{4}-\d{6}$`, sub.body["number"])
			assert.Equal(t, p.id, sub.body["account_id"])
			assert.NotEmpty(t, position(sub))
			if svc.Fee.IsZero() {
				assert.Equal(t, "submitted", sub.body["status"])
				assert.Equal(t, "accepted", ts.act(app, "accept", op, nil, 200).body["status"])
			} else {
				assert.Equal(t, "awaiting_payment", sub.body["status"])
				fee := sub.body["fee"].(map[string]any)
				assert.EqualValues(t, svc.Fee.Amount, fee["amount"])
				paid := ts.pay(app, fee["amount"].(float64), "tx-"+svc.Code+"-"+string(rune('a'+i)))
				require.Equal(t, http.StatusOK, paid.status, string(paid.raw))
				assert.Equal(t, "accepted", paid.body["status"])
			}
			assert.Equal(t, "in_review", ts.act(app, "start-review", op, nil, 200).body["status"])
			ok := ts.act(app, "approve", op, map[string]any{"comment": "всё в порядке"}, 200)
			assert.Equal(t, "approved", ok.body["status"])
			assert.Equal(t, "Одобрено", ok.body["status_label"])
			s := ts.appState(p.id, app)
			assert.Equal(t, domain.StatusApproved, s.Status)
			require.NotNil(t, s.Result)
			assert.Equal(t, svc.ResultType, s.Result.Type)
			assert.Equal(t, s.Number, s.Result.Number, "the result is numbered after the application")
		})
	}
}

func TestApplications_RejectionThenResubmissionThenApproval(t *testing.T) {
	ts := startServer(t, nil)
	p := ts.confirmedApplicant("+79160000002")
	op := ts.operatorToken()
	sub := ts.submit(p, domain.ServiceSnilsIssue)
	require.Equal(t, http.StatusCreated, sub.status, string(sub.raw))
	app := sub.body["application_id"].(string)
	ts.act(app, "accept", op, nil, 200)
	ts.act(app, "start-review", op, map[string]any{}, 200)
	rej := ts.act(app, "reject", op, map[string]any{
		"reasons": []string{"documents_missing"}, "comment": "нужен миграционный документ", "missing_documents": []string{"migration_card"},
	}, 200)
	assert.Equal(t, "rejected", rej.body["status"])

	form := validForm(domain.ServiceSnilsIssue)
	form["delivery"] = "post"
	re := ts.act(app, "resubmit", p.token, map[string]any{
		"form": form, "document_ids": []string{p.docs["passport"].String(), p.docs["migration_card"].String()},
	}, 200)
	assert.Equal(t, "in_review", re.body["status"])
	assert.NotEmpty(t, re.body["deadline"], "the deadline starts anew")
	ts.act(app, "approve", op, map[string]any{"result": map[string]any{"number": "СФР-000777"}}, 200)

	s := ts.appState(p.id, app)
	assert.Equal(t, domain.StatusApproved, s.Status)
	assert.Equal(t, "post", s.Form["delivery"])
	assert.Len(t, s.DocumentIDs, 2)
	assert.Equal(t, "СФР-000777", s.Result.Number)
	var trail []string
	for _, h := range s.History {
		trail = append(trail, h.Status)
	}
	assert.Equal(t, []string{"submitted", "accepted", "in_review", "rejected", "in_review", "approved"}, trail)
	assert.Equal(t, []string{"documents_missing"}, s.History[3].Reasons)
	assert.Equal(t, []string{"migration_card"}, s.History[3].MissingDocuments)
}

func TestApplications_ClarificationAnsweredReturnsToReview(t *testing.T) {
	ts := startServer(t, nil)
	p := ts.confirmedApplicant("+79160000003")
	op := ts.operatorToken()
	sub := ts.submit(p, domain.ServiceCertificate)
	require.Equal(t, http.StatusCreated, sub.status, string(sub.raw))
	app := sub.body["application_id"].(string)
	ts.act(app, "accept", op, nil, 200)
	ts.act(app, "start-review", op, nil, 200)
	cl := ts.act(app, "request-clarification", op, map[string]any{"comment": "уточните цель"}, 200)
	assert.Equal(t, "clarification_requested", cl.body["status"])
	assert.NotEmpty(t, cl.body["clarification_due"], "due defaults to working days ahead")
	ans := ts.act(app, "clarify", p.token, map[string]any{"comment": "для банка", "document_ids": []string{p.docs["passport"].String()}}, 200)
	assert.Equal(t, "in_review", ans.body["status"])
	ts.act(app, "approve", op, nil, 200)
}

func TestApplications_Withdraw(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.simplifiedApplicant("+79160000004")
	p := applicant{id: id, token: tok}
	sub := ts.submit(p, domain.ServiceCertificate)
	require.Equal(t, http.StatusCreated, sub.status, string(sub.raw))
	app := sub.body["application_id"].(string)
	w := ts.act(app, "withdraw", tok, nil, 200)
	assert.Equal(t, "withdrawn", w.body["status"])
	assert.Equal(t, "Отозвано", w.body["status_label"])
	again := ts.act(app, "withdraw", tok, nil, 422)
	assert.Equal(t, "invalid_transition", again.body["code"])
	assert.Equal(t, domain.StatusWithdrawn, ts.appState(id, app).Status)
}

func TestApplications_IllegalTransitionIs422NamingBothStatuses(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.simplifiedApplicant("+79160000005")
	sub := ts.submit(applicant{id: id, token: tok}, domain.ServiceCertificate)
	require.Equal(t, http.StatusCreated, sub.status, string(sub.raw))
	app := sub.body["application_id"].(string)
	head, err := ts.app.Store.Head(context.Background())
	require.NoError(t, err)
	a := ts.act(app, "approve", ts.operatorToken(), nil, 422)
	assert.Equal(t, "invalid_transition", a.body["code"])
	assert.Equal(t, "submitted", a.body["from"])
	assert.Equal(t, "approved", a.body["to"])
	assert.Equal(t, "application/problem+json", a.header.Get("Content-Type"))
	after, err := ts.app.Store.Head(context.Background())
	require.NoError(t, err)
	assert.Equal(t, head, after, "a refused transition writes nothing")
}
