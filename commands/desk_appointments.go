package commands

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// AppointmentResult is an appointment command's answer: the visit afterwards.
type AppointmentResult struct {
	DeskResult
	Appointment domain.AppointmentState
}

// BookAppointment books a visit for account. Once the account's checks
// pass (slot, purpose, documents) it claims the slot (409 slot_taken for
// everyone but the first), takes the next A-YYYY-NNNNNN number (the
// ticket) and indexes the visit; the account then records it
// ready_for_visit. A refusal after the claim, or an append that fails,
// releases the slot again.
func (k *Desk) BookAppointment(ctx context.Context, account uuid.UUID, in domain.AppointmentInput) (AppointmentResult, error) {
	id := k.d.NewID()
	md := MetadataFrom(ctx)
	claimed, number := false, ""
	out, err := k.onAppointment(ctx, account, id, "BookAppointment", func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
		return a.BookAppointment(id, in, k.x.Calendar, actor, now, k.d.Random, k.d.Hasher, func() (string, error) {
			if number != "" { // a retry after a conflict keeps slot and number
				return number, nil
			}
			if err := k.x.Slots.Claim(ctx, in.OfficeID, in.Slot, id, account, now, md); err != nil {
				return "", abort(err)
			}
			claimed = true
			n, err := k.x.AppointmentNumbers.Next(ctx, domain.MoscowDate(now).Year(), id, account, now, md)
			if err == nil {
				err = k.x.Appointments.Put(ctx, id, account, now, md)
			}
			if err != nil {
				return "", abort(err)
			}
			number = n
			return n, nil
		})
	})
	if err != nil && claimed {
		k.release(ctx, in.OfficeID, in.Slot, id, account)
	}
	return out, err
}

// RescheduleAppointment moves visit id to slot: the new slot is claimed
// first, the old one released once the move is recorded.
func (k *Desk) RescheduleAppointment(ctx context.Context, id uuid.UUID, slot time.Time) (AppointmentResult, error) {
	account, err := k.x.Appointments.Account(ctx, id)
	if err != nil {
		return AppointmentResult{DeskResult: DeskResult{ID: id}}, err
	}
	md := MetadataFrom(ctx)
	var before domain.AppointmentState
	claimed := false
	out, err := k.onAppointment(ctx, account, id, "RescheduleAppointment", func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
		before, _ = a.Appointment(id)
		if err := a.RescheduleAppointment(id, slot, k.x.Calendar, actor, now); err != nil {
			return err
		}
		if !claimed {
			if err := k.x.Slots.Claim(ctx, before.OfficeID, slot, id, account, now, md); err != nil {
				return abort(err)
			}
			claimed = true
		}
		return nil
	})
	switch {
	case err != nil && claimed:
		k.release(ctx, before.OfficeID, slot, id, account)
	case err == nil:
		k.release(ctx, before.OfficeID, before.Slot, id, account)
	}
	return out, err
}

// CancelAppointment calls visit id off and releases its slot.
func (k *Desk) CancelAppointment(ctx context.Context, id uuid.UUID) (AppointmentResult, error) {
	account, err := k.x.Appointments.Account(ctx, id)
	if err != nil {
		return AppointmentResult{DeskResult: DeskResult{ID: id}}, err
	}
	out, err := k.onAppointment(ctx, account, id, "CancelAppointment", func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
		return a.CancelAppointment(id, actor, now)
	})
	if err == nil {
		k.release(ctx, out.Appointment.OfficeID, out.Appointment.Slot, id, account)
	}
	return out, err
}

// release frees a slot the visit held. A failure leaves the slot held by a
// visit that no longer wants it: one slot lost, never one booked twice.
func (k *Desk) release(ctx context.Context, office string, slot time.Time, id, account uuid.UUID) {
	_ = k.x.Slots.Release(context.WithoutCancel(ctx), office, slot, id, account, k.d.Clock(), MetadataFrom(ctx))
}

func (k *Desk) onAppointment(ctx context.Context, account, id uuid.UUID, command string, decide func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error) (AppointmentResult, error) {
	out := AppointmentResult{DeskResult: DeskResult{ID: id}}
	res, err := k.update(ctx, account, command, func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
		if err := decide(a, actor, now); err != nil {
			return err
		}
		out.Appointment, _ = a.Appointment(id)
		return nil
	})
	out.Result = res
	out.Number, out.Status = out.Appointment.Number, out.Appointment.Status
	return out, err
}
