package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// SessionEnder ends every session of an account (the sign-in side's
// session store); closure uses it so that a closed account's tokens stop
// working.
type SessionEnder interface {
	EndAll(ctx context.Context, accountID uuid.UUID) error
}

// Shredder carries an erasure out beyond the event: it destroys the
// account's data key and removes what still shows the person's data in
// clear (scans, outbox lines, read-model rows, the journal's IP and user
// agent). It must be idempotent: the erasure job calls it again until it
// succeeds. position is the global position of PersonalDataErased.
type Shredder interface {
	Shred(ctx context.Context, accountID uuid.UUID, position uint64) error
}

// ClosureDeps are the closure commands' own ports; either may be nil
// (no sessions to end; no shredding, as in tests of the domain flow).
type ClosureDeps struct {
	Sessions SessionEnder
	Shredder Shredder
}

// CloseAccount closes an account (docs/DOMAIN.md §11). Reason is
// domain.ClosedByOwner or domain.ClosedConsentWithdrawn (the consent
// withdrawal command closes through this one).
type CloseAccount struct {
	AccountID uuid.UUID
	Reason    string
}

// CloseAccountHandler handles CloseAccount.
type CloseAccountHandler struct{ d Deps }

// NewCloseAccountHandler builds the handler; it panics on nil dependencies.
func NewCloseAccountHandler(d Deps) *CloseAccountHandler {
	d.check("NewCloseAccountHandler")
	return &CloseAccountHandler{d: d}
}

// Handle withdraws the pending applications, records AccountClosed and
// ends every session. account_closed when it was closed already.
func (h *CloseAccountHandler) Handle(ctx context.Context, cmd CloseAccount) (Result, error) {
	md := MetadataFrom(ctx)
	md.Command = "CloseAccount"
	reason := cmd.Reason
	if reason == "" {
		reason = domain.ClosedByOwner
	}
	now := h.d.Clock()
	res, err := h.d.Repo.Update(ctx, cmd.AccountID, md, func(a *domain.ForeignerAccount) error {
		return a.Close(reason, actorOf(md), now)
	})
	if err != nil {
		return res, err
	}
	return res, endSessions(ctx, h.d, cmd.AccountID)
}

// endSessions ends every session of a closed account, when there is a
// session store.
func endSessions(ctx context.Context, d Deps, account uuid.UUID) error {
	if s := d.Closure.Sessions; s != nil {
		if err := s.EndAll(ctx, account); err != nil {
			return fmt.Errorf("close %s: end sessions: %w", account, err)
		}
	}
	return nil
}

// ErasePersonalData erases an account's personal data (admin, with a
// reason; or the retention job).
type ErasePersonalData struct {
	AccountID uuid.UUID
	Reason    string
}

// ErasePersonalDataHandler handles ErasePersonalData.
type ErasePersonalDataHandler struct{ d Deps }

// NewErasePersonalDataHandler builds the handler; it panics on nil dependencies.
func NewErasePersonalDataHandler(d Deps) *ErasePersonalDataHandler {
	d.check("NewErasePersonalDataHandler")
	return &ErasePersonalDataHandler{d: d}
}

// RetentionActor is who the retention job erases as.
var RetentionActor = domain.Actor{ID: domain.ErasedByRetention, Role: "system"}

// Handle records PersonalDataErased (closing an open account first, which
// ends its sessions), then shreds. A shredding failure is returned after
// the event is saved: the erasure job finishes it.
func (h *ErasePersonalDataHandler) Handle(ctx context.Context, cmd ErasePersonalData) (Result, error) {
	md := MetadataFrom(ctx)
	md.Command = "ErasePersonalData"
	now := h.d.Clock()
	wasOpen := false
	res, err := h.d.Repo.UpdateClosed(ctx, cmd.AccountID, md, func(a *domain.ForeignerAccount) error {
		wasOpen = !a.Closed()
		return a.ErasePersonalData(cmd.Reason, actorOf(md), now)
	})
	if err != nil {
		return res, err
	}
	if wasOpen {
		if err := endSessions(ctx, h.d, cmd.AccountID); err != nil {
			return res, err
		}
	}
	if s := h.d.Closure.Shredder; s != nil {
		if err := s.Shred(ctx, cmd.AccountID, res.Position); err != nil {
			return res, fmt.Errorf("erase %s: %w", cmd.AccountID, err)
		}
	}
	return res, nil
}

// EraseAccount is the retention job's command: erase one account whose
// retention after closure ended at now.
func (h *ErasePersonalDataHandler) EraseAccount(ctx context.Context, account uuid.UUID, now time.Time) error {
	md := MetadataFrom(ctx)
	md.ActorID, md.ActorRole = RetentionActor.ID, RetentionActor.Role
	md.CommandID = h.d.NewID().String()
	md.CausationID = md.CommandID
	if md.CorrelationID == "" {
		md.CorrelationID = md.CommandID
	}
	_, err := h.Handle(WithMetadata(ctx, md), ErasePersonalData{
		AccountID: account, Reason: "retention period after closure ended " + now.UTC().Format(time.DateOnly),
	})
	return err
}
