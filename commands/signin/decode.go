package signin

import (
	"net/http"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/httpx"
)

// MaxLoginBytes bounds a login: an email address is at most 254 bytes.
const MaxLoginBytes = 320

// signInRequest is the body of POST /v1/sessions.
type signInRequest struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

// decodeSignIn reads a sign-in body strictly (httpx.DecodeJSON) and checks
// that both fields are there and bounded; every refusal is a 4xx error
// that WriteError answers.
func decodeSignIn(w http.ResponseWriter, r *http.Request) (signInRequest, error) {
	var req signInRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return req, err
	}
	var fields []domain.FieldError
	if err := checkLogin(req.Login); err != nil {
		return req, err
	}
	switch {
	case req.Password == "":
		fields = append(fields, domain.FieldError{Field: "password", Code: domain.CodeRequired, Message: "password is required"})
	case len(req.Password) > 4*domain.MaxPasswordBytes:
		fields = append(fields, domain.FieldError{Field: "password", Code: domain.CodeTooLong, Message: "password is too long"})
	}
	return req, domain.ValidationError(fields)
}

// checkLogin refuses an empty or oversized login (validation_failed).
func checkLogin(login string) error {
	switch {
	case login == "":
		return domain.ValidationError([]domain.FieldError{{Field: "login", Code: domain.CodeRequired, Message: "login is required"}})
	case len(login) > MaxLoginBytes:
		return domain.ValidationError([]domain.FieldError{{Field: "login", Code: domain.CodeTooLong, Message: "login is too long"}})
	}
	return nil
}
