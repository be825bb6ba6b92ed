package compat_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/commands/journaling"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/eventstore/sqlstore"
	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// What commands writes — a registration through the Repository, a contact
// claim through ContactClaims, a refused decision's metadata — becomes
// entries with commands' own actor, action, account, outcome and reason.
func TestWriter_ReadsWhatPackageCommandsWrites(t *testing.T) {
	ctx := context.Background()
	db := sqltest.SQLite(t)
	store, err := sqlstore.New(ctx, db, sqlstore.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	skey, _, err := note.GenerateKey(rand.Reader, journal.DefaultOrigin)
	require.NoError(t, err)
	signer, verifier, _, err := journal.ParseKey(skey)
	require.NoError(t, err)
	j, err := journal.Open(ctx, db, signer, verifier, journal.Options{})
	require.NoError(t, err)
	w, err := journaling.New(ctx, journaling.Config{Store: store, DB: db, Journal: j})
	require.NoError(t, err)

	md := commands.Metadata{
		ActorID: "actor-1", ActorRole: "citizen", CorrelationID: "corr-1", CausationID: "cause-1",
		SourceIP: "198.51.100.7", UserAgent: "Firefox/140", Command: "RegisterAccount", CommandID: uuid.NewString(),
	}
	acc, err := domain.Register(uuid.New(), domain.Registration{Consent: domain.CurrentConsent(),
		Surname: "Ivanova", GivenNames: "Anna", Citizenship: "KZ", Phone: "+79161234567",
	}, time.Now())
	require.NoError(t, err)
	_, err = commands.NewRepository(store, uuid.New).Create(ctx, acc, md)
	require.NoError(t, err)

	claim := md
	claim.Command, claim.CommandID = "ConfirmContact", uuid.NewString()
	claims := commands.NewContactClaims(store, []byte("key"), uuid.New)
	require.NoError(t, claims.Claim(ctx, domain.ChannelPhone, "phone:+79161234567", acc.ID(), time.Now(), claim))

	refused := md
	refused.Command, refused.CommandID, refused.Outcome, refused.Reason = "ConfirmContact", uuid.NewString(), "refused", "code_invalid"
	meta, err := refused.Encode()
	require.NoError(t, err)
	_, err = store.Append(ctx, commands.StreamName(acc.ID()), eventstore.Exact(1), []eventstore.EventData{{
		ID: uuid.New(), Type: "ContactConfirmationFailed", SchemaVersion: 1, Data: []byte(`{}`), Metadata: meta,
		OccurredAt: time.Now(),
	}})
	require.NoError(t, err)

	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(rctx) }()
	require.Eventually(t, func() bool {
		st, err := w.Status(ctx)
		return err == nil && st.CaughtUp()
	}, 20*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-done)

	entries, err := j.Entries(ctx, journal.Filter{})
	require.NoError(t, err)
	require.Len(t, entries, 3)
	for _, e := range entries {
		assert.Equal(t, acc.ID().String(), e.AccountID, "%s names the account", e.Action)
		assert.Equal(t, "actor-1", e.ActorID)
		assert.Equal(t, "citizen", e.ActorRole)
		assert.Equal(t, "corr-1", e.CorrelationID)
		assert.Equal(t, "198.51.100.7", e.IP)
		assert.Equal(t, "Firefox/140", e.UserAgent)
	}
	assert.Equal(t, "RegisterAccount", entries[0].Action)
	assert.Equal(t, journal.Done, entries[0].Outcome)
	assert.Equal(t, "ConfirmContact", entries[1].Action, "the claim stream's entry")
	assert.Equal(t, journal.Done, entries[1].Outcome)
	assert.Equal(t, journal.Refused, entries[2].Outcome)
	assert.Equal(t, "code_invalid", entries[2].Reason)
}
