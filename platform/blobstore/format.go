package blobstore

import (
	"bufio"
	"bytes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
)

// The file format of one blob — a streaming AEAD in the manner of the STREAM
// construction (Hoang, Reyhanitabar, Rogaway, Vizár), built on AES-256-GCM:
//
//	header   magic "KBLB", version 1, 8-byte random nonce prefix    13 bytes
//	meta     sealed {size uint64, type [8]byte, sha256 [32]byte}      64 bytes
//	chunks   sealed plaintext segments of chunkSize (the last may be shorter)
//
// Every seal uses the nonce prefix || big-endian uint32 counter: 0 for the
// meta block, 1, 2, … for the chunks, so chunks cannot be reordered. The
// additional data is header || blob id || kind, where kind marks the meta
// block, an inner chunk or the last chunk: dropping trailing chunks, adding
// some, or moving a file to another blob's id all fail to authenticate. A
// random 64-bit prefix per file keeps nonces unique under one key.
const (
	magic        = "KBLB"
	version      = 1
	prefixSize   = 8
	headerSize   = len(magic) + 1 + prefixSize
	typeNameSize = 8
	metaPlain    = 8 + typeNameSize + sha256.Size
	tagSize      = 16
	metaSealed   = metaPlain + tagSize
	dataOffset   = headerSize + metaSealed
	chunkSize    = 64 << 10
	maxCounter   = 1<<32 - 1
)

// Additional-data kinds.
const (
	kindChunk     byte = 0
	kindLastChunk byte = 1
	kindMeta      byte = 2
)

// meta is what the encrypted meta block records about the plaintext.
type meta struct {
	size     int64
	typeName string
	sum      [sha256.Size]byte
}

func (m meta) marshal() []byte {
	b := make([]byte, metaPlain)
	binary.BigEndian.PutUint64(b[:8], uint64(m.size))
	copy(b[8:8+typeNameSize], m.typeName)
	copy(b[8+typeNameSize:], m.sum[:])
	return b
}

func unmarshalMeta(b []byte) meta {
	var m meta
	m.size = int64(binary.BigEndian.Uint64(b[:8]))
	m.typeName = string(bytes.TrimRight(b[8:8+typeNameSize], "\x00"))
	copy(m.sum[:], b[8+typeNameSize:])
	return m
}

// sealing holds what every seal of one blob shares.
type sealing struct {
	aead   cipher.AEAD
	header []byte // headerSize bytes, nonce prefix at [5:13]
	id     string
}

func newHeader(prefix []byte) []byte {
	h := make([]byte, 0, headerSize)
	h = append(h, magic...)
	h = append(h, version)
	return append(h, prefix...)
}

func (s *sealing) nonce(counter uint32) []byte {
	n := make([]byte, 0, 12)
	n = append(n, s.header[headerSize-prefixSize:]...)
	return binary.BigEndian.AppendUint32(n, counter)
}

func (s *sealing) aad(kind byte) []byte {
	a := make([]byte, 0, headerSize+len(s.id)+1)
	a = append(a, s.header...)
	a = append(a, s.id...)
	return append(a, kind)
}

// chunkReader opens the chunks of one blob as a plaintext stream and checks,
// at the end, the size and hash the meta block recorded.
type chunkReader struct {
	sealing
	r       *bufio.Reader
	closer  io.Closer
	want    meta
	counter uint32
	sealed  []byte
	plain   []byte
	pos     int
	done    bool
	err     error
	total   int64
	hash    hash.Hash
}

func newChunkReader(s sealing, r io.Reader, closer io.Closer, want meta) *chunkReader {
	return &chunkReader{
		sealing: s,
		r:       bufio.NewReaderSize(r, chunkSize+tagSize),
		closer:  closer,
		want:    want,
		sealed:  make([]byte, chunkSize+tagSize),
		hash:    sha256.New(),
	}
}

// Read returns plaintext; a chunk is returned only after it authenticated.
func (c *chunkReader) Read(p []byte) (int, error) {
	for c.pos == len(c.plain) {
		if c.err != nil {
			return 0, c.err
		}
		if c.done {
			return 0, io.EOF
		}
		if err := c.next(); err != nil {
			c.err, c.plain, c.pos = err, c.plain[:0], 0
		}
	}
	n := copy(p, c.plain[c.pos:])
	c.pos += n
	return n, nil
}

// next opens the next chunk; it is the last one exactly when nothing follows.
func (c *chunkReader) next() error {
	n, err := io.ReadFull(c.r, c.sealed)
	last := false
	switch {
	case err == io.EOF:
		return corrupt("missing chunk %d", c.counter+1)
	case err == io.ErrUnexpectedEOF:
		last = true
	case err != nil:
		return fmt.Errorf("blobstore: read: %w", err)
	default:
		if _, perr := c.r.Peek(1); perr == io.EOF {
			last = true
		} else if perr != nil {
			return fmt.Errorf("blobstore: read: %w", perr)
		}
	}
	if c.counter == maxCounter {
		return corrupt("too many chunks")
	}
	c.counter++
	kind := kindChunk
	if last {
		kind = kindLastChunk
	}
	plain, err := c.aead.Open(c.plain[:0], c.nonce(c.counter), c.sealed[:n], c.aad(kind))
	if err != nil {
		return corrupt("chunk %d does not authenticate", c.counter)
	}
	c.plain, c.pos = plain, 0
	c.total += int64(len(plain))
	c.hash.Write(plain)
	if last {
		c.done = true
		if c.total != c.want.size || !bytes.Equal(c.hash.Sum(nil), c.want.sum[:]) {
			return corrupt("size or SHA-256 differs from the recorded one")
		}
	}
	return nil
}

// Close closes the underlying file.
func (c *chunkReader) Close() error { return c.closer.Close() }

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}
