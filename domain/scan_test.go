package domain_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
)

func TestDetectScanType_ByMagicBytes(t *testing.T) {
	tests := []struct {
		name string
		head []byte
		want domain.ScanType
		mime string
	}{
		{"PDF", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3"), domain.ScanPDF, "application/pdf"},
		{"JPEG JFIF", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F'}, domain.ScanJPEG, "image/jpeg"},
		{"JPEG Exif", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0x12, 0x34, 'E', 'x', 'i', 'f'}, domain.ScanJPEG, "image/jpeg"},
		{"PNG", []byte{0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D}, domain.ScanPNG, "image/png"},
		{"exactly the PNG signature", []byte{0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}, domain.ScanPNG, "image/png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.DetectScanType(tt.head)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.mime, got.MIME())
		})
	}
}

func TestDetectScanType_RefusesOtherFiles(t *testing.T) {
	tests := []struct {
		name string
		head []byte
	}{
		{"Windows executable", []byte("MZ\x90\x00\x03\x00\x00\x00")},
		{"ZIP (docx)", []byte("PK\x03\x04\x14\x00\x06\x00")},
		{"GIF", []byte("GIF89a\x01\x00")},
		{"HTML", []byte("<!DOCTYPE html>")},
		{"PDF magic not at the start", []byte(" %PDF-1.7")},
		{"PNG without the line-ending check", []byte{0x89, 'P', 'N', 'G', 0x0A, 0x0D, 0x1A, 0x0A}},
		{"truncated PNG signature", []byte{0x89, 'P', 'N', 'G'}},
		{"truncated JPEG marker", []byte{0xFF, 0xD8}},
		{"empty", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.DetectScanType(tt.head)
			requireCode(t, err, domain.CodeFileType)
			assert.True(t, got.IsZero())
		})
	}
}

func TestScanType_NamesAndJSON(t *testing.T) {
	for _, st := range []domain.ScanType{domain.ScanPDF, domain.ScanJPEG, domain.ScanPNG} {
		b, err := json.Marshal(st)
		require.NoError(t, err)
		var back domain.ScanType
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, st, back)
		parsed, err := domain.NewScanTypeFromString(st.String())
		require.NoError(t, err)
		assert.Equal(t, st, parsed)
	}
	_, err := domain.NewScanTypeFromString("exe")
	requireCode(t, err, domain.CodeFileType)
	assert.Equal(t, "", domain.ScanType{}.MIME())
	assert.Equal(t, 5*1024*1024, domain.MaxScanSize)
}

func FuzzDetectScanType(f *testing.F) {
	f.Add([]byte("%PDF-1.4"))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xDB})
	f.Add([]byte{0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A})
	f.Add([]byte("MZ"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, head []byte) {
		st, err := domain.DetectScanType(head)
		if err != nil {
			if !st.IsZero() {
				t.Fatalf("error with a type %v", st)
			}
			return
		}
		if st.MIME() == "" {
			t.Fatalf("detected %v has no MIME type", st)
		}
		// Only the first ScanSniffLen bytes decide.
		if len(head) > domain.ScanSniffLen {
			again, err := domain.DetectScanType(head[:domain.ScanSniffLen])
			if err != nil || again != st {
				t.Fatalf("type depends on bytes past ScanSniffLen: %v vs %v, %v", st, again, err)
			}
		}
	})
}
