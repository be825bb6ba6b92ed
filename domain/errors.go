package domain

import (
	"fmt"
	"strings"
)

// Error codes of docs/DOMAIN.md; the HTTP layer maps each to a status in one table
// (platform/httpx). One name for one thing: these strings are the API's codes.
const (
	CodeValidation              = "validation_failed"
	CodePhoneInvalid            = "phone_invalid"
	CodePhoneNotRussianMobile   = "phone_not_russian_mobile"
	CodeEmailInvalid            = "email_invalid"
	CodeEmailDisposable         = "email_disposable"
	CodeContactTaken            = "contact_taken"
	CodeContactMissing          = "contact_missing"
	CodeContactAlreadyConfirmed = "contact_already_confirmed"
	CodeNoCodeRequested         = "code_not_requested"
	CodeCodeInvalid             = "code_invalid"
	CodeCodeExpired             = "code_expired"
	CodeConfirmationLocked      = "confirmation_locked"
	CodeResendTooSoon           = "resend_too_soon"
	CodeAccountNotFound         = "account_not_found"
	CodeAccountClosed           = "account_closed"
	CodePersonalDataErased      = "personal_data_erased"
	CodeInvalidTransition       = "invalid_transition"
)

// FieldError names one invalid input field.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error is a refusal by a domain rule. Code is a stable docs/DOMAIN.md code;
// Details carries code-specific facts (attempts_left, retry_after, both
// statuses of an invalid transition, …) that the API returns as extra fields.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	Details map[string]any
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Code
	}
	return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, strings.Join(parts, ", "))
}

// Is lets errors.Is match domain errors by code: errors.Is(err, &Error{Code: CodeCodeExpired}).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// NewError builds a domain error with a code and a human message.
func NewError(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithDetail returns e with one more detail set.
func (e *Error) WithDetail(key string, v any) *Error {
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	e.Details[key] = v
	return e
}

// ValidationError collects field errors into one refusal with CodeValidation,
// or nil when there are none.
func ValidationError(fields []FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{Code: CodeValidation, Message: "some fields are invalid", Fields: fields}
}

// Error codes of the value rules: identifiers, names, dates and scans (docs/DOMAIN.md §3, §5).
const (
	CodeSnilsInvalid      = "snils_invalid"
	CodeSnilsChecksum     = "snils_checksum"
	CodeInnInvalid        = "inn_invalid"
	CodeInnChecksum       = "inn_checksum"
	CodeInnNotPersonal    = "inn_not_personal"
	CodeTranslitMismatch  = "translit_mismatch"
	CodeDateInvalid       = "date_invalid"
	CodeBirthDateInFuture = "birth_date_in_future"
	CodeTooYoung          = "too_young"
	CodeFileType          = "file_type"
	CodeFileTooLarge      = "file_too_large"
)

// Field-level and registration codes (ForeignerAccount registration).
const (
	CodeRequired           = "required"
	CodeTooLong            = "too_long"
	CodeNameInvalid        = "name_invalid"
	CodeCitizenshipInvalid = "citizenship_invalid"
)

// Codes of applications and their forms (docs/DOMAIN.md §6). no_legal_stay and
// document_expired are also verification rejection reasons (§4): one name
// for one thing.
const (
	CodeUnknownField          = "unknown_field"
	CodeFieldType             = "field_type"
	CodeEnum                  = "enum"
	CodePattern               = "pattern"
	CodeOutOfRange            = "out_of_range"
	CodeDateInFuture          = "date_in_future"
	CodeDateInPast            = "date_in_past"
	CodeDateOrder             = "date_order"
	CodeNotificationLate      = "notification_late"
	CodeServiceUnknown        = "service_unknown"
	CodeLevelTooLow           = "level_too_low"
	CodeNoLegalStay           = "no_legal_stay"
	CodeDocumentUnknown       = "document_unknown"
	CodeDocumentExpired       = "document_expired"
	CodeDocumentsMissing      = "documents_missing"
	CodeApplicationNotFound   = "application_not_found"
	CodeApplicationExists     = "application_exists"
	CodePaymentAmountMismatch = "payment_amount_mismatch"
	CodeClarificationNotDue   = "clarification_not_due"
	CodePaymentNotDue         = "payment_not_due"
)

// Codes of personal data, documents, identity verification and the
// identifiers' registry checks (docs/DOMAIN.md §3–§5). registry_mismatch is also
// a verification rejection reason: one name for one thing.
const (
	CodeDocumentTypeInvalid      = "document_type_invalid"
	CodeDocumentValidityTooShort = "document_validity_too_short"
	CodeDocumentDuplicate        = "document_duplicate"
	CodeScanRequired             = "scan_required"
	CodeTranslationRequired      = "translation_required"
	CodeVerificationPending      = "verification_pending"
	CodeVerificationNotPending   = "verification_not_pending"
	CodeAlreadyVerified          = "already_verified"
	CodeMethodNotOperator        = "method_not_operator"
	CodeMethodMismatch           = "method_mismatch"
	CodeReasonInvalid            = "reason_invalid"
	CodeExtensionUsed            = "extension_used"
	CodeFourEyesRequired         = "four_eyes_required"
	CodeSignatureInvalid         = "signature_invalid"
	CodeCertificateUntrusted     = "certificate_untrusted"
	CodeCertificateExpired       = "certificate_expired"
	CodeCertificateNameMismatch  = "certificate_name_mismatch"
	CodeRegistryMismatch         = "registry_mismatch"
	CodePersonalDataRequired     = "personal_data_required"
	CodeSnilsAlreadyLinked       = "snils_already_linked"
	CodeInnAlreadyLinked         = "inn_already_linked"
)
