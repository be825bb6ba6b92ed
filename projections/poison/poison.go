// Package poison keeps the messages a projection could not process: the
// router's poison-queue middleware hands them to a Queue, which stores each
// with the error that defeated its handler, so the projection moves on and an
// operator can list them and replay them once the handler is fixed.
package poison

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/projections/esbus"
)

// Sentinel errors of Queue.
var (
	ErrNotFound        = errors.New("poison: no such entry")
	ErrAlreadyReplayed = errors.New("poison: entry already replayed")
)

// Entry is one poisoned message.
type Entry struct {
	ID          int64
	Consumer    string // the handler that gave up on it
	Topic       string // the topic it came from
	MessageUUID string
	Position    uint64 // its global position; 0 if it did not come from the log
	Payload     []byte
	Metadata    map[string]string // as the handler saw it, plus the poison keys
	Reason      string            // the handler's last error
	FailedAt    time.Time
	ReplayedAt  *time.Time // nil until a Replay succeeded
}

// poisonKeys are the metadata keys the poison-queue middleware adds.
var poisonKeys = []string{
	middleware.ReasonForPoisonedKey, middleware.PoisonedTopicKey,
	middleware.PoisonedHandlerKey, middleware.PoisonedSubscriberKey,
}

// Message rebuilds the message as its handler received it (without the
// poison keys).
func (e Entry) Message() *message.Message {
	msg := message.NewMessage(e.MessageUUID, e.Payload)
	for k, v := range e.Metadata {
		msg.Metadata.Set(k, v)
	}
	for _, k := range poisonKeys {
		delete(msg.Metadata, k)
	}
	return msg
}

// row is the table poison_messages.
type row struct {
	bun.BaseModel `bun:"table:poison_messages"`

	ID          int64             `bun:"id,pk,autoincrement"`
	Consumer    string            `bun:"consumer,notnull,unique:poison_consumer_message"`
	Topic       string            `bun:"topic,notnull"`
	MessageUUID string            `bun:"message_uuid,notnull,unique:poison_consumer_message"`
	Position    int64             `bun:"position,notnull"`
	Payload     []byte            `bun:"payload"`
	Metadata    map[string]string `bun:"metadata,type:text,notnull"`
	Reason      string            `bun:"reason,notnull"`
	FailedAt    time.Time         `bun:"failed_at,notnull"`
	ReplayedAt  *time.Time        `bun:"replayed_at,nullzero"`
}

func (r *row) entry() Entry {
	return Entry{
		ID: r.ID, Consumer: r.Consumer, Topic: r.Topic, MessageUUID: r.MessageUUID,
		Position: uint64(r.Position), Payload: r.Payload, Metadata: r.Metadata,
		Reason: r.Reason, FailedAt: r.FailedAt, ReplayedAt: r.ReplayedAt,
	}
}

// Options configures a Queue.
type Options struct {
	// Now stamps FailedAt and ReplayedAt (time.Now when nil).
	Now func() time.Time
}

// Queue is the poison table. It is a watermill message.Publisher, to be given
// to middleware.PoisonQueue (esbus.NewRouter does): publishing stores the
// message, whatever the topic.
type Queue struct {
	db  *sqldb.DB
	now func() time.Time
}

var _ message.Publisher = (*Queue)(nil)

// New creates the poison table if missing and returns a Queue over it.
func New(ctx context.Context, db *sqldb.DB, opts Options) (*Queue, error) {
	if err := Migrate(ctx, db); err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Queue{db: db, now: opts.Now}, nil
}

// Migrations are the poison queue's table, oldest first.
var Migrations = schema.Component{Name: "poison", Migrations: []schema.Migration{
	{ID: "0001_tables", Up: schema.SQL(`CREATE TABLE IF NOT EXISTS "poison_messages" (
		"id" {serial}, "consumer" VARCHAR NOT NULL, "topic" VARCHAR NOT NULL,
		"message_uuid" VARCHAR NOT NULL, "position" {int} NOT NULL, "payload" {blob},
		"metadata" text NOT NULL, "reason" VARCHAR NOT NULL, "failed_at" {time} NOT NULL,
		"replayed_at" {time},
		CONSTRAINT "poison_consumer_message" UNIQUE ("consumer", "message_uuid"))`)},
}}

// Migrate applies the poison queue's pending migrations.
func Migrate(ctx context.Context, db *sqldb.DB) error {
	_, err := schema.Up(ctx, db, Migrations)
	return err
}

// Publish stores msgs as poisoned. The consumer is the handler named by the
// middleware (middleware.PoisonedHandlerKey), else the subscriber, else the
// topic. A message poisoned again by the same consumer (say, after a
// rebuild) updates its entry and makes it pending again.
func (q *Queue) Publish(topic string, msgs ...*message.Message) error {
	for _, msg := range msgs {
		// The message's own context on purpose: when the subscription is
		// shutting down, Retry gives up with "context canceled"; the insert
		// then fails too, so the message is nacked and redelivered after the
		// restart instead of being poisoned for a reason of ours.
		r := q.toRow(topic, msg)
		_, err := q.db.NewInsert().Model(r).
			On("CONFLICT (consumer, message_uuid) DO UPDATE").
			Set("topic = EXCLUDED.topic").
			Set("position = EXCLUDED.position").
			Set("payload = EXCLUDED.payload").
			Set("metadata = EXCLUDED.metadata").
			Set("reason = EXCLUDED.reason").
			Set("failed_at = EXCLUDED.failed_at").
			Set("replayed_at = NULL").
			Exec(msg.Context())
		if err != nil {
			return fmt.Errorf("poison: store message %s of %s: %w", msg.UUID, r.Consumer, err)
		}
	}
	return nil
}

func (q *Queue) toRow(topic string, msg *message.Message) *row {
	md := msg.Metadata
	consumer := md.Get(middleware.PoisonedHandlerKey)
	if consumer == "" {
		consumer = md.Get(middleware.PoisonedSubscriberKey)
	}
	if consumer == "" {
		consumer = topic
	}
	from := md.Get(middleware.PoisonedTopicKey)
	if from == "" {
		from = topic
	}
	pos, _ := strconv.ParseInt(md.Get(esbus.MetadataPosition), 10, 64) // 0: not from the log
	metadata := make(map[string]string, len(md))
	for k, v := range md {
		metadata[k] = v
	}
	return &row{
		Consumer: consumer, Topic: from, MessageUUID: msg.UUID, Position: pos,
		Payload: msg.Payload, Metadata: metadata,
		Reason: md.Get(middleware.ReasonForPoisonedKey), FailedAt: q.now().UTC(),
	}
}

// Close does nothing: the database belongs to the caller.
func (q *Queue) Close() error { return nil }

// List returns up to limit entries of consumer (every consumer when empty),
// oldest first, replayed ones included (see Entry.ReplayedAt). A limit of 0
// or less means no limit.
func (q *Queue) List(ctx context.Context, consumer string, limit int) ([]Entry, error) {
	var rows []row
	sel := q.db.NewSelect().Model(&rows).Order("id")
	if consumer != "" {
		sel = sel.Where("consumer = ?", consumer)
	}
	if limit > 0 {
		sel = sel.Limit(int64(limit))
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("poison: list %q: %w", consumer, err)
	}
	out := make([]Entry, len(rows))
	for i := range rows {
		out[i] = rows[i].entry()
	}
	return out, nil
}

// Pending counts the entries not yet replayed, by consumer.
func (q *Queue) Pending(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Consumer string `bun:"consumer"`
		N        int    `bun:"n"`
	}
	err := q.db.NewSelect().Model((*row)(nil)).Column("consumer").ColumnExpr("count(*) AS n").
		Where("replayed_at IS NULL").Group("consumer").Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("poison: count pending: %w", err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Consumer] = r.N
	}
	return out, nil
}

// Get returns entry id, or ErrNotFound.
func (q *Queue) Get(ctx context.Context, id int64) (Entry, error) {
	var r row
	err := q.db.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return Entry{}, fmt.Errorf("poison: entry %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Entry{}, fmt.Errorf("poison: entry %d: %w", id, err)
	}
	return r.entry(), nil
}

// Replay runs entry id's message (see Entry.Message) through handler, with
// ctx as the message's context, and marks the entry replayed when the
// handler succeeds. A failing handler leaves the entry pending. A replayed
// entry is not run again (ErrAlreadyReplayed); handlers must be idempotent
// anyway, since two concurrent Replays may both run it.
func (q *Queue) Replay(ctx context.Context, id int64, handler func(*message.Message) error) error {
	e, err := q.Get(ctx, id)
	if err != nil {
		return err
	}
	if e.ReplayedAt != nil {
		return fmt.Errorf("poison: replay %d: %w", id, ErrAlreadyReplayed)
	}
	msg := e.Message()
	msg.SetContext(ctx)
	if err := handler(msg); err != nil {
		return fmt.Errorf("poison: replay %d (message %s of %s): %w", id, e.MessageUUID, e.Consumer, err)
	}
	_, err = q.db.NewUpdate().Model((*row)(nil)).
		Set("replayed_at = ?", q.now().UTC()).
		Where("id = ?", id).Where("replayed_at IS NULL").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("poison: mark %d replayed: %w", id, err)
	}
	return nil
}

// Forget deletes every poisoned message about accountID — of its stream,
// or acted by it — so that an erasure leaves no copy of its events in the
// queue (the queue holds them as the projectors saw them: opened). It
// returns how many it deleted.
func (q *Queue) Forget(ctx context.Context, accountID string) (int64, error) {
	if accountID == "" {
		return 0, errors.New("poison: forget: empty account id")
	}
	res, err := q.db.NewDelete().Model((*row)(nil)).Where("metadata LIKE ?", "%"+accountID+"%").Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("poison: forget %s: %w", accountID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("poison: forget %s: %w", accountID, err)
	}
	return n, nil
}
