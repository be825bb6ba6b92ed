package main

import (
	"context"
	"net/http"
	"os"

	"github.com/go-chi/chi/v5"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/commands/cmdhttp"
	"github.com/kabinet/kabinet/commands/registry"
	"github.com/kabinet/kabinet/commands/scheduler"
	"github.com/kabinet/kabinet/platform/tickets"
	"github.com/kabinet/kabinet/projections"
	"github.com/kabinet/kabinet/projections/appointments"
	"github.com/kabinet/kabinet/projections/support"
	"github.com/kabinet/kabinet/readapi"
)

// deskWiring is the rest of the cabinet (docs/DOMAIN.md §12) wired: its
// commands, scheduled jobs, read models and the query side's parts.
type deskWiring struct {
	desk       *commands.Desk
	jobs       []scheduler.Job
	projectors []projections.Projector
	reads      func(*readapi.Server) readapi.Desk
}

// wireDesk builds the desk over the shared command deps: fines come from
// the registry simulator, tickets are signed with KABINET_TICKET_KEY or
// <data-dir>/ticket.key.
func wireDesk(ctx context.Context, a *App, deps commands.Deps, fines registry.FinesRegistry) (*deskWiring, error) {
	desk := commands.NewDesk(deps, commands.NewDeskDeps(deps, fines))
	reminders, err := scheduler.NewExpiryReminders(ctx, a.Read, a.Store, desk.RemindAccount, a.Logger)
	if err != nil {
		return nil, err
	}
	refunds, err := scheduler.NewFineRefunds(ctx, a.Read, a.Store, desk.RefundAccount, a.Logger)
	if err != nil {
		return nil, err
	}
	signer, err := tickets.LoadTickets(os.Getenv("KABINET_TICKET_KEY"), a.Config.DataDir)
	if err != nil {
		return nil, err
	}
	w := &deskWiring{desk: desk, jobs: []scheduler.Job{reminders, refunds},
		projectors: []projections.Projector{support.NewProjector(), appointments.NewProjector()}}
	w.reads = func(*readapi.Server) readapi.Desk {
		return readapi.Desk{Support: support.NewReader(a.Read), Appointments: appointments.NewReader(a.Read),
			Tickets: signer, Fines: desk, Journal: a.Journal, Calendar: deps.Applications.Calendar,
			Bookkeeping: commands.BookkeepingTypes()}
	}
	return w, nil
}

// routes mounts the desk's queries and commands: public ones (offices,
// slots, ticket checks, the fines' payment callback) and authenticated
// ones. Commands go through wrap; the payment callback through pay, then
// its signature check, then idem, as the fee's callback does.
func (w *deskWiring) routes(q *readapi.Server, h *cmdhttp.HTTP, gw *commands.PaymentGateway, wrap, pay func(chi.Router) chi.Router,
	idem func(http.Handler) http.Handler) (public, private func(chi.Router)) {
	pubQ, privQ := q.DeskRoutes(w.reads(q))
	public = func(r chi.Router) {
		pubQ(r)
		pay(r).Group(h.FinePaymentRoutes(gw, w.desk, idem))
	}
	private = func(r chi.Router) {
		privQ(r)
		wrap(r).Group(h.DeskRoutes(w.desk))
	}
	return public, private
}
