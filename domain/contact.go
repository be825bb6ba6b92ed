package domain

import (
	"fmt"
	"strings"
	"unicode"
)

// Channel is how a contact is reached: a phone (SMS) or an email address.
// The zero value is no channel.
type Channel struct {
	s string
}

var (
	// ChannelPhone is a Russian mobile number confirmed by SMS.
	ChannelPhone = Channel{"phone"}
	// ChannelEmail is an email address confirmed by a code or link.
	ChannelEmail = Channel{"email"}
)

// channels lists every channel in the order the cabinet shows them.
var channels = []Channel{ChannelPhone, ChannelEmail}

// ChannelFromString parses "phone" or "email".
func ChannelFromString(s string) (Channel, error) {
	for _, c := range channels {
		if c.s == s {
			return c, nil
		}
	}
	return Channel{}, &Error{
		Code:    CodeValidation,
		Message: fmt.Sprintf("unknown contact channel %q", s),
		Fields:  []FieldError{{Field: "channel", Code: CodeValidation, Message: "must be phone or email"}},
	}
}

// IsZero reports whether c is no channel.
func (c Channel) IsZero() bool { return c == Channel{} }

// String returns the channel's wire name ("phone", "email").
func (c Channel) String() string { return c.s }

// MarshalText writes the channel's wire name, so events and snapshots carry a string.
func (c Channel) MarshalText() ([]byte, error) { return []byte(c.s), nil }

// UnmarshalText reads a wire name; unknown names are refused rather than
// silently becoming the zero channel.
func (c *Channel) UnmarshalText(b []byte) error {
	ch, err := ChannelFromString(string(b))
	if err != nil {
		return err
	}
	*c = ch
	return nil
}

// Limits of the inputs we bother to parse; anything longer is garbage.
const (
	maxPhoneInput = 64
	maxEmailLen   = 254 // RFC 5321 path limit less the angle brackets
	maxLocalLen   = 64
	maxLabelLen   = 63
)

// ParsePhone normalises a phone number to E.164 and accepts only a Russian
// mobile number (+79XXXXXXXXX), the only kind the portal sends SMS to.
// Spaces, dashes, brackets and dots are ignored; a national 8XXXXXXXXXX or
// 7XXXXXXXXXX (and a bare 9XXXXXXXXX, as typed after a "+7" mask) means +7.
// A valid number of another country or a Russian landline gives
// phone_not_russian_mobile; anything else gives phone_invalid.
func ParsePhone(s string) (string, error) {
	if len(s) > maxPhoneInput {
		return "", phoneError(CodePhoneInvalid, "is too long to be a phone number")
	}
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && b.Len() == 0: // only a leading plus
			b.WriteRune(r)
		case unicode.IsSpace(r) || strings.ContainsRune("-‐‑–—().", r):
			// separators people type; they carry no meaning
		default:
			return "", phoneError(CodePhoneInvalid, "may contain only digits, a leading +, spaces, dashes, brackets and dots")
		}
	}
	n := b.String()
	international := strings.HasPrefix(n, "+")
	digits := strings.TrimPrefix(n, "+")
	if !international {
		switch {
		case len(digits) == 11 && (digits[0] == '8' || digits[0] == '7'):
			digits = "7" + digits[1:]
		case len(digits) == 10 && digits[0] == '9':
			digits = "7" + digits
		default:
			return "", phoneError(CodePhoneInvalid, "must be in international format starting with +")
		}
	}
	if digits == "" {
		return "", phoneError(CodePhoneInvalid, "is empty")
	}
	if digits[0] == '7' {
		// The +7 zone has a closed plan: exactly ten digits after the country code.
		if len(digits) != 11 {
			return "", phoneError(CodePhoneInvalid, "must have 10 digits after +7")
		}
		if digits[1] != '9' {
			return "", phoneError(CodePhoneNotRussianMobile, "is not a Russian mobile number (+79XXXXXXXXX)")
		}
		return "+" + digits, nil
	}
	// E.164: a country code never starts with 0, and a full number has at most
	// 15 digits; fewer than 8 is no real subscriber number anywhere.
	if digits[0] == '0' || len(digits) < 8 || len(digits) > 15 {
		return "", phoneError(CodePhoneInvalid, "is not a valid international number")
	}
	return "", phoneError(CodePhoneNotRussianMobile, "is not a Russian mobile number (+79XXXXXXXXX)")
}

func phoneError(code, msg string) *Error {
	return fieldError("phone", code, "phone "+msg)
}

// ParseEmail trims an email address and lower-cases its domain. It accepts
// only Latin letters, digits, dots, hyphens, underscores and plus in the
// local part, one @, and a domain of at least two valid labels; otherwise
// email_invalid. A domain on the disposable list (or under one) gives
// email_disposable. The local part keeps its case: RFC 5321 lets a mailbox
// be case-sensitive, and we send the code exactly where the user asked.
func ParseEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", emailError(CodeEmailInvalid, "email is empty")
	}
	if len(s) > maxEmailLen {
		return "", emailError(CodeEmailInvalid, "email is longer than 254 characters")
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || strings.Contains(domain, "@") {
		return "", emailError(CodeEmailInvalid, "email must contain exactly one @")
	}
	if msg := checkLocalPart(local); msg != "" {
		return "", emailError(CodeEmailInvalid, msg)
	}
	domain = strings.ToLower(domain)
	if msg := checkDomain(domain); msg != "" {
		return "", emailError(CodeEmailInvalid, msg)
	}
	if IsDisposableDomain(domain) {
		return "", emailError(CodeEmailDisposable, "disposable email domains are not accepted")
	}
	return local + "@" + domain, nil
}

func checkLocalPart(local string) string {
	switch {
	case local == "":
		return "email has nothing before @"
	case len(local) > maxLocalLen:
		return "email's part before @ is longer than 64 characters"
	case strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, ".."):
		return "email's part before @ has a leading, trailing or double dot"
	}
	for _, r := range local {
		if !isASCIIAlnum(r) && !strings.ContainsRune("._+-", r) {
			return "email may contain only Latin letters, digits, dots, hyphens, underscores and plus"
		}
	}
	return ""
}

func checkDomain(domain string) string {
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return "email domain must contain a dot"
	}
	for _, l := range labels {
		if l == "" {
			return "email domain has a leading, trailing or double dot"
		}
		if len(l) > maxLabelLen || l[0] == '-' || l[len(l)-1] == '-' {
			return "email domain has an invalid label"
		}
		for _, r := range l {
			if !isASCIIAlnum(r) && r != '-' {
				return "email domain may contain only Latin letters, digits, hyphens and dots"
			}
		}
	}
	tld := labels[len(labels)-1]
	if strings.HasPrefix(tld, "xn--") {
		return ""
	}
	if len(tld) < 2 || strings.IndexFunc(tld, func(r rune) bool { return r < 'a' || r > 'z' }) >= 0 {
		// Rejects IP-looking domains such as 1.2.3.4 and typos such as mail.r
		return "email domain must end in a top-level domain of letters"
	}
	return ""
}

func emailError(code, msg string) *Error {
	return fieldError("email", code, msg)
}

func isASCIIAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// fieldError is a refusal about one input field, carrying the field's code
// both at the top (for the API's `code`) and on the field (for forms).
func fieldError(field, code, msg string) *Error {
	return &Error{Code: code, Message: msg, Fields: []FieldError{{Field: field, Code: code, Message: msg}}}
}

// ContactKey is the normalised identity of a contact, unique across all
// accounts ("phone:+79161234567", "email:ivan@example.com"); the command
// layer reserves it to refuse a second account with the same contact.
// Email keys are lower-cased whole: no two accounts may hold addresses that
// differ only in case, even though the mailbox may treat them apart.
// A value that does not parse is keyed as given (trimmed), so the key is total.
func ContactKey(ch Channel, value string) string {
	v := strings.TrimSpace(value)
	switch ch {
	case ChannelPhone:
		if p, err := ParsePhone(v); err == nil {
			v = p
		}
	case ChannelEmail:
		v = strings.ToLower(v)
	}
	return ch.String() + ":" + v
}

// ErrContactTaken is the refusal when another account already holds the
// contact on channel ch (contact_taken); uniqueness spans accounts, so the
// command layer, not the aggregate, detects it.
func ErrContactTaken(ch Channel) *Error {
	return fieldError(ch.String(), CodeContactTaken, "this "+ch.String()+" is already used by another account")
}
