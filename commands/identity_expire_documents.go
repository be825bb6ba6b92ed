package commands

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// ExpireDocuments marks the account's documents whose expiry date passed
// before the Moscow day of Now. The scheduler sends it.
type ExpireDocuments struct {
	AccountID uuid.UUID
	Now       time.Time
}

// ExpireDocumentsHandler handles ExpireDocuments.
type ExpireDocumentsHandler struct{ d Deps }

// NewExpireDocumentsHandler builds the handler; it panics on nil dependencies.
func NewExpireDocumentsHandler(d Deps) *ExpireDocumentsHandler {
	d.check("NewExpireDocumentsHandler")
	return &ExpireDocumentsHandler{d: d}
}

// SchedulerActor is the actor id of commands the scheduler sends.
const SchedulerActor = "scheduler"

// Handle records DocumentExpired for each lapsed document not yet marked;
// a second run records nothing. The time comes with the command (the
// scheduler's clock), so a test can move it.
func (h *ExpireDocumentsHandler) Handle(ctx context.Context, cmd ExpireDocuments) (Result, error) {
	md := MetadataFrom(ctx)
	md.Command = "ExpireDocuments"
	if md.ActorID == "" {
		md.ActorID, md.ActorRole = SchedulerActor, "system"
	}
	if md.CommandID == "" {
		md.CommandID = h.d.NewID().String()
		md.CausationID = md.CommandID
	}
	if md.CorrelationID == "" {
		md.CorrelationID = md.CommandID
	}
	now := cmd.Now
	if now.IsZero() {
		now = h.d.Clock()
	}
	return h.d.Repo.Update(ctx, cmd.AccountID, md, func(a *domain.ForeignerAccount) error {
		return a.ExpireDocuments(domain.MoscowDate(now), now)
	})
}

// ExpireAccount is Handle for the scheduler's document-expiry job.
func (h *ExpireDocumentsHandler) ExpireAccount(ctx context.Context, account uuid.UUID, now time.Time) error {
	_, err := h.Handle(ctx, ExpireDocuments{AccountID: account, Now: now})
	return err
}
