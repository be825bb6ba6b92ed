package commands

import (
	"bytes"
	"context"
	"crypto/rand"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/commands/esign"
	"github.com/kabinet/kabinet/commands/registry"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/blobstore"
	"github.com/kabinet/kabinet/platform/blobstore/blobstoretest"
	"github.com/kabinet/kabinet/platform/delivery"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/eventstore/sqlstore"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

type recordingNotifier struct {
	mu   sync.Mutex
	sent []delivery.Notification
}

func (r *recordingNotifier) Notify(_ context.Context, n delivery.Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, n)
	return nil
}

func (r *recordingNotifier) last() delivery.Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sent[len(r.sent)-1]
}

// identityApp is the part of Application these tests use: the identity
// commands and the registration and contact commands that precede them.
type identityApp struct {
	IdentityCommands
	RegisterAccount    *RegisterAccountHandler
	RequestContactCode *RequestContactCodeHandler
	ConfirmContact     *ConfirmContactHandler
}

type identityFixture struct {
	t     *testing.T
	store eventstore.Store
	blobs *blobstore.FileStore
	out   *recordingNotifier
	app   identityApp
	key   []byte
	caDir string
	// migration, when set, replaces the simulator's migration records.
	migration registry.MigrationRecords
}

func newIdentityFixture(t *testing.T) *identityFixture {
	t.Helper()
	ctx := context.Background()
	store, err := sqlstore.New(ctx, sqltest.SQLite(t), sqlstore.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	blobs, err := blobstore.NewFileStore(t.TempDir(), bytes.Repeat([]byte{7}, blobstore.KeySize), blobstoretest.NewKeys())
	require.NoError(t, err)
	f := &identityFixture{t: t, store: store, blobs: blobs, out: &recordingNotifier{}, key: []byte(strings.Repeat("s", 32)), caDir: t.TempDir()}
	f.restart()
	return f
}

// restart builds every handler afresh over the same stores, as a new
// process would.
func (f *identityFixture) restart() {
	hasher, err := domain.NewHMACCodeHasher(f.key)
	require.NoError(f.t, err)
	newID := func() uuid.UUID { return uuid.Must(uuid.NewV7()) }
	ids := NewIdentifierClaims(f.store, f.key, newID)
	ca, err := esign.LoadOrCreateTestCA(f.caDir)
	require.NoError(f.t, err)
	regs := registry.NewSimulator(ids, BankOutbox{Notifier: f.out, Clock: time.Now}).Registries()
	if f.migration != nil {
		regs.Migration = f.migration
	}
	d := Deps{
		Repo: NewRepository(f.store, newID), Claims: NewContactClaims(f.store, f.key, newID),
		Notifier: f.out, Clock: time.Now, Random: rand.Reader, Hasher: hasher, NewID: newID,
		Identity: IdentityDeps{
			Blobs: f.blobs, Registries: regs,
			Calendar: domain.NewRussianCalendar(), Identifiers: ids, ESign: esign.NewVerifier(ca.Pool()),
		},
	}
	f.app = identityApp{
		IdentityCommands: NewIdentityCommands(d), RegisterAccount: NewRegisterAccountHandler(d),
		RequestContactCode: NewRequestContactCodeHandler(d), ConfirmContact: NewConfirmContactHandler(d),
	}
}

func (f *identityFixture) ctx() context.Context {
	return WithMetadata(context.Background(), Metadata{ActorID: "tester", ActorRole: "citizen", CorrelationID: "c"})
}

// account registers a person with a confirmed phone and personal data.
func (f *identityFixture) account(phone, surname, given, patronymic, birth string) uuid.UUID {
	f.t.Helper()
	ctx := f.ctx()
	res, err := f.app.RegisterAccount.Handle(ctx, RegisterAccount{Registration: domain.Registration{Consent: domain.CurrentConsent(),
		Surname: surname, GivenNames: given, Patronymic: patronymic, Citizenship: "UZ", Phone: phone,
	}})
	require.NoError(f.t, err)
	id := res.AccountID
	_, err = f.app.RequestContactCode.Handle(ctx, RequestContactCode{AccountID: id, Channel: domain.ChannelPhone})
	require.NoError(f.t, err)
	_, err = f.app.ConfirmContact.Handle(ctx, ConfirmContact{AccountID: id, Channel: domain.ChannelPhone, Code: f.out.last().Code})
	require.NoError(f.t, err)
	_, err = f.app.ProvidePersonalData.Handle(ctx, ProvidePersonalData{AccountID: id, Input: domain.PersonalDataInput{
		Surname: surname, GivenNames: given, Patronymic: patronymic, BirthDate: birth,
		BirthPlace: domain.BirthPlace{Country: "UZ", City: "Ташкент"}, Citizenship: "UZ",
		AddressRU: domain.AddressRU{Region: "Москва", City: "Москва", Street: "Тверская", House: "1", PostalCode: "125009"},
	}})
	require.NoError(f.t, err)
	return id
}

func (f *identityFixture) scan() domain.ScanRef {
	b, err := f.blobs.Put(context.Background(), blobstoretest.Owner, bytes.NewReader(pdfBytes), domain.MaxScanSize)
	require.NoError(f.t, err)
	return domain.ScanRef{BlobID: b.ID, Size: b.Size, Type: b.Type, SHA256: b.SHA256}
}

func (f *identityFixture) blobExists(id string) bool {
	_, _, err := f.blobs.Open(context.Background(), id)
	return err == nil
}

func future(years int) string { return time.Now().AddDate(years, 0, 0).Format("2006-01-02") }

func (f *identityFixture) addDocuments(id uuid.UUID) {
	f.t.Helper()
	for _, in := range []domain.DocumentInput{
		{Kind: "identity", Type: "foreign_passport", Number: "FA1234567", IssuedAt: "2020-01-01", ExpiresAt: future(5), Issuer: "MFA"},
		{Kind: "stay_right", Type: "migration_card", Number: "MC7654321", IssuedAt: "2024-01-01", ExpiresAt: future(1), Issuer: "МВД"},
		{Kind: "stay_right", Type: "patent", Number: "PT7654321", IssuedAt: "2024-01-01", ExpiresAt: future(1), Issuer: "МВД"},
	} {
		_, _, err := f.app.AddDocument.Handle(f.ctx(), AddDocument{AccountID: id, Input: in, Scans: []domain.ScanRef{f.scan()}})
		require.NoError(f.t, err)
	}
}

func TestAddDocument_RefusalDeletesTheScans(t *testing.T) {
	f := newIdentityFixture(t)
	id := f.account("+79120000001", "Иванов", "Пётр", "", "1990-01-01")
	s1, s2 := f.scan(), f.scan()
	_, _, err := f.app.AddDocument.Handle(f.ctx(), AddDocument{AccountID: id, Input: domain.DocumentInput{
		Kind: "identity", Type: "foreign_passport", Number: "FA1", IssuedAt: "2010-01-01", ExpiresAt: "2020-01-01", Issuer: "MFA",
	}, Scans: []domain.ScanRef{s1}, Translation: &s2})
	assert.ErrorIs(t, err, &domain.Error{Code: domain.CodeDocumentExpired})
	assert.False(t, f.blobExists(s1.BlobID))
	assert.False(t, f.blobExists(s2.BlobID))

	s3 := f.scan()
	_, docID, err := f.app.AddDocument.Handle(f.ctx(), AddDocument{AccountID: id, Input: domain.DocumentInput{
		Kind: "identity", Type: "foreign_passport", Number: "FA1", IssuedAt: "2020-01-01", ExpiresAt: future(3), Issuer: "MFA",
	}, Scans: []domain.ScanRef{s3}})
	require.NoError(t, err)
	assert.NotEqual(t, uuid.Nil, docID)
	assert.True(t, f.blobExists(s3.BlobID), "a document on file keeps its scans")
}

func TestLinkSnils_NumberLinkedToAnotherAccountIsRegistryMismatchEvenAfterRestart(t *testing.T) {
	f := newIdentityFixture(t)
	a := f.account("+79120000002", "Иванов", "Пётр", "", "1990-01-01")
	b := f.account("+79120000003", "Петров", "Иван", "", "1991-02-02")
	_, err := f.app.LinkSnils.Handle(f.ctx(), LinkSnils{AccountID: a, Snils: "112-233-445 95"})
	require.NoError(t, err)
	_, err = f.app.LinkSnils.Handle(f.ctx(), LinkSnils{AccountID: a, Snils: "11223344595"})
	require.NoError(t, err, "the same number again is no change")

	f.restart()
	res, err := f.app.LinkSnils.Handle(f.ctx(), LinkSnils{AccountID: b, Snils: "112 233 445 95"})
	assert.ErrorIs(t, err, &domain.Error{Code: domain.CodeRegistryMismatch})
	assert.NotZero(t, res.Position, "SnilsRejected is part of the history")
	acc, err := NewRepository(f.store, uuid.New).Load(context.Background(), b)
	require.NoError(t, err)
	assert.True(t, acc.Snils().IsZero())
}

func TestLinkSnilsAndInn_FixturePersonMatchesOnlyThemselves(t *testing.T) {
	f := newIdentityFixture(t)
	k := registry.TestPersons()[0]
	stranger := f.account("+79120000004", "Петров", "Иван", "", "1991-02-02")
	karimov := f.account("+79120000005", k.Surname, k.GivenNames, k.Patronymic, k.BirthDate.String())

	_, err := f.app.LinkSnils.Handle(f.ctx(), LinkSnils{AccountID: stranger, Snils: k.Snils})
	assert.ErrorIs(t, err, &domain.Error{Code: domain.CodeRegistryMismatch})
	_, err = f.app.LinkInn.Handle(f.ctx(), LinkInn{AccountID: stranger, Inn: k.Inn})
	assert.ErrorIs(t, err, &domain.Error{Code: domain.CodeRegistryMismatch})

	_, err = f.app.LinkSnils.Handle(f.ctx(), LinkSnils{AccountID: karimov, Snils: k.Snils})
	assert.NoError(t, err)
	_, err = f.app.LinkInn.Handle(f.ctx(), LinkInn{AccountID: karimov, Inn: k.Inn})
	assert.NoError(t, err)

	for in, code := range map[string]string{"7707083893": domain.CodeInnNotPersonal, "770712345634": domain.CodeInnChecksum} {
		res, err := f.app.LinkInn.Handle(f.ctx(), LinkInn{AccountID: stranger, Inn: in})
		assert.ErrorIs(t, err, &domain.Error{Code: code}, in)
		assert.Zero(t, res.Position, "a malformed number records nothing")
	}
}

func TestRequestIdentityVerification_CodesGoThroughTheNotifier(t *testing.T) {
	f := newIdentityFixture(t)
	id := f.account("+79120000006", "Иванов", "Пётр", "", "1990-01-01")
	f.addDocuments(id)
	_, err := f.app.LinkSnils.Handle(f.ctx(), LinkSnils{AccountID: id, Snils: "112-233-445 95"})
	require.NoError(t, err)

	res, err := f.app.RequestIdentityVerification.Handle(f.ctx(), RequestIdentityVerification{AccountID: id, Method: domain.MethodRussianPost})
	require.NoError(t, err)
	assert.Equal(t, domain.VerificationPending, res.Status)
	assert.False(t, res.Deadline.IsZero())
	n := f.out.last()
	assert.Equal(t, "identity_code", n.Kind)
	assert.Equal(t, "post", n.Channel)
	assert.Contains(t, n.To, "125009")
	require.Len(t, n.Code, 6)

	res, err = f.app.EnterVerificationCode.Handle(f.ctx(), EnterVerificationCode{AccountID: id, Code: n.Code})
	require.NoError(t, err)
	assert.Equal(t, domain.VerificationVerified, res.Status)
	acc, err := NewRepository(f.store, uuid.New).Load(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, domain.LevelConfirmed, acc.Level())
}

func TestRequestIdentityVerification_BankCodeGoesThroughTheBanksOwnChannel(t *testing.T) {
	f := newIdentityFixture(t)
	k := registry.TestPersons()[0]
	id := f.account("+79120000007", k.Surname, k.GivenNames, k.Patronymic, k.BirthDate.String())
	f.addDocuments(id)
	_, err := f.app.LinkSnils.Handle(f.ctx(), LinkSnils{AccountID: id, Snils: k.Snils})
	require.NoError(t, err)
	_, err = f.app.RequestIdentityVerification.Handle(f.ctx(), RequestIdentityVerification{AccountID: id, Method: domain.MethodBank})
	require.NoError(t, err)
	n := f.out.last()
	assert.Equal(t, ChannelBank, n.Channel)
	assert.Equal(t, k.BankPhone, n.To, "the bank's contact for its customer")
	assert.NotEqual(t, "+79120000007", n.To, "never the phone the account confirmed itself")
	assert.Equal(t, id.String(), n.AccountID)
	res, err := f.app.EnterVerificationCode.Handle(f.ctx(), EnterVerificationCode{AccountID: id, Code: n.Code})
	require.NoError(t, err)
	assert.Equal(t, domain.VerificationVerified, res.Status)
}

func TestProvidePersonalData_ANameChangeChecksTheLinkedSnilsAndInnAgain(t *testing.T) {
	f := newIdentityFixture(t)
	k := registry.TestPersons()[0]
	id := f.account("+79120000008", k.Surname, k.GivenNames, k.Patronymic, k.BirthDate.String())
	_, err := f.app.LinkSnils.Handle(f.ctx(), LinkSnils{AccountID: id, Snils: k.Snils})
	require.NoError(t, err)
	_, err = f.app.LinkInn.Handle(f.ctx(), LinkInn{AccountID: id, Inn: k.Inn})
	require.NoError(t, err)
	_, err = f.app.ProvidePersonalData.Handle(f.ctx(), ProvidePersonalData{AccountID: id, Input: domain.PersonalDataInput{
		Surname: "Каримова", GivenNames: k.GivenNames, Patronymic: k.Patronymic, BirthDate: k.BirthDate.String(),
		BirthPlace: domain.BirthPlace{Country: "UZ", City: "Ташкент"}, Citizenship: "UZ",
		AddressRU: domain.AddressRU{Region: "Москва", City: "Москва", Street: "Тверская", House: "1", PostalCode: "125009"},
	}})
	require.NoError(t, err)
	acc, err := NewRepository(f.store, uuid.New).Load(context.Background(), id)
	require.NoError(t, err)
	assert.True(t, acc.Snils().IsZero(), "the pension fund holds this SNILS for the old name only")
	assert.True(t, acc.Inn().IsZero(), "so does the tax service the INN")
	assert.Equal(t, domain.LevelSimplified, acc.Level())
}

// noRecords is migration records that hold no document at all.
type noRecords struct{ asked []registry.StayDocument }

func (n *noRecords) CheckStayDocument(_ context.Context, _ uuid.UUID, d registry.StayDocument, _ registry.Person) (registry.Verdict, error) {
	n.asked = append(n.asked, d)
	return registry.Verdict{Reason: "not_on_record"}, nil
}

func TestAddDocument_AResidencePermitIsCheckedWithTheMigrationRecordsWhicheverWayItWasFiled(t *testing.T) {
	f := newIdentityFixture(t)
	records := &noRecords{}
	f.migration = records
	f.restart()
	id := f.account("+79120000009", "Иванов", "Пётр", "", "1990-01-01")
	for _, kind := range []string{"identity", "stay_right"} {
		_, _, err := f.app.AddDocument.Handle(f.ctx(), AddDocument{AccountID: id, Input: domain.DocumentInput{
			Kind: kind, Type: domain.DocResidencePermit, Number: "82" + kind, IssuedAt: "2022-01-01", ExpiresAt: future(3), Issuer: "МВД",
		}, Scans: []domain.ScanRef{f.scan()}})
		assert.ErrorIs(t, err, &domain.Error{Code: domain.CodeRegistryMismatch}, kind)
	}
	assert.Len(t, records.asked, 2, "asked about both")
	_, _, err := f.app.AddDocument.Handle(f.ctx(), AddDocument{AccountID: id, Input: domain.DocumentInput{
		Kind: "identity", Type: "foreign_passport", Number: "FA99", IssuedAt: "2022-01-01", ExpiresAt: future(3), Issuer: "MFA",
	}, Scans: []domain.ScanRef{f.scan()}})
	require.NoError(t, err, "a passport is no stay right: not asked")
	assert.Len(t, records.asked, 2)
}
