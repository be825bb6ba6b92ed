package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
)

// Slot claim events.
const (
	SlotClaimedType  = "SlotClaimed"
	SlotReleasedType = "SlotReleased"
)

type slotEvent struct {
	AppointmentID uuid.UUID `json:"appointment_id"`
	AccountID     uuid.UUID `json:"account_id"`
	At            time.Time `json:"occurred_at"`
}

// SlotClaims keep one visitor per office slot under any concurrency and
// across instances: a stream per slot, "slot-<office>-<unix start>", whose
// last event says who holds it. A claim appends SlotClaimed expecting the
// version it read, and only when the slot is free (no stream, or last event
// SlotReleased); of two clients that read the same version one append
// wins, the other gets a version conflict and, reading again, slot_taken.
// A release (cancel, reschedule, a booking the account refused) appends
// SlotReleased, so the slot can be claimed again.
type SlotClaims struct {
	store eventstore.Store
	newID func() uuid.UUID
}

// NewSlotClaims builds the claims over store.
func NewSlotClaims(store eventstore.Store, newID func() uuid.UUID) *SlotClaims {
	if store == nil || newID == nil {
		panic("commands.NewSlotClaims: nil dependency")
	}
	return &SlotClaims{store: store, newID: newID}
}

func slotStream(office string, slot time.Time) string {
	return fmt.Sprintf("slot-%s-%d", office, slot.Unix())
}

// Claim takes the slot for appointment ap of account, or answers 409
// slot_taken. Claiming a slot the appointment holds already succeeds.
func (c *SlotClaims) Claim(ctx context.Context, office string, slot time.Time, ap, account uuid.UUID, now time.Time, md Metadata) error {
	stream := slotStream(office, slot)
	for attempt := 0; attempt < 3; attempt++ {
		last, holder, err := c.holder(ctx, stream)
		if err != nil {
			return err
		}
		switch {
		case holder == ap:
			return nil
		case holder != uuid.Nil:
			return slotTaken()
		}
		err = c.append(ctx, stream, eventstore.ExpectedVersion(last), SlotClaimedType, ap, account, now, md)
		if !errors.Is(err, eventstore.ErrConflict) {
			return err
		}
	}
	return slotTaken()
}

// Release frees the slot if appointment ap holds it.
func (c *SlotClaims) Release(ctx context.Context, office string, slot time.Time, ap, account uuid.UUID, now time.Time, md Metadata) error {
	stream := slotStream(office, slot)
	last, holder, err := c.holder(ctx, stream)
	if err != nil || holder != ap {
		return err
	}
	return c.append(ctx, stream, eventstore.ExpectedVersion(last), SlotReleasedType, ap, account, now, md)
}

// holder reads the slot's last event: its version (-1: none) and the
// appointment holding the slot (uuid.Nil: free).
func (c *SlotClaims) holder(ctx context.Context, stream string) (int64, uuid.UUID, error) {
	recs, err := c.store.ReadStream(ctx, stream, eventstore.Backward, -1, 1)
	if err != nil {
		return 0, uuid.Nil, fmt.Errorf("read %s: %w", stream, err)
	}
	if len(recs) == 0 {
		return -1, uuid.Nil, nil
	}
	if recs[0].Type == SlotReleasedType {
		return recs[0].Version, uuid.Nil, nil
	}
	var e slotEvent
	if err := json.Unmarshal(recs[0].Data, &e); err != nil {
		return 0, uuid.Nil, fmt.Errorf("decode %s: %w", stream, err)
	}
	return recs[0].Version, e.AppointmentID, nil
}

func (c *SlotClaims) append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, typ string, ap, account uuid.UUID, now time.Time, md Metadata) error {
	meta, err := md.Encode()
	if err != nil {
		return fmt.Errorf("encode metadata: %w", err)
	}
	data, _ := json.Marshal(slotEvent{AppointmentID: ap, AccountID: account, At: now})
	_, err = c.store.Append(ctx, stream, expected, []eventstore.EventData{{
		ID: c.newID(), Type: typ, SchemaVersion: 1, Data: data, Metadata: meta, OccurredAt: now,
	}})
	if err != nil {
		return fmt.Errorf("%s %s: %w", typ, stream, err)
	}
	markWrote(ctx)
	return nil
}

func slotTaken() error {
	return domain.NewError(domain.CodeSlotTaken, "the slot has just been booked by someone else; pick another")
}
