package cabinet

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
)

// ProjectorName is the cabinet projector's consumer name and checkpoint key.
const ProjectorName = "cabinet"

// row is one account's cabinet document. Version is the last stream version
// applied: an event at or below it is a redelivery and changes nothing.
type row struct {
	bun.BaseModel `bun:"table:cabinet_views"`

	AccountID string `bun:"account_id,pk"`
	Version   int64  `bun:"version,notnull"`
	Position  int64  `bun:"position,notnull"`
	Doc       string `bun:"doc,notnull"`
}

// Projector builds the cabinet read model.
type Projector struct{}

// NewProjector returns the cabinet projector.
func NewProjector() *Projector { return &Projector{} }

// Name implements projections.Projector.
func (*Projector) Name() string { return ProjectorName }

// Migrate implements projections.Projector.
func (*Projector) Migrate(ctx context.Context, db bun.IDB) error {
	_, err := db.NewCreateTable().Model((*row)(nil)).IfNotExists().Exec(ctx)
	if err != nil {
		return fmt.Errorf("create cabinet_views: %w", err)
	}
	return nil
}

// Reset implements projections.Projector.
func (*Projector) Reset(ctx context.Context, db bun.IDB) error {
	_, err := db.NewDelete().Model((*row)(nil)).Where("1 = 1").Exec(ctx)
	return err
}

// Project implements projections.Projector: it loads the documents of the
// accounts in the batch once, applies their events and writes each back once.
func (p *Projector) Project(ctx context.Context, tx bun.Tx, events []eventstore.RecordedEvent) error {
	docs := map[string]*row{}
	views := map[string]*View{}
	var order []string
	for _, rec := range events {
		id, ok := strings.CutPrefix(rec.StreamID, "account-")
		if !ok {
			continue
		}
		r, seen := docs[id]
		if !seen {
			var err error
			if r, err = load(ctx, tx, id); err != nil {
				return err
			}
			docs[id] = r
			v := &View{AccountID: id}
			if r.Doc != "" {
				if err := json.Unmarshal([]byte(r.Doc), v); err != nil {
					return fmt.Errorf("decode cabinet %s: %w", id, err)
				}
			}
			views[id] = v
			order = append(order, id)
		}
		if rec.Version <= r.Version {
			continue // applied before: a redelivery
		}
		e, err := domain.DecodeEvent(rec.Type, rec.SchemaVersion, rec.Data)
		if err != nil {
			return fmt.Errorf("cabinet %s v%d: %w", id, rec.Version, err)
		}
		apply(views[id], e)
		views[id].Version = rec.Version
		views[id].UpdatedAt = rec.OccurredAt.UTC()
		r.Version, r.Position = rec.Version, int64(rec.Position)
	}
	for _, id := range order {
		b, err := json.Marshal(views[id])
		if err != nil {
			return fmt.Errorf("encode cabinet %s: %w", id, err)
		}
		r := docs[id]
		r.Doc = string(b)
		_, err = tx.NewInsert().Model(r).
			On("CONFLICT (account_id) DO UPDATE").
			Set("version = EXCLUDED.version, position = EXCLUDED.position, doc = EXCLUDED.doc").
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("save cabinet %s: %w", id, err)
		}
	}
	return nil
}

func load(ctx context.Context, tx bun.Tx, id string) (*row, error) {
	r := &row{AccountID: id, Version: -1}
	err := tx.NewSelect().Model(r).WherePK().Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return &row{AccountID: id, Version: -1}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load cabinet %s: %w", id, err)
	}
	return r, nil
}

// apply is the table: event type → what changes in the cabinet.
func apply(v *View, e domain.Event) {
	switch e := e.(type) {
	case domain.AccountRegistered:
		v.Profile = Profile{Surname: e.Surname, GivenNames: e.GivenNames, Patronymic: e.Patronymic,
			Citizenship: e.Citizenship, RegisteredAt: e.OccurredAt.UTC()}
		if e.Phone != "" {
			v.contact("phone").Value = e.Phone
		}
		if e.Email != "" {
			v.contact("email").Value = e.Email
		}
	case domain.ContactConfirmationRequested:
		c := v.contact(e.Channel.String())
		c.Value = e.Value
		c.CodeSentAt, c.CodeExpiresAt = ptr(e.OccurredAt), ptr(e.ExpiresAt)
		c.FailedAttempts, c.LockedUntil = 0, nil
	case domain.ContactConfirmationFailed:
		v.contact(e.Channel.String()).FailedAttempts++
	case domain.ContactConfirmationLocked:
		c := v.contact(e.Channel.String())
		c.LockedUntil, c.CodeExpiresAt = ptr(e.Until), nil
	case domain.ContactConfirmed:
		c := v.contact(e.Channel.String())
		c.Value, c.Confirmed, c.ConfirmedAt = e.Value, true, ptr(e.OccurredAt)
		c.CodeExpiresAt, c.FailedAttempts, c.LockedUntil = nil, 0, nil
	}
	v.Level = level(v)
}

// level derives the account level from what the cabinet knows.
func level(v *View) string {
	for _, c := range v.Contacts {
		if c.Confirmed {
			return "simplified"
		}
	}
	return ""
}

func ptr(t time.Time) *time.Time {
	u := t.UTC()
	return &u
}

// Reader serves cabinet documents.
type Reader struct{ db bun.IDB }

// NewReader reads cabinets from db.
func NewReader(db bun.IDB) *Reader { return &Reader{db: db} }

// Get returns the account's cabinet, or nil when the projection has none.
func (rd *Reader) Get(ctx context.Context, accountID uuid.UUID) (*View, error) {
	r := &row{AccountID: accountID.String()}
	err := rd.db.NewSelect().Model(r).WherePK().Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read cabinet %s: %w", accountID, err)
	}
	v := &View{}
	if err := json.Unmarshal([]byte(r.Doc), v); err != nil {
		return nil, fmt.Errorf("decode cabinet %s: %w", accountID, err)
	}
	return v, nil
}
