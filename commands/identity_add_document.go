package commands

import (
	"context"
	"errors"
	"log/slog"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/commands/registry"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/blobstore"
	"github.com/kabinet/kabinet/platform/eventstore"
)

// AddDocument puts a document on file with scans already in the blob store.
type AddDocument struct {
	AccountID   uuid.UUID
	Input       domain.DocumentInput
	Scans       []domain.ScanRef
	Translation *domain.ScanRef
}

// AddDocumentHandler handles AddDocument.
type AddDocumentHandler struct{ d Deps }

// NewAddDocumentHandler builds the handler; it panics on nil dependencies.
func NewAddDocumentHandler(d Deps) *AddDocumentHandler {
	d.checkIdentity("NewAddDocumentHandler")
	return &AddDocumentHandler{d: d}
}

// Blobs is the store the handler's scans live in: the transport streams
// uploads into it before sending the command.
func (h *AddDocumentHandler) Blobs() blobstore.Store { return h.d.Identity.Blobs }

// Handle asks the migration records about a stay-right document, then lets
// the domain validate the document on the Moscow day of now and record
// DocumentAdded with the scans' references. The command owns the scans it
// is given: when nothing was recorded it deletes them, so a refused upload
// leaves no blob behind. Only an append whose outcome is unknown keeps
// them, since the event may have been committed.
func (h *AddDocumentHandler) Handle(ctx context.Context, cmd AddDocument) (Result, uuid.UUID, error) {
	md := MetadataFrom(ctx)
	md.Command = "AddDocument"
	now := h.d.Clock()
	docID := h.d.NewID()
	in := cmd.Input
	in.UploadedBy = ""
	if md.ActorRole != "" && md.ActorRole != "citizen" {
		in.UploadedBy = md.ActorID // four eyes: that operator may not decide the verification
	}
	res, err := h.d.Repo.Update(ctx, cmd.AccountID, md, func(a *domain.ForeignerAccount) error {
		if err := h.checkStay(ctx, a, in); err != nil {
			return err
		}
		return a.AddDocument(in, cmd.Scans, cmd.Translation, domain.MoscowDate(now), docID, now)
	})
	if err != nil {
		if res.Position == 0 && nothingWritten(err) {
			h.discard(ctx, cmd)
		}
		return res, uuid.Nil, err
	}
	return res, docID, nil
}

// checkStay asks the migration records whether a stay-right document is
// on record — a residence permit whichever kind it was filed under; a
// mismatch refuses with registry_mismatch.
func (h *AddDocumentHandler) checkStay(ctx context.Context, a *domain.ForeignerAccount, in domain.DocumentInput) error {
	if !domain.IsStayRightDocument(in.Kind, in.Type) {
		return nil
	}
	var p registry.Person
	if pd, ok := a.PersonalData(); ok {
		p = registry.PersonFrom(pd)
	}
	expires, _ := domain.ParseDate(in.ExpiresAt)
	v, err := h.d.Identity.Registries.Migration.CheckStayDocument(ctx, a.ID(), registry.StayDocument{
		Type: in.Type, Series: in.Series, Number: in.Number, ExpiresAt: expires,
	}, p)
	if err != nil {
		return abort(err)
	}
	if !v.Match {
		return domain.NewError(domain.CodeRegistryMismatch, "the migration records hold no such document in force").
			WithDetail("reason", v.Reason)
	}
	return nil
}

// discard deletes the command's scans, ignoring the request's cancellation.
func (h *AddDocumentHandler) discard(ctx context.Context, cmd AddDocument) {
	ctx = context.WithoutCancel(ctx)
	refs := cmd.Scans
	if cmd.Translation != nil {
		refs = append(refs[:len(refs):len(refs)], *cmd.Translation)
	}
	for _, s := range refs {
		if err := h.d.Identity.Blobs.Delete(ctx, s.BlobID); err != nil {
			slog.Default().Error("delete scan of refused document", "blob_id", s.BlobID, "err", err)
		}
	}
}

// nothingWritten reports whether err proves no event was appended: a
// domain refusal, a version conflict or a cancellation before the append.
func nothingWritten(err error) bool {
	var de *domain.Error
	return errors.As(err, &de) || errors.Is(err, eventstore.ErrConflict) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
