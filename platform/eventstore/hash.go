package eventstore

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"time"
)

// HashSize is the size of an event hash (SHA-256).
const HashSize = sha256.Size

// hashTag opens every event hash's input, so that it cannot be read as the
// input of any other hash of the system.
const hashTag = "kabinet/event/v1"

// HashTimeLayout renders OccurredAt in the hash input: UTC, always six
// fractional digits (the stores keep it to the microsecond).
const HashTimeLayout = "2006-01-02T15:04:05.000000Z"

// Hash returns the SHA-256 of e's canonical encoding, the event hash the
// journal's event leaves commit to. The encoding is the tag
// "kabinet/event/v1" followed by eight fields, each written as its length in
// bytes (8 bytes, big-endian) and then its bytes:
//
//	stream id, version (decimal), global position (decimal), type,
//	schema version (decimal), occurred_at (HashTimeLayout, UTC),
//	data, metadata
//
// Data and metadata are the bytes as the store holds them (ciphertext where
// the codec encrypted a field), so the hash depends on nothing a reader
// decodes. The length prefixes make the encoding injective: no two events
// share an input.
func Hash(e RecordedEvent) []byte {
	return AppendHash(nil, e)
}

// AppendHash appends Hash(e) to dst.
func AppendHash(dst []byte, e RecordedEvent) []byte {
	h := sha256.New()
	var num [20]byte
	var n [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	h.Write([]byte(hashTag))
	field([]byte(e.StreamID))
	field(strconv.AppendInt(num[:0], e.Version, 10))
	field(strconv.AppendUint(num[:0], e.Position, 10))
	field([]byte(e.Type))
	field(strconv.AppendInt(num[:0], int64(e.SchemaVersion), 10))
	var ts [32]byte
	field(e.OccurredAt.UTC().Truncate(time.Microsecond).AppendFormat(ts[:0], HashTimeLayout))
	field(e.Data)
	field(e.Metadata)
	return h.Sum(dst)
}
