package commands

import (
	"context"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// SetNotificationPreferences changes the citizen's notification settings.
type SetNotificationPreferences struct {
	AccountID   uuid.UUID
	Preferences domain.NotificationPreferences
}

// SetNotificationPreferencesHandler handles SetNotificationPreferences.
type SetNotificationPreferencesHandler struct{ d Deps }

// NewSetNotificationPreferencesHandler builds the handler; it panics on nil dependencies.
func NewSetNotificationPreferencesHandler(d Deps) *SetNotificationPreferencesHandler {
	d.checkIdentity("NewSetNotificationPreferencesHandler")
	return &SetNotificationPreferencesHandler{d: d}
}

// Handle records NotificationPreferencesChanged, or nothing when the
// settings are unchanged.
func (h *SetNotificationPreferencesHandler) Handle(ctx context.Context, cmd SetNotificationPreferences) (Result, error) {
	md := MetadataFrom(ctx)
	md.Command = "SetNotificationPreferences"
	now := h.d.Clock()
	return h.d.Repo.Update(ctx, cmd.AccountID, md, func(a *domain.ForeignerAccount) error {
		return a.SetNotificationPreferences(cmd.Preferences, now)
	})
}
