package commands

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// SubmitApplication files a citizen's application for a catalog service.
type SubmitApplication struct {
	AccountID   uuid.UUID
	Service     string
	Form        map[string]any
	DocumentIDs []uuid.UUID
}

// SubmitApplicationHandler handles SubmitApplication.
type SubmitApplicationHandler struct{ d Deps }

// NewSubmitApplicationHandler builds the handler; it panics on nil dependencies.
func NewSubmitApplicationHandler(d Deps) *SubmitApplicationHandler {
	d.checkApplications("NewSubmitApplicationHandler")
	return &SubmitApplicationHandler{d: d}
}

// probeNumber stands for the real number while the domain first judges a
// submission: a refused one must not use up a number.
const probeNumber = "0000-000000"

// Handle lets the domain judge the submission first (level, legal stay,
// form, documents) without taking a number; then takes the year's next
// number, records the application → account lookup, and writes
// ApplicationSubmitted (and FeeCharged for a service with a fee). If the
// account changed meanwhile so that the submission is refused after all,
// the number stays unused: numbers may have gaps, never duplicates.
func (h *SubmitApplicationHandler) Handle(ctx context.Context, cmd SubmitApplication) (ApplicationResult, error) {
	md := MetadataFrom(ctx)
	md.Command = "SubmitApplication"
	now := h.d.Clock()
	day := today(now)
	cal := h.d.Applications.Calendar
	actor := actorOf(md)
	id := h.d.NewID()
	out := ApplicationResult{Result: Result{AccountID: cmd.AccountID}, ApplicationID: id}

	probe, err := h.d.Repo.Load(ctx, cmd.AccountID)
	if err != nil {
		return out, err
	}
	in := domain.SubmitInput{ApplicationID: id, Number: probeNumber, Service: cmd.Service, Form: cmd.Form, DocumentIDs: cmd.DocumentIDs}
	if err := probe.SubmitApplication(in, actor, now, day, cal); err != nil {
		return out, err
	}

	// The lookup and the number are independent: write them at once.
	indexed := make(chan error, 1)
	go func() { indexed <- h.d.Applications.Index.Put(ctx, id, cmd.AccountID, now, md) }()
	number, err := h.d.Applications.Numbers.Next(ctx, day.Year(), id, cmd.AccountID, now, md)
	if ierr := <-indexed; err == nil {
		err = ierr
	}
	if err != nil {
		return out, err
	}
	in.Number = number
	res, err := h.d.Repo.Update(ctx, cmd.AccountID, md, func(a *domain.ForeignerAccount) error {
		if err := a.SubmitApplication(in, actor, now, day, cal); err != nil {
			return err
		}
		out.App, _ = a.Application(id)
		return nil
	})
	out.Result, out.Number, out.Status = res, out.App.Number, out.App.Status
	if err != nil {
		return out, fmt.Errorf("submit application %s: %w", number, err)
	}
	return out, nil
}
