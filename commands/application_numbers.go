package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// ApplicationNumberAssignedType is the event of a year's counter stream.
const ApplicationNumberAssignedType = "ApplicationNumberAssigned"

// applicationNumbered is one number taken: its stream version v (0-based)
// is the number's sequence v+1.
type applicationNumbered struct {
	Number        string    `json:"number"`
	ApplicationID uuid.UUID `json:"application_id"`
	AccountID     uuid.UUID `json:"account_id"`
	At            time.Time `json:"occurred_at"`
}

// ApplicationNumbers hands out human application numbers YYYY-NNNNNN,
// unique under any concurrency and across instances: one counter stream per
// year, "appnumbers-<year>", whose n-th event (version n-1) is the number n.
// An append expects the version last seen, so two instances can never take
// the same number; the loser of a race learns the winner's version from the
// conflict and tries the numbers after it. Within an instance, submissions
// that ask at the same time share one append (one event each), so numbering
// is not one commit per number. Numbers may have gaps (a submission refused
// or abandoned after its number was taken), never duplicates.
type ApplicationNumbers struct {
	store eventstore.Store
	newID func() uuid.UUID
	// stream and number are the formats of a year's counter stream and of
	// a number (year, sequence).
	stream, number string

	mu     sync.Mutex
	queues map[int]*numberQueue // by year
}

// numberQueue is one year's waiting requests and what the instance knows
// of the counter.
type numberQueue struct {
	pending []*numberRequest
	busy    bool  // a drain is appending
	last    int64 // the counter's last version seen; a hint, never trusted
}

type numberRequest struct {
	app, account uuid.UUID
	at           time.Time
	meta         []byte
	done         chan numberResult // buffered: the drain never blocks
}

type numberResult struct {
	number string
	err    error
}

// NewApplicationNumbers builds the counter over store.
func NewApplicationNumbers(store eventstore.Store, newID func() uuid.UUID) *ApplicationNumbers {
	if store == nil || newID == nil {
		panic("commands.NewApplicationNumbers: nil dependency")
	}
	return NewSequenceNumbers(store, newID, "appnumbers", "")
}

// NewSequenceNumbers builds a counter like the applications' for another
// kind of number: its streams are "<kind>-<year>", its numbers
// "<prefix>YYYY-NNNNNN" (support requests S-, appointments A-).
func NewSequenceNumbers(store eventstore.Store, newID func() uuid.UUID, kind, prefix string) *ApplicationNumbers {
	if store == nil || newID == nil {
		panic("commands.NewSequenceNumbers: nil dependency")
	}
	return &ApplicationNumbers{store: store, newID: newID, stream: kind + "-%04d", number: prefix + "%04d-%06d",
		queues: map[int]*numberQueue{}}
}

const (
	// maxSequence is the largest number a year holds (six digits).
	maxSequence = 999_999
	// unknownVersion marks that the counter's version must be read.
	unknownVersion = -3
	// maxNumberBatch bounds the numbers one append takes.
	maxNumberBatch = 256
	// numberTimeout bounds one batch's appends, retries included.
	numberTimeout = 30 * time.Second
)

// Next takes the next number of year for the application app of account.
// If ctx ends first the number, when it is taken after all, stays unused.
func (n *ApplicationNumbers) Next(ctx context.Context, year int, app, account uuid.UUID, now time.Time, md Metadata) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	meta, err := md.EncodeIn(ctx)
	if err != nil {
		return "", fmt.Errorf("encode metadata: %w", err)
	}
	req := &numberRequest{app: app, account: account, at: now, meta: meta, done: make(chan numberResult, 1)}
	n.mu.Lock()
	q := n.queues[year]
	if q == nil {
		q = &numberQueue{last: unknownVersion}
		n.queues[year] = q
	}
	q.pending = append(q.pending, req)
	lead := !q.busy
	q.busy = true
	n.mu.Unlock()
	if lead {
		go n.drain(year, q)
	}
	select {
	case r := <-req.done:
		return r.number, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// drain appends the queue's requests, a batch at a time, until none wait.
func (n *ApplicationNumbers) drain(year int, q *numberQueue) {
	for {
		n.mu.Lock()
		batch := q.pending
		if len(batch) > maxNumberBatch {
			batch = batch[:maxNumberBatch]
		}
		q.pending = q.pending[len(batch):]
		if len(batch) == 0 {
			q.busy = false
			n.mu.Unlock()
			return
		}
		last := q.last
		n.mu.Unlock()

		numbers, last, err := n.assign(year, last, batch)
		n.mu.Lock()
		q.last = last
		n.mu.Unlock()
		for i, req := range batch {
			if err != nil {
				req.done <- numberResult{err: err}
			} else {
				req.done <- numberResult{number: numbers[i]}
			}
		}
	}
}

// assign appends one event per request after version last, retrying after
// conflicts with the versions other instances reached. It returns the
// numbers in request order and the counter's version afterwards.
func (n *ApplicationNumbers) assign(year int, last int64, batch []*numberRequest) ([]string, int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), numberTimeout)
	defer cancel()
	stream := fmt.Sprintf(n.stream, year)
	for attempt := 0; ; attempt++ {
		if last == unknownVersion {
			var err error
			if last, err = n.lastVersion(ctx, stream); err != nil {
				return nil, unknownVersion, err
			}
		}
		if last+1+int64(len(batch)) > maxSequence {
			return nil, last, fmt.Errorf("application numbers of %d are exhausted", year)
		}
		numbers := make([]string, len(batch))
		events := make([]eventstore.EventData, len(batch))
		for i, req := range batch {
			numbers[i] = fmt.Sprintf(n.number, year, last+2+int64(i)) // version last+1+i is number last+2+i
			data, _ := json.Marshal(applicationNumbered{Number: numbers[i], ApplicationID: req.app, AccountID: req.account, At: req.at})
			events[i] = eventstore.EventData{
				ID: n.newID(), Type: ApplicationNumberAssignedType, SchemaVersion: 1, Data: data, Metadata: req.meta, OccurredAt: req.at,
			}
		}
		res, err := n.store.Append(ctx, stream, eventstore.ExpectedVersion(last), events)
		var ce *eventstore.ConflictError
		switch {
		case err == nil:
			return numbers, res.NextVersion, nil
		case errors.As(err, &ce) && ctx.Err() == nil:
			// Another instance took these numbers: try the ones after its.
			// Now and then read the stream, in case the hint is stale, and
			// pause a little so instances do not retry in lockstep.
			last = ce.Actual
			if ce.Actual < -1 || attempt%8 == 7 {
				last = unknownVersion
			}
			if attempt >= 2 {
				time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
			}
		default:
			return nil, unknownVersion, fmt.Errorf("take application number: %w", err)
		}
	}
}

// lastVersion reads the version of the stream's last event (-1: none).
func (n *ApplicationNumbers) lastVersion(ctx context.Context, stream string) (int64, error) {
	recs, err := n.store.ReadStream(ctx, stream, eventstore.Backward, -1, 1)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", stream, err)
	}
	if len(recs) == 0 {
		return -1, nil
	}
	return recs[0].Version, nil
}
