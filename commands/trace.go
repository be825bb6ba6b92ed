package commands

import (
	"context"
	"sync/atomic"
)

// Trace follows one request through the write side: whether it wrote events
// and whether it was denied, so the journal can tell an accepted or refused
// command that left events (journaled from the log) from a refusal that left
// none (journaled directly).
type Trace struct {
	wrote  atomic.Bool
	denied atomic.Bool
}

type traceKey struct{}

// WithTrace returns ctx carrying a fresh trace.
func WithTrace(ctx context.Context) (context.Context, *Trace) {
	t := &Trace{}
	return context.WithValue(ctx, traceKey{}, t), t
}

// TraceFrom returns the trace ctx carries, or nil.
func TraceFrom(ctx context.Context) *Trace {
	t, _ := ctx.Value(traceKey{}).(*Trace)
	return t
}

// Wrote reports whether the request appended events.
func (t *Trace) Wrote() bool { return t.wrote.Load() }

// Denied reports whether the request was denied (and journaled as such).
func (t *Trace) Denied() bool { return t.denied.Load() }

// MarkDenied records that the request was denied.
func (t *Trace) MarkDenied() { t.denied.Store(true) }

// markWrote records that ctx's request appended events.
func markWrote(ctx context.Context) {
	if t := TraceFrom(ctx); t != nil {
		t.wrote.Store(true)
	}
}
