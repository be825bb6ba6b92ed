package commands

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/commands/scheduler"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/delivery"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

type discardNotifier struct{}

func (discardNotifier) Notify(context.Context, delivery.Notification) error { return nil }

// applicationDeps are Deps with the application ports over store.
func applicationDeps(t *testing.T, store eventstore.Store) Deps {
	t.Helper()
	key := []byte(strings.Repeat("k", 32))
	hasher, err := domain.NewHMACCodeHasher(key)
	require.NoError(t, err)
	return Deps{
		Repo: NewRepository(store, newTestID), Claims: NewContactClaims(store, key, newTestID),
		Notifier: discardNotifier{}, Clock: func() time.Time { return appT0 }, Random: rand.Reader,
		Hasher: hasher, NewID: newTestID,
		Applications: ApplicationDeps{
			Calendar: domain.NewRussianCalendar(), Numbers: NewApplicationNumbers(store, newTestID),
			Index: NewApplicationIndex(store, newTestID), Payments: NewPaymentClaims(store, newTestID),
		},
	}
}

// clarifying writes a simplified account with two certificate applications
// in review, both asked for a clarification due on due; the second one is
// answered. It returns the account and both application ids.
func clarifying(t *testing.T, d Deps, due domain.Date) (uuid.UUID, uuid.UUID, uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	a, err := domain.Register(newTestID(), domain.Registration{Consent: domain.CurrentConsent(), Surname: "Иванов", GivenNames: "Пётр", Citizenship: "UZ", Phone: "+79123456789"}, appT0)
	require.NoError(t, err)
	code, err := a.RequestContactCode(domain.ChannelPhone, appT0, rand.Reader, d.Hasher)
	require.NoError(t, err)
	require.NoError(t, a.ConfirmContact(domain.ChannelPhone, code, appT0, d.Hasher))
	_, err = d.Repo.Create(ctx, a, Metadata{})
	require.NoError(t, err)
	ctx = WithMetadata(ctx, Metadata{ActorID: a.ID().String(), ActorRole: "citizen"})
	submit := NewSubmitApplicationHandler(d)
	var apps [2]uuid.UUID
	for i := range apps {
		res, err := submit.Handle(ctx, SubmitApplication{AccountID: a.ID(), Service: domain.ServiceCertificate,
			Form: map[string]any{"kind": "stay_status", "purpose": "банк"}})
		require.NoError(t, err)
		apps[i] = res.ApplicationID
		op := WithMetadata(ctx, Metadata{ActorID: "op-1", ActorRole: "operator"})
		_, err = NewApplicationCommands(d).Accept.Handle(op, AcceptApplication{ApplicationID: apps[i]})
		require.NoError(t, err)
		_, err = NewApplicationCommands(d).StartReview.Handle(op, StartReview{ApplicationID: apps[i]})
		require.NoError(t, err)
		_, err = NewApplicationCommands(d).RequestClarification.Handle(op, RequestClarification{ApplicationID: apps[i], Comment: "уточните", Due: due})
		require.NoError(t, err)
	}
	_, err = NewApplicationCommands(d).Clarify.Handle(ctx, ProvideClarification{ApplicationID: apps[1], Comment: "для банка"})
	require.NoError(t, err)
	return a.ID(), apps[0], apps[1]
}

func deadlineRows(t *testing.T, db *sqldb.DB) []string {
	t.Helper()
	var ids []string
	require.NoError(t, db.NewRaw("SELECT application_id FROM clarification_deadlines ORDER BY application_id").Scan(context.Background(), &ids))
	return ids
}

func TestClarificationTimeouts_RejectOnlyUnansweredOnesPastDueOnce(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		store := openStore(t, db)
		d := applicationDeps(t, store)
		due := domain.MustDate(2026, time.April, 17) // a Friday
		account, unanswered, answered := clarifying(t, d, due)
		job, err := scheduler.NewClarificationTimeouts(ctx, db, store, NewTimeoutClarificationHandler(d).TimeoutApplication, nil)
		require.NoError(t, err)

		require.NoError(t, job.Run(ctx, due.Time(domain.Moscow).Add(23*time.Hour)))
		assert.Equal(t, []string{unanswered.String()}, deadlineRows(t, db), "the answered one left the index")
		status := func(app uuid.UUID) domain.ApplicationState {
			a, err := d.Repo.Load(ctx, account)
			require.NoError(t, err)
			s, _ := a.Application(app)
			return s
		}
		assert.Equal(t, domain.StatusClarificationRequested, status(unanswered).Status, "the due day is the citizen's")

		later := due.AddDays(1).Time(domain.Moscow).Add(time.Hour)
		require.NoError(t, job.Run(ctx, later))
		s := status(unanswered)
		assert.Equal(t, domain.StatusRejected, s.Status)
		last := s.History[len(s.History)-1]
		assert.Equal(t, []string{domain.ReasonClarificationTimeout}, last.Reasons)
		assert.Equal(t, "system", last.ByRole)
		assert.Equal(t, domain.StatusInReview, status(answered).Status)

		head, err := store.Head(ctx)
		require.NoError(t, err)
		require.NoError(t, job.Run(ctx, later))
		after, err := store.Head(ctx)
		require.NoError(t, err)
		assert.Equal(t, head, after, "a second run rejects nothing again")
		assert.Empty(t, deadlineRows(t, db), "the rejection left the index")

		// The index is the log's: dropped with its checkpoint, it comes back the same.
		_, err = db.ExecContext(ctx, "DELETE FROM clarification_deadlines")
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, "DELETE FROM scheduler_checkpoints WHERE job = ?", "clarification_timeout")
		require.NoError(t, err)
		require.NoError(t, job.CatchUp(ctx))
		assert.Empty(t, deadlineRows(t, db))
	})
}

func TestClarificationTimeouts_ALaterRequestMovesTheDate(t *testing.T) {
	ctx := context.Background()
	db := sqltest.SQLite(t)
	store := openStore(t, db)
	d := applicationDeps(t, store)
	first := domain.MustDate(2026, time.April, 17)
	_, app, answered := clarifying(t, d, first)
	op := WithMetadata(ctx, Metadata{ActorID: "op-1", ActorRole: "operator"})
	_, err := NewApplicationCommands(d).RequestClarification.Handle(op, RequestClarification{ApplicationID: answered, Comment: "ещё раз", Due: first.AddDays(10)})
	require.NoError(t, err)
	job, err := scheduler.NewClarificationTimeouts(ctx, db, store, NewTimeoutClarificationHandler(d).TimeoutApplication, nil)
	require.NoError(t, err)
	statusOf := func(id uuid.UUID) string {
		account, err := d.Applications.Index.Account(ctx, id)
		require.NoError(t, err)
		a, err := d.Repo.Load(ctx, account)
		require.NoError(t, err)
		s, _ := a.Application(id)
		return s.Status
	}
	at := first.AddDays(3).Time(domain.Moscow)
	require.NoError(t, job.Run(ctx, at))
	require.NoError(t, job.Run(ctx, at))
	assert.Equal(t, domain.StatusRejected, statusOf(app))
	assert.Equal(t, domain.StatusClarificationRequested, statusOf(answered), "asked again, due later")
	assert.Equal(t, []string{answered.String()}, deadlineRows(t, db))
	require.NoError(t, job.Run(ctx, first.AddDays(11).Time(domain.Moscow)))
	assert.Equal(t, domain.StatusRejected, statusOf(answered))
}
