package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/commands/registry"
	"github.com/kabinet/kabinet/domain"
)

// outboxCodes reads the outbox lines carrying a code for account.
func (ts *testServer) outboxCodes(account string) []map[string]any {
	ts.t.Helper()
	f, err := os.Open(filepath.Join(ts.dataDir, "outbox.jsonl"))
	require.NoError(ts.t, err)
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var n map[string]any
		require.NoError(ts.t, json.Unmarshal(sc.Bytes(), &n))
		if n["account_id"] == account && n["code"] != nil {
			out = append(out, n)
		}
	}
	return out
}

func TestVerification_OperatorDecidesOnlyThePendingMethod(t *testing.T) {
	ts := startServer(t, nil)
	op := ts.staffToken("operator", "op-1")
	id, tok := ts.standardAccount("+79167770001", 80)
	approve := func(method string) answer {
		return ts.do("POST", "/v1/accounts/"+id+"/identity-verification/approve", op, map[string]any{"method": method})
	}
	a := approve("service_center")
	assert.Equal(t, http.StatusUnprocessableEntity, a.status)
	assert.Equal(t, "verification_not_pending", a.body["code"], string(a.raw))

	ts.verify(id, tok, map[string]any{"method": "russian_post"}, http.StatusAccepted)
	a = approve("service_center")
	assert.Equal(t, http.StatusUnprocessableEntity, a.status)
	assert.Equal(t, "method_mismatch", a.body["code"], "a letter was asked for, not a visit: %s", a.raw)
	assert.Equal(t, "standard", ts.level(id))
	a = ts.do("POST", "/v1/accounts/"+id+"/identity-verification/reject", op, map[string]any{"reasons": []string{"data_mismatch"}})
	require.Equal(t, http.StatusOK, a.status, string(a.raw))

	ts.verify(id, tok, map[string]any{"method": "video"}, http.StatusAccepted)
	assert.Equal(t, "method_mismatch", approve("service_center").body["code"])
	require.Equal(t, http.StatusOK, approve("video").status)
	assert.Equal(t, "confirmed", ts.level(id))
}

func TestVerification_FourEyesTheUploadingOperatorCannotDecide(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.standardAccount("+79167770002", 81)
	clerk, other := ts.staffToken("operator", "op-clerk"), ts.staffToken("operator", "op-other")
	ts.verify(id, tok, map[string]any{"method": "service_center"}, http.StatusAccepted)
	card := migrationCardMeta()
	card["number"] = "7654322"
	require.Equal(t, http.StatusCreated, ts.upload(id, clerk, card, idPDF).status, "the operator scans a document at the desk")

	for path, body := range map[string]map[string]any{"approve": {"method": "service_center"}, "reject": {"reasons": []string{"scan_unreadable"}}} {
		a := ts.do("POST", "/v1/accounts/"+id+"/identity-verification/"+path, clerk, body)
		assert.Equal(t, http.StatusForbidden, a.status, "%s: %s", path, a.raw)
		assert.Equal(t, "four_eyes_required", a.body["code"])
	}
	assert.Equal(t, "standard", ts.level(id))
	a := ts.do("POST", "/v1/accounts/"+id+"/identity-verification/approve", other, map[string]any{"method": "service_center"})
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	assert.Equal(t, "confirmed", ts.level(id))
}

func TestVerification_BankCodeGoesToTheBanksPhoneNotTheAccounts(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.standardAccount("+79167770003", 82)
	ts.verify(id, tok, map[string]any{"method": "bank"}, http.StatusAccepted)
	codes := ts.outboxCodes(id)
	bank := codes[len(codes)-1]
	assert.Equal(t, "bank", bank["channel"])
	assert.NotEqual(t, "+79167770003", bank["to"], "never the phone the account confirmed itself")
	assert.Equal(t, registry.BankPhoneOf(registry.Person{Surname: "Иванов", GivenNames: "Пётр", BirthDate: domain.MustDate(1990, 4, 15)}), bank["to"])
	a := ts.do("POST", "/v1/accounts/"+id+"/identity-verification/code", tok, map[string]string{"code": bank["code"].(string)})
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	assert.Equal(t, "confirmed", ts.level(id))
}

func TestVerification_ThreeWrongBankCodesLockTheMethodFor24Hours(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.standardAccount("+79167770004", 83)
	ts.verify(id, tok, map[string]any{"method": "bank"}, http.StatusAccepted)
	right := ts.lastCode(id)
	wrong := "000000"
	if right == wrong {
		wrong = "111111"
	}
	for i := 0; i < 3; i++ {
		a := ts.do("POST", "/v1/accounts/"+id+"/identity-verification/code", tok, map[string]string{"code": wrong})
		assert.Equal(t, "code_invalid", a.body["code"], string(a.raw))
	}
	a := ts.verify(id, tok, map[string]any{"method": "bank"}, http.StatusLocked)
	assert.Equal(t, "confirmation_locked", a.body["code"])
	assert.NotEmpty(t, a.header.Get("Retry-After"))
	ts.verify(id, tok, map[string]any{"method": "russian_post"}, http.StatusAccepted)
}

func TestVerification_AnIdentityEditWhilePendingCancelsItAndTellsTheCitizen(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.standardAccount("+79167770005", 84)
	ts.verify(id, tok, map[string]any{"method": "video"}, http.StatusAccepted)
	pd := personalData("16.04.1990")
	edit := ts.do("PUT", "/v1/accounts/"+id+"/personal-data", tok, pd)
	require.Equal(t, http.StatusOK, edit.status, string(edit.raw))
	op := ts.staffToken("operator", "op-1")
	a := ts.do("POST", "/v1/accounts/"+id+"/identity-verification/approve", op, map[string]any{"method": "video"})
	assert.Equal(t, "verification_not_pending", a.body["code"], "the cancelled request cannot be approved: %s", a.raw)
	a = edit
	c := ts.read("/v1/accounts/"+id+"/cabinet", tok, a)
	assert.Equal(t, "none", c.body["identity_verification"].(map[string]any)["status"])
	n := ts.read("/v1/accounts/"+id+"/notifications?limit=1", tok, a)
	require.Equal(t, http.StatusOK, n.status, string(n.raw))
	page := items(n)
	require.Len(t, page, 1)
	assert.Equal(t, "IdentityVerificationCancelled", page[0]["event"], "the citizen is told")
	assert.Contains(t, page[0]["text"], "отменена")
}

func TestVerification_ALevelDropIsNotified(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.standardAccount("+79167770006", 85)
	ts.verify(id, tok, map[string]any{"method": "video"}, http.StatusAccepted)
	a := ts.do("POST", "/v1/accounts/"+id+"/identity-verification/approve", ts.staffToken("operator", "op-1"), map[string]any{"method": "video"})
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	a = ts.do("PUT", "/v1/accounts/"+id+"/personal-data", tok, personalData("16.04.1990"))
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	n := ts.read("/v1/accounts/"+id+"/notifications?limit=1", tok, a)
	require.Equal(t, http.StatusOK, n.status, string(n.raw))
	page := items(n)
	require.Len(t, page, 1)
	assert.Equal(t, "AccountLevelLowered", page[0]["event"])
	assert.Contains(t, page[0]["text"], "подтверждённая → стандартная")
	assert.Equal(t, "standard", ts.level(id))
}

func TestVerification_BankCodesToOnePersonAreLimitedPerHour(t *testing.T) {
	clock := newFakeClock()
	ts := startClocked(t, nil, clock)
	id, tok := ts.standardAccount("+79167770009", 89)
	ts.verify(id, tok, map[string]any{"method": "bank"}, http.StatusAccepted)
	resend := func() answer {
		return ts.do("POST", "/v1/accounts/"+id+"/identity-verification/code/resend", tok, nil)
	}
	for i := 2; i <= commands.CodesPerDestination; i++ {
		clock.Advance(domain.BankCodeResendInterval + time.Second)
		a := resend()
		require.Equal(t, http.StatusAccepted, a.status, "code %d: %s", i, a.raw)
	}
	sent := len(ts.outboxCodes(id))
	clock.Advance(domain.BankCodeResendInterval + time.Second)
	a := resend()
	require.Equal(t, http.StatusTooManyRequests, a.status, string(a.raw))
	assert.Equal(t, "too_many_codes", a.body["code"])
	assert.NotEmpty(t, a.header.Get("Retry-After"))
	assert.Len(t, ts.outboxCodes(id), sent, "a refused code is not sent")
}
