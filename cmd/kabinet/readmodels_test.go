package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
)

// read sends a query that waits for the position of the command before it.
func (ts *testServer) read(path, token string, after answer) answer {
	ts.t.Helper()
	return ts.do("GET", path, token, nil, "X-Kabinet-Min-Position", position(after))
}

func items(a answer) []map[string]any {
	var out []map[string]any
	for _, it := range a.body["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

func TestCabinet_ShowsIdentityAndServicesMasksIdentifiersForOperators(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.standardAccount("+79162220001", 21)
	require.Equal(t, http.StatusOK, ts.do("POST", "/v1/accounts/"+id+"/inn", tok, map[string]string{"inn": innFor(21)}).status)
	ts.verify(id, tok, map[string]any{"method": "service_center"}, http.StatusAccepted)
	op := ts.staffToken("operator", "op-7")
	last := ts.do("POST", "/v1/accounts/"+id+"/identity-verification/approve", op, map[string]any{"method": "service_center"})
	require.Equal(t, http.StatusOK, last.status, string(last.raw))

	c := ts.read("/v1/accounts/"+id+"/cabinet", tok, last)
	require.Equal(t, http.StatusOK, c.status, string(c.raw))
	assert.Equal(t, "confirmed", c.body["level"])
	snils := c.body["snils"].(string)
	assert.Regexp(t, `^\d{3}-\d{3}-\d{3} \d{2}$`, snils, "the owner sees the whole SNILS")
	assert.Equal(t, innFor(21), c.body["inn"])
	pd := c.body["personal_data"].(map[string]any)
	assert.Equal(t, "Ivanov", pd["latin"].(map[string]any)["surname"])
	assert.Equal(t, "1990-04-15", pd["birth_date"])
	docs := c.body["documents"].([]any)
	require.Len(t, docs, 3)
	card := docs[1].(map[string]any)
	assert.Equal(t, "migration_card", card["type"])
	assert.EqualValues(t, 2, card["scan_count"])
	assert.NotContains(t, string(c.raw), "blob_id", "scans are described, never located")
	v := c.body["identity_verification"].(map[string]any)
	assert.Equal(t, "verified", v["status"])
	assert.Equal(t, "service_center", v["method"])
	assert.Contains(t, c.body["available_services"], domain.ServiceArrivalNotification)
	assert.Equal(t, true, c.body["stay_valid"])
	assert.EqualValues(t, 1, c.body["unread_notifications"], "the verification's notice")

	o := ts.read("/v1/accounts/"+id+"/cabinet", op, last)
	require.Equal(t, http.StatusOK, o.status, string(o.raw))
	assert.Equal(t, "***-***-*** "+snils[len(snils)-2:], o.body["snils"], "masked for the operator")
	assert.Equal(t, "**********"+innFor(21)[10:], o.body["inn"])
	assert.NotContains(t, string(o.raw), snils)
}

// outboxTexts reads the notices (not codes) the outbox file holds for account.
func (ts *testServer) outboxTexts(account string) []map[string]any {
	ts.t.Helper()
	f, err := os.Open(filepath.Join(ts.dataDir, "outbox.jsonl"))
	require.NoError(ts.t, err)
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var n map[string]any
		require.NoError(ts.t, json.Unmarshal(sc.Bytes(), &n))
		if n["account_id"] == account && n["code"] == nil {
			out = append(out, n)
		}
	}
	return out
}

func TestNotifications_StatusChangesGoToTheOutboxAndTheOwnerReadsThem(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.simplifiedApplicant("+79162220002")
	op := ts.operatorToken()
	sub := ts.submit(applicant{id: id, token: tok}, domain.ServiceCertificate)
	require.Equal(t, http.StatusCreated, sub.status, string(sub.raw))
	app, number := sub.body["application_id"].(string), sub.body["number"].(string)
	ts.act(app, "accept", op, nil, 200)
	ts.act(app, "start-review", op, nil, 200)
	last := ts.act(app, "reject", op, map[string]any{"reasons": []string{"documents_missing"},
		"comment": "Нужен паспорт", "missing_documents": []string{"foreign_passport"}}, 200)

	a := ts.read("/v1/accounts/"+id+"/notifications?limit=2", tok, last)
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	assert.NotEmpty(t, position(a))
	page := items(a)
	require.Len(t, page, 2)
	assert.Equal(t, "ApplicationRejected", page[0]["event"], "newest first")
	assert.Equal(t, "ApplicationReviewStarted", page[1]["event"])
	assert.Contains(t, page[0]["text"], "Заявление № "+number)
	assert.Contains(t, page[0]["text"], "не хватает документов")
	assert.Contains(t, page[0]["text"], "foreign_passport")
	assert.Equal(t, []any{"sms"}, page[0]["channels"], "email is not confirmed, push is off by default")
	assert.Equal(t, "pending", page[0]["status"])
	rest := ts.do("GET", "/v1/accounts/"+id+"/notifications?cursor="+a.body["next_cursor"].(string), tok, nil)
	require.Equal(t, http.StatusOK, rest.status, string(rest.raw))
	var events []string
	for _, it := range items(rest) {
		events = append(events, it["event"].(string))
	}
	assert.Equal(t, []string{"ApplicationAccepted", "ApplicationSubmitted"}, events)
	assert.Nil(t, rest.body["next_cursor"])

	require.NoError(t, ts.app.Scheduler.RunAt(t.Context(), time.Now()), "the delivery job")
	sent := ts.outboxTexts(id)
	require.Len(t, sent, 4)
	assert.Equal(t, "sms", sent[0]["channel"])
	assert.Equal(t, "+79162220002", sent[0]["to"])
	assert.True(t, strings.HasPrefix(sent[0]["text"].(string), "Заявление № "+number), sent[0]["text"])
	after := items(ts.do("GET", "/v1/accounts/"+id+"/notifications", tok, nil))
	assert.Equal(t, "sent", after[0]["status"])

	nid := page[0]["notification_id"].(string)
	r := ts.do("POST", "/v1/accounts/"+id+"/notifications/"+nid+"/read", tok, nil)
	require.Equal(t, http.StatusOK, r.status, string(r.raw))
	assert.Equal(t, true, r.body["notification"].(map[string]any)["read"])
	c := ts.read("/v1/accounts/"+id+"/cabinet", tok, last)
	assert.EqualValues(t, 3, c.body["unread_notifications"])
	assert.EqualValues(t, 1, c.body["application_counts"].(map[string]any)["rejected"])

	_, strangerTok := ts.simplifiedApplicant("+79162220003")
	assert.Equal(t, http.StatusNotFound, ts.do("GET", "/v1/accounts/"+id+"/notifications", strangerTok, nil).status)
	assert.Equal(t, http.StatusNotFound, ts.do("GET", "/v1/accounts/"+id+"/notifications", op, nil).status, "owner only")
	assert.Equal(t, http.StatusNotFound, ts.do("POST", "/v1/accounts/"+id+"/notifications/"+nid+"/read", strangerTok, nil).status)
	assert.Equal(t, http.StatusNotFound, ts.do("POST", "/v1/accounts/"+id+"/notifications/nope/read", tok, nil).status)
	assert.Equal(t, http.StatusBadRequest, ts.do("GET", "/v1/accounts/"+id+"/notifications?cursor=zzz", tok, nil).status)
}

func TestApplications_ListFiltersPagesAndDetailShowsHistory(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.simplifiedApplicant("+79162220004")
	p := applicant{id: id, token: tok}
	op := ts.operatorToken()
	var apps []string
	var last answer
	for i := 0; i < 3; i++ {
		last = ts.submit(p, domain.ServiceCertificate)
		require.Equal(t, http.StatusCreated, last.status, string(last.raw))
		apps = append(apps, last.body["application_id"].(string))
	}
	ts.act(apps[0], "accept", op, nil, 200)
	ts.act(apps[0], "start-review", op, nil, 200)
	last = ts.act(apps[0], "reject", op, map[string]any{"reasons": []string{"other"}, "comment": "Неверная цель"}, 200)

	all := ts.read("/v1/accounts/"+id+"/applications", tok, last)
	require.Equal(t, http.StatusOK, all.status, string(all.raw))
	list := items(all)
	require.Len(t, list, 3)
	assert.Equal(t, apps[2], list[0]["application_id"], "newest first")
	assert.Equal(t, "Отправлено", list[0]["status_label"])
	assert.Equal(t, false, list[0]["overdue"])
	assert.NotEmpty(t, list[0]["deadline"])
	rejected := items(ts.do("GET", "/v1/accounts/"+id+"/applications?status=rejected", op, nil))
	require.Len(t, rejected, 1)
	assert.Equal(t, apps[0], rejected[0]["application_id"])
	first := ts.do("GET", "/v1/accounts/"+id+"/applications?limit=2", tok, nil)
	require.Len(t, items(first), 2)
	second := ts.do("GET", "/v1/accounts/"+id+"/applications?limit=2&cursor="+first.body["next_cursor"].(string), tok, nil)
	require.Len(t, items(second), 1)
	assert.Equal(t, apps[0], items(second)[0]["application_id"])
	assert.Equal(t, http.StatusBadRequest, ts.do("GET", "/v1/accounts/"+id+"/applications?status=lost", tok, nil).status)

	mine := ts.do("GET", "/v1/applications/"+apps[0], tok, nil)
	require.Equal(t, http.StatusOK, mine.status, string(mine.raw))
	assert.NotEmpty(t, position(mine))
	history := mine.body["history"].([]any)
	require.Len(t, history, 4)
	h := history[3].(map[string]any)
	assert.Equal(t, "rejected", h["status"])
	assert.Equal(t, "Отклонено", h["status_label"])
	assert.Equal(t, "operator", h["by_role"])
	assert.Nil(t, h["by"], "a citizen does not learn which operator")
	assert.Equal(t, []any{"other"}, h["reasons"])
	assert.Equal(t, "Неверная цель", h["comment"])
	staff := ts.do("GET", "/v1/applications/"+apps[0], op, nil)
	assert.Equal(t, "op-1", staff.body["history"].([]any)[3].(map[string]any)["by"])
	again := ts.do("GET", "/v1/applications/"+apps[0], tok, nil)
	assert.Nil(t, again.body["history"].([]any)[3].(map[string]any)["by"], "the staff answer is not served to the citizen")
	byNumber := ts.do("GET", "/v1/applications/by-number/"+mine.body["number"].(string), tok, nil)
	require.Equal(t, http.StatusOK, byNumber.status, string(byNumber.raw))
	assert.Equal(t, apps[0], byNumber.body["application_id"])

	_, strangerTok := ts.simplifiedApplicant("+79162220005")
	for _, path := range []string{"/v1/applications/" + apps[0], "/v1/applications/by-number/" + mine.body["number"].(string),
		"/v1/accounts/" + id + "/applications"} {
		assert.Equal(t, http.StatusNotFound, ts.do("GET", path, strangerTok, nil).status, path)
	}
	assert.Equal(t, http.StatusNotFound, ts.do("GET", "/v1/applications/"+newID().String(), op, nil).status)
	assert.Equal(t, http.StatusNotFound, ts.do("GET", "/v1/applications/by-number/2099-999999", op, nil).status)
}

func TestQueue_OperatorSeesPendingWorkOldestFirstOthersDoNot(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.standardAccount("+79162220006", 22)
	ts.verify(id, tok, map[string]any{"method": "service_center"}, http.StatusAccepted)
	other, otherTok := ts.simplifiedApplicant("+79162220007")
	sub := ts.submit(applicant{id: other, token: otherTok}, domain.ServiceCertificate)
	require.Equal(t, http.StatusCreated, sub.status, string(sub.raw))
	op := ts.operatorToken()

	both := ts.read("/v1/operator/queue", op, sub)
	require.Equal(t, http.StatusOK, both.status, string(both.raw))
	work := items(both)
	require.Len(t, work, 2)
	assert.Equal(t, "identity", work[0]["kind"], "oldest first")
	assert.Equal(t, id, work[0]["account_id"])
	assert.Equal(t, "service_center", work[0]["method"])
	assert.NotEmpty(t, work[0]["deadline"])
	assert.Equal(t, false, work[0]["extended"])
	assert.Equal(t, "Иванов", work[0]["person"].(map[string]any)["surname"])
	assert.Equal(t, "application", work[1]["kind"])
	assert.Equal(t, sub.body["number"], work[1]["number"])
	assert.Equal(t, "Отправлено", work[1]["status_label"])

	ids := items(ts.do("GET", "/v1/operator/queue?kind=identity", op, nil))
	require.Len(t, ids, 1)
	assert.Len(t, items(ts.do("GET", "/v1/operator/queue?kind=applications&limit=1", op, nil)), 1)
	assert.Equal(t, http.StatusBadRequest, ts.do("GET", "/v1/operator/queue?kind=everything", op, nil).status)
	for _, token := range []string{tok, ts.staffToken("auditor", "aud-1"), ts.staffToken("security", "sec-1")} {
		assert.Equal(t, http.StatusNotFound, ts.do("GET", "/v1/operator/queue", token, nil).status)
	}
	assert.Equal(t, http.StatusUnauthorized, ts.do("GET", "/v1/operator/queue", "", nil).status)

	done := ts.do("POST", "/v1/accounts/"+id+"/identity-verification/approve", op, map[string]any{"method": "service_center"})
	require.Equal(t, http.StatusOK, done.status, string(done.raw))
	left := items(ts.read("/v1/operator/queue", op, done))
	require.Len(t, left, 1, "a decided verification leaves the queue")
	assert.Equal(t, "application", left[0]["kind"])
}

func TestQueue_APageIsOneJournalEntryFoundUnderEachPersonOnIt(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.standardAccount("+79162220016", 22)
	ts.verify(id, tok, map[string]any{"method": "service_center"}, http.StatusAccepted)
	other, otherTok := ts.simplifiedApplicant("+79162220017")
	sub := ts.submit(applicant{id: other, token: otherTok}, domain.ServiceCertificate)
	require.Equal(t, http.StatusCreated, sub.status, string(sub.raw))
	op := ts.staffToken("operator", "op-queue-1")
	for range 3 {
		require.Len(t, items(ts.read("/v1/operator/queue", op, sub)), 2)
	}
	ts.waitJournalCaughtUp()

	sec := ts.staffToken("security", "sec-1")
	reads := func(account string) []map[string]any {
		var out []map[string]any
		for _, e := range journalItems(t, ts, sec, "&account_id="+account) {
			if e["action"] == "ReadOperatorQueue" {
				out = append(out, e)
			}
		}
		return out
	}
	mine, theirs := reads(id), reads(other)
	require.Len(t, mine, 3, "each read of the page is one entry")
	assert.Equal(t, mine, theirs, "the same entries are found under each person")
	want := []any{id, other}
	slices.SortFunc(want, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	assert.Equal(t, want, mine[0]["account_ids"])
	assert.Nil(t, mine[0]["account_id"])
	assert.Equal(t, "op-queue-1", mine[0]["actor_id"])

	// The citizen sees the read by role, and nothing of the other person on the page.
	act := ts.do("GET", "/v1/accounts/"+id+"/activity", tok, nil)
	require.Equal(t, http.StatusOK, act.status, string(act.raw))
	assert.Contains(t, string(act.raw), `"ReadOperatorQueue"`)
	assert.NotContains(t, string(act.raw), other)
	assert.NotContains(t, string(act.raw), "op-queue-1")

	// The page is encoded once per state of the queue: a decision changes it.
	done := ts.do("POST", "/v1/accounts/"+id+"/identity-verification/approve", op, map[string]any{"method": "service_center"})
	require.Equal(t, http.StatusOK, done.status, string(done.raw))
	left := items(ts.read("/v1/operator/queue", op, done))
	require.Len(t, left, 1)
	assert.Equal(t, other, left[0]["account_id"])
	ts.waitJournalCaughtUp()
	one := reads(other)
	require.Len(t, one, 4)
	assert.Equal(t, other, one[3]["account_id"], "a page naming one person is an entry about them alone")
	assert.Len(t, reads(id), 3)

	res, err := ts.app.Journal.Verify(context.Background())
	require.NoError(t, err)
	assert.True(t, res.OK, res.Reason)
}
