package sqldb

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/uptrace/bun"
)

// TxFunc is the work of one transaction.
type TxFunc = func(ctx context.Context, tx bun.Tx) error

// RunGrouped runs fn in a transaction and returns once it committed or
// failed, as RunInTx does; on SQLite the transaction is shared with the
// other RunGrouped calls on db queued at the same time (group commit). A
// SQLite file has one writer, and every transaction on it holds that writer
// through its commit (and, when durable, its fsync): writes that come
// together then pass it once instead of one by one. Calls that arrive while
// a group commits form the next group, so a group grows with the load and
// needs no timer. On PostgreSQL, which has writers in parallel, it is
// RunInTx.
//
// A group is all or nothing: if any of its calls' fn fails, the transaction
// is rolled back and each fn of the group runs again alone in its own
// transaction, so that a failure is its call's only and nothing of a failed
// fn commits with the others; if the transaction cannot begin or commit,
// every call of the group returns that error. So fn may run twice: it must
// touch nothing outside tx that a second run would repeat, and set (not
// accumulate) what it hands back to its caller. A fn that panics fails its
// group the same way and panics again in its caller, not run a second time.
// Inside a group fn's ctx does not cancel its statements, for on SQLite an
// interrupted write rolls back the whole transaction, the others' work
// included; the group begins when the file's writer is free, at most the
// busy timeout later. fn must not call RunGrouped on db itself.
func (db *DB) RunGrouped(ctx context.Context, fn TxFunc) error {
	if db.group == nil {
		return db.RunInTx(ctx, nil, fn)
	}
	return db.group.run(ctx, db, fn)
}

// Groups reports how many transactions RunGrouped committed on db that held
// more than one call.
func (db *DB) Groups() uint64 {
	if db.group == nil {
		return 0
	}
	return db.group.groups.Load()
}

// txGroup queues the RunGrouped calls of one pool and commits them.
type txGroup struct {
	mu      sync.Mutex
	queue   []*txJob
	running bool

	groups atomic.Uint64
}

// txJob is one call waiting for its group.
type txJob struct {
	ctx      context.Context
	fn       TxFunc
	err      error
	panicked any // what fn panicked with, for its caller to panic with
	done     chan struct{}
}

// errPanicked stands for a fn's panic in the transaction it was part of.
var errPanicked = errors.New("panicked")

// call runs j's fn, turning a panic into errPanicked (the group's loop
// must outlive it) and keeping its value for the caller.
func (j *txJob) call(ctx context.Context, tx bun.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			j.panicked, err = r, errPanicked
		}
	}()
	return j.fn(ctx, tx)
}

// alone runs j in a transaction of its own.
func (j *txJob) alone(db *DB) {
	j.err = db.RunInTx(j.ctx, nil, j.call)
}

func (g *txGroup) run(ctx context.Context, db *DB, fn TxFunc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	j := &txJob{ctx: ctx, fn: fn, done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, j)
	if !g.running {
		g.running = true
		go g.loop(db)
	}
	g.mu.Unlock()
	<-j.done
	if j.panicked != nil {
		panic(j.panicked)
	}
	return j.err
}

// loop commits what is queued, group by group, and ends when nothing is.
func (g *txGroup) loop(db *DB) {
	for {
		g.mu.Lock()
		jobs := g.queue
		g.queue = nil
		if len(jobs) == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		g.commit(db, jobs)
	}
}

// commit runs jobs in one transaction and answers them. If a job's fn
// fails, the group is rolled back and each job runs again alone; if the
// transaction itself cannot begin or commit, every job is told so (nothing
// of the group was written).
func (g *txGroup) commit(db *DB, jobs []*txJob) {
	defer func() {
		for _, j := range jobs {
			close(j.done)
		}
	}()
	if len(jobs) == 1 {
		jobs[0].alone(db)
		return
	}
	failed := false
	err := db.RunInTx(context.Background(), nil, func(_ context.Context, tx bun.Tx) error {
		for _, j := range jobs {
			if err := j.call(context.WithoutCancel(j.ctx), tx); err != nil {
				failed = true
				return err
			}
		}
		return nil
	})
	switch {
	case err == nil:
		g.groups.Add(1)
	case failed:
		for _, j := range jobs {
			if j.panicked == nil {
				j.alone(db)
			}
		}
	default:
		for _, j := range jobs {
			j.err = fmt.Errorf("group of %d transactions: %w", len(jobs), err)
		}
	}
}
