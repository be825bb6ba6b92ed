package httpx

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kabinet/kabinet/domain"
)

// Codes of input refused before any handler sees it.
const (
	CodeInvalidText  = "invalid_text"
	CodeInvalidQuery = "invalid_query"
)

// MaxUserAgentBytes bounds the user agent a request carries into events, the
// journal and session lists; a longer one is cut at a character boundary.
const MaxUserAgentBytes = 256

// MaxFieldErrors is the most field errors one problem lists; the total is in
// its errors_total member when there were more.
const MaxFieldErrors = 20

// CleanInput refuses requests whose path or query holds a NUL byte or
// invalid UTF-8, or whose query does not parse (400), and cuts the user agent
// to MaxUserAgentBytes of valid UTF-8, so no handler, store or log meets them.
func CleanInput(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !cleanText(r.URL.Path) {
			WriteError(w, r, BadRequest(CodeInvalidText, "the path holds a NUL byte or invalid UTF-8"))
			return
		}
		if r.URL.RawQuery != "" {
			q, err := url.ParseQuery(r.URL.RawQuery)
			if err != nil {
				WriteError(w, r, BadRequest(CodeInvalidQuery, "the query string is malformed"))
				return
			}
			for k, vs := range q {
				if !cleanText(k) {
					WriteError(w, r, BadRequest(CodeInvalidText, "a query parameter name holds a NUL byte or invalid UTF-8"))
					return
				}
				for _, v := range vs {
					if !cleanText(v) {
						WriteError(w, r, &Error{Status: http.StatusBadRequest, Code: CodeInvalidText,
							Detail: "a query parameter holds a NUL byte or invalid UTF-8",
							Fields: []domain.FieldError{{Field: k, Code: CodeInvalidText, Message: "NUL byte or invalid UTF-8"}}})
						return
					}
				}
			}
		}
		if ua := r.Header.Get("User-Agent"); ua != "" {
			if cut := CutUserAgent(ua); cut != ua {
				r.Header.Set("User-Agent", cut)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// CutUserAgent is ua as valid UTF-8 (invalid bytes replaced), without NUL
// bytes, cut to at most MaxUserAgentBytes at a character boundary.
func CutUserAgent(ua string) string {
	ua = strings.ToValidUTF8(ua, "\uFFFD")
	ua = strings.ReplaceAll(ua, "\x00", "")
	if len(ua) <= MaxUserAgentBytes {
		return ua
	}
	cut := MaxUserAgentBytes
	for cut > 0 && !utf8.RuneStart(ua[cut]) {
		cut--
	}
	return ua[:cut]
}

// cleanText reports whether s is valid UTF-8 without NUL bytes.
func cleanText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// checkDecodedText walks a decoded body for strings (values and map keys)
// holding a NUL byte, naming the first one's field. Invalid UTF-8 is caught
// on the raw bytes before decoding: encoding/json would silently replace it.
func checkDecodedText(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.String:
		if strings.IndexByte(v.String(), 0) >= 0 {
			return nulError(path)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return checkDecodedText(v.Elem(), path)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range v.NumField() {
			if !t.Field(i).IsExported() {
				continue
			}
			if err := checkDecodedText(v.Field(i), joinPath(path, jsonName(t.Field(i)))); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return nil
		}
		for i := range v.Len() {
			if err := checkDecodedText(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			key := fmt.Sprint(it.Key().Interface())
			if strings.IndexByte(key, 0) >= 0 {
				return nulError(path)
			}
			if err := checkDecodedText(it.Value(), joinPath(path, key)); err != nil {
				return err
			}
		}
	}
	return nil
}

func nulError(field string) error {
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalidText, Detail: "a text holds a NUL byte",
		Fields: []domain.FieldError{{Field: field, Code: CodeInvalidText, Message: "NUL bytes are not allowed"}}}
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" || name == "-" {
		return f.Name
	}
	return name
}

// Deadline bounds every request's work to d (0: no bound): the stores see
// the deadline through the request's context, so a stalled database answers
// 503 store_unavailable instead of holding the client past d.
func Deadline(d time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if d <= 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), d)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
