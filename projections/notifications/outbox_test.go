package notifications_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/delivery"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
	"github.com/kabinet/kabinet/projections/internal/projtest"
	"github.com/kabinet/kabinet/projections/notifications"
)

var t0 = time.Date(2026, 4, 15, 9, 0, 0, 0, time.UTC) // Wednesday, 12:00 in Moscow

// appendEvents writes events to account's stream as they are.
func appendEvents(t *testing.T, store eventstore.Store, account uuid.UUID, evs ...domain.Event) {
	t.Helper()
	var data []eventstore.EventData
	for _, e := range evs {
		typ, v, payload, err := domain.EncodeEvent(e)
		require.NoError(t, err)
		data = append(data, eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: typ, SchemaVersion: v,
			Data: payload, Metadata: []byte(`{}`), OccurredAt: domain.EventTime(e)})
	}
	_, err := store.Append(context.Background(), "account-"+account.String(), eventstore.Any, data)
	require.NoError(t, err)
}

// person registers an account with a confirmed phone and email and the
// given preferences.
func person(t *testing.T, store eventstore.Store, prefs domain.NotificationPreferences) uuid.UUID {
	id := uuid.Must(uuid.NewV7())
	appendEvents(t, store, id,
		domain.AccountRegistered{AccountID: id, Surname: "Каримов", GivenNames: "Алишер", Citizenship: "UZ",
			Phone: "+79123456789", Email: "a@example.com", OccurredAt: t0},
		domain.ContactConfirmed{Channel: domain.ChannelPhone, Value: "+79123456789", OccurredAt: t0},
		domain.ContactConfirmed{Channel: domain.ChannelEmail, Value: "a@example.com", OccurredAt: t0},
		domain.NotificationPreferencesChanged{NotificationPreferences: prefs, OccurredAt: t0},
	)
	return id
}

func verified(at time.Time) domain.IdentityVerified {
	return domain.IdentityVerified{Method: domain.MethodServiceCenter, By: "op", OccurredAt: at}
}

func TestOutbox_ImmediateGoesOnEveryChannelOnceAndSurvivesAFailingNotifier(t *testing.T) {
	db := sqltest.SQLite(t)
	r := projtest.NewRig(t, db, notifications.NewProjector())
	id := person(t, r.Store, domain.NotificationPreferences{Email: true, SMS: true, Push: true, Frequency: domain.FrequencyImmediate})
	appendEvents(t, r.Store, id, verified(t0.Add(time.Hour)))
	r.CatchUp(t)
	ctx := context.Background()

	calls := 0
	out := &sink{fail: func(n delivery.Notification) error {
		if calls++; calls == 2 {
			return errors.New("sms gateway down")
		}
		return nil
	}}
	ob := notifications.NewOutbox(db, out, func() time.Time { return t0.Add(2 * time.Hour) }, nil)
	n, err := ob.DeliverPending(ctx)
	require.Error(t, err, "the gateway failed")
	assert.Zero(t, n)
	items, _, err := notifications.NewReader(db).List(ctx, id, "", 10)
	require.NoError(t, err)
	require.Len(t, items, 1)
	assert.Equal(t, notifications.StatusPending, items[0].Status, "stays pending for the next round")

	n, err = ob.DeliverPending(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	var channels []string
	for _, s := range out.sent() {
		channels = append(channels, s.Channel+" "+s.To)
		assert.Equal(t, "Ваша личность подтверждена в центре обслуживания.", s.Text)
		assert.Equal(t, id.String(), s.AccountID)
	}
	assert.Equal(t, []string{"email a@example.com", "sms +79123456789", "push " + id.String()}, channels,
		"the email that went before the failure is not sent again")
	items, _, err = notifications.NewReader(db).List(ctx, id, "", 10)
	require.NoError(t, err)
	assert.Equal(t, notifications.StatusSent, items[0].Status)
	require.NotNil(t, items[0].SentAt)

	n, err = ob.DeliverPending(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Len(t, out.sent(), 3)
}

func TestOutbox_ADeadLetteredChannelIsDoneWithNotRetriedEachRound(t *testing.T) {
	db := sqltest.SQLite(t)
	r := projtest.NewRig(t, db, notifications.NewProjector())
	id := person(t, r.Store, domain.NotificationPreferences{Email: true, SMS: true, Frequency: domain.FrequencyImmediate})
	appendEvents(t, r.Store, id, verified(t0.Add(time.Hour)))
	r.CatchUp(t)
	ctx := context.Background()
	smsTries := 0
	out := &sink{fail: func(n delivery.Notification) error {
		if n.Channel == "sms" {
			smsTries++
			return fmt.Errorf("deliver after 3 attempts: %w", delivery.ErrDeadLettered)
		}
		return nil
	}}
	ob := notifications.NewOutbox(db, out, func() time.Time { return t0.Add(2 * time.Hour) }, nil)
	n, err := ob.DeliverPending(ctx)
	require.NoError(t, err, "the dead-letter list has the SMS")
	assert.Equal(t, 1, n)
	items, _, err := notifications.NewReader(db).List(ctx, id, "", 10)
	require.NoError(t, err)
	assert.Equal(t, notifications.StatusSent, items[0].Status)
	n, err = ob.DeliverPending(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Equal(t, 1, smsTries, "not sent again each round")
}

func TestOutbox_PreferencesDecideChannelsAndDisableAllMutes(t *testing.T) {
	db := sqltest.SQLite(t)
	r := projtest.NewRig(t, db, notifications.NewProjector())
	smsOnly := person(t, r.Store, domain.NotificationPreferences{SMS: true, Frequency: domain.FrequencyImmediate})
	silent := person(t, r.Store, domain.NotificationPreferences{Email: true, SMS: true, Frequency: domain.FrequencyImmediate, DisableAll: true})
	appendEvents(t, r.Store, smsOnly, verified(t0.Add(time.Hour)))
	appendEvents(t, r.Store, silent, verified(t0.Add(time.Hour)))
	r.CatchUp(t)
	ctx := context.Background()
	rd := notifications.NewReader(db)
	got, _, err := rd.List(ctx, smsOnly, "", 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"sms"}, got[0].Channels)
	got, _, err = rd.List(ctx, silent, "", 10)
	require.NoError(t, err)
	assert.Equal(t, notifications.StatusMuted, got[0].Status)
	assert.Empty(t, got[0].Channels)

	out := &sink{}
	_, err = notifications.NewOutbox(db, out, time.Now, nil).DeliverPending(ctx)
	require.NoError(t, err)
	require.Len(t, out.sent(), 1)
	assert.Equal(t, "sms", out.sent()[0].Channel)
}

func TestOutbox_DailyDigestFoldsTheDayOnceAfterItEnds(t *testing.T) {
	db := sqltest.SQLite(t)
	r := projtest.NewRig(t, db, notifications.NewProjector())
	id := person(t, r.Store, domain.NotificationPreferences{Email: true, Frequency: domain.FrequencyDaily})
	weekly := person(t, r.Store, domain.NotificationPreferences{Email: true, Frequency: domain.FrequencyWeekly})
	app := uuid.Must(uuid.NewV7())
	ref := domain.ApplicationRef{ApplicationID: app, By: id.String(), ByRole: "citizen"}
	appendEvents(t, r.Store, id,
		domain.ApplicationSubmitted{ApplicationRef: ref, Number: "2026-000123", Service: domain.ServiceCertificate,
			Deadline: domain.MustDate(2026, 4, 22), OccurredAt: t0.Add(time.Hour)},
		domain.ApplicationAccepted{ApplicationRef: domain.ApplicationRef{ApplicationID: app, By: "op", ByRole: "operator"}, OccurredAt: t0.Add(2 * time.Hour)},
	)
	appendEvents(t, r.Store, weekly, verified(t0.Add(time.Hour)))
	r.CatchUp(t)
	ctx := context.Background()
	out := &sink{}
	clock := t0.Add(3 * time.Hour)
	ob := notifications.NewOutbox(db, out, func() time.Time { return clock }, nil)

	n, err := ob.SendDigests(ctx, clock)
	require.NoError(t, err)
	assert.Zero(t, n, "the day is not over")
	_, err = ob.DeliverPending(ctx)
	require.NoError(t, err)
	assert.Empty(t, out.sent(), "held notices are not sent one by one")

	clock = time.Date(2026, 4, 15, 21, 5, 0, 0, time.UTC) // 00:05 on Thursday in Moscow
	n, err = ob.SendDigests(ctx, clock)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the daily one; the weekly waits for Monday")
	n, err = ob.SendDigests(ctx, clock.Add(time.Hour))
	require.NoError(t, err)
	assert.Zero(t, n, "a second call the same day makes nothing")
	_, err = ob.DeliverPending(ctx)
	require.NoError(t, err)
	require.Len(t, out.sent(), 1)
	d := out.sent()[0]
	assert.Equal(t, "digest", d.Kind)
	assert.Equal(t, "a@example.com", d.To)
	assert.True(t, strings.HasPrefix(d.Text, "Сводка уведомлений за день (2):"), d.Text)
	assert.Contains(t, d.Text, "Заявление № 2026-000123 «")
	assert.Contains(t, d.Text, "статус «Принято»")

	items, _, err := notifications.NewReader(db).List(ctx, id, "", 10)
	require.NoError(t, err)
	require.Len(t, items, 3)
	assert.Equal(t, notifications.KindDigest, items[0].Kind)
	for _, it := range items[1:] {
		assert.Equal(t, notifications.StatusSent, it.Status)
		assert.Equal(t, items[0].NotificationID, it.DigestID)
	}

	n, err = ob.SendDigests(ctx, time.Date(2026, 4, 19, 21, 30, 0, 0, time.UTC)) // Monday 00:30 in Moscow
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the weekly one")
}

func TestReader_MarkReadCountsUnreadAndKeepsTheFirstTime(t *testing.T) {
	db := sqltest.SQLite(t)
	r := projtest.NewRig(t, db, notifications.NewProjector())
	id := person(t, r.Store, domain.DefaultNotificationPreferences())
	appendEvents(t, r.Store, id,
		domain.IdentityVerificationRejected{Reasons: []string{"data_mismatch", "scan_unreadable"}, Comment: "Фамилия не совпадает", By: "op", OccurredAt: t0.Add(time.Hour)},
		domain.VerificationDeadlineExtended{NewDeadline: domain.MustDate(2026, 4, 29), OccurredAt: t0.Add(2 * time.Hour)},
	)
	r.CatchUp(t)
	ctx := context.Background()
	rd := notifications.NewReader(db)
	items, _, err := rd.List(ctx, id, "", 10)
	require.NoError(t, err)
	require.Len(t, items, 2)
	assert.Equal(t, "Срок проверки личности продлён до 29.04.2026.", items[0].Text)
	assert.Contains(t, items[1].Text, "данные не совпадают с документами; скан документа не читается")
	n, err := rd.Unread(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, 2, n)

	at := t0.Add(3 * time.Hour)
	it, err := rd.MarkRead(ctx, id, items[1].NotificationID, at)
	require.NoError(t, err)
	assert.True(t, it.Read)
	again, err := rd.MarkRead(ctx, id, items[1].NotificationID, at.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, at.UTC(), *again.ReadAt, "the first reading counts")
	n, err = rd.Unread(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, 1, n)

	_, err = rd.MarkRead(ctx, uuid.Must(uuid.NewV7()), items[0].NotificationID, at)
	assert.ErrorIs(t, err, notifications.ErrNotFound, "another account's notification")

	r.Rebuild(t, notifications.NewProjector())
	n, err = rd.Unread(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "reading survives a rebuild")
}
