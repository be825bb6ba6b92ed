package commands

import (
	"github.com/kabinet/kabinet/commands/esign"
	"github.com/kabinet/kabinet/commands/registry"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/blobstore"
)

// IdentityDeps are the ports the identity commands need besides the shared
// ones: the blob store scans stream into, the external registries, the
// working-day calendar of verification deadlines, the claims that keep a
// SNILS or INN on one account, and the verifier of e-signatures with its
// trust store.
type IdentityDeps struct {
	Blobs       blobstore.Store
	Registries  registry.Registries
	Calendar    *domain.Calendar
	Identifiers *IdentifierClaims
	ESign       *esign.Verifier
}

func (d Deps) checkIdentity(name string) {
	d.check(name)
	i := d.Identity
	if i.Blobs == nil || !i.Registries.IsComplete() || i.Calendar == nil || i.Identifiers == nil || i.ESign == nil {
		panic("commands." + name + ": nil identity dependency")
	}
}

// IdentityCommands are the handlers of personal data, documents, identity
// verification, SNILS and INN links and notification preferences.
type IdentityCommands struct {
	ProvidePersonalData         *ProvidePersonalDataHandler
	AddDocument                 *AddDocumentHandler
	ExpireDocuments             *ExpireDocumentsHandler
	RequestIdentityVerification *RequestIdentityVerificationHandler
	SubmitSignature             *SubmitSignatureHandler
	ResendVerificationCode      *ResendVerificationCodeHandler
	EnterVerificationCode       *EnterVerificationCodeHandler
	ApproveIdentity             *ApproveIdentityHandler
	RejectIdentity              *RejectIdentityHandler
	ExtendVerificationDeadline  *ExtendVerificationDeadlineHandler
	LinkSnils                   *LinkSnilsHandler
	LinkInn                     *LinkInnHandler
	SetNotificationPreferences  *SetNotificationPreferencesHandler
}

// NewIdentityCommands builds every identity handler over d; it panics on
// missing dependencies.
func NewIdentityCommands(d Deps) IdentityCommands {
	return IdentityCommands{
		ProvidePersonalData:         NewProvidePersonalDataHandler(d),
		AddDocument:                 NewAddDocumentHandler(d),
		ExpireDocuments:             NewExpireDocumentsHandler(d),
		RequestIdentityVerification: NewRequestIdentityVerificationHandler(d),
		SubmitSignature:             NewSubmitSignatureHandler(d),
		ResendVerificationCode:      NewResendVerificationCodeHandler(d),
		EnterVerificationCode:       NewEnterVerificationCodeHandler(d),
		ApproveIdentity:             NewApproveIdentityHandler(d),
		RejectIdentity:              NewRejectIdentityHandler(d),
		ExtendVerificationDeadline:  NewExtendVerificationDeadlineHandler(d),
		LinkSnils:                   NewLinkSnilsHandler(d),
		LinkInn:                     NewLinkInnHandler(d),
		SetNotificationPreferences:  NewSetNotificationPreferencesHandler(d),
	}
}
