package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
	"github.com/kabinet/kabinet/projections"
)

// erasable is a person whose every personal value is unique in the test,
// so that a grep of the stores finds it only where it was left behind.
type erasable struct {
	id, tok string
	values  []string // what must not survive anywhere
}

const probeAgent = "ErasureProbe/7.7"

// erasablePerson goes over HTTP from registration to SNILS and INN, with a
// passport whose scan carries a marker, all from a user agent of its own.
func (ts *testServer) erasablePerson(n int) erasable {
	ts.t.Helper()
	t := ts.t
	ua := []string{"User-Agent", probeAgent}
	phone := fmt.Sprintf("+7912777%04d", n)
	email := fmt.Sprintf("zarema.erasova%d@example.org", n)
	a := ts.do("POST", "/v1/accounts", "", map[string]any{
		"surname": "Эрасова", "given_names": "Зарема", "citizenship": "UZ", "phone": phone, "email": email, "consent": consent,
	}, ua...)
	require.Equal(t, http.StatusCreated, a.status, string(a.raw))
	p := erasable{id: a.body["account_id"].(string), tok: a.body["token"].(string)}
	require.Equal(t, http.StatusAccepted, ts.do("POST", "/v1/accounts/"+p.id+"/contacts/phone/code", p.tok, nil, ua...).status)
	a = ts.do("POST", "/v1/accounts/"+p.id+"/contacts/phone/confirm", p.tok, map[string]string{"code": ts.lastCode(p.id)}, ua...)
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	pd := personalData("15.04.1990")
	pd["surname"], pd["given_names"] = "Эрасова", "Зарема"
	pd["address_ru"].(map[string]any)["street"] = "ул. Забвения"
	a = ts.do("PUT", "/v1/accounts/"+p.id+"/personal-data", p.tok, pd, ua...)
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	meta := passportMeta()
	meta["series"], meta["number"] = "ER", fmt.Sprintf("86420%02d", n)
	scan := append(append([]byte{}, idPDF...), []byte("SCANMARK-ERASE-42")...)
	a = ts.upload(p.id, p.tok, meta, scan)
	require.Equal(t, http.StatusCreated, a.status, string(a.raw))
	snils, inn := snilsFor(70+n), innFor(70+n)
	a = ts.do("POST", "/v1/accounts/"+p.id+"/snils", p.tok, map[string]string{"snils": snils}, ua...)
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	a = ts.do("POST", "/v1/accounts/"+p.id+"/inn", p.tok, map[string]string{"inn": inn}, ua...)
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	a = ts.do("POST", "/v1/accounts/"+p.id+"/support-requests", p.tok,
		map[string]any{"topic": "TOPICMARK-ERASE", "text": "SUPPORTMARK-ERASE: мой паспорт ER утерян"}, ua...)
	require.Equal(t, http.StatusCreated, a.status, string(a.raw))
	digits := strings.NewReplacer("-", "", " ", "").Replace(snils)
	p.values = []string{"Эрасова", "Зарема", phone, phone[2:], email, "Забвения", snils, digits, inn,
		meta["number"].(string), probeAgent, "SCANMARK-ERASE-42", "TOPICMARK-ERASE", "SUPPORTMARK-ERASE"}
	return p
}

// grepDataDir returns every file under the data dir holding one of values.
func grepDataDir(t *testing.T, dir string, values []string) []string {
	t.Helper()
	var found []string
	require.NoError(t, filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, v := range values {
			if bytes.Contains(b, []byte(v)) {
				found = append(found, fmt.Sprintf("%s holds %q", strings.TrimPrefix(path, dir), v))
			}
		}
		return nil
	}))
	return found
}

// proofsState is what a verifier saw before the erasure: a signed
// checkpoint and an inclusion proof of one of the person's entries.
type proofsState struct {
	cp     journal.Checkpoint
	seq    uint64
	leaf   []byte
	hashes [][]byte
}

func (ts *testServer) journaledProofs(account string) proofsState {
	ts.t.Helper()
	t := ts.t
	ctx := context.Background()
	sec := ts.staffToken("security", "sec-1")
	var entries []map[string]any
	require.Eventually(t, func() bool {
		entries = journalItems(t, ts, sec, "&account_id="+account)
		return len(entries) >= 6
	}, 10*time.Second, 50*time.Millisecond)
	cp, err := ts.app.Journal.Checkpoint(ctx)
	require.NoError(t, err)
	seq := uint64(entries[0]["seq"].(float64))
	hashes, leaf, err := ts.app.Journal.InclusionProof(ctx, seq, cp.Size)
	require.NoError(t, err)
	require.NoError(t, proof.VerifyInclusion(rfc6962.DefaultHasher, seq, cp.Size, leaf, hashes, cp.RootHash))
	v := ts.do("GET", "/v1/journal/verify", sec, nil)
	require.Equal(t, true, v.body["ok"], string(v.raw))
	return proofsState{cp: cp, seq: seq, leaf: leaf, hashes: hashes}
}

// checkProofsAfter checks, with the upstream libraries, that every
// checkpoint still opens under the verifier key, the old inclusion proof
// is still served and valid, and the old tree is a prefix of the new one.
func (ts *testServer) checkProofsAfter(before proofsState) {
	ts.t.Helper()
	t := ts.t
	ctx := context.Background()
	sec := ts.staffToken("security", "sec-1")
	v := ts.do("GET", "/v1/journal/verify", sec, nil)
	require.Equal(t, true, v.body["ok"], "journal verify after erasure: %s", v.raw)
	now, err := ts.app.Journal.Checkpoint(ctx)
	require.NoError(t, err)
	cps, err := ts.app.Journal.Checkpoints(ctx, 0, 10_000)
	require.NoError(t, err)
	for _, c := range cps {
		parsed, _, _, err := log.ParseCheckpoint(c.Note, ts.app.Journal.Origin(), ts.app.Journal.Verifier())
		require.NoError(t, err, "checkpoint %d", c.Size)
		assert.Equal(t, c.RootHash, parsed.Hash)
	}
	hashes, leaf, err := ts.app.Journal.InclusionProof(ctx, before.seq, before.cp.Size)
	require.NoError(t, err)
	assert.Equal(t, before.leaf, leaf, "the erased entry's leaf hash is unchanged")
	require.NoError(t, proof.VerifyInclusion(rfc6962.DefaultHasher, before.seq, before.cp.Size, leaf, hashes, before.cp.RootHash))
	cons, err := ts.app.Journal.ConsistencyProof(ctx, before.cp.Size, now.Size)
	require.NoError(t, err)
	require.NoError(t, proof.VerifyConsistency(rfc6962.DefaultHasher, before.cp.Size, now.Size, cons, before.cp.RootHash, now.RootHash))
}

// eraseEndToEnd runs an erasure over HTTP and checks what the auditor,
// the security team, the projections and the journal see afterwards.
func eraseEndToEnd(t *testing.T, ts *testServer, beforeErasure func(erasable)) erasable {
	p := ts.erasablePerson(1)
	if beforeErasure != nil {
		beforeErasure(p)
	}
	keptID, keptTok := ts.register("+79128880001")
	before := ts.journaledProofs(p.id)

	admin := ts.staffToken("admin", "admin-1")
	a := ts.do("POST", "/v1/accounts/"+p.id+"/erasure", admin, map[string]string{"reason": "запрос субъекта ПДн, 152-ФЗ ст. 21"})
	require.Equal(t, http.StatusAccepted, a.status, string(a.raw))
	pos := position(a)

	aud := ts.staffToken("auditor", "aud-1")
	h := ts.do("GET", "/v1/accounts/"+p.id+"/history", aud, nil)
	require.Equal(t, http.StatusOK, h.status)
	items := h.body["items"].([]any)
	reg := items[0].(map[string]any)
	data := reg["data"].(map[string]any)
	assert.Equal(t, "[erased]", data["surname"])
	assert.Equal(t, "[erased]", data["phone"])
	assert.Equal(t, "[erased]", data["email"])
	assert.Equal(t, "UZ", data["citizenship"], "what is not personal stays readable")
	assert.Equal(t, "[erased]", reg["metadata"].(map[string]any)["source_ip"])
	assert.Equal(t, "[erased]", reg["metadata"].(map[string]any)["user_agent"])
	types := []string{}
	for _, it := range items {
		types = append(types, it.(map[string]any)["type"].(string))
	}
	assert.Equal(t, []string{"AccountClosed", "PersonalDataErased"}, types[len(types)-2:])

	op := ts.operatorToken()
	c := ts.do("GET", "/v1/accounts/"+p.id+"/cabinet", op, nil, "X-Kabinet-Min-Position", pos)
	assert.Equal(t, http.StatusNotFound, c.status, "the cabinet forgot the person")
	c = ts.do("GET", "/v1/accounts/"+keptID+"/cabinet", keptTok, nil, "X-Kabinet-Min-Position", pos)
	require.Equal(t, http.StatusOK, c.status, string(c.raw))
	assert.Equal(t, "Иванов", c.body["profile"].(map[string]any)["surname"], "another person's data is untouched")

	sec := ts.staffToken("security", "sec-1")
	// Every entry up to the erasure lost its IP and user agent; staff reads
	// journaled afterwards carry the staff member's own.
	erasedSeen := false
	for _, e := range journalItems(t, ts, sec, "&account_id="+p.id) {
		if erasedSeen {
			break
		}
		erasedSeen = e["action"] == "ErasePersonalData"
		assert.Empty(t, e["source_ip"], "journal entry %v (%v) keeps an IP", e["seq"], e["action"])
		assert.Empty(t, e["user_agent"])
	}
	assert.True(t, erasedSeen, "the erasure is journaled")
	ts.checkProofsAfter(before)

	// Closure ended the sessions; a token outside any session still
	// reaches the account, whose commands are refused.
	tok, _ := ts.app.Issuer.Mint(principal(p.id, "citizen", p.id), time.Hour)
	r := ts.do("PUT", "/v1/accounts/"+p.id+"/notification-preferences", tok,
		map[string]any{"email": true, "sms": true, "push": false, "frequency": "immediate"})
	assert.Equal(t, http.StatusUnprocessableEntity, r.status)
	assert.Equal(t, "account_closed", r.body["code"], string(r.raw))
	return p
}

func TestErasure_OverHTTPOnSQLiteLeavesNoPersonalDataInAnyFile(t *testing.T) {
	ts := startServer(t, nil)
	p := eraseEndToEnd(t, ts, func(p erasable) {
		// Before: the event store and the scans hold nothing in clear (at
		// rest), while the read models, the outbox and the journal show it.
		events := filepath.Join(ts.dataDir, "events.db")
		for _, f := range []string{events, events + "-wal"} {
			b, err := os.ReadFile(f)
			if os.IsNotExist(err) {
				continue
			}
			require.NoError(t, err)
			for _, v := range p.values {
				assert.False(t, bytes.Contains(b, []byte(v)), "%s holds %q in clear", filepath.Base(f), v)
			}
		}
		assert.Empty(t, grepDataDir(t, filepath.Join(ts.dataDir, "blobs"), p.values), "scans are sealed")
		assert.NotEmpty(t, grepDataDir(t, ts.dataDir, p.values), "the grep finds what is shown before the erasure")
	})
	ctx := context.Background()
	// A rebuild after the erasure ends without the person.
	for _, pr := range ts.app.Runner.Projectors {
		require.NoError(t, projections.Rebuild(ctx, ts.app.Read, ts.app.Store, ts.app.Runner.Checkpoint, pr, nil))
	}
	var n int
	require.NoError(t, ts.app.Read.NewRaw("SELECT count(*) FROM cabinet_views WHERE account_id = ?", p.id).Scan(ctx, &n))
	assert.Zero(t, n, "rebuilt without the erased account")
	require.NoError(t, ts.app.Read.NewRaw("SELECT count(*) FROM cabinet_views").Scan(ctx, &n))
	assert.Equal(t, 1, n, "the other account is rebuilt")
	require.NoError(t, ts.app.Read.Shred(ctx))
	assert.Empty(t, grepDataDir(t, ts.dataDir, p.values))
}

func TestErasure_OverHTTPOnPostgreSQLLeavesNoPersonalDataInAnyTable(t *testing.T) {
	dsn := sqltest.PGDSN(t)
	ts := startServer(t, map[string]string{"eventstore": dsn, "readstore": dsn})
	p := eraseEndToEnd(t, ts, nil)
	ctx := context.Background()
	var tables []string
	require.NoError(t, ts.app.Events.NewRaw(`SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema()`).Scan(ctx, &tables))
	require.Contains(t, tables, "events")
	for _, tbl := range tables {
		for _, v := range p.values {
			var n int
			require.NoError(t, ts.app.Events.NewRaw(fmt.Sprintf(`SELECT count(*) FROM %q t WHERE t::text LIKE ?`, tbl),
				"%"+v+"%").Scan(ctx, &n))
			assert.Zero(t, n, "table %s holds %q", tbl, v)
		}
	}
	assert.Empty(t, grepDataDir(t, ts.dataDir, p.values), "the data dir (scans, outbox)")
}

func TestErasure_OnlyAdminErasesAndTheReasonIsRequired(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.register("+79128880002")
	other, _ := ts.register("+79128880003")
	body := map[string]string{"reason": "запрос"}
	path := "/v1/accounts/" + id + "/erasure"
	assert.Equal(t, http.StatusUnauthorized, ts.do("POST", path, "", body).status)
	for _, tok := range []string{tok, ts.operatorToken(), ts.staffToken("auditor", "a"), ts.staffToken("security", "s")} {
		a := ts.do("POST", path, tok, body)
		assert.Equal(t, http.StatusNotFound, a.status, "not the admin: the account is not revealed")
		assert.Equal(t, "application/problem+json", a.header.Get("Content-Type"))
	}
	admin := ts.staffToken("admin", "admin-1")
	a := ts.do("POST", path, admin, map[string]string{"reason": "  "})
	assert.Equal(t, http.StatusUnprocessableEntity, a.status)
	assert.Equal(t, "required", a.body["errors"].([]any)[0].(map[string]any)["code"], string(a.raw))
	a = ts.do("POST", path, admin, map[string]string{"reason": strings.Repeat("я", 1001)})
	assert.Equal(t, http.StatusUnprocessableEntity, a.status, string(a.raw))
	assert.Equal(t, http.StatusBadRequest, ts.do("POST", path, admin, `{"reason":`).status)
	assert.Equal(t, http.StatusBadRequest, ts.do("POST", path, admin, `{"reason":"x","why":1}`).status, "unknown field")
	assert.Equal(t, http.StatusNotFound, ts.do("POST", "/v1/accounts/not-a-uuid/erasure", admin, body).status)
	assert.Equal(t, http.StatusNotFound, ts.do("POST", "/v1/accounts/"+newID().String()+"/erasure", admin, body).status)

	a = ts.do("POST", path, admin, body)
	require.Equal(t, http.StatusAccepted, a.status, string(a.raw))
	a = ts.do("POST", path, admin, body)
	assert.Equal(t, http.StatusUnprocessableEntity, a.status)
	assert.Equal(t, "personal_data_erased", a.body["code"])
	c := ts.do("GET", "/v1/accounts/"+other+"/cabinet", ts.operatorToken(), nil)
	assert.Equal(t, http.StatusOK, c.status, "only the erased account is gone")
}

func TestPersonalData_EventsStoredBeforeEncryptionStillReadEverywhere(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	id := newID()
	typ, ver, data, err := domain.EncodeEvent(domain.AccountRegistered{AccountID: id, Surname: "Староверова",
		GivenNames: "Ольга", Citizenship: "KZ", Email: "old@example.org", OccurredAt: time.Now().UTC()})
	require.NoError(t, err)
	// Written as the service wrote it before personal fields were sealed.
	res, err := ts.app.RawStore.Append(ctx, "account-"+id.String(), eventstore.NoStream, []eventstore.EventData{{
		ID: newID(), Type: typ, SchemaVersion: ver, Data: data, OccurredAt: time.Now().UTC(),
		Metadata: []byte(`{"actor_id":"` + id.String() + `","actor_role":"citizen","source_ip":"198.51.100.9","command":"RegisterAccount","command_id":"c1"}`),
	}})
	require.NoError(t, err)
	pos := fmt.Sprint(res.LastPosition)
	h := ts.do("GET", "/v1/accounts/"+id.String()+"/history", ts.staffToken("auditor", "aud-1"), nil)
	require.Equal(t, http.StatusOK, h.status, string(h.raw))
	item := h.body["items"].([]any)[0].(map[string]any)
	assert.Equal(t, "Староверова", item["data"].(map[string]any)["surname"])
	assert.Equal(t, "198.51.100.9", item["metadata"].(map[string]any)["source_ip"])
	c := ts.do("GET", "/v1/accounts/"+id.String()+"/cabinet", ts.operatorToken(), nil, "X-Kabinet-Min-Position", pos)
	require.Equal(t, http.StatusOK, c.status, string(c.raw))
	assert.Equal(t, "Староверова", c.body["profile"].(map[string]any)["surname"])
	// … and the account takes new, sealed events after the old ones.
	tok, err := ts.app.Issuer.Mint(principal(id.String(), "citizen", id.String()), time.Hour)
	require.NoError(t, err)
	a := ts.do("PUT", "/v1/accounts/"+id.String()+"/notification-preferences", tok,
		map[string]any{"email": true, "sms": false, "push": false, "frequency": "immediate"})
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
}
