package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/commands/registry"
	"github.com/kabinet/kabinet/domain"
)

var (
	idPDF = []byte("%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
	idEXE = append([]byte("MZ\x90\x00\x03\x00\x00\x00"), make([]byte, 120)...)
)

// snilsFor is the n-th checksum-valid SNILS (n small), none in the fixture.
func snilsFor(n int) string {
	nine := fmt.Sprintf("%09d", 200000000+n*1013)
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(nine[i]-'0') * (9 - i)
	}
	check := sum
	if sum >= 100 {
		check = sum % 101 % 100
	}
	return fmt.Sprintf("%s-%s-%s %02d", nine[0:3], nine[3:6], nine[6:9], check)
}

// innFor is the n-th checksum-valid personal INN, none in the fixture.
func innFor(n int) string {
	d := []byte(fmt.Sprintf("7810%06d", 100000+n))
	for _, w := range [][]int{{7, 2, 4, 10, 3, 5, 9, 4, 6, 8}, {3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8}} {
		sum := 0
		for i, x := range w {
			sum += int(d[i]-'0') * x
		}
		d = append(d, byte('0'+sum%11%10))
	}
	return string(d)
}

func (ts *testServer) staffToken(role, sub string) string {
	ts.t.Helper()
	tok, err := ts.app.Issuer.Mint(principal(sub, role, ""), time.Hour)
	require.NoError(ts.t, err)
	return tok
}

// level replays the account's stream through the auditor's state endpoint.
func (ts *testServer) level(id string) string {
	ts.t.Helper()
	a := ts.do("GET", "/v1/accounts/"+id+"/state", ts.staffToken("auditor", "aud-1"), nil)
	require.Equal(ts.t, http.StatusOK, a.status, string(a.raw))
	return a.body["state"].(map[string]any)["level"].(string)
}

// upload sends a document as multipart: meta, then each file part.
func (ts *testServer) upload(id, tok string, meta map[string]any, files ...[]byte) answer {
	ts.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	mw, err := w.CreateFormField("meta")
	require.NoError(ts.t, err)
	require.NoError(ts.t, json.NewEncoder(mw).Encode(meta))
	for i, f := range files {
		fw, err := w.CreateFormFile("file", fmt.Sprintf("scan%d.pdf", i))
		require.NoError(ts.t, err)
		_, err = fw.Write(f)
		require.NoError(ts.t, err)
	}
	require.NoError(ts.t, w.Close())
	req, err := http.NewRequest("POST", ts.srv.URL+"/v1/accounts/"+id+"/documents", &buf)
	require.NoError(ts.t, err)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, raw, err := contractDo(ts.t, nil, req)
	require.NoError(ts.t, err)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

func (ts *testServer) blobFiles() int {
	ts.t.Helper()
	entries, err := os.ReadDir(filepath.Join(ts.dataDir, "blobs"))
	require.NoError(ts.t, err)
	return len(entries)
}

func passportMeta() map[string]any {
	return map[string]any{"kind": "identity", "type": "foreign_passport", "series": "FA", "number": "1234567",
		"issued_at": "01.02.2020", "expires_at": time.Now().AddDate(5, 0, 0).Format("2006-01-02"), "issuer": "MIA Uzbekistan"}
}

func migrationCardMeta() map[string]any {
	return map[string]any{"kind": "stay_right", "type": "migration_card", "series": "4519", "number": "7654321",
		"issued_at": time.Now().AddDate(0, 0, -3).Format("02.01.2006"), "expires_at": time.Now().AddDate(1, 0, 0).Format("2006-01-02"),
		"issuer": "ФСБ России"}
}

func patentMeta() map[string]any {
	return map[string]any{"kind": "stay_right", "type": "patent", "series": "77", "number": "2600123456",
		"issued_at": time.Now().AddDate(0, 0, -30).Format("2006-01-02"), "expires_at": time.Now().AddDate(1, 0, 0).Format("2006-01-02"),
		"issuer": "ГУ МВД России по г. Москве"}
}

func personalData(birth string) map[string]any {
	return map[string]any{
		"surname": "Иванов", "given_names": "Пётр", "birth_date": birth,
		"birth_place": map[string]any{"country": "UZ", "city": "Ташкент"}, "citizenship": "UZ",
		"address_ru": map[string]any{"region": "Москва", "city": "Москва", "street": "ул. Тверская", "house": "1", "flat": "12", "postal_code": "125009"},
	}
}

// person goes over HTTP from registration to a confirmed phone and
// personal data.
func (ts *testServer) person(phone string) (id, tok string) {
	ts.t.Helper()
	t := ts.t
	id, tok = ts.register(phone)
	require.Equal(t, http.StatusAccepted, ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/code", tok, nil).status)
	a := ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/confirm", tok, map[string]string{"code": ts.lastCode(id)})
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	a = ts.do("PUT", "/v1/accounts/"+id+"/personal-data", tok, personalData("15.04.1990"))
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	return id, tok
}

// standardAccount is person plus, over HTTP, a passport, a migration card
// and a patent (a worker's stay right, which opens the confirmed level)
// and SNILS number n: the standard level.
func (ts *testServer) standardAccount(phone string, n int) (id, tok string) {
	ts.t.Helper()
	t := ts.t
	id, tok = ts.person(phone)
	a := ts.upload(id, tok, passportMeta(), idPDF)
	require.Equal(t, http.StatusCreated, a.status, string(a.raw))
	a = ts.upload(id, tok, migrationCardMeta(), idPDF, idPDF)
	require.Equal(t, http.StatusCreated, a.status, string(a.raw))
	a = ts.upload(id, tok, patentMeta(), idPDF)
	require.Equal(t, http.StatusCreated, a.status, string(a.raw))
	a = ts.do("POST", "/v1/accounts/"+id+"/snils", tok, map[string]string{"snils": snilsFor(n)})
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	require.Equal(t, "standard", ts.level(id))
	return id, tok
}

func (ts *testServer) verify(id, tok string, body map[string]any, want int) answer {
	ts.t.Helper()
	a := ts.do("POST", "/v1/accounts/"+id+"/identity-verification", tok, body)
	require.Equal(ts.t, want, a.status, string(a.raw))
	return a
}

func TestIdentity_RegistrationToStandardWithEveryRefusal(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.register("+79161110001")
	require.Equal(t, http.StatusAccepted, ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/code", tok, nil).status)
	require.Equal(t, http.StatusOK, ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/confirm", tok,
		map[string]string{"code": ts.lastCode(id)}).status)
	acc := "/v1/accounts/" + id

	bad := personalData("1990-04-15")
	bad["latin"] = map[string]any{"surname": "Ivanoff", "given_names": "Pyotr"}
	a := ts.do("PUT", acc+"/personal-data", tok, bad)
	assert.Equal(t, http.StatusUnprocessableEntity, a.status)
	assert.Equal(t, "translit_mismatch", a.body["code"], string(a.raw))
	a = ts.do("PUT", acc+"/personal-data", tok, personalData("15.04.1990"))
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	assert.NotEmpty(t, position(a))
	assert.Equal(t, id, a.body["account_id"])

	blobs := ts.blobFiles()
	a = ts.upload(id, tok, passportMeta(), idPDF, idEXE)
	assert.Equal(t, http.StatusUnsupportedMediaType, a.status, string(a.raw))
	assert.Equal(t, "file_type", a.body["code"])
	a = ts.upload(id, tok, passportMeta(), idPDF, append(append([]byte{}, idPDF...), make([]byte, domain.MaxScanSize)...))
	assert.Equal(t, http.StatusRequestEntityTooLarge, a.status, string(a.raw))
	assert.Equal(t, "file_too_large", a.body["code"])
	expired := passportMeta()
	expired["issued_at"], expired["expires_at"] = "2010-01-01", "2020-01-01"
	a = ts.upload(id, tok, expired, idPDF)
	assert.Equal(t, http.StatusUnprocessableEntity, a.status)
	assert.Equal(t, "document_expired", a.body["code"], string(a.raw))
	assert.Equal(t, blobs, ts.blobFiles(), "nothing half-written: every failed upload removed its blobs")

	a = ts.upload(id, tok, passportMeta(), idPDF)
	require.Equal(t, http.StatusCreated, a.status, string(a.raw))
	assert.NotEmpty(t, a.body["document_id"])
	assert.Equal(t, blobs+1, ts.blobFiles())

	a = ts.do("POST", acc+"/snils", tok, map[string]string{"snils": "112-233-445 96"})
	assert.Equal(t, "snils_checksum", a.body["code"], string(a.raw))
	k := registry.TestPersons()[0]
	a = ts.do("POST", acc+"/snils", tok, map[string]string{"snils": k.Snils})
	assert.Equal(t, http.StatusUnprocessableEntity, a.status)
	assert.Equal(t, "registry_mismatch", a.body["code"], "a test person's SNILS matches only them: %s", a.raw)
	a = ts.do("POST", acc+"/snils", tok, map[string]string{"snils": "112-233-445 95"})
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	assert.Equal(t, "standard", ts.level(id))

	a = ts.do("POST", acc+"/inn", tok, map[string]string{"inn": "7707083893"})
	assert.Equal(t, "inn_not_personal", a.body["code"], string(a.raw))
	a = ts.do("POST", acc+"/inn", tok, map[string]string{"inn": innFor(1)})
	require.Equal(t, http.StatusOK, a.status, string(a.raw))

	// A second account cannot take the linked numbers.
	other, otherTok := ts.person("+79161110002")
	for path, body := range map[string]map[string]string{"/snils": {"snils": "11223344595"}, "/inn": {"inn": innFor(1)}} {
		a = ts.do("POST", "/v1/accounts/"+other+path, otherTok, body)
		assert.Equal(t, "registry_mismatch", a.body["code"], "%s: %s", path, a.raw)
	}

	a = ts.verify(id, tok, map[string]any{"method": "service_center"}, http.StatusUnprocessableEntity)
	assert.Equal(t, "no_legal_stay", a.body["code"], "no stay-right document yet")
	a = ts.do("PUT", acc+"/notification-preferences", tok, map[string]any{"email": true, "sms": false, "push": true, "frequency": "daily"})
	assert.Equal(t, http.StatusOK, a.status, string(a.raw))
	a = ts.do("PUT", acc+"/notification-preferences", tok, map[string]any{"email": true, "frequency": "hourly"})
	assert.Equal(t, http.StatusUnprocessableEntity, a.status, string(a.raw))
	a = ts.do("PUT", "/v1/accounts/"+other+"/personal-data", tok, personalData("15.04.1990"))
	assert.Equal(t, http.StatusNotFound, a.status, "another citizen's account does not exist for this token")
}

func TestIdentity_EveryVerificationMethodReachesConfirmed(t *testing.T) {
	ts := startServer(t, nil)
	op := ts.staffToken("operator", "op-7")
	methods := []struct {
		name    string
		confirm func(id, tok string)
	}{
		{"service_center", func(id, tok string) {
			ts.verify(id, tok, map[string]any{"method": "service_center"}, http.StatusAccepted)
			a := ts.do("POST", "/v1/accounts/"+id+"/identity-verification/approve", tok, map[string]any{"method": "service_center"})
			assert.Equal(t, http.StatusNotFound, a.status, "a citizen cannot approve, not even their own")
			a = ts.do("POST", "/v1/accounts/"+id+"/identity-verification/approve", op, map[string]any{"method": "service_center", "comment": "originals checked"})
			require.Equal(t, http.StatusOK, a.status, string(a.raw))
		}},
		{"video", func(id, tok string) {
			ts.verify(id, tok, map[string]any{"method": "video"}, http.StatusAccepted)
			a := ts.do("POST", "/v1/accounts/"+id+"/identity-verification/extend", op, nil)
			require.Equal(t, http.StatusOK, a.status, string(a.raw))
			a = ts.do("POST", "/v1/accounts/"+id+"/identity-verification/extend", op, nil)
			assert.Equal(t, "extension_used", a.body["code"], string(a.raw))
			a = ts.do("POST", "/v1/accounts/"+id+"/identity-verification/approve", op, map[string]any{"method": "video"})
			require.Equal(t, http.StatusOK, a.status, string(a.raw))
		}},
		{"e_signature", func(id, tok string) {
			a := ts.verify(id, tok, map[string]any{"method": "e_signature"}, http.StatusAccepted)
			key := ecKey(t)
			a = ts.do("POST", "/v1/accounts/"+id+"/identity-verification/signature", tok,
				map[string]string{"signature": cmsSign(t, challengeOf(t, a), ts.testCACert(t, "Иванов Пётр", key), key)})
			require.Equal(t, http.StatusOK, a.status, string(a.raw))
			assert.Equal(t, "verified", a.body["verification"].(map[string]any)["status"])
		}},
		{"bank", func(id, tok string) {
			a := ts.verify(id, tok, map[string]any{"method": "bank"}, http.StatusAccepted)
			assert.Equal(t, "pending", a.body["verification"].(map[string]any)["status"])
			a = ts.do("POST", "/v1/accounts/"+id+"/identity-verification/code", tok, map[string]string{"code": ts.lastCode(id)})
			require.Equal(t, http.StatusOK, a.status, string(a.raw))
		}},
		{"russian_post", func(id, tok string) {
			ts.verify(id, tok, map[string]any{"method": "russian_post"}, http.StatusAccepted)
			a := ts.do("POST", "/v1/accounts/"+id+"/identity-verification/code", tok, map[string]string{"code": ts.lastCode(id)})
			require.Equal(t, http.StatusOK, a.status, string(a.raw))
		}},
		{"rejected, fixed, approved", func(id, tok string) {
			ts.verify(id, tok, map[string]any{"method": "service_center"}, http.StatusAccepted)
			a := ts.do("POST", "/v1/accounts/"+id+"/identity-verification/reject", op,
				map[string]any{"reasons": []string{"scan_unreadable"}, "comment": "the passport scan is blurred"})
			require.Equal(t, http.StatusOK, a.status, string(a.raw))
			assert.Equal(t, "rejected", a.body["verification"].(map[string]any)["status"])
			assert.Equal(t, "standard", ts.level(id))
			fixed := passportMeta()
			fixed["number"] = "7654321"
			require.Equal(t, http.StatusCreated, ts.upload(id, tok, fixed, idPDF).status)
			ts.verify(id, tok, map[string]any{"method": "service_center"}, http.StatusAccepted)
			a = ts.do("POST", "/v1/accounts/"+id+"/identity-verification/approve", op, map[string]any{"method": "service_center"})
			require.Equal(t, http.StatusOK, a.status, string(a.raw))
		}},
	}
	for i, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			id, tok := ts.standardAccount(fmt.Sprintf("+7916222000%d", i), 10+i)
			m.confirm(id, tok)
			assert.Equal(t, "confirmed", ts.level(id))
		})
	}
}

func TestIdentity_SchedulerExpiresTheStayDocumentAndTheLevelDrops(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.standardAccount("+79163330001", 1)
	ts.verify(id, tok, map[string]any{"method": "video"}, http.StatusAccepted)
	op := ts.staffToken("operator", "op-1")
	require.Equal(t, http.StatusOK, ts.do("POST", "/v1/accounts/"+id+"/identity-verification/approve", op, map[string]any{"method": "video"}).status)
	require.Equal(t, "confirmed", ts.level(id))

	ctx := context.Background()
	require.NoError(t, ts.app.Scheduler.RunAt(ctx, time.Now().AddDate(0, 6, 0)))
	assert.Equal(t, "confirmed", ts.level(id), "the migration card is still in force")

	later := time.Now().AddDate(1, 1, 0) // past the card and patent (1 year), before the passport (5 years)
	require.NoError(t, ts.app.Scheduler.RunAt(ctx, later))
	assert.Equal(t, "standard", ts.level(id), "no stay-right document in force: migration services close")
	head, err := ts.app.Store.Head(ctx)
	require.NoError(t, err)
	require.NoError(t, ts.app.Scheduler.RunAt(ctx, later))
	again, err := ts.app.Store.Head(ctx)
	require.NoError(t, err)
	assert.Equal(t, head, again, "a second pass records nothing")
}

func TestIdentity_OperatorMayUploadButNotCitizensOfOthers(t *testing.T) {
	ts := startServer(t, nil)
	id, _ := ts.register("+79164440001")
	_, otherTok := ts.register("+79164440002")
	a := ts.upload(id, ts.staffToken("operator", "op-2"), passportMeta(), idPDF)
	assert.Equal(t, http.StatusCreated, a.status, string(a.raw))
	blobs := ts.blobFiles()
	a = ts.upload(id, otherTok, passportMeta(), idPDF)
	assert.Equal(t, http.StatusNotFound, a.status)
	a = ts.upload(id, ts.staffToken("auditor", "aud-2"), passportMeta(), idPDF)
	assert.Equal(t, http.StatusNotFound, a.status)
	assert.Equal(t, blobs, ts.blobFiles(), "a denied upload stores nothing")
	a = ts.do("POST", "/v1/accounts/"+id+"/identity-verification/reject", otherTok, map[string]any{"reasons": []string{"data_mismatch"}})
	assert.Equal(t, http.StatusNotFound, a.status)
}
