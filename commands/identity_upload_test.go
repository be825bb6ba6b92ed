package commands

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/blobstore"
	"github.com/kabinet/kabinet/platform/blobstore/blobstoretest"
	"github.com/kabinet/kabinet/platform/httpx"
)

// memBlobs is an in-memory blobstore.Store with the real one's rules:
// type from magic bytes, refusal past maxSize without reading on.
type memBlobs struct {
	mu    sync.Mutex
	blobs map[string][]byte
}

func newMemBlobs() *memBlobs { return &memBlobs{blobs: map[string][]byte{}} }

func (m *memBlobs) Put(_ context.Context, _ string, r io.Reader, maxSize int64) (blobstore.Blob, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxSize+1))
	if err != nil {
		return blobstore.Blob{}, fmt.Errorf("mem: read upload: %w", err)
	}
	t, err := domain.DetectScanType(b)
	if err != nil {
		return blobstore.Blob{}, err
	}
	if int64(len(b)) > maxSize {
		return blobstore.Blob{}, domain.NewError(domain.CodeFileTooLarge, "too large")
	}
	sum := sha256.Sum256(b)
	id := uuid.NewString()
	m.mu.Lock()
	m.blobs[id] = b
	m.mu.Unlock()
	return blobstore.Blob{ID: id, Size: int64(len(b)), Type: t, SHA256: hex.EncodeToString(sum[:])}, nil
}

func (m *memBlobs) Open(context.Context, string) (io.ReadCloser, blobstore.Blob, error) {
	return nil, blobstore.Blob{}, blobstore.ErrNotFound
}

func (m *memBlobs) Delete(_ context.Context, id string) error {
	m.mu.Lock()
	delete(m.blobs, id)
	m.mu.Unlock()
	return nil
}

func (m *memBlobs) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.blobs)
}

const testBoundary = "kabinet-test-boundary"

var (
	pdfBytes = []byte("%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n")
	pngBytes = append([]byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}, make([]byte, 32)...)
	exeBytes = append([]byte("MZ\x90\x00"), make([]byte, 60)...)
	metaJSON = `{"kind":"identity","type":"foreign_passport","number":"AB 1234567","issued_at":"01.02.2020","expires_at":"2035-02-01","issuer":"MFA"}`
)

type part struct {
	name, filename string
	body           io.Reader
}

// multipartBody writes parts with testBoundary.
func multipartBody(t testing.TB, parts ...part) []byte {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	require.NoError(t, w.SetBoundary(testBoundary))
	for _, p := range parts {
		var pw io.Writer
		var err error
		if p.filename == "" {
			pw, err = w.CreateFormField(p.name)
		} else {
			pw, err = w.CreateFormFile(p.name, p.filename)
		}
		require.NoError(t, err)
		_, err = io.Copy(pw, p.body)
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func decode(t testing.TB, store blobstore.Store, body io.Reader) (DocumentUpload, error) {
	return DecodeDocumentUpload(context.Background(), multipart.NewReader(body, testBoundary), store, blobstoretest.Owner)
}

func meta(s string) part { return part{name: "meta", body: strings.NewReader(s)} }
func file(name string, b []byte) part {
	return part{name: "file", filename: name, body: bytes.NewReader(b)}
}

func TestDecodeDocumentUpload_StreamsScansAndReadsMetaInAnyOrder(t *testing.T) {
	store := newMemBlobs()
	body := multipartBody(t, file("page1.pdf", pdfBytes), meta(metaJSON), file("page2.png", pngBytes),
		part{name: "translation", filename: "tr.pdf", body: bytes.NewReader(pdfBytes)})
	up, err := decode(t, store, bytes.NewReader(body))
	require.NoError(t, err)
	assert.Equal(t, "foreign_passport", up.Meta.Type)
	require.Len(t, up.Scans, 2)
	assert.Equal(t, domain.ScanPDF, up.Scans[0].Type)
	assert.Equal(t, domain.ScanPNG, up.Scans[1].Type)
	assert.EqualValues(t, len(pdfBytes), up.Scans[0].Size)
	sum := sha256.Sum256(pdfBytes)
	assert.Equal(t, hex.EncodeToString(sum[:]), up.Scans[0].SHA256)
	require.NotNil(t, up.Translation)
	assert.Equal(t, 3, store.count())
}

func TestDecodeDocumentUpload_FailureLeavesNoBlob(t *testing.T) {
	big := append(append([]byte{}, pdfBytes...), make([]byte, domain.MaxScanSize)...)
	cases := []struct {
		name   string
		parts  []part
		status int
		code   string
	}{
		{"a renamed executable after a good scan", []part{meta(metaJSON), file("a.pdf", pdfBytes), file("b.pdf", exeBytes)}, 415, domain.CodeFileType},
		{"a scan over 5 MiB", []part{file("a.pdf", pdfBytes), file("big.pdf", big), meta(metaJSON)}, 413, domain.CodeFileTooLarge},
		{"an empty file", []part{file("a.pdf", pdfBytes), file("empty.pdf", nil), meta(metaJSON)}, 415, domain.CodeFileType},
		{"bad meta JSON after a scan", []part{file("a.pdf", pdfBytes), meta(`{"kind":`)}, 400, httpx.CodeMalformedJSON},
		{"unknown meta field", []part{file("a.pdf", pdfBytes), meta(`{"kind":"identity","owner":"x"}`)}, 400, httpx.CodeUnknownField},
		{"no meta", []part{file("a.pdf", pdfBytes)}, 400, "meta_required"},
		{"two metas", []part{meta(metaJSON), file("a.pdf", pdfBytes), meta(metaJSON)}, 400, "meta_duplicate"},
		{"an unknown part", []part{file("a.pdf", pdfBytes), {name: "owner", body: strings.NewReader("x")}}, 400, "unknown_part"},
		{"two translations", []part{file("a.pdf", pdfBytes), {name: "translation", filename: "t", body: bytes.NewReader(pdfBytes)},
			{name: "translation", filename: "t", body: bytes.NewReader(pdfBytes)}}, 400, "translation_duplicate"},
		{"too many files", append([]part{meta(metaJSON)}, repeat(file("a.pdf", pdfBytes), MaxUploadFiles+1)...), 413, "too_many_files"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			store := newMemBlobs()
			_, err := decode(t, store, bytes.NewReader(multipartBody(t, c.parts...)))
			require.Error(t, err)
			assert.Equal(t, c.code, httpx.CodeFor(err), err.Error())
			if c.status != 415 && c.status != 413 || !isDomainFileError(err) {
				assert.Equal(t, c.status, httpx.StatusFor(err))
			}
			assert.Zero(t, store.count(), "every blob of the failed upload is deleted")
		})
	}
}

// isDomainFileError tells the store's file_type and file_too_large, whose
// statuses (415, 413) httpx's table decides; the component tests check them.
func isDomainFileError(err error) bool {
	var de *domain.Error
	return errors.As(err, &de)
}

func repeat(p part, n int) []part {
	out := make([]part, n)
	for i := range out {
		out[i] = file(p.filename, pdfBytes)
	}
	return out
}

// countingReader counts what the decoder read of the request.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestDecodeDocumentUpload_OversizedScanIsRefusedWithoutReadingTheRest(t *testing.T) {
	head := multipartBody(t, meta(metaJSON), file("a.pdf", pdfBytes))
	head = head[:bytes.LastIndex(head, []byte("--"+testBoundary+"--"))]
	head = append(head, "--"+testBoundary+"\r\nContent-Disposition: form-data; name=\"file\"; filename=\"huge.pdf\"\r\n\r\n%PDF-"...)
	body := &countingReader{r: io.MultiReader(bytes.NewReader(head), io.LimitReader(zeros{}, 40<<20),
		strings.NewReader("\r\n--"+testBoundary+"--\r\n"))}
	store := newMemBlobs()
	_, err := decode(t, store, body)
	require.Error(t, err)
	assert.Equal(t, domain.CodeFileTooLarge, httpx.CodeFor(err))
	assert.Less(t, body.n, int64(domain.MaxScanSize+1<<20), "stops soon after the limit")
	assert.Zero(t, store.count())
}

func TestDecodeDocumentUpload_BodyOverTheRequestLimitIs413(t *testing.T) {
	body := multipartBody(t, meta(metaJSON), file("a.pdf", pdfBytes), file("b.pdf", pdfBytes))
	rec := httptest.NewRecorder()
	limited := http.MaxBytesReader(rec, io.NopCloser(bytes.NewReader(body)), int64(len(body)-len(pdfBytes)-200))
	store := newMemBlobs()
	_, err := decode(t, store, limited)
	require.Error(t, err)
	assert.Equal(t, http.StatusRequestEntityTooLarge, httpx.StatusFor(err), err.Error())
	assert.Equal(t, httpx.CodeBodyTooLarge, httpx.CodeFor(err))
	assert.Zero(t, store.count())
}
