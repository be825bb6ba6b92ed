// Package readmodel holds what the read models share:
// which account a stream is, deterministic ids, and opaque list cursors.
package readmodel

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// AccountOf returns the account id of an account stream ("account-<uuid>").
func AccountOf(streamID string) (string, bool) {
	return strings.CutPrefix(streamID, "account-")
}

// namespace makes the ids of read-model rows that come from events: the
// same event always yields the same id, so a redelivery or a rebuild
// writes the same row.
var namespace = uuid.MustParse("7b3f2c1e-5d4a-4e8b-9c6f-0a1b2c3d4e5f")

// DerivedID returns the id derived from parts (a UUIDv5).
func DerivedID(parts ...string) string {
	return uuid.NewSHA1(namespace, []byte(strings.Join(parts, "\x00"))).String()
}

// EventID returns the id derived from an event's place in its stream.
func EventID(kind, stream string, version int64) string {
	return DerivedID(kind, stream, strconv.FormatInt(version, 10))
}

// ErrBadCursor is returned for a cursor this API did not issue.
var ErrBadCursor = errors.New("cursor is not one this API issued")

// Cursor is a keyset position in a list ordered by (Key, Pos, ID); lists
// with a unique Key or (Key, ID) leave Pos zero.
type Cursor struct {
	Key int64
	Pos int64
	ID  string
}

// Encode returns the cursor as an opaque URL-safe string.
func (c Cursor) Encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(
		strconv.FormatInt(c.Key, 10) + ":" + strconv.FormatInt(c.Pos, 10) + ":" + c.ID))
}

// DecodeCursor reads a cursor made by Encode; "" is the zero cursor with ok false.
func DecodeCursor(s string) (c Cursor, ok bool, err error) {
	if s == "" {
		return Cursor{}, false, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, false, ErrBadCursor
	}
	parts := strings.SplitN(string(b), ":", 3)
	if len(parts) != 3 || parts[2] == "" {
		return Cursor{}, false, ErrBadCursor
	}
	key, err1 := strconv.ParseInt(parts[0], 10, 64)
	pos, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return Cursor{}, false, ErrBadCursor
	}
	return Cursor{Key: key, Pos: pos, ID: parts[2]}, true, nil
}
