package commands

import (
	"context"
	"reflect"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// ApplicationDeps are the ports the application commands need
// besides the shared ones: the working-day calendar of deadlines, the
// counter of human numbers, the index from application to account, the
// claims that keep a payment transaction on one application.
type ApplicationDeps struct {
	Calendar *domain.Calendar
	Numbers  *ApplicationNumbers
	Index    *ApplicationIndex
	Payments *PaymentClaims
}

func (d Deps) checkApplications(name string) {
	d.check(name)
	x := d.Applications
	if x.Calendar == nil || x.Numbers == nil || x.Index == nil || x.Payments == nil {
		panic("commands." + name + ": nil application dependency")
	}
}

// ApplicationCommands are the handlers of applications: the citizen's
// submission, clarification, resubmission and withdrawal, the operator's
// decisions, the payment gateway's confirmation and the scheduler's
// clarification timeout.
type ApplicationCommands struct {
	Submit               *SubmitApplicationHandler
	Accept               *ApplicationHandler[AcceptApplication]
	StartReview          *ApplicationHandler[StartReview]
	RequestClarification *ApplicationHandler[RequestClarification]
	Approve              *ApplicationHandler[ApproveApplication]
	Reject               *ApplicationHandler[RejectApplication]
	Clarify              *ApplicationHandler[ProvideClarification]
	Resubmit             *ApplicationHandler[ResubmitApplication]
	Withdraw             *ApplicationHandler[WithdrawApplication]
	PayFee               *PayFeeHandler
	TimeoutClarification *TimeoutClarificationHandler
	TimeoutUnpaidFee     *TimeoutUnpaidFeeHandler
	Edit                 *ApplicationHandler[EditApplication]

	index *ApplicationIndex
}

// AccountOf returns the account holding application app (the transport's
// owner check), or application_not_found.
func (c ApplicationCommands) AccountOf(ctx context.Context, app uuid.UUID) (uuid.UUID, error) {
	return c.index.Account(ctx, app)
}

// NewApplicationCommands builds every application handler over d; it
// panics on missing dependencies.
func NewApplicationCommands(d Deps) ApplicationCommands {
	return ApplicationCommands{
		Submit:               NewSubmitApplicationHandler(d),
		Accept:               newApplicationHandler(d, acceptApplication),
		StartReview:          newApplicationHandler(d, startReview),
		RequestClarification: newApplicationHandler(d, requestClarification),
		Approve:              newApplicationHandler(d, approveApplication),
		Reject:               newApplicationHandler(d, rejectApplication),
		Clarify:              newApplicationHandler(d, provideClarification),
		Resubmit:             newApplicationHandler(d, resubmitApplication),
		Withdraw:             newApplicationHandler(d, withdrawApplication),
		PayFee:               NewPayFeeHandler(d),
		TimeoutClarification: NewTimeoutClarificationHandler(d),
		TimeoutUnpaidFee:     NewTimeoutUnpaidFeeHandler(d),
		Edit:                 newApplicationHandler(d, editApplication),
		index:                d.Applications.Index,
	}
}

// ApplicationResult is an application command's Result with the
// application it acted on, its number and its status afterwards.
type ApplicationResult struct {
	Result
	ApplicationID uuid.UUID
	Number        string
	Status        string
	// App is the application's state after the command (zero when the
	// command was refused before the application was found).
	App domain.ApplicationState
}

// Actor is who an application command acts as: the request's principal,
// taken from the command's metadata.
func actorOf(md Metadata) domain.Actor {
	return domain.Actor{ID: md.ActorID, Role: md.ActorRole}
}

// today is the civil day in Moscow at now: the portal's day for
// deadlines and form rules.
func today(now time.Time) domain.Date { return domain.MoscowDate(now) }

// onApplicationCommand is a command on an existing application.
type onApplicationCommand interface{ applicationID() uuid.UUID }

// ApplicationHandler handles a command C on an existing application: it
// finds the application's account, runs C's decision on it as the
// command's actor and appends what the decision recorded. The command's
// name in the metadata is C's type name.
type ApplicationHandler[C onApplicationCommand] struct {
	d      Deps
	name   string
	decide func(d Deps, cmd C, a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error
}

// newApplicationHandler builds the handler of C; it panics on nil
// dependencies.
func newApplicationHandler[C onApplicationCommand](d Deps, decide func(Deps, C, *domain.ForeignerAccount, domain.Actor, time.Time) error) *ApplicationHandler[C] {
	name := reflect.TypeFor[C]().Name()
	d.checkApplications(name)
	return &ApplicationHandler[C]{d: d, name: name, decide: decide}
}

// Handle runs the command; the result carries the application's state
// afterwards.
func (h *ApplicationHandler[C]) Handle(ctx context.Context, cmd C) (ApplicationResult, error) {
	return h.d.onApplication(ctx, cmd.applicationID(), h.name, func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
		return h.decide(h.d, cmd, a, actor, now)
	})
}

// decision is one command's decision on an application of the loaded
// account, taken by actor (the command's) at now.
type decision func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error

// onApplication resolves the account that holds application id, then loads
// it, runs decide as the metadata's actor and appends what it recorded
// (Repository.Update), with md.Command set to command. The result carries
// the application's status afterwards.
func (d Deps) onApplication(ctx context.Context, id uuid.UUID, command string, decide decision) (ApplicationResult, error) {
	out := ApplicationResult{ApplicationID: id}
	account, err := d.Applications.Index.Account(ctx, id)
	if err != nil {
		return out, err
	}
	md := MetadataFrom(ctx)
	md.Command = command
	actor, now := actorOf(md), d.Clock()
	res, err := d.Repo.Update(ctx, account, md, func(a *domain.ForeignerAccount) error {
		if err := decide(a, actor, now); err != nil {
			return err
		}
		out.App, _ = a.Application(id)
		return nil
	})
	out.Result = res
	out.Number, out.Status = out.App.Number, out.App.Status
	if err != nil {
		return out, err
	}
	return out, nil
}
