package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/blobstore"
	"github.com/kabinet/kabinet/platform/httpx"
)

// Limits of a document upload.
const (
	// MaxUploadFiles bounds the file parts (scans and translation) of one upload.
	MaxUploadFiles = 6
	// MaxUploadBody bounds a whole upload request: every file at its
	// largest, plus slack for the meta part and the multipart framing.
	MaxUploadBody = MaxUploadFiles*domain.MaxScanSize + 1<<20
	// maxMetaSize bounds the meta part's JSON.
	maxMetaSize = 64 << 10
)

// Part names of a document upload (docs/API.md).
const (
	partMeta        = "meta"
	partFile        = "file"
	partTranslation = "translation"
)

// DocumentUpload is a decoded document upload: the metadata and the
// references of the scans already stored.
type DocumentUpload struct {
	Meta        domain.DocumentInput
	Scans       []domain.ScanRef
	Translation *domain.ScanRef
}

// DecodeDocumentUpload reads a multipart/form-data document upload part by
// part: one `meta` part (the JSON of domain.DocumentInput, unknown fields
// refused), one or more `file` parts and at most one `translation` part,
// in any order. Each file streams into store, which finds its type from
// its magic bytes and refuses one over domain.MaxScanSize without reading
// on. Nothing is held in memory but the meta part. On any error every blob
// stored for this upload is deleted before returning, so a failed upload
// leaves nothing behind. Errors: the store's file_type and
// file_too_large (with the part in errors[]), and transport errors:
// 400 malformed_multipart, unknown_part, meta_required, meta_duplicate,
// malformed_json, unknown_field; 413 too_many_files, body_too_large.
func DecodeDocumentUpload(ctx context.Context, mr *multipart.Reader, store blobstore.Store, owner string) (DocumentUpload, error) {
	d := uploadDecoder{store: store, owner: owner}
	up, err := d.decode(ctx, mr)
	if err != nil {
		d.discard(ctx)
		return DocumentUpload{}, err
	}
	return up, nil
}

type uploadDecoder struct {
	store  blobstore.Store
	owner  string
	stored []string
	files  int
}

func (d *uploadDecoder) decode(ctx context.Context, mr *multipart.Reader) (DocumentUpload, error) {
	var up DocumentUpload
	haveMeta := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return up, readError(err)
		}
		switch name := part.FormName(); name {
		case partMeta:
			if haveMeta {
				return up, httpx.BadRequest("meta_duplicate", "send one meta part")
			}
			if up.Meta, err = decodeMeta(part); err != nil {
				return up, err
			}
			haveMeta = true
		case partFile, partTranslation:
			if name == partTranslation && up.Translation != nil {
				return up, httpx.BadRequest("translation_duplicate", "send at most one translation part")
			}
			ref, err := d.put(ctx, part, name)
			if err != nil {
				return up, err
			}
			if name == partTranslation {
				up.Translation = &ref
			} else {
				up.Scans = append(up.Scans, ref)
			}
		default:
			return up, &httpx.Error{Status: http.StatusBadRequest, Code: "unknown_part",
				Detail: fmt.Sprintf("the upload takes parts meta, file and translation, not %q", name),
				Fields: []domain.FieldError{{Field: name, Code: "unknown_part", Message: "unknown part"}}}
		}
		part.Close()
	}
	if !haveMeta {
		return up, httpx.BadRequest("meta_required", "the upload needs a meta part with the document's JSON")
	}
	return up, nil
}

// put streams one file part into the store.
func (d *uploadDecoder) put(ctx context.Context, part *multipart.Part, name string) (domain.ScanRef, error) {
	d.files++
	if d.files > MaxUploadFiles {
		return domain.ScanRef{}, &httpx.Error{Status: http.StatusRequestEntityTooLarge, Code: "too_many_files",
			Detail: fmt.Sprintf("one upload takes at most %d files", MaxUploadFiles)}
	}
	src := &readRecorder{r: part}
	b, err := d.store.Put(ctx, d.owner, src, domain.MaxScanSize)
	if err != nil {
		var de *domain.Error
		if errors.As(err, &de) {
			field := fmt.Sprintf("%s[%d]", name, d.files-1)
			out := *de
			out.Fields = []domain.FieldError{{Field: field, Code: de.Code, Message: de.Message}}
			out = *out.WithDetail("part", field)
			return domain.ScanRef{}, &out
		}
		if src.err != nil {
			return domain.ScanRef{}, readError(src.err)
		}
		return domain.ScanRef{}, err // the store failed: 500
	}
	d.stored = append(d.stored, b.ID)
	return domain.ScanRef{BlobID: b.ID, Size: b.Size, Type: b.Type, SHA256: b.SHA256}, nil
}

// discard deletes what the upload stored, even after a cancellation.
func (d *uploadDecoder) discard(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	for _, id := range d.stored {
		if err := d.store.Delete(ctx, id); err != nil {
			slog.Default().Error("delete scan of failed upload", "blob_id", id, "err", err)
		}
	}
	d.stored = nil
}

// decodeMeta reads the meta part strictly, as httpx.DecodeJSON reads a body.
func decodeMeta(part io.Reader) (domain.DocumentInput, error) {
	raw, err := io.ReadAll(io.LimitReader(part, maxMetaSize+1))
	if err != nil {
		return domain.DocumentInput{}, readError(err)
	}
	if len(raw) > maxMetaSize {
		return domain.DocumentInput{}, &httpx.Error{Status: http.StatusRequestEntityTooLarge,
			Code: httpx.CodeBodyTooLarge, Detail: "the meta part is too large"}
	}
	var in domain.DocumentInput
	if err := httpx.DecodeJSONBytes(raw, &in); err != nil {
		var de *domain.Error
		if errors.As(err, &de) {
			return in, de
		}
		var he *httpx.Error
		if errors.As(err, &he) {
			return in, &httpx.Error{Status: he.Status, Code: he.Code, Detail: "meta: " + he.Detail, Fields: he.Fields}
		}
		return in, err
	}
	return in, nil
}

// readError maps a failure to read the request: over MaxUploadBody is 413,
// a broken multipart body 400.
func readError(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return &httpx.Error{Status: http.StatusRequestEntityTooLarge, Code: httpx.CodeBodyTooLarge,
			Detail: fmt.Sprintf("an upload may be at most %d bytes", mbe.Limit)}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	default:
		return httpx.BadRequest("malformed_multipart", "the multipart body is malformed: "+err.Error())
	}
}

// readRecorder remembers the first error reading the request gave, so a
// broken or oversized body is told apart from a failing store.
type readRecorder struct {
	r   io.Reader
	err error
}

func (r *readRecorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}
