package notifications

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/domain"
	send "github.com/kabinet/kabinet/platform/delivery"
	"github.com/kabinet/kabinet/projections/internal/readmodel"
)

// Outbox delivers the notifications the projector wrote, through the
// Notifier port, and folds held ones into digests.
//
// Delivery is at least once: a row is delivered only after the projector's
// transaction committed it (Outbox reads committed rows), each channel's
// delivery is recorded as it succeeds, and the row turns sent when every
// channel has gone. A crash between a send and its record sends that
// channel again after a restart — pending rows are simply found again —
// and a notifier that fails leaves the row pending for the next round.
// Run it in one process of the fleet (where the projections run): two
// would send some notifications twice.
type Outbox struct {
	db       bun.IDB
	notifier send.Notifier
	clock    func() time.Time
	logger   *slog.Logger
	rounds   sync.Mutex // one delivery round at a time in this process
}

// NewOutbox delivers rows of db through notifier; it panics on nil dependencies.
func NewOutbox(db bun.IDB, notifier send.Notifier, clock func() time.Time, logger *slog.Logger) *Outbox {
	if db == nil || notifier == nil || clock == nil {
		panic("notifications.NewOutbox: nil dependency")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Outbox{db: db, notifier: notifier, clock: clock, logger: logger}
}

// Run delivers pending notifications every interval until ctx ends, then
// returns nil. A failed round is logged and tried again at the next tick.
func (o *Outbox) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := o.DeliverPending(ctx); err != nil && ctx.Err() == nil {
			o.logger.Warn("notifications: delivery round failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// deliverPage is how many pending rows one query picks up.
const deliverPage = 100

// DeliverPending delivers every pending notification, oldest first, and
// returns how many it finished. It stops at the first failure.
func (o *Outbox) DeliverPending(ctx context.Context) (int, error) {
	o.rounds.Lock()
	defer o.rounds.Unlock()
	done := 0
	for {
		var rows []row
		err := o.db.NewSelect().Model(&rows).Where("status = ?", StatusPending).
			OrderExpr("created_ns, id").Limit(deliverPage).Scan(ctx)
		if err != nil {
			return done, fmt.Errorf("find pending notifications: %w", err)
		}
		for i := range rows {
			if err := o.deliver(ctx, &rows[i]); err != nil {
				return done, err
			}
			done++
		}
		if len(rows) < deliverPage {
			return done, nil
		}
	}
}

// deliver sends r on each channel not yet recorded, then marks it sent.
func (o *Outbox) deliver(ctx context.Context, r *row) error {
	var recipients []Recipient
	if err := json.Unmarshal([]byte(r.Recipients), &recipients); err != nil {
		return fmt.Errorf("notification %s recipients: %w", r.ID, err)
	}
	var sent []string
	err := o.db.NewSelect().Model((*delivery)(nil)).Column("channel").
		Where("notification_id = ?", r.ID).Scan(ctx, &sent)
	if err != nil {
		return fmt.Errorf("notification %s deliveries: %w", r.ID, err)
	}
	var last int64
	for _, rc := range recipients {
		if contains(sent, rc.Channel) {
			continue
		}
		err := o.notifier.Notify(ctx, send.Notification{
			Channel: rc.Channel, To: rc.To, AccountID: r.AccountID, Text: r.Text, Kind: r.Kind,
			At: time.Unix(0, r.CreatedNs).UTC(),
		})
		// A dead-lettered send is done with: the dead-letter list has it.
		if err != nil && !errors.Is(err, send.ErrDeadLettered) {
			return fmt.Errorf("deliver notification %s by %s: %w", r.ID, rc.Channel, err)
		}
		last = o.clock().UnixNano()
		_, err = o.db.NewInsert().Model(&delivery{NotificationID: r.ID, Channel: rc.Channel, SentNs: last}).
			On("CONFLICT (notification_id, channel) DO NOTHING").Exec(ctx)
		if err != nil {
			return fmt.Errorf("record delivery of %s: %w", r.ID, err)
		}
	}
	if last == 0 {
		last = o.clock().UnixNano()
	}
	_, err = o.db.NewUpdate().Model((*row)(nil)).Set("status = ?", StatusSent).Set("sent_ns = ?", last).
		Where("id = ? AND status = ?", r.ID, StatusPending).Exec(ctx)
	if err != nil {
		return fmt.Errorf("mark notification %s sent: %w", r.ID, err)
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// SendDigests folds the notifications held for a digest into one digest
// notification per account and frequency, and returns how many it made;
// Outbox then delivers them like any other. A daily digest takes what was
// held before the start of now's Moscow day, a weekly one what was held
// before the start of its Moscow week (Monday), so calling it at any
// cadence — the durable scheduler calls it hourly — sends each day's and
// week's notices once, after their period closed. Each account's digest is
// made in one transaction, with an id derived from its contents, so a
// repeated or interrupted call makes no second copy.
func (o *Outbox) SendDigests(ctx context.Context, now time.Time) (int, error) {
	made := 0
	for _, freq := range []string{domain.FrequencyDaily, domain.FrequencyWeekly} {
		cutoff := periodStart(freq, now)
		var held []row
		err := o.db.NewSelect().Model(&held).
			Where("status = ? AND frequency = ? AND created_ns < ?", StatusDigest, freq, cutoff.UnixNano()).
			OrderExpr("account_id, created_ns, id").Scan(ctx)
		if err != nil {
			return made, fmt.Errorf("find held notifications: %w", err)
		}
		for start := 0; start < len(held); {
			end := start
			for end < len(held) && held[end].AccountID == held[start].AccountID {
				end++
			}
			if err := o.digest(ctx, freq, cutoff, held[start:end]); err != nil {
				return made, err
			}
			made++
			start = end
		}
	}
	return made, nil
}

// periodStart is the start (Moscow midnight) of now's day or week.
func periodStart(freq string, now time.Time) time.Time {
	day := domain.MoscowDate(now)
	if freq == domain.FrequencyWeekly {
		day = day.AddDays(-((int(day.Weekday()) + 6) % 7))
	}
	return day.Time(domain.Moscow)
}

// digest makes one account's digest of members and marks them sent.
func (o *Outbox) digest(ctx context.Context, freq string, cutoff time.Time, members []row) error {
	accountID := members[0].AccountID
	texts := make([]string, len(members))
	ids := make([]string, len(members))
	for i, m := range members {
		texts[i], ids[i] = m.Text, m.ID
	}
	id := readmodel.DerivedID("digest", accountID, freq, strconv.FormatInt(cutoff.Unix(), 10), members[0].ID)
	return o.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		acc := &account{row: &accountRow{AccountID: accountID}, prefs: domain.DefaultNotificationPreferences()}
		err := tx.NewSelect().Model(acc.row).WherePK().Scan(ctx)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("load notification account %s: %w", accountID, err)
		}
		if acc.row.Prefs != "" {
			if err := json.Unmarshal([]byte(acc.row.Prefs), &acc.prefs); err != nil {
				return fmt.Errorf("decode preferences of %s: %w", accountID, err)
			}
		}
		// The digest goes where the preferences point now.
		recipients := addresses(acc, acc.prefs)
		status := StatusPending
		if len(recipients) == 0 {
			status = StatusMuted
		}
		b, _ := json.Marshal(recipients)
		m := digestMessage(freq, texts)
		d := &row{ID: id, AccountID: accountID, Kind: KindDigest, Title: m.title, Text: m.text, Recipients: string(b),
			Frequency: freq, Status: status, CreatedNs: o.clock().UnixNano()}
		if _, err := tx.NewInsert().Model(d).On("CONFLICT (id) DO NOTHING").Exec(ctx); err != nil {
			return fmt.Errorf("save digest for %s: %w", accountID, err)
		}
		_, err = tx.NewUpdate().Model((*row)(nil)).Set("status = ?", StatusSent).Set("digest_id = ?", id).
			Where("id IN (?) AND status = ?", bun.List(ids), StatusDigest).Exec(ctx)
		if err != nil {
			return fmt.Errorf("fold notifications into digest %s: %w", id, err)
		}
		marks := make([]mark, len(ids))
		for i, nid := range ids {
			marks[i] = mark{NotificationID: nid, DigestID: id}
		}
		_, err = tx.NewInsert().Model(&marks).On("CONFLICT (notification_id) DO UPDATE").
			Set("digest_id = EXCLUDED.digest_id").Exec(ctx)
		if err != nil {
			return fmt.Errorf("mark digest %s: %w", id, err)
		}
		return nil
	})
}
