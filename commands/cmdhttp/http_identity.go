package cmdhttp

import (
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/httpx"
)

// IdentityRoutes mounts the identity commands; every one needs
// an authenticated principal. Owner routes admit only the account's
// citizen; operator routes only operators; anyone else gets 404.
func (h *HTTP) IdentityRoutes(r chi.Router) {
	r.Put("/v1/accounts/{id}/personal-data", h.providePersonalData)
	r.Post("/v1/accounts/{id}/documents", h.addDocument)
	r.Post("/v1/accounts/{id}/identity-verification", h.requestVerification)
	r.Post("/v1/accounts/{id}/identity-verification/code", h.enterVerificationCode)
	r.Post("/v1/accounts/{id}/identity-verification/code/resend", h.resendVerificationCode)
	r.Post("/v1/accounts/{id}/identity-verification/signature", h.submitSignature)
	r.Post("/v1/accounts/{id}/identity-verification/approve", h.approveIdentity)
	r.Post("/v1/accounts/{id}/identity-verification/reject", h.rejectIdentity)
	r.Post("/v1/accounts/{id}/identity-verification/extend", h.extendVerification)
	r.Post("/v1/accounts/{id}/snils", h.linkSnils)
	r.Post("/v1/accounts/{id}/inn", h.linkInn)
	r.Put("/v1/accounts/{id}/notification-preferences", h.setNotificationPreferences)
}

// identityAnswer is a command answer with what identity commands add.
type identityAnswer struct {
	AccountID    string              `json:"account_id"`
	Position     uint64              `json:"position"`
	DocumentID   string              `json:"document_id,omitempty"`
	Verification *verificationAnswer `json:"verification,omitempty"`
	// Challenge is what an e_signature verification must sign (standard
	// base64 of 32 random bytes), until ChallengeExpiresAt.
	Challenge          string     `json:"challenge,omitempty"`
	ChallengeExpiresAt *time.Time `json:"challenge_expires_at,omitempty"`
}

type verificationAnswer struct {
	Status   string `json:"status"`
	Deadline string `json:"deadline,omitempty"`
}

// ownerAccount resolves {id} for routes only the account's citizen may use.
func (h *HTTP) ownerAccount(w http.ResponseWriter, r *http.Request) (uuid.UUID, bool) {
	return h.accountFor(w, r)
}

// accountFor resolves {id} and applies the owner rule, admitting staff
// with one of staffRoles too; anyone else gets 404.
func (h *HTTP) accountFor(w http.ResponseWriter, r *http.Request, staffRoles ...auth.Role) (uuid.UUID, bool) {
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		if _, ok := auth.FromContext(r.Context()); !ok {
			h.guard.Deny(w, r, http.StatusUnauthorized, auth.ReasonUnauthorized)
		} else {
			h.guard.Deny(w, r, http.StatusNotFound, auth.ReasonNotFound)
		}
		return uuid.Nil, false
	}
	if !h.guard.AccountAccess(w, r, id, staffRoles...) {
		return uuid.Nil, false
	}
	return id, true
}

// operatorAccount resolves {id} for operator decisions: any other role,
// the account's own citizen included, is denied as if the route did not
// exist (404).
func (h *HTTP) operatorAccount(w http.ResponseWriter, r *http.Request) (uuid.UUID, bool) {
	p, ok := auth.FromContext(r.Context())
	switch {
	case !ok:
		h.guard.Deny(w, r, http.StatusUnauthorized, auth.ReasonUnauthorized)
		return uuid.Nil, false
	case p.Role != auth.RoleOperator:
		h.guard.Deny(w, r, http.StatusNotFound, auth.ReasonNotFound)
		return uuid.Nil, false
	}
	return h.accountFor(w, r, auth.RoleOperator)
}

// identityReply writes a command's answer, or its error with the position
// of what a refused decision saved.
func identityReply(w http.ResponseWriter, r *http.Request, status int, res commands.Result, err error, extra func(*identityAnswer)) {
	if res.Position > 0 {
		w.Header().Set("X-Kabinet-Position", strconv.FormatUint(res.Position, 10))
	}
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	w.Header().Set("X-Kabinet-Position", strconv.FormatUint(res.Position, 10))
	a := identityAnswer{AccountID: res.AccountID.String(), Position: res.Position}
	if extra != nil {
		extra(&a)
	}
	httpx.WriteJSON(w, status, a)
}

func verificationReply(w http.ResponseWriter, r *http.Request, status int, res commands.VerificationResult, err error) {
	identityReply(w, r, status, res.Result, err, func(a *identityAnswer) {
		a.Verification = &verificationAnswer{Status: res.Status, Deadline: res.Deadline.String()}
		if res.Challenge != "" {
			a.Challenge = res.Challenge
			at := res.ChallengeExpiresAt
			a.ChallengeExpiresAt = &at
		}
	})
}

func (h *HTTP) providePersonalData(w http.ResponseWriter, r *http.Request) {
	id, ok := h.ownerAccount(w, r)
	var in domain.PersonalDataInput
	if !ok || !decodeBody(w, r, &in) {
		return
	}
	res, err := h.app.ProvidePersonalData.Handle(h.withMetadata(r), commands.ProvidePersonalData{AccountID: id, Input: in})
	identityReply(w, r, http.StatusOK, res, err, nil)
}

// addDocument streams a multipart upload into the blob store (see
// DecodeDocumentUpload), then sends AddDocument; any failure leaves no
// blob behind.
func (h *HTTP) addDocument(w http.ResponseWriter, r *http.Request) {
	id, ok := h.accountFor(w, r, auth.RoleOperator)
	if !ok {
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "multipart/form-data" {
		httpx.WriteError(w, r, &httpx.Error{Status: http.StatusUnsupportedMediaType, Code: httpx.CodeUnsupportedMediaType,
			Detail: "send the document as multipart/form-data with a meta part and file parts"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, commands.MaxUploadBody)
	mr, err := r.MultipartReader()
	if err != nil {
		httpx.WriteError(w, r, httpx.BadRequest("malformed_multipart", err.Error()))
		return
	}
	ctx := h.withMetadata(r)
	up, err := commands.DecodeDocumentUpload(ctx, mr, h.app.AddDocument.Blobs(), id.String())
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	res, docID, err := h.app.AddDocument.Handle(ctx, commands.AddDocument{
		AccountID: id, Input: up.Meta, Scans: up.Scans, Translation: up.Translation,
	})
	identityReply(w, r, http.StatusCreated, res, err, func(a *identityAnswer) { a.DocumentID = docID.String() })
}

type verificationRequest struct {
	Method string `json:"method"`
}

func (h *HTTP) requestVerification(w http.ResponseWriter, r *http.Request) {
	id, ok := h.ownerAccount(w, r)
	var req verificationRequest
	if !ok || !decodeBody(w, r, &req) {
		return
	}
	m, err := verificationMethod(req.Method)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	res, err := h.app.RequestIdentityVerification.Handle(h.withMetadata(r), commands.RequestIdentityVerification{AccountID: id, Method: m})
	verificationReply(w, r, http.StatusAccepted, res, err)
}

type signatureRequest struct {
	Signature string `json:"signature"`
}

// submitSignature takes the CMS signature over the challenge.
func (h *HTTP) submitSignature(w http.ResponseWriter, r *http.Request) {
	id, ok := h.ownerAccount(w, r)
	var req signatureRequest
	if !ok || !decodeBody(w, r, &req) {
		return
	}
	if req.Signature == "" {
		httpx.WriteError(w, r, domain.ValidationError([]domain.FieldError{
			{Field: "signature", Code: domain.CodeRequired, Message: "signature is required: standard base64 of a DER CMS SignedData"}}))
		return
	}
	res, err := h.app.SubmitSignature.Handle(h.withMetadata(r), commands.SubmitSignature{AccountID: id, Signature: req.Signature})
	verificationReply(w, r, http.StatusOK, res, err)
}

// verificationMethod parses a method; an absent one is required.
func verificationMethod(s string) (domain.VerificationMethod, error) {
	if s == "" {
		return domain.VerificationMethod{}, domain.ValidationError([]domain.FieldError{
			{Field: "method", Code: domain.CodeRequired, Message: "method is required"}})
	}
	return domain.VerificationMethodFromString(s)
}

func (h *HTTP) enterVerificationCode(w http.ResponseWriter, r *http.Request) {
	id, ok := h.ownerAccount(w, r)
	var req confirmRequest
	if !ok || !decodeBody(w, r, &req) {
		return
	}
	res, err := h.app.EnterVerificationCode.Handle(h.withMetadata(r), commands.EnterVerificationCode{AccountID: id, Code: req.Code})
	verificationReply(w, r, http.StatusOK, res, err)
}

func (h *HTTP) resendVerificationCode(w http.ResponseWriter, r *http.Request) {
	id, ok := h.ownerAccount(w, r)
	if !ok {
		return
	}
	res, err := h.app.ResendVerificationCode.Handle(h.withMetadata(r), commands.ResendVerificationCode{AccountID: id})
	verificationReply(w, r, http.StatusAccepted, res, err)
}

type approveRequest struct {
	Method  string `json:"method"`
	Comment string `json:"comment"`
}

func (h *HTTP) approveIdentity(w http.ResponseWriter, r *http.Request) {
	id, ok := h.operatorAccount(w, r)
	var req approveRequest
	if !ok || !decodeBody(w, r, &req) {
		return
	}
	m, err := verificationMethod(req.Method)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	res, err := h.app.ApproveIdentity.Handle(h.withMetadata(r), commands.ApproveIdentity{AccountID: id, Method: m, Comment: req.Comment})
	verificationReply(w, r, http.StatusOK, res, err)
}

type rejectRequest struct {
	Reasons []string `json:"reasons"`
	Comment string   `json:"comment"`
}

func (h *HTTP) rejectIdentity(w http.ResponseWriter, r *http.Request) {
	id, ok := h.operatorAccount(w, r)
	var req rejectRequest
	if !ok || !decodeBody(w, r, &req) {
		return
	}
	res, err := h.app.RejectIdentity.Handle(h.withMetadata(r), commands.RejectIdentity{AccountID: id, Reasons: req.Reasons, Comment: req.Comment})
	verificationReply(w, r, http.StatusOK, res, err)
}

func (h *HTTP) extendVerification(w http.ResponseWriter, r *http.Request) {
	id, ok := h.operatorAccount(w, r)
	if !ok {
		return
	}
	res, err := h.app.ExtendVerificationDeadline.Handle(h.withMetadata(r), commands.ExtendVerificationDeadline{AccountID: id})
	verificationReply(w, r, http.StatusOK, res, err)
}

type snilsRequest struct {
	Snils string `json:"snils"`
}

func (h *HTTP) linkSnils(w http.ResponseWriter, r *http.Request) {
	id, ok := h.ownerAccount(w, r)
	var req snilsRequest
	if !ok || !decodeBody(w, r, &req) {
		return
	}
	res, err := h.app.LinkSnils.Handle(h.withMetadata(r), commands.LinkSnils{AccountID: id, Snils: req.Snils})
	identityReply(w, r, http.StatusOK, res, err, nil)
}

type innRequest struct {
	Inn string `json:"inn"`
}

func (h *HTTP) linkInn(w http.ResponseWriter, r *http.Request) {
	id, ok := h.ownerAccount(w, r)
	var req innRequest
	if !ok || !decodeBody(w, r, &req) {
		return
	}
	res, err := h.app.LinkInn.Handle(h.withMetadata(r), commands.LinkInn{AccountID: id, Inn: req.Inn})
	identityReply(w, r, http.StatusOK, res, err, nil)
}

type preferencesRequest struct {
	Email      bool   `json:"email"`
	SMS        bool   `json:"sms"`
	Push       bool   `json:"push"`
	Frequency  string `json:"frequency"`
	DisableAll bool   `json:"disable_all"`
}

func (h *HTTP) setNotificationPreferences(w http.ResponseWriter, r *http.Request) {
	id, ok := h.ownerAccount(w, r)
	var req preferencesRequest
	if !ok || !decodeBody(w, r, &req) {
		return
	}
	res, err := h.app.SetNotificationPreferences.Handle(h.withMetadata(r), commands.SetNotificationPreferences{
		AccountID: id, Preferences: domain.NotificationPreferences{
			Email: req.Email, SMS: req.SMS, Push: req.Push, Frequency: req.Frequency, DisableAll: req.DisableAll,
		},
	})
	identityReply(w, r, http.StatusOK, res, err, nil)
}
