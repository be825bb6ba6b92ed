package kurrenttest

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"sync/atomic"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// streamsServer implements the Streams service: Append and Read. Delete,
// Tombstone and BatchAppend answer Unimplemented (the adapter never calls
// them; the client's AppendToStream uses Append).
type streamsServer struct {
	streams.UnimplementedStreamsServer
	log    *memlog
	opts   *Options
	drops  *dropper
	leader *Server // set on a follower: appends answer NotLeader
	subs   *atomic.Int64
}

// Append reads the options message, then the proposed events, and answers
// once with Success or WrongExpectedVersion, as the server does.
func (s *streamsServer) Append(srv streams.Streams_AppendServer) error {
	if s.leader != nil {
		// As the server does, the whole request is read before the answer.
		for {
			if _, err := srv.Recv(); err != nil {
				if !errors.Is(err, io.EOF) {
					return err
				}
				return notLeader(srv, s.leader.Addr())
			}
		}
	}
	first, err := srv.Recv()
	if err != nil {
		return err
	}
	opts := first.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "the first append message must carry options")
	}
	stream := string(opts.GetStreamIdentifier().GetStreamName())
	exp, err := expectationOf(opts)
	if err != nil {
		return err
	}
	var evs []proposed
	for {
		req, err := srv.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		msg := req.GetProposedMessage()
		if msg == nil {
			return status.Error(codes.InvalidArgument, "expected a proposed message")
		}
		p, err := proposedOf(msg)
		if err != nil {
			return err
		}
		evs = append(evs, p)
	}
	return srv.SendAndClose(appendResp(s.log.appendEvents(stream, exp, evs), opts))
}

// notLeader answers a write on a follower as KurrentDB does: the trailers
// name the exception and the leader's endpoint.
func notLeader(srv grpc.ServerStream, leader string) error {
	host, port, err := net.SplitHostPort(leader)
	if err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	srv.SetTrailer(metadata.Pairs("exception", "not-leader", "leader-endpoint-host", host, "leader-endpoint-port", port))
	return status.Error(codes.NotFound, "Leader info available")
}

func expectationOf(opts *streams.AppendReq_Options) (expectation, error) {
	switch e := opts.GetExpectedStreamRevision().(type) {
	case *streams.AppendReq_Options_Any:
		return expectation{kind: expectAny}, nil
	case *streams.AppendReq_Options_NoStream:
		return expectation{kind: expectNoStream}, nil
	case *streams.AppendReq_Options_StreamExists:
		return expectation{kind: expectExists}, nil
	case *streams.AppendReq_Options_Revision:
		return expectation{kind: expectRevision, rev: e.Revision}, nil
	}
	return expectation{}, status.Error(codes.InvalidArgument, "missing expected stream revision")
}

// proposedOf checks a proposed message the way the server does: "type" and
// "content-type" are required metadata.
func proposedOf(m *streams.AppendReq_ProposedMessage) (proposed, error) {
	typ, ok := m.GetMetadata()["type"]
	if !ok {
		return proposed{}, status.Error(codes.InvalidArgument, "required metadata property type is missing")
	}
	ct, ok := m.GetMetadata()["content-type"]
	if !ok {
		return proposed{}, status.Error(codes.InvalidArgument, "required metadata property content-type is missing")
	}
	id, err := uuidOf(m.GetId())
	if err != nil {
		return proposed{}, status.Errorf(codes.InvalidArgument, "event id: %v", err)
	}
	return proposed{id: id, typ: typ, contentType: ct, data: m.GetData(), meta: m.GetCustomMetadata()}, nil
}

func appendResp(o outcome, opts *streams.AppendReq_Options) *streams.AppendResp {
	if o.ok {
		ok := &streams.AppendResp_Success{
			CurrentRevisionOption: &streams.AppendResp_Success_CurrentRevision{CurrentRevision: uint64(o.last)},
			PositionOption: &streams.AppendResp_Success_Position{Position: &streams.AppendResp_Position{
				CommitPosition: o.pos, PreparePosition: o.pos,
			}},
		}
		if o.last < 0 {
			ok.CurrentRevisionOption = &streams.AppendResp_Success_NoStream{NoStream: &shared.Empty{}}
			ok.PositionOption = &streams.AppendResp_Success_NoPosition{NoPosition: &shared.Empty{}}
		}
		return &streams.AppendResp{Result: &streams.AppendResp_Success_{Success: ok}}
	}
	wrong := &streams.AppendResp_WrongExpectedVersion{}
	if o.current < 0 {
		wrong.CurrentRevisionOption = &streams.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
	} else {
		wrong.CurrentRevisionOption = &streams.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(o.current)}
	}
	switch e := opts.GetExpectedStreamRevision().(type) {
	case *streams.AppendReq_Options_Any:
		wrong.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
	case *streams.AppendReq_Options_NoStream:
		wrong.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
	case *streams.AppendReq_Options_StreamExists:
		wrong.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
	case *streams.AppendReq_Options_Revision:
		wrong.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: e.Revision}
	}
	return &streams.AppendResp{Result: &streams.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: wrong}}
}

// Read serves stream reads, $all reads and $all subscriptions.
func (s *streamsServer) Read(req *streams.ReadReq, srv streams.Streams_ReadServer) error {
	o := req.GetOptions()
	if o == nil || o.GetUuidOption() == nil {
		return status.Error(codes.InvalidArgument, "read options and uuid_option are required")
	}
	f, err := filterOf(o.GetFilter())
	if err != nil {
		return err
	}
	if o.GetSubscription() != nil {
		all := o.GetAll()
		if all == nil {
			return status.Error(codes.Unimplemented, "kurrenttest: only subscriptions to $all are implemented")
		}
		return s.subscribe(srv.Context(), all, f, o, srv)
	}
	count := o.GetCount()
	backwards := o.GetReadDirection() == streams.ReadReq_Options_Backwards
	if st := o.GetStream(); st != nil {
		return s.readStream(st, backwards, count, o, srv)
	}
	return s.readAll(o.GetAll(), backwards, count, f, o, srv)
}

func (s *streamsServer) readStream(st *streams.ReadReq_Options_StreamOptions, backwards bool, count uint64,
	o *streams.ReadReq_Options, srv streams.Streams_ReadServer) error {
	recs, ok := s.log.stream(string(st.GetStreamIdentifier().GetStreamName()))
	if !ok {
		return srv.Send(&streams.ReadResp{Content: &streams.ReadResp_StreamNotFound_{
			StreamNotFound: &streams.ReadResp_StreamNotFound{StreamIdentifier: st.GetStreamIdentifier()},
		}})
	}
	last := int64(len(recs)) - 1
	var out []*record
	if backwards {
		// Like IndexReader.ReadStreamEventsBackward: End means the last
		// event; a revision past the end is not clamped.
		from := last
		if st.GetEnd() == nil && st.GetStart() == nil {
			from = int64(st.GetRevision())
		} else if st.GetStart() != nil {
			from = 0
		}
		// The range is [from-count+1, from]; revisions past the end in it
		// are simply missing.
		for r := from; r >= 0 && uint64(from-r) < count; r-- {
			if r <= last {
				out = append(out, recs[r])
			}
		}
	} else {
		from := int64(0)
		switch {
		case st.GetEnd() != nil:
			from = last + 1
		case st.GetStart() == nil:
			from = int64(st.GetRevision())
		}
		for r := from; r <= last && uint64(len(out)) < count; r++ {
			out = append(out, recs[r])
		}
	}
	return sendAll(srv, out, o)
}

func (s *streamsServer) readAll(all *streams.ReadReq_Options_AllOptions, backwards bool, count uint64,
	f filter, o *streams.ReadReq_Options, srv streams.Streams_ReadServer) error {
	var out []*record
	const page = 256
	if backwards {
		before := ^uint64(0)
		if p := all.GetPosition(); p != nil {
			before = p.GetCommitPosition()
		} else if all.GetStart() != nil {
			before = 0
		}
		for uint64(len(out)) < count {
			recs := s.log.backward(before, page)
			for _, r := range recs {
				if f.match(r) && uint64(len(out)) < count {
					out = append(out, r)
				}
				before = r.pos
			}
			if len(recs) < page {
				break
			}
		}
		return sendAll(srv, out, o)
	}
	from, exclusive := uint64(0), false
	if p := all.GetPosition(); p != nil {
		from = p.GetCommitPosition() // inclusive, as ReadAllEventsForward is
	} else if all.GetEnd() != nil {
		from, _ = s.log.last()
		exclusive = true
	}
	for uint64(len(out)) < count {
		recs := s.log.forward(from, exclusive, page)
		for _, r := range recs {
			if f.match(r) && uint64(len(out)) < count {
				out = append(out, r)
			}
			from, exclusive = r.pos, true
		}
		if len(recs) < page {
			break
		}
	}
	return sendAll(srv, out, o)
}

func sendAll(srv streams.Streams_ReadServer, recs []*record, o *streams.ReadReq_Options) error {
	for _, r := range recs {
		if err := srv.Send(eventResp(r, o)); err != nil {
			return err
		}
	}
	return nil
}

func eventResp(r *record, o *streams.ReadReq_Options) *streams.ReadResp {
	return &streams.ReadResp{Content: &streams.ReadResp_Event{Event: &streams.ReadResp_ReadEvent{
		Event:    recordedEvent(r, o.GetUuidOption().GetString_() != nil),
		Position: &streams.ReadResp_ReadEvent_CommitPosition{CommitPosition: r.pos},
	}}}
}

func recordedEvent(r *record, stringIDs bool) *streams.ReadResp_ReadEvent_RecordedEvent {
	return &streams.ReadResp_ReadEvent_RecordedEvent{
		Id:               protoUUID(r.id, stringIDs),
		StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.stream)},
		StreamRevision:   r.rev,
		PreparePosition:  r.pos,
		CommitPosition:   r.pos,
		Metadata:         systemMetadata(r),
		CustomMetadata:   r.meta,
		Data:             r.data,
	}
}

func systemMetadata(r *record) map[string]string {
	return map[string]string{
		"type":         r.typ,
		"content-type": r.contentType,
		"created":      strconv.FormatInt(r.created, 10),
	}
}

func protoUUID(id uuid.UUID, asString bool) *shared.UUID {
	if asString {
		return &shared.UUID{Value: &shared.UUID_String_{String_: id.String()}}
	}
	var most, least uint64
	for i := 0; i < 8; i++ {
		most = most<<8 | uint64(id[i])
		least = least<<8 | uint64(id[8+i])
	}
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
		MostSignificantBits: int64(most), LeastSignificantBits: int64(least),
	}}}
}

func uuidOf(u *shared.UUID) (uuid.UUID, error) {
	if s := u.GetStructured(); s != nil {
		var id uuid.UUID
		most, least := uint64(s.GetMostSignificantBits()), uint64(s.GetLeastSignificantBits())
		for i := 7; i >= 0; i-- {
			id[i], id[8+i] = byte(most), byte(least)
			most, least = most>>8, least>>8
		}
		return id, nil
	}
	return uuid.Parse(u.GetString_())
}

// ctxDone reports whether ctx has ended.
func ctxDone(ctx context.Context) bool { return ctx.Err() != nil }
