package eventstore

import (
	"context"
	"time"
)

// AppendObserver is told about every append (metrics).
type AppendObserver interface {
	ObserveAppend(events int, d time.Duration, err error)
}

// Instrumented wraps s so that every append is reported to o.
func Instrumented(s Store, o AppendObserver) Store {
	return &instrumented{Store: s, o: o}
}

type instrumented struct {
	Store
	o AppendObserver
}

func (i *instrumented) Append(ctx context.Context, stream string, expected ExpectedVersion, events []EventData) (AppendResult, error) {
	start := time.Now()
	res, err := i.Store.Append(ctx, stream, expected, events)
	i.o.ObserveAppend(len(events), time.Since(start), err)
	return res, err
}
