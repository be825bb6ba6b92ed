package domain

import (
	"bytes"
)

// MaxScanSize is the largest scan a document may carry: 5 MiB (docs/DOMAIN.md §3).
const MaxScanSize = 5 << 20

// ScanSniffLen is how many leading bytes DetectScanType needs to tell every
// accepted type apart.
const ScanSniffLen = 8

// ScanType is the format of a document scan, known from the file's magic
// bytes, never from its name. The zero value is "unknown".
type ScanType struct {
	name string
}

// The accepted scan formats.
var (
	ScanPDF  = ScanType{"pdf"}
	ScanJPEG = ScanType{"jpeg"}
	ScanPNG  = ScanType{"png"}
)

var scanMagic = []struct {
	t     ScanType
	magic []byte
	mime  string
}{
	{ScanPDF, []byte("%PDF-"), "application/pdf"},
	{ScanJPEG, []byte{0xFF, 0xD8, 0xFF}, "image/jpeg"},
	{ScanPNG, []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}, "image/png"},
}

// DetectScanType tells the format of a scan from its first bytes (at least
// ScanSniffLen of them, or the whole file if shorter): PDF, JPEG or PNG.
// Anything else is refused with file_type.
func DetectScanType(head []byte) (ScanType, error) {
	for _, m := range scanMagic {
		if bytes.HasPrefix(head, m.magic) {
			return m.t, nil
		}
	}
	return ScanType{}, NewError(CodeFileType, "a scan must be a PDF, JPEG or PNG file").
		WithDetail("allowed", []string{"pdf", "jpeg", "png"})
}

// NewScanTypeFromString reads a scan type by its name ("pdf", "jpeg", "png").
func NewScanTypeFromString(s string) (ScanType, error) {
	for _, m := range scanMagic {
		if m.t.name == s {
			return m.t, nil
		}
	}
	return ScanType{}, NewError(CodeFileType, "unknown scan type %q", s)
}

// IsZero reports whether t is the unknown type.
func (t ScanType) IsZero() bool { return t.name == "" }

// String returns the type's name: "pdf", "jpeg" or "png".
func (t ScanType) String() string { return t.name }

// MIME returns the media type to serve the scan with ("" for the zero value).
func (t ScanType) MIME() string {
	for _, m := range scanMagic {
		if m.t == t {
			return m.mime
		}
	}
	return ""
}

// MarshalText writes the type's name.
func (t ScanType) MarshalText() ([]byte, error) { return []byte(t.name), nil }

// UnmarshalText reads a type's name; empty text is the zero value.
func (t *ScanType) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*t = ScanType{}
		return nil
	}
	v, err := NewScanTypeFromString(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}
