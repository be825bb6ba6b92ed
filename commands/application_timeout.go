package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/sqldb"
)

// clarificationDeadline is one clarification the timeout job watches.
type clarificationDeadline struct {
	bun.BaseModel `bun:"table:clarification_deadlines"`

	ApplicationID string    `bun:"application_id,pk"`
	AccountID     string    `bun:"account_id,notnull"`
	Due           string    `bun:"due,notnull"` // YYYY-MM-DD: sorts as text
	UpdatedAt     time.Time `bun:"updated_at,notnull"`
}

// ClarificationDeadlines is the timeout job's to-do list: one row per
// application whose clarification was requested, with its due date. The
// command writes the row before it appends ClarificationRequested (an
// intent), and the job trusts only the account's stream: a row whose
// application is no longer awaiting a clarification (answered, withdrawn,
// or its event never landed) is dropped when the job meets it. The table
// sits in the SQL database beside the events, so it survives restarts and
// every instance shares it.
type ClarificationDeadlines struct {
	db  *sqldb.DB
	now func() time.Time
}

// NewClarificationDeadlines creates the table and its index if needed.
func NewClarificationDeadlines(ctx context.Context, db *sqldb.DB, now func() time.Time) (*ClarificationDeadlines, error) {
	if _, err := db.NewCreateTable().Model((*clarificationDeadline)(nil)).IfNotExists().Exec(ctx); err != nil {
		return nil, fmt.Errorf("create clarification deadlines: %w", err)
	}
	if _, err := db.NewCreateIndex().Model((*clarificationDeadline)(nil)).Index("clarification_deadlines_due").
		Column("due").IfNotExists().Exec(ctx); err != nil {
		return nil, fmt.Errorf("index clarification deadlines: %w", err)
	}
	return &ClarificationDeadlines{db: db, now: now}, nil
}

// Set records (or moves) the due date of application app of account.
func (c *ClarificationDeadlines) Set(ctx context.Context, app, account uuid.UUID, due domain.Date) error {
	row := &clarificationDeadline{ApplicationID: app.String(), AccountID: account.String(), Due: due.String(), UpdatedAt: c.now()}
	_, err := c.db.NewInsert().Model(row).
		On("CONFLICT (application_id) DO UPDATE").
		Set("due = EXCLUDED.due").Set("account_id = EXCLUDED.account_id").Set("updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("record clarification deadline: %w", err)
	}
	return nil
}

// Drop forgets application app's deadline.
func (c *ClarificationDeadlines) Drop(ctx context.Context, app uuid.UUID) error {
	_, err := c.db.NewDelete().Model((*clarificationDeadline)(nil)).Where("application_id = ?", app.String()).Exec(ctx)
	if err != nil {
		return fmt.Errorf("drop clarification deadline: %w", err)
	}
	return nil
}

// Past lists up to limit applications whose due date is before day, the
// oldest first.
func (c *ClarificationDeadlines) Past(ctx context.Context, day domain.Date, limit int) ([]uuid.UUID, error) {
	var rows []clarificationDeadline
	err := c.db.NewSelect().Model(&rows).Where("due < ?", day.String()).
		OrderExpr("due ASC, application_id ASC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list clarification deadlines: %w", err)
	}
	ids := make([]uuid.UUID, 0, len(rows))
	for _, r := range rows {
		if id, err := uuid.Parse(r.ApplicationID); err == nil {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// TimeoutClarification rejects an application whose clarification went
// unanswered past its due date (the scheduler's command).
type TimeoutClarification struct {
	ApplicationID uuid.UUID
	// At is the scheduler's time of the decision (zero: the clock's now).
	At time.Time
}

// TimeoutClarificationHandler handles TimeoutClarification and runs the
// job that finds the applications due.
type TimeoutClarificationHandler struct{ d Deps }

// NewTimeoutClarificationHandler builds the handler; it panics on nil dependencies.
func NewTimeoutClarificationHandler(d Deps) *TimeoutClarificationHandler {
	d.checkApplications("NewTimeoutClarificationHandler")
	return &TimeoutClarificationHandler{d: d}
}

// SystemActor is who the scheduler's decisions are recorded as.
var SystemActor = domain.Actor{ID: "system", Role: "system"}

// Handle records ApplicationRejected with clarification_timeout, once the
// Moscow day is after the due date (clarification_not_due before).
func (h *TimeoutClarificationHandler) Handle(ctx context.Context, cmd TimeoutClarification) (ApplicationResult, error) {
	ctx = WithMetadata(ctx, h.systemMetadata(ctx))
	at := cmd.At
	return h.d.onApplication(ctx, cmd.ApplicationID, "TimeoutClarification", func(a *domain.Account, now time.Time) error {
		if !at.IsZero() {
			now = at.UTC()
		}
		return a.TimeoutClarification(cmd.ApplicationID, SystemActor, now, today(now))
	})
}

// systemMetadata is the metadata of a scheduled decision: the system
// actor, and a fresh correlation when the job's context carries none.
func (h *TimeoutClarificationHandler) systemMetadata(ctx context.Context) Metadata {
	md := MetadataFrom(ctx)
	md.ActorID, md.ActorRole = SystemActor.ID, SystemActor.Role
	md.CommandID = h.d.NewID().String()
	md.CausationID = md.CommandID
	if md.CorrelationID == "" {
		md.CorrelationID = md.CommandID
	}
	return md
}

// timeoutBatch bounds the applications one run of the job handles.
const timeoutBatch = 500

// RunDue is the clarification-timeout job, run by the scheduler at now:
// it rejects every application whose clarification is past due on the
// Moscow day of now, and drops the deadlines it finds stale. It returns
// how many it rejected. Running it twice, or on two instances at once,
// rejects nothing twice: the account stream's expected version lets one
// decision through and the other then finds the application rejected.
func (h *TimeoutClarificationHandler) RunDue(ctx context.Context, now time.Time) (int, error) {
	deadlines := h.d.Applications.Deadlines
	ids, err := deadlines.Past(ctx, today(now), timeoutBatch)
	if err != nil {
		return 0, err
	}
	var errs []error
	rejected := 0
	for _, id := range ids {
		_, err := h.Handle(ctx, TimeoutClarification{ApplicationID: id, At: now})
		var de *domain.Error
		switch {
		case err == nil:
			rejected++
			err = deadlines.Drop(ctx, id)
		case errors.As(err, &de) && de.Code == domain.CodeClarificationNotDue:
			// A later request moved the date: follow the stream's.
			if due, perr := domain.ParseDate(fmt.Sprint(de.Details["due"])); perr == nil {
				err = h.moveDeadline(ctx, id, due)
			}
		case errors.As(err, &de):
			// Answered, withdrawn, decided, or never requested after all.
			err = deadlines.Drop(ctx, id)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("clarification timeout of %s: %w", id, err))
		}
	}
	return rejected, errors.Join(errs...)
}

func (h *TimeoutClarificationHandler) moveDeadline(ctx context.Context, id uuid.UUID, due domain.Date) error {
	account, err := h.d.Applications.Index.Account(ctx, id)
	if err != nil {
		return err
	}
	return h.d.Applications.Deadlines.Set(ctx, id, account, due)
}
