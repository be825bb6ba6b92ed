package kurrenttest

import (
	"context"
	"regexp"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/persistent"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// filter is a server-side event filter; the zero value lets everything
// through. Like KurrentDB's EventFilter it matches on the stream name or
// the event type, by prefixes or by one regular expression.
type filter struct {
	on       func(r *record) string
	prefixes []string
	re       *regexp.Regexp
	window   uint32 // max search window (count of considered events)
	mult     uint32 // checkpoint interval multiplier
}

func (f filter) active() bool { return f.on != nil }

func (f filter) match(r *record) bool {
	if f.on == nil {
		return true
	}
	v := f.on(r)
	if f.re != nil {
		return f.re.MatchString(v)
	}
	for _, p := range f.prefixes {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	return false
}

// checkpointEvery is how many considered events lie between checkpoints.
func (f filter) checkpointEvery() int {
	w := f.window
	if w == 0 {
		w = 32 // the server's default read batch
	}
	m := max(f.mult, 1)
	return int(w * m)
}

type expression interface {
	GetRegex() string
	GetPrefix() []string
}

func byStream(r *record) string { return r.stream }
func byType(r *record) string   { return r.typ }

func newFilter(on func(*record) string, e expression, window, mult uint32) (filter, error) {
	f := filter{on: on, prefixes: e.GetPrefix(), window: window, mult: mult}
	if e.GetRegex() != "" {
		re, err := regexp.Compile(e.GetRegex())
		if err != nil {
			return filter{}, status.Errorf(codes.InvalidArgument, "filter regex: %v", err)
		}
		f.re = re
	}
	if f.re == nil && len(f.prefixes) == 0 {
		return filter{}, status.Error(codes.InvalidArgument, "a filter needs a regex or prefixes")
	}
	return f, nil
}

// filterOf converts a read request's filter (nil: no filter).
func filterOf(fo *streams.ReadReq_Options_FilterOptions) (filter, error) {
	if fo == nil {
		return filter{}, nil
	}
	mult := fo.GetCheckpointIntervalMultiplier()
	if st := fo.GetStreamIdentifier(); st != nil {
		return newFilter(byStream, st, fo.GetMax(), mult)
	}
	if et := fo.GetEventType(); et != nil {
		return newFilter(byType, et, fo.GetMax(), mult)
	}
	return filter{}, status.Error(codes.InvalidArgument, "filter without stream_identifier or event_type")
}

// persistentFilterOf converts a persistent subscription's filter.
func persistentFilterOf(fo *persistent.CreateReq_AllOptions_FilterOptions) (filter, error) {
	if fo == nil {
		return filter{}, nil
	}
	if st := fo.GetStreamIdentifier(); st != nil {
		return newFilter(byStream, st, fo.GetMax(), 1)
	}
	if et := fo.GetEventType(); et != nil {
		return newFilter(byType, et, fo.GetMax(), 1)
	}
	return filter{}, status.Error(codes.InvalidArgument, "filter without stream_identifier or event_type")
}

// subscribe runs a catch-up subscription to $all: confirmation, the
// history after the start position, CaughtUp, then live events as they
// are appended, until the client leaves, the server stops or a drop.
func (s *streamsServer) subscribe(ctx context.Context, all *streams.ReadReq_Options_AllOptions, f filter,
	o *streams.ReadReq_Options, srv streams.Streams_ReadServer) error {
	drop := s.drops.signal()
	s.subs.Add(1)
	var checkpoint uint64
	has := false // false: deliver from the first record
	switch {
	case all.GetPosition() != nil:
		checkpoint, has = all.GetPosition().GetCommitPosition(), true // exclusive
	case all.GetEnd() != nil:
		checkpoint, has = s.log.last()
	}
	if err := srv.Send(&streams.ReadResp{Content: &streams.ReadResp_Confirmation{
		Confirmation: &streams.ReadResp_SubscriptionConfirmation{SubscriptionId: uuid.NewString()},
	}}); err != nil {
		return err
	}
	const page = 128
	sent, considered, caughtUp := 0, 0, false
	for {
		wake := s.log.wait()
		recs := s.log.forward(checkpoint, has, page)
		for _, r := range recs {
			if err := dropped(ctx, drop); err != nil {
				return err
			}
			considered++
			if f.match(r) {
				if err := srv.Send(eventResp(r, o)); err != nil {
					return err
				}
				sent++
				if s.opts.DropEvery > 0 && sent%s.opts.DropEvery == 0 {
					return status.Error(codes.Unavailable, "kurrenttest: subscription dropped (DropEvery)")
				}
			}
			checkpoint, has = r.pos, true
			if f.active() && considered >= f.checkpointEvery() {
				considered = 0
				if err := sendCheckpoint(srv, checkpoint); err != nil {
					return err
				}
			}
		}
		if len(recs) == page {
			continue
		}
		if f.active() && has && considered > 0 {
			considered = 0
			if err := sendCheckpoint(srv, checkpoint); err != nil {
				return err
			}
		}
		if !caughtUp {
			caughtUp = true
			if err := srv.Send(&streams.ReadResp{Content: &streams.ReadResp_CaughtUp_{CaughtUp: &streams.ReadResp_CaughtUp{}}}); err != nil {
				return err
			}
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return nil
		case <-drop:
			return errDropped
		}
	}
}

var errDropped = status.Error(codes.Unavailable, "kurrenttest: subscription dropped")

// dropped returns the error to end a subscription with, if it must end.
func dropped(ctx context.Context, drop <-chan struct{}) error {
	select {
	case <-drop:
		return errDropped
	default:
	}
	if ctxDone(ctx) {
		return status.FromContextError(ctx.Err()).Err()
	}
	return nil
}

func sendCheckpoint(srv streams.Streams_ReadServer, pos uint64) error {
	return srv.Send(&streams.ReadResp{Content: &streams.ReadResp_Checkpoint_{
		Checkpoint: &streams.ReadResp_Checkpoint{CommitPosition: pos, PreparePosition: pos},
	}})
}
