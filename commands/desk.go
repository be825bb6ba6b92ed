package commands

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/commands/registry"
	"github.com/kabinet/kabinet/domain"
)

// DeskDeps are the ports of the rest of the cabinet (docs/DOMAIN.md §12):
// support requests, appointments, complaints, fines and reminders.
type DeskDeps struct {
	Calendar           *domain.Calendar
	SupportNumbers     *ApplicationNumbers
	AppointmentNumbers *ApplicationNumbers
	Support            *Lookup // support request → account
	Appointments       *Lookup // appointment → account
	Complaints         *Lookup // complaint → account
	Slots              *SlotClaims
	Fines              registry.FinesRegistry
	Payments           *PaymentClaims
}

// NewDeskDeps builds the desk's ports over the shared ones: counters,
// lookups and claims are streams in d's event store.
func NewDeskDeps(d Deps, fines registry.FinesRegistry) DeskDeps {
	store := d.Repo.store
	return DeskDeps{
		Calendar:           d.Applications.Calendar,
		SupportNumbers:     NewSequenceNumbers(store, d.NewID, "supportnumbers", "S-"),
		AppointmentNumbers: NewSequenceNumbers(store, d.NewID, "appointmentnumbers", "A-"),
		Support:            NewLookup(store, d.NewID, "support", notFoundError(domain.CodeSupportRequestNotFound, "support request")),
		Appointments:       NewLookup(store, d.NewID, "appointment", notFoundError(domain.CodeAppointmentNotFound, "appointment")),
		Complaints:         NewLookup(store, d.NewID, "complaint", notFoundError(domain.CodeComplaintNotFound, "complaint")),
		Slots:              NewSlotClaims(store, d.NewID),
		Fines:              fines,
		Payments:           d.Applications.Payments,
	}
}

// Desk handles the desk's commands.
type Desk struct {
	d Deps
	x DeskDeps
}

// NewDesk builds the desk's handlers; it panics on nil dependencies.
func NewDesk(d Deps, x DeskDeps) *Desk {
	d.checkApplications("NewDesk")
	if x.Calendar == nil || x.SupportNumbers == nil || x.AppointmentNumbers == nil || x.Support == nil ||
		x.Appointments == nil || x.Complaints == nil || x.Slots == nil || x.Fines == nil || x.Payments == nil {
		panic("commands.NewDesk: nil desk dependency")
	}
	return &Desk{d: d, x: x}
}

// DeskResult is a desk command's Result with the thing it acted on.
type DeskResult struct {
	Result
	ID     uuid.UUID
	Number string
	Status string
}

// update runs decide on account as the metadata's actor, the command named
// command, and saves what it recorded.
func (k *Desk) update(ctx context.Context, account uuid.UUID, command string, decide func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error) (Result, error) {
	md := MetadataFrom(ctx)
	md.Command = command
	actor, now := actorOf(md), k.d.Clock()
	return k.d.Repo.Update(WithMetadata(ctx, md), account, md, func(a *domain.ForeignerAccount) error {
		return decide(a, actor, now)
	})
}

// AccountOfSupportRequest, AccountOfAppointment and AccountOfComplaint
// resolve the account holding an id (the transport's owner check).
func (k *Desk) AccountOfSupportRequest(ctx context.Context, id uuid.UUID) (uuid.UUID, error) {
	return k.x.Support.Account(ctx, id)
}

// AccountOfAppointment resolves the account holding appointment id.
func (k *Desk) AccountOfAppointment(ctx context.Context, id uuid.UUID) (uuid.UUID, error) {
	return k.x.Appointments.Account(ctx, id)
}

// AccountOfApplication resolves the account holding application id.
func (k *Desk) AccountOfApplication(ctx context.Context, id uuid.UUID) (uuid.UUID, error) {
	return k.d.Applications.Index.Account(ctx, id)
}

// systemContext is ctx with the scheduler's metadata, for command.
func (k *Desk) systemContext(ctx context.Context) context.Context {
	md := MetadataFrom(ctx)
	md.ActorID, md.ActorRole = SystemActor.ID, SystemActor.Role
	md.CommandID = k.d.NewID().String()
	md.CausationID = md.CommandID
	if md.CorrelationID == "" {
		md.CorrelationID = md.CommandID
	}
	return WithMetadata(ctx, md)
}
