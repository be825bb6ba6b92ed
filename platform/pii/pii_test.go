package pii_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/eventstore/eventstoretest"
	"github.com/kabinet/kabinet/platform/eventstore/sqlstore"
	"github.com/kabinet/kabinet/platform/pii"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

var master = bytes.Repeat([]byte{0x42}, 32)

func keyringB(b *testing.B) *pii.Keyring {
	kms, err := pii.NewLocalKMS(master)
	require.NoError(b, err)
	k, err := pii.NewKeyring(context.Background(), sqltest.SQLite(b), kms)
	require.NoError(b, err)
	return k
}

func sealedStoreB(b *testing.B, db *sqldb.DB) (*pii.Store, *pii.Codec) {
	inner, err := sqlstore.New(context.Background(), db, sqlstore.Options{})
	require.NoError(b, err)
	b.Cleanup(func() { inner.Close() })
	kms, err := pii.NewLocalKMS(master)
	require.NoError(b, err)
	k, err := pii.NewKeyring(context.Background(), db, kms)
	require.NoError(b, err)
	codec := pii.NewCodec(k)
	return pii.NewStore(inner, codec), codec
}

func keyring(t *testing.T, db *sqldb.DB, secret []byte, previous ...[]byte) *pii.Keyring {
	t.Helper()
	kms, err := pii.NewLocalKMS(secret, previous...)
	require.NoError(t, err)
	k, err := pii.NewKeyring(context.Background(), db, kms)
	require.NoError(t, err)
	return k
}

func sealedStore(t *testing.T, db *sqldb.DB) (*pii.Store, *pii.Codec) {
	t.Helper()
	inner, err := sqlstore.New(context.Background(), db, sqlstore.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { inner.Close() })
	codec := pii.NewCodec(keyring(t, db, master))
	return pii.NewStore(inner, codec), codec
}

func registered(t *testing.T, id uuid.UUID) eventstore.EventData {
	t.Helper()
	typ, ver, data, err := domain.EncodeEvent(domain.AccountRegistered{
		AccountID: id, Surname: "Каримова", GivenNames: "Зарина", Citizenship: "UZ",
		Phone: "+79123450001", Email: "zarina@example.org", OccurredAt: time.Now().UTC(),
	})
	require.NoError(t, err)
	return eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: typ, SchemaVersion: ver, Data: data,
		Metadata: []byte(`{"actor_id":"a","actor_role":"citizen","source_ip":"203.0.113.77","user_agent":"ErasureAgent/1.0"}`)}
}

var personal = []string{"Каримова", "Зарина", "+79123450001", "zarina@example.org", "203.0.113.77", "ErasureAgent/1.0"}

func TestStore_PassesTheEventStoreContract(t *testing.T) {
	eventstoretest.Run(t, func(t *testing.T) eventstore.Store { s, _ := sealedStore(t, sqltest.SQLite(t)); return s })
}

func TestStore_PersonalFieldsAreStoredEncryptedAndReadInClear(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s, _ := sealedStore(t, db)
		id := uuid.Must(uuid.NewV7())
		_, err := s.Append(ctx, "account-"+id.String(), eventstore.NoStream, []eventstore.EventData{registered(t, id)})
		require.NoError(t, err)

		raw, err := s.Inner().ReadStream(ctx, "account-"+id.String(), eventstore.Forward, 0, 10)
		require.NoError(t, err)
		require.Len(t, raw, 1)
		for _, p := range personal {
			assert.NotContains(t, string(raw[0].Data)+string(raw[0].Metadata), p, "stored in clear")
		}
		assert.Contains(t, string(raw[0].Data), `"citizenship":"UZ"`, "what is not personal stays readable")

		recs, err := s.ReadStream(ctx, "account-"+id.String(), eventstore.Forward, 0, 10)
		require.NoError(t, err)
		e, err := domain.DecodeEvent(recs[0].Type, recs[0].SchemaVersion, recs[0].Data)
		require.NoError(t, err)
		reg := e.(domain.AccountRegistered)
		assert.Equal(t, "Каримова", reg.Surname)
		assert.Equal(t, "zarina@example.org", reg.Email)
		assert.Contains(t, string(recs[0].Metadata), "203.0.113.77")
	})
}

func TestStore_ErasedKeyReadsWithoutPersonalFieldsAndStoredBytesStayTheSame(t *testing.T) {
	ctx := context.Background()
	db := sqltest.SQLite(t)
	s, codec := sealedStore(t, db)
	id := uuid.Must(uuid.NewV7())
	_, err := s.Append(ctx, "account-"+id.String(), eventstore.NoStream, []eventstore.EventData{registered(t, id)})
	require.NoError(t, err)
	before, err := s.Inner().ReadAll(ctx, 0, 10)
	require.NoError(t, err)

	require.NoError(t, codec.Keys().Destroy(ctx, id.String()))

	after, err := s.Inner().ReadAll(ctx, 0, 10)
	require.NoError(t, err)
	assert.Equal(t, before[0].Data, after[0].Data, "erasure edits no stored byte")
	recs, err := s.ReadAll(ctx, 0, 10)
	require.NoError(t, err)
	e, err := domain.DecodeEvent(recs[0].Type, recs[0].SchemaVersion, recs[0].Data)
	require.NoError(t, err, "an erased event still decodes")
	reg := e.(domain.AccountRegistered)
	assert.Empty(t, reg.Surname)
	assert.Equal(t, "UZ", reg.Citizenship)

	_, erased, erasedMeta, err := codec.Reveal(ctx, after[0])
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"surname", "given_names", "phone", "email"}, erased)
	assert.ElementsMatch(t, []string{"source_ip", "user_agent"}, erasedMeta)
	shown, err := pii.ShowErased(recs[0].Data, erased)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(shown, &m))
	assert.Equal(t, domain.Erased, m["surname"])
	assert.Equal(t, domain.Erased, m["email"])
}

func TestStore_EventsWrittenBeforeEncryptionStillRead(t *testing.T) {
	ctx := context.Background()
	db := sqltest.SQLite(t)
	s, _ := sealedStore(t, db)
	id := uuid.Must(uuid.NewV7())
	old := registered(t, id)
	_, err := s.Inner().Append(ctx, "account-"+id.String(), eventstore.NoStream, []eventstore.EventData{old})
	require.NoError(t, err)
	recs, err := s.ReadStream(ctx, "account-"+id.String(), eventstore.Forward, 0, 10)
	require.NoError(t, err)
	assert.JSONEq(t, string(old.Data), string(recs[0].Data))
	assert.JSONEq(t, string(old.Metadata), string(recs[0].Metadata))
}

func TestCodec_AlteredCiphertextOrAnotherAccountFailsToOpen(t *testing.T) {
	ctx := context.Background()
	db := sqltest.SQLite(t)
	codec := pii.NewCodec(keyring(t, db, master))
	a, b := uuid.NewString(), uuid.NewString()
	sealed, err := codec.Seal(ctx, a, "AccountRegistered", pii.Data, []byte(`{"surname":"Ли","citizenship":"KR"}`))
	require.NoError(t, err)
	_, err = codec.Seal(ctx, b, "AccountRegistered", pii.Data, []byte(`{"surname":"Ким"}`))
	require.NoError(t, err)
	_, err = codec.Open(ctx, b, "AccountRegistered", pii.Data, sealed)
	assert.Error(t, err, "sealed under another account's key")
	_, err = codec.Open(ctx, a, "PersonalDataProvided", pii.Data, sealed)
	assert.Error(t, err, "bound to its event type")
	flipped := bytes.Replace(sealed, []byte(`"v1:surname:`), []byte(`"v1:surname:A`), 1)
	_, err = codec.Open(ctx, a, "AccountRegistered", pii.Data, flipped)
	assert.Error(t, err, "altered ciphertext")
}

func TestKeyring_RotationRewrapsEveryDataKeyAndEventsStillOpen(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s, _ := sealedStore(t, db)
		ids := []uuid.UUID{uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())}
		for _, id := range ids {
			_, err := s.Append(ctx, "account-"+id.String(), eventstore.NoStream, []eventstore.EventData{registered(t, id)})
			require.NoError(t, err)
		}
		stored, err := s.Inner().ReadAll(ctx, 0, 100)
		require.NoError(t, err)

		newMaster := bytes.Repeat([]byte{0x17}, 40)
		during := keyring(t, db, newMaster, master)
		kms, err := pii.NewLocalKMS(newMaster, master)
		require.NoError(t, err)
		n, err := during.Rewrap(ctx, kms)
		require.NoError(t, err)
		assert.Equal(t, len(ids), n)
		n, err = during.Rewrap(ctx, kms)
		require.NoError(t, err)
		assert.Zero(t, n, "a second pass has nothing left to do")

		onlyNew := pii.NewStore(s.Inner(), pii.NewCodec(keyring(t, db, newMaster)))
		recs, err := onlyNew.ReadAll(ctx, 0, 100)
		require.NoError(t, err)
		for _, r := range recs {
			assert.Contains(t, string(r.Data), "Каримова", "opens under the new master key alone")
		}
		onlyOld := pii.NewStore(s.Inner(), pii.NewCodec(keyring(t, db, master)))
		_, err = onlyOld.ReadAll(ctx, 0, 100)
		assert.ErrorIs(t, err, pii.ErrUnknownMasterKey, "the old master key opens nothing any more")
		after, err := s.Inner().ReadAll(ctx, 0, 100)
		require.NoError(t, err)
		assert.Equal(t, stored, after, "rotation touches no event")
	})
}

func TestMasterKeys_FileRotationInstallsTheNewKey(t *testing.T) {
	dir := t.TempDir()
	m := pii.MasterKeys{DataDir: dir}
	first, err := m.Open()
	require.NoError(t, err)
	info, err := os.Stat(filepath.Join(dir, pii.MasterKeyFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	rot, err := m.BeginRotation()
	require.NoError(t, err)
	assert.NotEqual(t, first.KeyID(), rot.KeyID())
	interrupted, err := m.Open()
	require.NoError(t, err)
	assert.Equal(t, rot.KeyID(), interrupted.KeyID(), "an interrupted rotation wraps new keys with the next key")
	require.NoError(t, m.FinishRotation())
	done, err := m.Open()
	require.NoError(t, err)
	assert.Equal(t, rot.KeyID(), done.KeyID())
	_, err = os.Stat(filepath.Join(dir, pii.NextMasterKeyFile))
	assert.True(t, os.IsNotExist(err))
}

func TestMasterKeys_ShortEnvironmentKeyIsRefused(t *testing.T) {
	_, err := pii.MasterKeys{Env: "short"}.Open()
	assert.Error(t, err)
	k, err := pii.MasterKeys{Env: string(bytes.Repeat([]byte("k"), 32))}.Open()
	require.NoError(t, err)
	assert.NotEmpty(t, k.KeyID())
}

func TestKeyring_DestroyLeavesNoWrappedKeyInTheFiles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	db, err := sqldb.OpenSQLite(ctx, path, true)
	require.NoError(t, err)
	defer db.Close()
	k := keyring(t, db, master)
	id := uuid.NewString()
	_, _, err = k.Key(ctx, id, true)
	require.NoError(t, err)
	var wrapped []byte
	require.NoError(t, db.NewRaw("SELECT wrapped FROM pii_data_keys WHERE account_id = ?", id).Scan(ctx, &wrapped))
	require.Len(t, wrapped, 8+12+32+16)
	require.NoError(t, db.Shred(ctx))

	require.NoError(t, k.Destroy(ctx, id))
	erased, err := k.Erased(ctx, id)
	require.NoError(t, err)
	assert.True(t, erased)
	fresh := keyring(t, db, master)
	_, _, err = fresh.Key(ctx, id, true)
	assert.ErrorIs(t, err, pii.ErrErased, "an erased account never gets a new key")
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		}
		require.NoError(t, err)
		assert.False(t, bytes.Contains(b, wrapped), "%s still holds the wrapped key", filepath.Base(f))
	}
}

func TestCodec_OpensOnlyTheTopLevelSealedMember(t *testing.T) {
	ctx := context.Background()
	codec := pii.NewCodec(keyring(t, sqltest.SQLite(t), master))
	a := uuid.NewString()
	in := []byte(`{"note":"a \"pii\":\"v1:x:y\" inside","meta":{"pii":"v1:surname:AAAA"},"surname":"Ли","list":[{"pii":1}]}`)
	sealed, err := codec.Seal(ctx, a, "AccountRegistered", pii.Data, in)
	require.NoError(t, err)
	assert.NotContains(t, string(sealed), "Ли")
	out, err := codec.Open(ctx, a, "AccountRegistered", pii.Data, sealed)
	require.NoError(t, err)
	assert.JSONEq(t, string(in), string(out.Raw))
	_, err = codec.Seal(ctx, a, "AccountRegistered", pii.Data, sealed)
	assert.Error(t, err, "a payload that already has a sealed member is refused")
}

// Two instances share the keys' table: an erasure in one reaches the
// other's cache within KeyCacheTTL, and not a read later.
func TestKeyring_AnotherInstancesErasureIsNoticedWithinTheCacheTTL(t *testing.T) {
	ctx := context.Background()
	db := sqltest.SQLite(t)
	at := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return at }
	erasing := keyring(t, db, master).WithClock(clock)
	other := keyring(t, db, master).WithClock(clock)
	account := uuid.NewString()
	key, ok, err := erasing.Key(ctx, account, true)
	require.NoError(t, err)
	require.True(t, ok)
	cached, ok, err := other.Key(ctx, account, false)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, key, cached)

	require.NoError(t, erasing.Destroy(ctx, account))
	_, _, err = erasing.Key(ctx, account, false)
	assert.ErrorIs(t, err, pii.ErrErased, "the erasing instance knows at once")

	at = at.Add(pii.KeyCacheTTL - time.Second)
	_, ok, err = other.Key(ctx, account, false)
	require.NoError(t, err)
	assert.True(t, ok, "within the TTL the other instance still holds its copy")

	at = at.Add(2 * time.Second)
	_, ok, err = other.Key(ctx, account, false)
	assert.ErrorIs(t, err, pii.ErrErased, "past the TTL it reads the row again")
	assert.False(t, ok)
}

func TestKeyring_InstancesCreatingOneAccountsKeyAtOnceAllUseTheStoredOne(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		account := uuid.NewString()
		rings := make([]*pii.Keyring, 4)
		keys := make([][]byte, len(rings))
		for i := range rings {
			rings[i] = keyring(t, db, master)
		}
		var wg sync.WaitGroup
		for i, ring := range rings {
			wg.Add(1)
			go func() {
				defer wg.Done()
				key, ok, err := ring.Key(ctx, account, true)
				assert.NoError(t, err)
				assert.True(t, ok)
				keys[i] = key
			}()
		}
		wg.Wait()
		stored, ok, err := keyring(t, db, master).Key(ctx, account, false)
		require.NoError(t, err)
		require.True(t, ok)
		for i, key := range keys {
			assert.Equal(t, stored, key, "instance %d uses the key that was stored, whichever it created", i)
		}
	})
}

// Keys created while keys.db's writer is busy (registrations at the same
// moment) are stored in one shared commit, each the key its account uses.
func TestKeyring_KeysCreatedTogetherShareACommitAndEachIsStored(t *testing.T) {
	ctx := context.Background()
	db := sqltest.SQLite(t)
	ring := keyring(t, db, master)
	release := sqltest.HoldWriter(t, db)
	accounts := make([]string, 8)
	keys := make([][]byte, len(accounts))
	errs := make([]error, len(accounts))
	var wg sync.WaitGroup
	for i := range accounts {
		accounts[i] = uuid.NewString()
		wg.Go(func() { keys[i], _, errs[i] = ring.Key(ctx, accounts[i], true) })
	}
	time.Sleep(300 * time.Millisecond) // all eight wait for the writer
	release()
	wg.Wait()
	fresh := keyring(t, db, master)
	for i, account := range accounts {
		require.NoError(t, errs[i])
		stored, ok, err := fresh.Key(ctx, account, false)
		require.NoError(t, err)
		require.True(t, ok, "account %d has a stored key", i)
		require.Equal(t, stored, keys[i], "account %d uses the key that was stored", i)
	}
	require.NotZero(t, db.Groups())
}
