package commands

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/httpx"
)

// FuzzDecodeDocumentUpload feeds arbitrary bodies to the multipart decoder:
// it must never panic, must answer every failure with a client error (4xx)
// and leave no blob behind, and on success must hold exactly the blobs it
// reports. The seed corpus is in testdata/fuzz/FuzzDecodeDocumentUpload.
func FuzzDecodeDocumentUpload(f *testing.F) {
	f.Add(multipartBody(f, meta(metaJSON), file("a.pdf", pdfBytes)))
	f.Add(multipartBody(f, file("a.pdf", pdfBytes), file("b.exe", exeBytes), meta(metaJSON)))
	f.Fuzz(func(t *testing.T, body []byte) {
		store := newMemBlobs()
		up, err := decode(t, store, bytes.NewReader(body))
		if err != nil {
			status := httpx.StatusFor(err)
			require.True(t, status >= 400 && status < 500, "status %d for %v", status, err)
			require.Zero(t, store.count(), "a failed upload left blobs")
			return
		}
		n := len(up.Scans)
		if up.Translation != nil {
			n++
		}
		require.Equal(t, n, store.count())
		require.LessOrEqual(t, n, MaxUploadFiles)
	})
}
