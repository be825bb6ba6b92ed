package scheduler_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/commands/scheduler"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/delivery"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/eventstore/sqlstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

type expiryFixture struct {
	t      *testing.T
	db     *sqldb.DB
	store  eventstore.Store
	repo   *commands.Repository
	expire *commands.ExpireDocumentsHandler
	job    *scheduler.DocumentExpiry
}

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

type nopNotifier struct{}

func (nopNotifier) Notify(context.Context, delivery.Notification) error { return nil }

func newExpiryFixture(t *testing.T, expire scheduler.ExpireFunc) *expiryFixture {
	t.Helper()
	ctx := context.Background()
	db := sqltest.SQLite(t)
	store, err := sqlstore.New(ctx, db, sqlstore.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	key := []byte(strings.Repeat("k", 32))
	hasher, err := domain.NewHMACCodeHasher(key)
	require.NoError(t, err)
	repo := commands.NewRepository(store, newID)
	f := &expiryFixture{t: t, db: db, store: store, repo: repo}
	f.expire = commands.NewExpireDocumentsHandler(commands.Deps{
		Repo: repo, Claims: commands.NewContactClaims(store, key, newID), Notifier: nopNotifier{},
		Clock: time.Now, Random: rand.Reader, Hasher: hasher, NewID: newID,
	})
	if expire == nil {
		expire = f.expire.ExpireAccount
	}
	f.job, err = scheduler.NewDocumentExpiry(ctx, db, store, expire, nil)
	require.NoError(t, err)
	return f
}

// account writes a registered account holding one stay-right document
// that expires on expires.
func (f *expiryFixture) account(expires domain.Date) (uuid.UUID, uuid.UUID) {
	f.t.Helper()
	now := time.Date(2029, 1, 10, 9, 0, 0, 0, time.UTC)
	a, err := domain.Register(newID(), domain.Registration{Consent: domain.CurrentConsent(),
		Surname: "Иванов", GivenNames: "Пётр", Citizenship: "UZ", Phone: "+79123456789",
	}, now)
	require.NoError(f.t, err)
	docID := newID()
	require.NoError(f.t, a.AddDocument(domain.DocumentInput{
		Kind: "stay_right", Type: "migration_card", Number: "1234567", IssuedAt: "2029-01-01",
		ExpiresAt: expires.String(), Issuer: "МВД",
	}, []domain.ScanRef{{BlobID: newID().String(), Size: 10, Type: domain.ScanPDF, SHA256: strings.Repeat("a", 64)}},
		nil, domain.MoscowDate(now), docID, now))
	_, err = f.repo.Create(context.Background(), a, commands.Metadata{ActorID: "test", ActorRole: "citizen"})
	require.NoError(f.t, err)
	return a.ID(), docID
}

func (f *expiryFixture) head() uint64 {
	h, err := f.store.Head(context.Background())
	require.NoError(f.t, err)
	return h
}

func (f *expiryFixture) expired(account, doc uuid.UUID) bool {
	a, err := f.repo.Load(context.Background(), account)
	require.NoError(f.t, err)
	d, ok := a.Document(doc)
	require.True(f.t, ok)
	return d.Expired
}

func TestDocumentExpiry_ExpiresOnlyAfterTheMoscowDayOfExpiry(t *testing.T) {
	f := newExpiryFixture(t, nil)
	ctx := context.Background()
	expires := domain.MustDate(2029, time.May, 10)
	acc, doc := f.account(expires)
	other, otherDoc := f.account(domain.MustDate(2030, time.May, 10))

	// 10 May, 20:59 UTC is 23:59 in Moscow: still the day of expiry.
	require.NoError(t, f.job.Run(ctx, time.Date(2029, 5, 10, 20, 59, 0, 0, time.UTC)))
	assert.False(t, f.expired(acc, doc), "valid through its last day")

	// 10 May, 21:00 UTC is already 11 May in Moscow.
	require.NoError(t, f.job.Run(ctx, time.Date(2029, 5, 10, 21, 0, 0, 0, time.UTC)))
	assert.True(t, f.expired(acc, doc))
	assert.False(t, f.expired(other, otherDoc), "the other account's document is still in force")
}

func TestDocumentExpiry_SecondRunRecordsNothing(t *testing.T) {
	f := newExpiryFixture(t, nil)
	ctx := context.Background()
	acc, _ := f.account(domain.MustDate(2029, time.May, 10))
	later := time.Date(2029, 6, 1, 12, 0, 0, 0, time.UTC)
	require.NoError(t, f.job.Run(ctx, later))
	head := f.head()
	require.NoError(t, f.job.Run(ctx, later))
	assert.Equal(t, head, f.head(), "nothing is due any more")
	// Even the command itself, sent again, records nothing.
	res, err := f.expire.Handle(ctx, commands.ExpireDocuments{AccountID: acc, Now: later})
	require.NoError(t, err)
	assert.Zero(t, res.Position)
	assert.Equal(t, head, f.head())
}

func TestDocumentExpiry_IndexRebuildsFromTheLogAfterItIsLost(t *testing.T) {
	f := newExpiryFixture(t, nil)
	ctx := context.Background()
	acc, doc := f.account(domain.MustDate(2029, time.May, 10))
	later := time.Date(2029, 6, 1, 12, 0, 0, 0, time.UTC)
	require.NoError(t, f.job.Run(ctx, later))
	require.True(t, f.expired(acc, doc))
	head := f.head()

	// The read database is lost: index and checkpoint go together.
	_, err := f.db.ExecContext(ctx, "DELETE FROM document_expiry")
	require.NoError(t, err)
	_, err = f.db.ExecContext(ctx, "DELETE FROM scheduler_checkpoints")
	require.NoError(t, err)
	acc2, doc2 := f.account(domain.MustDate(2029, time.May, 20))

	require.NoError(t, f.job.Run(ctx, later))
	assert.Equal(t, head+4, f.head(), "only the new account is written: its three events, then one DocumentExpired")
	assert.True(t, f.expired(acc2, doc2))
	var rows, done int
	require.NoError(t, f.db.NewRaw("SELECT COUNT(*) FROM document_expiry").Scan(ctx, &rows))
	require.NoError(t, f.db.NewRaw("SELECT COUNT(*) FROM document_expiry WHERE expired = TRUE").Scan(ctx, &done))
	assert.Equal(t, 2, rows)
	assert.Equal(t, 2, done, "the old row is marked from its DocumentExpired event")
}

func TestDocumentExpiry_AFailedCommandStaysDue(t *testing.T) {
	calls := 0
	fail := true
	var f *expiryFixture
	f = newExpiryFixture(t, func(ctx context.Context, id uuid.UUID, now time.Time) error {
		calls++
		if fail {
			return errors.New("event store unavailable")
		}
		return f.expire.ExpireAccount(ctx, id, now)
	})
	ctx := context.Background()
	acc, doc := f.account(domain.MustDate(2029, time.May, 10))
	later := time.Date(2029, 6, 1, 12, 0, 0, 0, time.UTC)
	assert.Error(t, f.job.Run(ctx, later))
	assert.False(t, f.expired(acc, doc))
	fail = false
	require.NoError(t, f.job.Run(ctx, later))
	assert.True(t, f.expired(acc, doc))
	assert.Equal(t, 2, calls)
	require.NoError(t, f.job.Run(ctx, later))
	assert.Equal(t, 2, calls, "done: not asked again")
}
