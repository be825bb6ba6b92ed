package pii

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// Store is the event store as the domain's consumers see it (the
// repository, the projections, the scheduler's jobs): personal fields are
// sealed on Append and opened on every read, so they handle plaintext while
// the store below keeps ciphertext. An erased account's events read without
// their personal fields. Whatever hashes events (the journal) reads the
// store below, so that hashes cover the stored bytes and erasure changes none.
type Store struct {
	inner eventstore.Store
	codec *Codec
}

var _ eventstore.Store = (*Store)(nil)

// NewStore wraps inner with codec.
func NewStore(inner eventstore.Store, codec *Codec) *Store {
	if inner == nil || codec == nil {
		panic("pii.NewStore: nil dependency")
	}
	return &Store{inner: inner, codec: codec}
}

// Inner is the store below, holding the sealed bytes.
func (s *Store) Inner() eventstore.Store { return s.inner }

// AccountOf names the account whose key seals an event: the uuid of an
// account stream, else the "account_id" of its data (a claim's, an
// application index's), else "" (nothing to seal).
func AccountOf(stream string, data []byte) string {
	if id, ok := strings.CutPrefix(stream, "account-"); ok {
		return id
	}
	var d struct {
		AccountID string `json:"account_id"`
	}
	if len(data) > 0 && json.Unmarshal(data, &d) == nil {
		return d.AccountID
	}
	return ""
}

// Append implements eventstore.Store, sealing every event first.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events []eventstore.EventData) (eventstore.AppendResult, error) {
	sealed := make([]eventstore.EventData, len(events))
	for i, e := range events {
		account := AccountOf(stream, e.Data)
		if account != "" {
			var err error
			if e.Data, err = s.codec.Seal(ctx, account, e.Type, Data, e.Data); err != nil {
				return eventstore.AppendResult{}, err
			}
			if e.Metadata, err = s.codec.Seal(ctx, account, e.Type, Metadata, e.Metadata); err != nil {
				return eventstore.AppendResult{}, err
			}
		}
		sealed[i] = e
	}
	return s.inner.Append(ctx, stream, expected, sealed)
}

// Reveal returns rec with its personal fields opened, and the fields that
// could not be because the account's key was erased (data and metadata).
// Callers must not change the bytes of what it returns: an event's readers
// share them.
func (c *Codec) Reveal(ctx context.Context, rec eventstore.RecordedEvent) (eventstore.RecordedEvent, []string, []string, error) {
	account := AccountOf(rec.StreamID, rec.Data)
	if account == "" || !mayBeSealed(rec.Data) && !mayBeSealed(rec.Metadata) {
		return rec, nil, nil, nil
	}
	key := &keyOf{keys: c.keys, ctx: ctx, account: account}
	dk, ok, _ := key.get()
	if ok {
		if e, hit := c.opened.get(rec, dk); hit {
			rec.Data, rec.Metadata = e.data, e.metadata
			return rec, e.erasedData, e.erasedMetadata, nil
		}
	}
	d, err := c.open(key, rec.Type, Data, rec.Data)
	if err != nil {
		return rec, nil, nil, fmt.Errorf("%s v%d: %w", rec.StreamID, rec.Version, err)
	}
	m, err := c.open(key, rec.Type, Metadata, rec.Metadata)
	if err != nil {
		return rec, nil, nil, fmt.Errorf("%s v%d: %w", rec.StreamID, rec.Version, err)
	}
	if ok {
		c.opened.put(openedEvent{key: dk, id: rec.ID, position: rec.Position, stream: rec.StreamID,
			sealedData: rec.Data, sealedMeta: rec.Metadata, data: d.Raw, metadata: m.Raw,
			erasedData: d.Erased, erasedMetadata: m.Erased})
	}
	rec.Data, rec.Metadata = d.Raw, m.Raw
	return rec, d.Erased, m.Erased, nil
}

func (s *Store) open(ctx context.Context, recs []eventstore.RecordedEvent) ([]eventstore.RecordedEvent, error) {
	for i := range recs {
		r, _, _, err := s.codec.Reveal(ctx, recs[i])
		if err != nil {
			return nil, err
		}
		recs[i] = r
	}
	return recs, nil
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, dir eventstore.Direction, from int64, limit int) ([]eventstore.RecordedEvent, error) {
	recs, err := s.inner.ReadStream(ctx, stream, dir, from, limit)
	if err != nil {
		return nil, err
	}
	return s.open(ctx, recs)
}

// ReadAll implements eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error) {
	recs, err := s.inner.ReadAll(ctx, after, limit)
	if err != nil {
		return nil, err
	}
	return s.open(ctx, recs)
}

// Head implements eventstore.Store.
func (s *Store) Head(ctx context.Context) (uint64, error) { return s.inner.Head(ctx) }

// Close implements eventstore.Store.
func (s *Store) Close() error { return s.inner.Close() }

// Subscribe implements eventstore.Store: the feed below, opened event by event.
func (s *Store) Subscribe(ctx context.Context, after uint64) (eventstore.Subscription, error) {
	ctx, cancel := context.WithCancel(ctx)
	in, err := s.inner.Subscribe(ctx, after)
	if err != nil {
		cancel()
		return nil, err
	}
	sub := &subscription{ch: make(chan eventstore.RecordedEvent)}
	go func() {
		defer close(sub.ch)
		defer cancel()
		for rec := range in.Events() {
			r, _, _, err := s.codec.Reveal(ctx, rec)
			if err != nil {
				sub.err = err
				return
			}
			select {
			case sub.ch <- r:
			case <-ctx.Done():
				return
			}
		}
		sub.err = in.Err()
	}()
	return sub, nil
}

type subscription struct {
	ch  chan eventstore.RecordedEvent
	err error // written before ch closes
}

func (s *subscription) Events() <-chan eventstore.RecordedEvent { return s.ch }
func (s *subscription) Err() error                              { return s.err }
