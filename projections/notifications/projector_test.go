package notifications_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/delivery"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
	"github.com/kabinet/kabinet/projections/internal/projtest"
	"github.com/kabinet/kabinet/projections/internal/readmodel"
	"github.com/kabinet/kabinet/projections/notifications"
)

// sink is a Notifier that remembers what it was given and can be told to fail.
type sink struct {
	mu   sync.Mutex
	got  []delivery.Notification
	fail func(n delivery.Notification) error
}

func (s *sink) Notify(_ context.Context, n delivery.Notification) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		if err := s.fail(n); err != nil {
			return err
		}
	}
	s.got = append(s.got, n)
	return nil
}

func (s *sink) sent() []delivery.Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// expectation is what the domain says one notification must be.
type expectation struct {
	ID, Kind, Event, Frequency, Status string
	Channels                           []string
}

// expected replays the account's stream and, at every verification
// outcome and application status change, addresses a notification with
// the preferences and confirmed contacts the domain's fold has then.
func expected(t *testing.T, store eventstore.Store, id uuid.UUID) []expectation {
	_, recs := projtest.Fold(t, store, id)
	var evs []domain.Event
	var out []expectation
	for _, rec := range recs {
		e, err := domain.DecodeEvent(rec.Type, rec.SchemaVersion, rec.Data)
		require.NoError(t, err)
		before := domain.NewAccountFromHistory(id, evs)
		evs = append(evs, e)
		kind := ""
		switch e.(type) {
		case domain.IdentityVerified, domain.IdentityVerificationRejected, domain.VerificationDeadlineExtended,
			domain.IdentityVerificationCancelled:
			kind = notifications.KindVerification
		case domain.AccountLevelLowered:
			kind = notifications.KindLevel
		case domain.ApplicationEdited:
			continue // the citizen's own edit changes no status: nothing to tell
		default:
			if ref, _, ok := domain.ApplicationStatusOf(e); ok {
				_, known := before.Application(ref.ApplicationID)
				if _, sub := e.(domain.ApplicationSubmitted); sub == known {
					continue
				}
				kind = notifications.KindApplication
			}
		}
		if kind == "" {
			continue
		}
		s := before.State()
		prefs := s.NotificationPreferences
		channels := []string{}
		confirmed := func(ch domain.Channel) bool {
			for _, c := range s.Contacts {
				if c.Channel == ch && c.Confirmed {
					return true
				}
			}
			return false
		}
		if prefs.Wants("email") && confirmed(domain.ChannelEmail) {
			channels = append(channels, "email")
		}
		if prefs.Wants("sms") && confirmed(domain.ChannelPhone) {
			channels = append(channels, "sms")
		}
		if prefs.Wants("push") {
			channels = append(channels, "push")
		}
		status := notifications.StatusPending
		switch {
		case len(channels) == 0:
			status = notifications.StatusMuted
		case prefs.Frequency != domain.FrequencyImmediate:
			status = notifications.StatusDigest
		}
		out = append(out, expectation{ID: readmodel.EventID("notification", rec.StreamID, rec.Version),
			Kind: kind, Event: rec.Type, Frequency: prefs.Frequency, Status: status, Channels: channels})
	}
	return out
}

func list(t *testing.T, rd *notifications.Reader, id uuid.UUID, limit int) []notifications.Item {
	var out []notifications.Item
	cursor := ""
	for {
		items, next, err := rd.List(context.Background(), id, cursor, limit)
		require.NoError(t, err)
		out = append(out, items...)
		if next == "" {
			return out
		}
		cursor = next
	}
}

// TestNotifications_StopAndRestartMatchesDomainThenRebuildDeliversNothingTwice
// stops the projection at random moments under the whole domain's traffic,
// checks every notification against the domain's fold (addressed by the
// preferences and contacts of its moment), delivers, digests and reads
// some, and then rebuilds from 0: the rows come back equal, with their
// statuses and read flags, and nothing is delivered again.
func TestNotifications_StopAndRestartMatchesDomainThenRebuildDeliversNothingTwice(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := projtest.NewRig(t, db, notifications.NewProjector())
		var ids []uuid.UUID
		r.StopAndRestart(t, 41, func() { ids = projtest.Traffic(t, r.Store, 10, 500, 12) })
		ctx := context.Background()
		rd := notifications.NewReader(db)
		statuses := map[string]int{}
		for _, id := range ids {
			want := expected(t, r.Store, id)
			got := list(t, rd, id, 7)
			require.Len(t, got, len(want), "account %s", id)
			for i, w := range want {
				g := got[len(got)-1-i] // newest first
				assert.Equal(t, w, expectation{ID: g.NotificationID, Kind: g.Kind, Event: g.Event,
					Frequency: g.Frequency, Status: g.Status, Channels: g.Channels})
				assert.NotEmpty(t, g.Text)
				statuses[g.Status]++
			}
		}
		t.Logf("statuses: %v", statuses)
		require.Positive(t, statuses[notifications.StatusPending])

		out := &sink{}
		clock := func() time.Time { return projtest.Start.Add(30 * 24 * time.Hour) }
		ob := notifications.NewOutbox(db, out, clock, nil)
		digests, err := ob.SendDigests(ctx, clock())
		require.NoError(t, err)
		n, err := ob.DeliverPending(ctx)
		require.NoError(t, err)
		assert.Equal(t, statuses[notifications.StatusPending]+digests, n, "every pending row and every digest")
		first := len(out.sent())
		require.Positive(t, first)
		_, err = rd.MarkRead(ctx, ids[0], list(t, rd, ids[0], 500)[0].NotificationID, clock())
		if err != nil {
			require.ErrorIs(t, err, notifications.ErrNotFound)
		}

		before := projtest.Dump(t, db, "notifications", "id")
		r.Rebuild(t, notifications.NewProjector())
		assert.Equal(t, before, projtest.Dump(t, db, "notifications", "id"), "a rebuild from 0 gives the same rows")
		n, err = ob.DeliverPending(ctx)
		require.NoError(t, err)
		assert.Zero(t, n, "nothing is delivered twice after a rebuild")
		assert.Len(t, out.sent(), first)
	})
}
