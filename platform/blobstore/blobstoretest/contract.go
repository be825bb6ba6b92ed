// Package blobstoretest is the contract every blobstore.Store adapter passes:
// run it from the adapter's tests with Run.
package blobstoretest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/blobstore"
)

// Sample scans: real magic bytes followed by pseudo-random filler.
var (
	pdfMagic  = []byte("%PDF-1.7\n")
	jpegMagic = []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0}
	pngMagic  = []byte{0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}
)

// Scan returns a file of the given size starting with magic, its tail
// filled deterministically from seed.
func Scan(magic []byte, size int, seed uint64) []byte {
	b := make([]byte, size)
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	copy(b, magic)
	return b
}

// PDF returns a sample PDF scan of the given size.
func PDF(size int) []byte { return Scan(pdfMagic, size, 1) }

// JPEG returns a sample JPEG scan of the given size.
func JPEG(size int) []byte { return Scan(jpegMagic, size, 2) }

// PNG returns a sample PNG scan of the given size.
func PNG(size int) []byte { return Scan(pngMagic, size, 3) }

// CountingReader counts the bytes Put pulled out of it.
type CountingReader struct {
	R io.Reader
	N int64
}

// Read implements io.Reader, counting.
func (c *CountingReader) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.N += int64(n)
	return n, err
}

// Endless returns a reader that yields magic and then zeros forever.
func Endless(magic []byte) io.Reader {
	return io.MultiReader(bytes.NewReader(magic), zeros{})
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// Run runs the contract against stores made by newStore, one per subtest,
// each sealing with the keys it is given.
func Run(t *testing.T, newStore func(t *testing.T, keys blobstore.OwnerKeys) blobstore.Store) {
	t.Run("ErasingTheOwnersKeyLeavesTheScanUnreadable", func(t *testing.T) {
		keys := NewKeys()
		s := newStore(t, keys)
		mine, err := s.Put(t.Context(), Owner, bytes.NewReader(PDF(5000)), domain.MaxScanSize)
		require.NoError(t, err)
		other := "0192d2a4-5c1e-7b3a-9f00-000000000002"
		theirs, err := s.Put(t.Context(), other, bytes.NewReader(PNG(5000)), domain.MaxScanSize)
		require.NoError(t, err)
		keys.Erase(Owner)
		_, _, err = s.Open(t.Context(), mine.ID)
		assert.ErrorIs(t, err, blobstore.ErrErased)
		_, err = s.Put(t.Context(), Owner, bytes.NewReader(PDF(100)), domain.MaxScanSize)
		assert.ErrorIs(t, err, blobstore.ErrErased, "nothing new is sealed under an erased owner")
		rc, blob, err := s.Open(t.Context(), theirs.ID)
		require.NoError(t, err, "another owner's scans are untouched")
		got, err := io.ReadAll(rc)
		require.NoError(t, err)
		rc.Close()
		assert.Equal(t, PNG(5000), got)
		assert.Equal(t, theirs, blob)
	})
	t.Run("PutRefusesAnEmptyOwner", func(t *testing.T) {
		s := newStore(t, NewKeys())
		_, err := s.Put(t.Context(), "", bytes.NewReader(PDF(100)), domain.MaxScanSize)
		assert.Error(t, err)
	})
	t.Run("RoundTripKeepsBytesTypeSizeAndHash", func(t *testing.T) {
		s := newStore(t, NewKeys())
		cases := []struct {
			name string
			data []byte
			typ  domain.ScanType
		}{
			{"tiny PDF", PDF(20), domain.ScanPDF},
			{"JPEG of exactly one chunk", JPEG(64 << 10), domain.ScanJPEG},
			{"PNG one byte over a chunk", PNG(64<<10 + 1), domain.ScanPNG},
			{"PDF of several chunks", PDF(300_001), domain.ScanPDF},
			{"PDF of exactly the limit", PDF(domain.MaxScanSize), domain.ScanPDF},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				blob, err := s.Put(t.Context(), Owner, bytes.NewReader(c.data), domain.MaxScanSize)
				require.NoError(t, err)
				sum := sha256.Sum256(c.data)
				assert.Equal(t, int64(len(c.data)), blob.Size)
				assert.Equal(t, c.typ, blob.Type)
				assert.Equal(t, hex.EncodeToString(sum[:]), blob.SHA256)
				id, err := uuid.Parse(blob.ID)
				require.NoError(t, err)
				assert.Equal(t, uuid.Version(7), id.Version())

				rc, got, err := s.Open(t.Context(), blob.ID)
				require.NoError(t, err)
				defer rc.Close()
				assert.Equal(t, blob, got)
				plain, err := io.ReadAll(rc)
				require.NoError(t, err)
				assert.True(t, bytes.Equal(c.data, plain), "plaintext differs")
			})
		}
	})

	t.Run("RefusesFilesThatAreNotScans", func(t *testing.T) {
		s := newStore(t, NewKeys())
		for name, data := range map[string][]byte{
			"exe":   append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00"), make([]byte, 1000)...),
			"empty": nil,
			"gif":   []byte("GIF89a\x01\x00\x01\x00"),
		} {
			_, err := s.Put(t.Context(), Owner, bytes.NewReader(data), domain.MaxScanSize)
			var de *domain.Error
			require.True(t, errors.As(err, &de), "%s: want a domain error, got %v", name, err)
			assert.Equal(t, domain.CodeFileType, de.Code, name)
		}
	})

	t.Run("RefusesTooLargeWithoutReadingTheRest", func(t *testing.T) {
		s := newStore(t, NewKeys())
		cr := &CountingReader{R: Endless(pdfMagic)}
		_, err := s.Put(t.Context(), Owner, cr, domain.MaxScanSize)
		var de *domain.Error
		require.True(t, errors.As(err, &de), "want a domain error, got %v", err)
		assert.Equal(t, domain.CodeFileTooLarge, de.Code)
		assert.LessOrEqual(t, cr.N, int64(domain.MaxScanSize+64<<10), "read far beyond the limit")

		_, err = s.Put(t.Context(), Owner, bytes.NewReader(PDF(domain.MaxScanSize+1)), domain.MaxScanSize)
		require.True(t, errors.As(err, &de))
		assert.Equal(t, domain.CodeFileTooLarge, de.Code)

		_, err = s.Put(t.Context(), Owner, bytes.NewReader(PNG(1001)), 1000)
		require.True(t, errors.As(err, &de))
		assert.Equal(t, domain.CodeFileTooLarge, de.Code)
	})

	t.Run("OpenUnknownIsNotFound", func(t *testing.T) {
		s := newStore(t, NewKeys())
		for _, id := range []string{uuid.Must(uuid.NewV7()).String(), "", "../blob.key", "not-a-uuid"} {
			_, _, err := s.Open(t.Context(), id)
			assert.ErrorIs(t, err, blobstore.ErrNotFound, id)
		}
	})

	t.Run("DeleteRemovesAndIsIdempotent", func(t *testing.T) {
		s := newStore(t, NewKeys())
		blob, err := s.Put(t.Context(), Owner, bytes.NewReader(PNG(5000)), domain.MaxScanSize)
		require.NoError(t, err)
		require.NoError(t, s.Delete(t.Context(), blob.ID))
		_, _, err = s.Open(t.Context(), blob.ID)
		assert.ErrorIs(t, err, blobstore.ErrNotFound)
		assert.NoError(t, s.Delete(t.Context(), blob.ID))
	})

	t.Run("CancelledPutFails", func(t *testing.T) {
		s := newStore(t, NewKeys())
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := s.Put(ctx, Owner, bytes.NewReader(PDF(200_000)), domain.MaxScanSize)
		assert.ErrorIs(t, err, context.Canceled)
	})

	t.Run("ConcurrentPutsGetDistinctBlobs", func(t *testing.T) {
		s := newStore(t, NewKeys())
		var wg sync.WaitGroup
		ids := make([]string, 8)
		for i := range ids {
			wg.Go(func() {
				blob, err := s.Put(t.Context(), Owner, bytes.NewReader(Scan(jpegMagic, 70_000+i, uint64(i))), domain.MaxScanSize)
				if assert.NoError(t, err) {
					ids[i] = blob.ID
				}
			})
		}
		wg.Wait()
		seen := map[string]bool{}
		for i, id := range ids {
			require.NotEmpty(t, id)
			assert.False(t, seen[id], "duplicate id")
			seen[id] = true
			rc, _, err := s.Open(t.Context(), id)
			require.NoError(t, err)
			got, err := io.ReadAll(rc)
			rc.Close()
			require.NoError(t, err)
			assert.True(t, bytes.Equal(Scan(jpegMagic, 70_000+i, uint64(i)), got))
		}
	})
}
