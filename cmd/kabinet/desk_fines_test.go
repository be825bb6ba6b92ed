package main

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/domain"
)

const speedingFine = "18810177260000000011" // the simulator's fine of Каримов Азиз

// karimov registers the simulator's test person Каримов Азиз Бахтиярович
// (born 12.03.1990), who has fines.
func (ts *testServer) karimov(phone string, clk *testClock) (id, token string) {
	ts.t.Helper()
	id, token = ts.simplifiedApplicant(phone)
	ts.record(id, clk, func(a *domain.ForeignerAccount, now time.Time, today domain.Date) error {
		return a.ProvidePersonalData(domain.PersonalDataInput{Surname: "Каримов", GivenNames: "Азиз", Patronymic: "Бахтиярович",
			BirthDate: "12.03.1990", BirthPlace: domain.BirthPlace{Country: "UZ", City: "Ташкент"}, Citizenship: "UZ",
			AddressRU: domain.AddressRU{Region: "Москва", City: "Москва", Street: "ул. Тверская", House: "1", PostalCode: "125009"}}, today, now)
	})
	return id, token
}

func (ts *testServer) payFine(account, fine string, amount int64, tx string) answer {
	ts.t.Helper()
	body, err := json.Marshal(map[string]any{"amount": amount, "currency": "RUB", "transaction_id": tx})
	require.NoError(ts.t, err)
	return ts.do("POST", "/v1/accounts/"+account+"/fines/"+fine+"/payments", "", body, commands.PaymentSignatureHeader, ts.gateway().Sign(body))
}

func fineByID(t *testing.T, a answer, id string) map[string]any {
	t.Helper()
	for _, it := range a.body["items"].([]any) {
		if f := it.(map[string]any); f["fine_id"] == id {
			return f
		}
	}
	t.Fatalf("no fine %s in %s", id, a.raw)
	return nil
}

func TestFines_FromTheRegistryPaidThroughTheSignedCallback(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *testServer, clk *testClock) {
		id, tok := ts.karimov("+79164440001", clk)
		l := ts.do("GET", "/v1/accounts/"+id+"/fines", tok, nil)
		require.Equal(t, http.StatusOK, l.status, string(l.raw))
		require.Len(t, l.body["items"], 2, "the simulator's fine and debt of this person")
		assert.Equal(t, "unpaid", fineByID(t, l, speedingFine)["status"])

		p := ts.payFine(id, speedingFine, 50000, "tx-fine-1")
		require.Equal(t, http.StatusOK, p.status, string(p.raw))
		assert.Equal(t, "paid", p.body["status"])
		assert.Equal(t, "paid", fineByID(t, ts.do("GET", "/v1/accounts/"+id+"/fines", tok, nil), speedingFine)["status"])
		assert.Equal(t, "paid", ts.payFine(id, speedingFine, 50000, "tx-fine-1").body["status"], "a redelivery answers alike")

		body := []byte(`{"amount":50000,"currency":"RUB","transaction_id":"tx-fine-x"}`)
		bad := ts.do("POST", "/v1/accounts/"+id+"/fines/"+speedingFine+"/payments", "", body, commands.PaymentSignatureHeader, "sha256=00")
		assert.Equal(t, http.StatusUnauthorized, bad.status, "an unsigned callback pays nothing")
		assert.Equal(t, "fine_not_found", ts.payFine(id, "00000000000000000000", 100, "tx-fine-2").body["code"])
		assert.Equal(t, http.StatusConflict, ts.payFine(id, "18209965260000000029", 123456, "tx-fine-1").status, "one transaction pays one thing")

		other, otherTok := ts.simplifiedApplicant("+79164440002")
		assert.Equal(t, http.StatusNotFound, ts.do("GET", "/v1/accounts/"+id+"/fines", otherTok, nil).status)
		none := ts.do("GET", "/v1/accounts/"+other+"/fines", otherTok, nil)
		assert.Empty(t, none.body["items"], "someone who is not a test person has none")
		assert.Equal(t, http.StatusNotFound, ts.do("GET", "/v1/accounts/"+id+"/fines", ts.staffToken("operator", "op-1"), nil).status)
	})
}

func TestFines_ARefusedPaymentIsReturnedWithinThreeToFiveWorkingDays(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *testServer, clk *testClock) {
		id, _ := ts.karimov("+79164440003", clk)
		require.Equal(t, "paid", ts.payFine(id, speedingFine, 50000, "tx-r-1").body["status"])
		second := ts.payFine(id, speedingFine, 50000, "tx-r-2")
		require.Equal(t, http.StatusOK, second.status, string(second.raw))
		assert.Equal(t, "refund_pending", second.body["status"])
		assert.Equal(t, "already_paid", second.body["reason"])
		wrong := ts.payFine(id, "18209965260000000029", 100, "tx-r-3")
		assert.Equal(t, "refund_pending", wrong.body["status"])
		assert.Equal(t, "amount_mismatch", wrong.body["reason"])
		cal := domain.NewRussianCalendar()
		today := domain.MoscowDate(clk.Now())
		assert.Equal(t, cal.AddWorkingDays(today, 5).String(), second.body["refund_due"])

		refund := func() map[string]any {
			require.NoError(t, ts.app.Scheduler.RunAt(context.Background(), clk.Now()))
			f := fineByID(t, ts.do("GET", "/v1/accounts/"+id+"/fines", ts.citizenToken(id), nil), speedingFine)
			return f["payments"].([]any)[1].(map[string]any)
		}
		clk.Set(cal.AddWorkingDays(today, 2).Time(domain.Moscow).Add(12 * time.Hour))
		assert.Equal(t, "refund_pending", refund()["status"], "not before 3 working days")
		clk.Set(cal.AddWorkingDays(today, 3).Time(domain.Moscow).Add(12 * time.Hour))
		assert.Equal(t, "refunded", refund()["status"], "the scheduler returns it")
		assert.Equal(t, "refunded", refund()["status"], "once")
	})
}
