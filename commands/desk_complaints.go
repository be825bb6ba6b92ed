package commands

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// ComplaintResult is a complaint command's answer.
type ComplaintResult struct {
	DeskResult
	ApplicationID     uuid.UUID
	ApplicationStatus string
}

// FileComplaint files a complaint about the rejection of application app,
// indexing the complaint once the account's checks pass.
func (k *Desk) FileComplaint(ctx context.Context, app uuid.UUID, text, corrections string) (ComplaintResult, error) {
	id := k.d.NewID()
	out := ComplaintResult{DeskResult: DeskResult{ID: id}, ApplicationID: app}
	account, err := k.d.Applications.Index.Account(ctx, app)
	if err != nil {
		return out, err
	}
	md := MetadataFrom(ctx)
	indexed := false
	res, err := k.update(ctx, account, "FileComplaint", func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
		if err := a.FileComplaint(id, app, text, corrections, actor, now); err != nil {
			return err
		}
		if !indexed {
			if err := k.x.Complaints.Put(ctx, id, account, now, md); err != nil {
				return abort(err)
			}
			indexed = true
		}
		return k.complaintState(a, id, &out)
	})
	out.Result = res
	return out, err
}

// DecideComplaint decides complaint id as the metadata's operator.
func (k *Desk) DecideComplaint(ctx context.Context, id uuid.UUID, outcome, comment string) (ComplaintResult, error) {
	out := ComplaintResult{DeskResult: DeskResult{ID: id}}
	account, err := k.x.Complaints.Account(ctx, id)
	if err != nil {
		return out, err
	}
	res, err := k.update(ctx, account, "DecideComplaint", func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
		if err := a.DecideComplaint(id, outcome, comment, actor, now, k.x.Calendar); err != nil {
			return err
		}
		return k.complaintState(a, id, &out)
	})
	out.Result = res
	return out, err
}

func (k *Desk) complaintState(a *domain.ForeignerAccount, id uuid.UUID, out *ComplaintResult) error {
	c, _ := a.Complaint(id)
	out.Status, out.ApplicationID = c.Status, c.ApplicationID
	if app, ok := a.Application(c.ApplicationID); ok {
		out.ApplicationStatus = app.Status
	}
	return nil
}
