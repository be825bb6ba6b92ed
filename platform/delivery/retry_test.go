package delivery_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/delivery"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// pauses records the backoff pauses instead of sleeping them.
type pauses []time.Duration

func (p *pauses) sleep(_ context.Context, d time.Duration) error { *p = append(*p, d); return nil }

func TestRetry_BacksOffExponentiallyThenDelivers(t *testing.T) {
	g := &gateway{status: []int{503, 503, 502, 202}}
	srv := httptest.NewServer(g)
	defer srv.Close()
	sms, err := delivery.NewSMSGateway(srv.URL, smsSecret)
	require.NoError(t, err)
	var p pauses
	r := &delivery.Retry{Next: sms, Attempts: 5, Backoff: 100 * time.Millisecond, MaxBackoff: 300 * time.Millisecond, Sleep: p.sleep}
	require.NoError(t, r.Notify(context.Background(), delivery.Notification{Channel: "sms", To: "+79123456789", Text: "hi"}))
	assert.Equal(t, pauses{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}, p, "doubling, capped")
	assert.Len(t, g.got, 1)
}

func TestRetry_DeadLettersWhatNoAttemptDeliveredWithoutTheCode(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		dls, err := delivery.OpenDeadLetters(ctx, db, nil)
		require.NoError(t, err)
		g := &gateway{status: []int{500}}
		srv := httptest.NewServer(g)
		defer srv.Close()
		sms, err := delivery.NewSMSGateway(srv.URL, smsSecret)
		require.NoError(t, err)
		var p pauses
		r := &delivery.Retry{Next: sms, Attempts: 3, Backoff: time.Second, DeadLetters: dls, Sleep: p.sleep}
		n := delivery.Notification{Channel: "sms", To: "+79123456789", AccountID: "acc-1", Kind: "contact_code",
			Code: "918273", Text: "Код подтверждения: 918273."}
		err = r.Notify(ctx, n)
		require.ErrorIs(t, err, delivery.ErrDeadLettered)
		assert.Equal(t, pauses{time.Second, 2 * time.Second}, p)
		list, err := dls.List(ctx, 10)
		require.NoError(t, err)
		require.Len(t, list, 1)
		dl := list[0]
		assert.Equal(t, 3, dl.Attempts)
		assert.Equal(t, "sms", dl.Channel)
		assert.Equal(t, "acc-1", dl.AccountID)
		assert.Equal(t, "contact_code", dl.Kind)
		assert.Equal(t, "Код подтверждения: [redacted].", dl.Text, "no code in the dead-letter list")
		assert.Contains(t, dl.Error, "500")

		// A permanent refusal is dead-lettered at once.
		g.status = []int{400}
		p = nil
		require.ErrorIs(t, r.Notify(ctx, delivery.Notification{Channel: "sms", To: "+7000", Text: "notice"}), delivery.ErrDeadLettered)
		assert.Empty(t, p, "no retries after a permanent failure")
		list, err = dls.List(ctx, 10)
		require.NoError(t, err)
		require.Len(t, list, 2)
		assert.Equal(t, 1, list[0].Attempts, "newest first")
	})
}

func TestByChannel_RoutesEachChannelAndFallsBack(t *testing.T) {
	var email, other []string
	rec := func(into *[]string) delivery.Notifier {
		return notifierFunc(func(_ context.Context, n delivery.Notification) error { *into = append(*into, n.To); return nil })
	}
	b := delivery.ByChannel{Channels: map[string]delivery.Notifier{"email": rec(&email)}, Default: rec(&other)}
	require.NoError(t, b.Notify(context.Background(), delivery.Notification{Channel: "email", To: "a@b.example"}))
	require.NoError(t, b.Notify(context.Background(), delivery.Notification{Channel: "post", To: "Москва"}))
	assert.Equal(t, []string{"a@b.example"}, email)
	assert.Equal(t, []string{"Москва"}, other)
	err := delivery.ByChannel{}.Notify(context.Background(), delivery.Notification{Channel: "push"})
	assert.True(t, delivery.IsPermanent(err))
	assert.False(t, errors.Is(err, delivery.ErrDeadLettered))
}

type notifierFunc func(context.Context, delivery.Notification) error

func (f notifierFunc) Notify(ctx context.Context, n delivery.Notification) error { return f(ctx, n) }
