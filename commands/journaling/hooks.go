package journaling

import (
	"context"
	"fmt"

	"github.com/kabinet/kabinet/platform/journal"
)

// Hooks inject faults between the writer's steps, for tests. A hook that
// returns an error stands for the process dying at that point: the cycle
// stops there (a transaction still open is rolled back, nothing after the
// hook runs) and Run returns the error, wrapped. A nil hook does nothing.
//
// The steps of a cycle, in order: the entries are built (AfterBuild), the
// transaction appends them (AfterAppend), deletes the inbox rows and moves
// the cursor (BeforeCommit), commits (AfterCommit), and a due time-based
// checkpoint is issued (AfterCheckpoint).
type Hooks struct {
	// AfterBuild runs once the cycle's entries are built, before its
	// transaction begins.
	AfterBuild func(ctx context.Context, entries []journal.Entry) error
	// AfterAppend runs inside the transaction after journal.AppendTx,
	// before the inbox rows are deleted and the cursor moved.
	AfterAppend func(ctx context.Context) error
	// BeforeCommit runs inside the transaction after the inbox rows are
	// deleted and the cursor moved.
	BeforeCommit func(ctx context.Context) error
	// AfterCommit runs after the commit, before the checkpoint step.
	AfterCommit func(ctx context.Context) error
	// AfterCheckpoint runs after the checkpoint step (whether or not a
	// checkpoint was due).
	AfterCheckpoint func(ctx context.Context) error
	// LoseCommitAnswer, unlike the others, stands for a lost connection,
	// not a dying process: it runs after a commit that succeeded, and an
	// error it returns is taken for the commit's answer, as when the
	// database committed but the connection broke before it could say so.
	// The writer then goes on as after any failed cycle.
	LoseCommitAnswer func(ctx context.Context) error
}

// HookError is what Run returns when a hook stopped it.
type HookError struct {
	Step string // the hook's name, e.g. "AfterAppend"
	Err  error
}

func (e *HookError) Error() string { return fmt.Sprintf("journaling: hook %s: %v", e.Step, e.Err) }

// Unwrap returns the hook's error.
func (e *HookError) Unwrap() error { return e.Err }

// call runs the named hook when set.
func (h *Hooks) call(ctx context.Context, step string, f func(*Hooks) func(context.Context) error) error {
	if h == nil {
		return nil
	}
	hook := f(h)
	if hook == nil {
		return nil
	}
	if err := hook(ctx); err != nil {
		return &HookError{Step: step, Err: err}
	}
	return nil
}

func (h *Hooks) afterBuild(ctx context.Context, entries []journal.Entry) error {
	if h == nil || h.AfterBuild == nil {
		return nil
	}
	if err := h.AfterBuild(ctx, entries); err != nil {
		return &HookError{Step: "AfterBuild", Err: err}
	}
	return nil
}

func (h *Hooks) afterAppend(ctx context.Context) error {
	return h.call(ctx, "AfterAppend", func(h *Hooks) func(context.Context) error { return h.AfterAppend })
}

func (h *Hooks) beforeCommit(ctx context.Context) error {
	return h.call(ctx, "BeforeCommit", func(h *Hooks) func(context.Context) error { return h.BeforeCommit })
}

func (h *Hooks) afterCommit(ctx context.Context) error {
	return h.call(ctx, "AfterCommit", func(h *Hooks) func(context.Context) error { return h.AfterCommit })
}

func (h *Hooks) afterCheckpoint(ctx context.Context) error {
	return h.call(ctx, "AfterCheckpoint", func(h *Hooks) func(context.Context) error { return h.AfterCheckpoint })
}

// commitAnswer is the answer of a commit that succeeded: nil, or the
// LoseCommitAnswer hook's error.
func (h *Hooks) commitAnswer(ctx context.Context) error {
	if h == nil || h.LoseCommitAnswer == nil {
		return nil
	}
	return h.LoseCommitAnswer(ctx)
}
