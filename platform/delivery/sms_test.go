package delivery_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/delivery"
)

var smsSecret = []byte("0123456789abcdef0123456789abcdef-sms")

// gateway is an httptest SMS gateway that checks each request's signature
// itself (HMAC-SHA256 of the raw body) and answers with status.
type gateway struct {
	mu     sync.Mutex
	got    []delivery.SMSMessage
	bad    int
	status []int // answers in turn; the last repeats
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	m := hmac.New(sha256.New, smsSecret)
	m.Write(body)
	want := "sha256=" + hex.EncodeToString(m.Sum(nil))
	g.mu.Lock()
	defer g.mu.Unlock()
	if !hmac.Equal([]byte(r.Header.Get(delivery.SignatureHeader)), []byte(want)) || r.Header.Get("Content-Type") != "application/json" {
		g.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	status := http.StatusAccepted
	if len(g.status) > 0 {
		status = g.status[0]
		if len(g.status) > 1 {
			g.status = g.status[1:]
		}
	}
	if status/100 == 2 {
		var msg delivery.SMSMessage
		if json.Unmarshal(body, &msg) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		g.got = append(g.got, msg)
	}
	w.WriteHeader(status)
}

func TestSMSGateway_PostsSignedJSONTheReceiverVerifies(t *testing.T) {
	g := &gateway{}
	srv := httptest.NewServer(g)
	defer srv.Close()
	sms, err := delivery.NewSMSGateway(srv.URL, smsSecret)
	require.NoError(t, err)
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	sms.Now = func() time.Time { return at }
	n := delivery.Notification{Channel: "sms", To: "+79123456789", Kind: "contact_code", Code: "654321",
		Text: "Код подтверждения: 654321. Действует 15 минут."}
	require.NoError(t, sms.Notify(context.Background(), n))
	require.Len(t, g.got, 1)
	assert.Equal(t, delivery.SMSMessage{To: "+79123456789", Text: n.Text, Kind: "contact_code", SentAt: at}, g.got[0])
	assert.Zero(t, g.bad)

	forged, err := delivery.NewSMSGateway(srv.URL, []byte(strings.Repeat("x", 32)))
	require.NoError(t, err)
	err = forged.Notify(context.Background(), n)
	require.Error(t, err, "a wrong key's signature is refused by the receiver")
	assert.True(t, delivery.IsPermanent(err), "401 is permanent")
	assert.Equal(t, 1, g.bad)
}

func TestSMSGateway_ServerErrorsAreRetryableOther4xxPermanent(t *testing.T) {
	for status, permanent := range map[int]bool{500: false, 503: false, 429: false, 408: false, 400: true, 404: true} {
		g := &gateway{status: []int{status}}
		srv := httptest.NewServer(g)
		sms, err := delivery.NewSMSGateway(srv.URL, smsSecret)
		require.NoError(t, err)
		err = sms.Notify(context.Background(), delivery.Notification{Channel: "sms", To: "+79123456789", Text: "x"})
		srv.Close()
		require.Error(t, err, status)
		assert.Equal(t, permanent, delivery.IsPermanent(err), status)
	}
}

func TestNewSMSGateway_NeedsAURLAndALongSecret(t *testing.T) {
	_, err := delivery.NewSMSGateway("", smsSecret)
	assert.Error(t, err)
	_, err = delivery.NewSMSGateway("http://sms.example", []byte("short"))
	assert.Error(t, err)
}
