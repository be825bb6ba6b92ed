package main

import (
	"bytes"
	"fmt"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
)

const visitOffice = "mfc-tverskoy" // every day, 15-minute slots

// freeSlots lists the office's free slots days ahead (Moscow day).
func (ts *testServer) freeSlots(clk *testClock, days int, minPos string) []string {
	ts.t.Helper()
	day := domain.MoscowDate(clk.Now()).AddDays(days)
	a := ts.do("GET", "/v1/offices/"+visitOffice+"/slots?date="+day.String(), "", nil, "X-Kabinet-Min-Position", minPos)
	require.Equal(ts.t, http.StatusOK, a.status, string(a.raw))
	var out []string
	for _, it := range a.body["items"].([]any) {
		out = append(out, it.(map[string]any)["slot"].(string))
	}
	return out
}

func (ts *testServer) book(account, token, slot, purpose string, docs []string) answer {
	ts.t.Helper()
	if docs == nil {
		docs = []string{}
	}
	return ts.do("POST", "/v1/accounts/"+account+"/appointments", token, map[string]any{
		"office_id": visitOffice, "slot": slot, "purpose": purpose, "document_ids": docs,
	})
}

func TestAppointments_FiftyClientsForOneSlotExactlyOneWins(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *testServer, clk *testClock) {
		slot := ts.freeSlots(clk, 2, "")[4]
		type client struct{ id, token string }
		clients := make([]client, 50)
		for i := range clients {
			clients[i].id, clients[i].token = ts.register(fmt.Sprintf("+7916222%04d", i))
		}
		statuses := make([]answer, len(clients))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				statuses[i] = ts.book(c.id, c.token, slot, domain.ServiceCertificate, nil)
			}()
		}
		close(start)
		wg.Wait()
		won, taken := 0, 0
		last := ""
		for _, a := range statuses {
			switch a.status {
			case http.StatusCreated:
				won++
				last = position(a)
			case http.StatusConflict:
				taken++
				assert.Equal(t, "slot_taken", a.body["code"])
			default:
				t.Errorf("unexpected answer %d: %s", a.status, a.raw)
			}
		}
		assert.Equal(t, 1, won, "exactly one client books the slot")
		assert.Equal(t, 49, taken, "everyone else is told slot_taken")
		assert.NotContains(t, ts.freeSlots(clk, 2, last), slot, "the slot is no longer offered")
	})
}

func TestAppointments_DocumentsCheckedThenReadyWithASignedTicket(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *testServer, clk *testClock) {
		p := ts.confirmedApplicant("+79162220101")
		slots := ts.freeSlots(clk, 2, "")
		missing := ts.book(p.id, p.token, slots[0], domain.ServiceArrivalNotification, []string{p.docs["passport"].String()})
		require.Equal(t, http.StatusUnprocessableEntity, missing.status, string(missing.raw))
		assert.Equal(t, "documents_missing", missing.body["code"])
		assert.Contains(t, slots, ts.freeSlots(clk, 2, "")[0], "a refused booking holds no slot")

		a := ts.book(p.id, p.token, slots[0], domain.ServiceArrivalNotification, []string{p.docs["passport"].String(), p.docs["migration_card"].String()})
		require.Equal(t, http.StatusCreated, a.status, string(a.raw))
		assert.Equal(t, "ready_for_visit", a.body["status"])
		assert.Regexp(t, regexp.MustCompile(`^A-\d{4}-\d{6}$`), a.body["ticket"])
		ap := a.body["appointment_id"].(string)

		g := ts.do("GET", "/v1/appointments/"+ap, p.token, nil, "X-Kabinet-Min-Position", position(a))
		require.Equal(t, http.StatusOK, g.status, string(g.raw))
		ref := g.body["reference"].(string)
		img := ts.do("GET", "/v1/appointments/"+ap+"/ticket.png", p.token, nil)
		require.Equal(t, http.StatusOK, img.status)
		assert.Equal(t, "image/png", img.header.Get("Content-Type"))
		_, err := png.Decode(bytes.NewReader(img.raw))
		require.NoError(t, err, "the QR code is a PNG")

		check := func(ref string) answer { return ts.do("GET", "/v1/tickets/verify?ref="+url.QueryEscape(ref), "", nil) }
		v := check(ref)
		assert.Equal(t, true, v.body["valid"], string(v.raw))
		assert.Equal(t, a.body["ticket"], v.body["ticket"])
		forged := strings.Replace(ref, ref[len(ref)-6:], "AAAAAA", 1)
		assert.Equal(t, "signature_invalid", check(forged).body["reason"])
		assert.NotContains(t, ts.freeSlots(clk, 2, position(a)), slots[0])

		mv := ts.do("POST", "/v1/appointments/"+ap+"/reschedule", p.token, map[string]any{"slot": slots[3]})
		require.Equal(t, http.StatusOK, mv.status, string(mv.raw))
		waitFor(t, func() bool { return check(ref).body["reason"] == "rescheduled" }, "the old ticket names the old slot")
		g = ts.do("GET", "/v1/appointments/"+ap, p.token, nil, "X-Kabinet-Min-Position", position(mv))
		moved := g.body["reference"].(string)
		assert.Equal(t, true, check(moved).body["valid"])
		assert.Contains(t, ts.freeSlots(clk, 2, position(mv)), slots[0], "the old slot is free again")

		cn := ts.do("POST", "/v1/appointments/"+ap+"/cancel", p.token, nil)
		require.Equal(t, http.StatusOK, cn.status, string(cn.raw))
		assert.Equal(t, "cancelled", cn.body["status"])
		waitFor(t, func() bool { return check(moved).body["reason"] == "cancelled" }, "a cancelled ticket is refused")
		other, otherTok := ts.register("+79162220102")
		assert.Equal(t, http.StatusCreated, ts.book(other, otherTok, slots[3], domain.ServiceCertificate, nil).status, "the freed slot can be booked")

		n := ts.do("GET", "/v1/accounts/"+p.id+"/notifications", p.token, nil, "X-Kabinet-Min-Position", position(cn))
		var titles []string
		for _, it := range n.body["items"].([]any) {
			m := it.(map[string]any)
			if m["kind"] == "appointment" {
				titles = append(titles, m["title"].(string))
				assert.Contains(t, m["channels"], "sms", "confirmations go by SMS")
			}
		}
		assert.ElementsMatch(t, []string{"Запись подтверждена: талон " + a.body["ticket"].(string), "Запись перенесена", "Запись отменена"}, titles)
	})
}

func TestAppointments_CancelAndRescheduleOnlyUntilTheSlot(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *testServer, clk *testClock) {
		id, tok := ts.register("+79162220201")
		slots := ts.freeSlots(clk, 1, "")
		a := ts.book(id, tok, slots[0], domain.ServiceCertificate, nil)
		require.Equal(t, http.StatusCreated, a.status, string(a.raw))
		ap := a.body["appointment_id"].(string)
		at, err := time.Parse(time.RFC3339, slots[0])
		require.NoError(t, err)
		clk.Set(at.Add(time.Minute))
		tok = ts.citizenToken(id)
		c := ts.do("POST", "/v1/appointments/"+ap+"/cancel", tok, nil)
		assert.Equal(t, http.StatusUnprocessableEntity, c.status)
		assert.Equal(t, "appointment_started", c.body["code"])
		r := ts.do("POST", "/v1/appointments/"+ap+"/reschedule", tok, map[string]any{"slot": slots[len(slots)-1]})
		assert.Equal(t, "appointment_started", r.body["code"])
	})
}

func TestAppointments_ServiceCentreIdentityVerificationIsBookedThisWay(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *testServer, clk *testClock) {
		id, tok := ts.simplifiedApplicant("+79162220301")
		passport, patent, card := newID(), newID(), newID()
		scan := domain.ScanRef{BlobID: newID().String(), Size: 1 << 20, Type: domain.ScanPDF, SHA256: strings.Repeat("ab", 32)}
		snils, err := domain.ParseSnils("112-233-445 95")
		require.NoError(t, err)
		ts.record(id, clk, func(a *domain.ForeignerAccount, now time.Time, today domain.Date) error {
			require.NoError(t, a.ProvidePersonalData(domain.PersonalDataInput{Surname: "Иванов", GivenNames: "Пётр", BirthDate: "15.03.1990",
				BirthPlace: domain.BirthPlace{Country: "UZ", City: "Ташкент"}, Citizenship: "UZ",
				AddressRU: domain.AddressRU{Region: "Москва", City: "Москва", Street: "ул. Тверская", House: "1", PostalCode: "125009"}}, today, now))
			require.NoError(t, a.AddDocument(domain.DocumentInput{Kind: domain.DocumentKindIdentity, Type: domain.DocForeignPassport, Series: "FA",
				Number: "7654321", IssuedAt: today.AddDays(-400).String(), ExpiresAt: today.AddDays(2000).String(), Issuer: "MIA"}, []domain.ScanRef{scan}, nil, today, passport, now))
			require.NoError(t, a.AddDocument(domain.DocumentInput{Kind: domain.DocumentKindStayRight, Type: domain.DocPatent, Series: "77",
				Number: "2600999999", IssuedAt: today.AddDays(-30).String(), ExpiresAt: today.AddDays(300).String(), Issuer: "ГУ МВД"}, []domain.ScanRef{scan}, nil, today, patent, now))
			require.NoError(t, a.AddDocument(domain.DocumentInput{Kind: domain.DocumentKindStayRight, Type: domain.DocMigrationCard, Series: "4519",
				Number: "7654321", IssuedAt: today.AddDays(-3).String(), ExpiresAt: today.AddDays(87).String(), Issuer: "ФСБ России"}, []domain.ScanRef{scan}, nil, today, card, now))
			return a.LinkSnils(snils, true, "", now)
		})
		offices := ts.do("GET", "/v1/offices?service=identity_verification", "", nil)
		require.Equal(t, http.StatusOK, offices.status)
		assert.NotEmpty(t, offices.body["items"])
		a := ts.book(id, tok, ts.freeSlots(clk, 1, "")[0], domain.PurposeIdentityVerification, []string{passport.String(), patent.String()})
		require.Equal(t, http.StatusCreated, a.status, string(a.raw))
		c := ts.do("GET", "/v1/accounts/"+id+"/cabinet", tok, nil, "X-Kabinet-Min-Position", position(a))
		require.Equal(t, http.StatusOK, c.status, string(c.raw))
		v := c.body["identity_verification"].(map[string]any)
		assert.Equal(t, "pending", v["status"])
		assert.Equal(t, "service_center", v["method"])
	})
}

func TestAppointments_RolesAndBadInput(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *testServer, clk *testClock) {
		id, tok := ts.register("+79162220401")
		_, otherTok := ts.register("+79162220402")
		slots := ts.freeSlots(clk, 1, "")
		a := ts.book(id, tok, slots[0], domain.ServiceCertificate, nil)
		require.Equal(t, http.StatusCreated, a.status)
		ap := a.body["appointment_id"].(string)
		op := ts.staffToken("operator", "op-1")
		for name, c := range map[string]struct {
			method, path, token string
			body                any
			status              int
			code                string
		}{
			"another citizen cancels":   {"POST", "/v1/appointments/" + ap + "/cancel", otherTok, nil, 404, ""},
			"another citizen's ticket":  {"GET", "/v1/appointments/" + ap + "/ticket.png", otherTok, nil, 404, ""},
			"an operator books":         {"POST", "/v1/accounts/" + id + "/appointments", op, map[string]any{"office_id": visitOffice, "slot": slots[1], "purpose": "certificate"}, 404, ""},
			"a slot off the grid":       {"POST", "/v1/accounts/" + id + "/appointments", tok, map[string]any{"office_id": visitOffice, "slot": strings.Replace(slots[1], ":15:", ":17:", 1), "purpose": "certificate"}, 422, "slot_invalid"},
			"an unknown office":         {"POST", "/v1/accounts/" + id + "/appointments", tok, map[string]any{"office_id": "nowhere", "slot": slots[1], "purpose": "certificate"}, 422, "office_unknown"},
			"a purpose not served":      {"POST", "/v1/accounts/" + id + "/appointments", tok, map[string]any{"office_id": visitOffice, "slot": slots[1], "purpose": "vnzh"}, 422, "purpose_not_served"},
			"a past slot":               {"POST", "/v1/accounts/" + id + "/appointments", tok, map[string]any{"office_id": visitOffice, "slot": "2020-01-01T07:00:00Z", "purpose": "certificate"}, 422, "slot_invalid"},
			"a bad date":                {"GET", "/v1/offices/" + visitOffice + "/slots?date=tomorrow", "", nil, 400, "date_invalid"},
			"an unknown office's slots": {"GET", "/v1/offices/nowhere/slots?date=2026-01-01", "", nil, 404, ""},
			"no token":                  {"GET", "/v1/accounts/" + id + "/appointments", "", nil, 401, ""},
		} {
			got := ts.do(c.method, c.path, c.token, c.body)
			assert.Equal(t, c.status, got.status, name+": "+string(got.raw))
			if c.code != "" {
				assert.Equal(t, c.code, got.body["code"], name)
			}
		}
	})
}
