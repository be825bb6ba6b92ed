package httpx

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/kabinet/kabinet/domain"
)

// MaxBodyBytes bounds a JSON request body (1 MiB); files travel as
// multipart on their own routes.
const MaxBodyBytes = 1 << 20

// DecodeJSON reads r's body into dst strictly: the content type must be
// application/json (a utf-8 charset may be named), the body at most
// MaxBodyBytes, one JSON value with no unknown fields and nothing after it.
// Its errors are *Error values WriteError answers: 415
// unsupported_media_type, 413 body_too_large, 400 unknown_field (naming the
// field in errors[]), 400 malformed_json (naming the field when a value
// has the wrong type) and 400 invalid_text (invalid UTF-8 or a NUL byte).
func DecodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if err := checkJSONContentType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		if isTooLarge(err) {
			return tooLarge()
		}
		return fmt.Errorf("read JSON body: %w", err)
	}
	return DecodeJSONBytes(raw, dst)
}

// DecodeJSONBytes decodes raw into dst as DecodeJSON does a body: strictly,
// one value, and refusing invalid UTF-8 and NUL bytes in any string (400
// invalid_text), which encoding/json alone would let through.
func DecodeJSONBytes(raw []byte, dst any) error {
	if !utf8.Valid(raw) {
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidText, Detail: "the body is not valid UTF-8"}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	// One value only: anything but whitespace after it is malformed.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return malformed("the body has data after its JSON value", nil)
	}
	return checkDecodedText(reflect.ValueOf(dst), "")
}

func checkJSONContentType(ct string) error {
	if ct == "" {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedMediaType,
			Detail: "Content-Type is missing; send application/json"}
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedMediaType,
			Detail: "Content-Type must be application/json"}
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return &Error{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedMediaType,
				Detail: "application/json takes no parameter but charset=utf-8"}
		}
	}
	return nil
}

// decodeError turns encoding/json's error into the transport error to answer.
func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var invalid *json.InvalidUnmarshalError
	switch {
	case isTooLarge(err):
		return tooLarge()
	case errors.Is(err, io.EOF):
		return malformed("the body is empty", nil)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return malformed("the body ends in the middle of a JSON value", nil)
	case errors.As(err, &syntax):
		return malformed(fmt.Sprintf("invalid JSON at byte %d", syntax.Offset), nil)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return malformed("the body must be "+jsonKind(typ.Type), nil)
		}
		return malformed("a field has the wrong type", []domain.FieldError{{
			Field: field, Code: "invalid_type", Message: "expected " + jsonKind(typ.Type) + ", got " + typ.Value,
		}})
	case errors.As(err, &invalid):
		return fmt.Errorf("decode JSON body: %w", err) // a programming error: 500
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return &Error{Status: http.StatusBadRequest, Code: CodeUnknownField,
			Detail: fmt.Sprintf("the body has a field %q this request does not take", name),
			Fields: []domain.FieldError{{Field: name, Code: CodeUnknownField, Message: "unknown field"}}}
	}
	return malformed("the body is not valid JSON for this request", nil)
}

func isTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

func tooLarge() error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeBodyTooLarge,
		Detail: fmt.Sprintf("the body is larger than %d bytes", MaxBodyBytes)}
}

func malformed(detail string, fields []domain.FieldError) error {
	return &Error{Status: http.StatusBadRequest, Code: CodeMalformedJSON, Detail: detail, Fields: fields}
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// jsonKind names a Go type the way a JSON client thinks of it; types that
// decode from text (times, UUIDs, enums) are strings.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	if t.Implements(textUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return "a string"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	default:
		return "another value"
	}
}
