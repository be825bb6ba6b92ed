package commands

import (
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/delivery"
)

// Deps are the ports and adapters the command handlers share.
type Deps struct {
	Repo     *Repository
	Claims   *ContactClaims
	Notifier delivery.Notifier
	Clock    func() time.Time
	Random   io.Reader // crypto/rand.Reader in production
	Hasher   domain.CodeHasher
	NewID    func() uuid.UUID
	// CodeLimit bounds the codes sent to one destination; nil sends
	// without a limit (tests of other rules).
	CodeLimit CodeLimiter
	// Identity are the identity commands' own ports.
	Identity IdentityDeps
	// Applications are the application commands' own ports.
	Applications ApplicationDeps
	// Closure are the closure and erasure commands' own ports.
	Closure ClosureDeps
}

func (d Deps) check(name string) {
	if d.Repo == nil || d.Claims == nil || d.Notifier == nil || d.Clock == nil ||
		d.Random == nil || d.Hasher == nil || d.NewID == nil {
		panic("commands." + name + ": nil dependency")
	}
}

// Application is the whole write-side surface on one screen.
type Application struct {
	RegisterAccount    *RegisterAccountHandler
	RequestContactCode *RequestContactCodeHandler
	ConfirmContact     *ConfirmContactHandler
	AddContact         *AddContactHandler
	RemoveContact      *RemoveContactHandler
	WithdrawConsent    *WithdrawConsentHandler
	IdentityCommands
	// Applications are the application commands.
	Applications ApplicationCommands
	// CloseAccount closes an account: the owner's closure, and consent
	// withdrawal (CloseAccount{Reason: domain.ClosedConsentWithdrawn}).
	CloseAccount *CloseAccountHandler
	// ErasePersonalData erases an account's personal data (admin, retention).
	ErasePersonalData *ErasePersonalDataHandler
}

// NewApplication builds every command handler over deps.
func NewApplication(d Deps) Application {
	return Application{
		RegisterAccount:    NewRegisterAccountHandler(d),
		RequestContactCode: NewRequestContactCodeHandler(d),
		ConfirmContact:     NewConfirmContactHandler(d),
		AddContact:         NewAddContactHandler(d),
		RemoveContact:      NewRemoveContactHandler(d),
		WithdrawConsent:    NewWithdrawConsentHandler(d),
		IdentityCommands:   NewIdentityCommands(d),
		Applications:       NewApplicationCommands(d),
		CloseAccount:       NewCloseAccountHandler(d),
		ErasePersonalData:  NewErasePersonalDataHandler(d),
	}
}
