package journal

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// leafVersion is the "v" field of the canonical leaf; leafVersionAccounts
// that of an entry about several accounts, whose leaf lists them.
const (
	leafVersion         = 1
	leafVersionAccounts = 2
)

// saltSize is the length of the random salt of a personal field.
const saltSize = 16

// timeLayout renders At in the leaf: UTC, always six fractional digits.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// text is a stored text value: a string when appending, the scanned bytes
// when verifying (no allocation per row).
type text interface{ ~string | ~[]byte }

// leafFields is what the canonical leaf commits to: the entry with its
// personal fields replaced by their salted hashes.
type leafFields[T text] struct {
	seq            uint64
	atMicros       int64
	actorID        T
	actorRole      T
	action         T
	accountID      T
	accountIDs     T // stored form: ids separated by ","; "" for a v1 leaf
	outcome        T
	reason         T
	correlationID  T
	eventPositions T // stored form: decimal positions separated by ","
	ipHash         []byte
	uaHash         []byte
}

// appendLeaf appends the canonical leaf encoding of f to b.
func appendLeaf[T text](b []byte, f *leafFields[T]) []byte {
	b = append(b, `{"v":`...)
	if len(f.accountIDs) > 0 {
		b = strconv.AppendInt(b, leafVersionAccounts, 10)
	} else {
		b = strconv.AppendInt(b, leafVersion, 10)
	}
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, f.seq, 10)
	b = append(b, `,"at":"`...)
	b = time.UnixMicro(f.atMicros).UTC().AppendFormat(b, timeLayout)
	b = append(b, `","actor_id":`...)
	b = appendJSONString(b, f.actorID)
	b = append(b, `,"actor_role":`...)
	b = appendJSONString(b, f.actorRole)
	b = append(b, `,"action":`...)
	b = appendJSONString(b, f.action)
	b = append(b, `,"account_id":`...)
	b = appendJSONString(b, f.accountID)
	if len(f.accountIDs) > 0 {
		b = appendAccountList(b, f.accountIDs)
	}
	b = append(b, `,"outcome":`...)
	b = appendJSONString(b, f.outcome)
	b = append(b, `,"reason":`...)
	b = appendJSONString(b, f.reason)
	b = append(b, `,"correlation_id":`...)
	b = appendJSONString(b, f.correlationID)
	b = append(b, `,"event_positions":[`...)
	b = append(b, f.eventPositions...) // digits and commas only, checked on read
	b = append(b, `],"ip_hash":"`...)
	b = hex.AppendEncode(b, f.ipHash)
	b = append(b, `","user_agent_hash":"`...)
	b = hex.AppendEncode(b, f.uaHash)
	b = append(b, `"}`...)
	return b
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string in the leaf's canonical form:
// escaped as encoding/json does with HTML escaping off, and each invalid
// UTF-8 byte written as the escape \ufffd (as encoding/json did before Go
// 1.27, which writes the raw character instead). The form is fixed here so
// leaf hashes do not change with Go releases.
func appendJSONString[T text](b []byte, s T) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// formatPositions renders event positions in their stored form.
func formatPositions(ps []uint64) string {
	if len(ps) == 0 {
		return ""
	}
	b := make([]byte, 0, len(ps)*8)
	for i, p := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, p, 10)
	}
	return string(b)
}

// parsePositions parses the stored form of event positions; it refuses
// anything but the canonical form, so a stored value cannot smuggle JSON
// into a recomputed leaf.
func parsePositions(s string) ([]uint64, error) {
	if s == "" {
		return nil, nil
	}
	var out []uint64
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != ',' {
			continue
		}
		part := s[start:i]
		p, err := strconv.ParseUint(part, 10, 64)
		if err != nil || strconv.FormatUint(p, 10) != part {
			return nil, fmt.Errorf("event positions %q are not canonical", s)
		}
		out = append(out, p)
		start = i + 1
	}
	return out, nil
}

// canonicalPositions reports whether s is in the canonical stored form,
// without allocating.
func canonicalPositions[T text](s T) bool {
	if len(s) == 0 {
		return true
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if digits == 0 && c == '0' && i+1 < len(s) && s[i+1] != ',' {
				return false // leading zero
			}
			digits++
		case c == ',' && digits > 0 && i+1 < len(s):
			digits = 0
		default:
			return false
		}
		if digits > 20 {
			return false
		}
	}
	return digits > 0
}

// personal is a personal field as stored: value, salt and salted hash.
type personal struct {
	value string
	salt  []byte // nil when value is "" or erased
	hash  []byte // nil when no value was ever given
}

// sealer seals the personal fields of one append: its salts come from
// crypto/rand a few hundred at a time rather than one read each, and its
// hashes from one reused SHA-256 state into one arena.
type sealer struct {
	h       hash.Hash
	perRead int    // salts per read of crypto/rand
	random  []byte // random bytes not yet handed out as salts
	scratch []byte
	arena   hashArena
}

// saltsPerRead is the most salts one read of crypto/rand yields.
const saltsPerRead = 256

// newSealer returns a sealer for n entries (two personal fields each).
func newSealer(n int) *sealer {
	return &sealer{h: sha256.New(), perRead: min(max(2*n, 1), saltsPerRead)}
}

// seal salts and hashes v; an empty v has no salt and no hash.
func (s *sealer) seal(v string) (personal, error) {
	if v == "" {
		return personal{}, nil
	}
	if len(s.random) < saltSize {
		s.random = make([]byte, saltSize*s.perRead)
		if _, err := rand.Read(s.random); err != nil {
			return personal{}, fmt.Errorf("salt: %w", err)
		}
	}
	salt := s.random[:saltSize:saltSize]
	s.random = s.random[saltSize:]
	s.scratch = append(append(s.scratch[:0], salt...), v...)
	s.h.Reset()
	s.h.Write(s.scratch)
	return personal{value: v, salt: salt, hash: s.h.Sum(s.arena.next())}, nil
}

// hashArena hands out empty slices with room for one hash each, carved
// from allocations of many.
type hashArena struct{ free []byte }

func (a *hashArena) next() []byte {
	if len(a.free) < hashSize {
		a.free = make([]byte, hashSize*256)
	}
	h := a.free[:0:hashSize]
	a.free = a.free[hashSize:]
	return h
}

// leafHasher computes RFC 6962 leaf and node hashes, reusing one SHA-256
// state; it is equal to rfc6962.DefaultHasher's HashLeaf and HashChildren
// without their allocation per hash.
type leafHasher struct {
	h       hash.Hash
	scratch []byte
	arena   hashArena
}

func newLeafHasher() *leafHasher { return &leafHasher{h: sha256.New()} }

// sum appends the leaf hash of leaf to dst.
func (l *leafHasher) sum(dst, leaf []byte) []byte {
	l.h.Reset()
	l.h.Write(leafPrefix)
	l.h.Write(leaf)
	return l.h.Sum(dst)
}

// leafPrefix and nodePrefix are RFC 6962's domain separation bytes.
var leafPrefix, nodePrefix = []byte{0}, []byte{1}

// hashChildren returns the hash of the node over left and right, in a slice
// of its own.
func (l *leafHasher) hashChildren(left, right []byte) []byte {
	l.scratch = append(append(append(l.scratch[:0], nodePrefix...), left...), right...)
	l.h.Reset()
	l.h.Write(l.scratch)
	return l.h.Sum(l.arena.next())
}

// CanonicalLeaf returns the canonical leaf of e as read from the journal
// (its IPHash and UserAgentHash stand for the personal fields); its RFC 6962
// leaf hash is e.LeafHash unless the entry was tampered with.
func CanonicalLeaf(e Entry) []byte {
	f := leafFields[string]{
		seq: e.Seq, atMicros: e.At.UnixMicro(),
		actorID: e.ActorID, actorRole: e.ActorRole, action: e.Action, accountID: e.AccountID,
		accountIDs: strings.Join(e.AccountIDs, ","), outcome: string(e.Outcome), reason: e.Reason, correlationID: e.CorrelationID,
		eventPositions: formatPositions(e.EventPositions), ipHash: e.IPHash, uaHash: e.UserAgentHash,
	}
	return appendLeaf(nil, &f)
}
