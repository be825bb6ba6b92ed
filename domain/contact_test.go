package domain

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireDomainErr asserts err is a *Error with code and, when field is not
// empty, that its first field error names field (with the same code, unless
// code is validation_failed, which gathers fields of other codes).
func requireDomainErr(t *testing.T, err error, code, field string) *Error {
	t.Helper()
	require.Error(t, err)
	var de *Error
	require.True(t, errors.As(err, &de), "want *domain.Error, got %T: %v", err, err)
	assert.Equal(t, code, de.Code, "error: %v", err)
	if field != "" && assert.NotEmpty(t, de.Fields, "error: %v", err) {
		assert.Equal(t, field, de.Fields[0].Field)
		if code != CodeValidation {
			assert.Equal(t, code, de.Fields[0].Code, "a specific code is on its field too")
		}
	}
	return de
}

func TestParsePhone_NormalisesToE164(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"+79161234567", "+79161234567"},
		{"+7 916 123-45-67", "+79161234567"},
		{"+7 (916) 123-45-67", "+79161234567"},
		{"8 (916) 123-45-67", "+79161234567"},
		{"89161234567", "+79161234567"},
		{"79161234567", "+79161234567"},
		{"9161234567", "+79161234567"},
		{"  +7-916-123-45-67  ", "+79161234567"},
		{"+7.916.123.45.67", "+79161234567"},
		{"(+7) 916 1234567", "+79161234567"},
		{"8-900-000-00-00", "+79000000000"},
		{"+7\t999\u00a0999 99 99", "+79999999999"},
		{"+7 916 123–45–67", "+79161234567"}, // en dashes from a word processor
		{"8 999 123 45 67", "+79991234567"},
		{"+79 99 12 34 56 7", "+79991234567"},
		{"+7(999)1234567", "+79991234567"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePhone(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParsePhone_RefusesNonMobileAndGarbage(t *testing.T) {
	tests := []struct {
		name string
		in   string
		code string
	}{
		{"moscow landline", "+7 495 123-45-67", CodePhoneNotRussianMobile},
		{"landline in national format", "8 (495) 123-45-67", CodePhoneNotRussianMobile},
		{"kazakhstan mobile shares +7", "+7 701 123 45 67", CodePhoneNotRussianMobile},
		{"ukraine", "+380 50 123 45 67", CodePhoneNotRussianMobile},
		{"germany", "+49 30 1234567", CodePhoneNotRussianMobile},
		{"uzbekistan", "+998 90 123 45 67", CodePhoneNotRussianMobile},
		{"china starts with 8 after plus", "+86 138 0013 8000", CodePhoneNotRussianMobile},
		{"empty", "", CodePhoneInvalid},
		{"only separators", " - ( ) ", CodePhoneInvalid},
		{"only plus", "+", CodePhoneInvalid},
		{"letters", "+7 916 ABC 45 67", CodePhoneInvalid},
		{"too short for +7", "+7916123456", CodePhoneInvalid},
		{"too long for +7", "+791612345678", CodePhoneInvalid},
		{"two pluses", "++79161234567", CodePhoneInvalid},
		{"plus inside", "7+9161234567", CodePhoneInvalid},
		{"country code 0", "+0123456789", CodePhoneInvalid},
		{"too short international", "+4930123", CodePhoneInvalid},
		{"longer than e164", "+4930123456789012", CodePhoneInvalid},
		{"foreign without plus", "380501234567", CodePhoneInvalid},
		{"national 10 digits not 9", "4951234567", CodePhoneInvalid},
		{"extension", "+79161234567 ext 12", CodePhoneInvalid},
		{"arabic-indic digits", "+٧٩١٦١٢٣٤٥٦٧", CodePhoneInvalid},
		{"absurdly long", "+7" + strings.Repeat(" ", 100) + "9161234567", CodePhoneInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePhone(tt.in)
			requireDomainErr(t, err, tt.code, "phone")
		})
	}
}

func TestParseEmail_AcceptsAndNormalises(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"ivan@example.com", "ivan@example.com"},
		{"  ivan@example.com  ", "ivan@example.com"},
		{"Ivan.Petrov@Example.COM", "Ivan.Petrov@example.com"},
		{"ivan+kabinet@mail.ru", "ivan+kabinet@mail.ru"},
		{"ivan_petrov-1@yandex.ru", "ivan_petrov-1@yandex.ru"},
		{"a@b.co", "a@b.co"},
		{"user@sub.domain.example.org", "user@sub.domain.example.org"},
		{"user@my-host.example.uz", "user@my-host.example.uz"},
		{"user@xn--80ak6aa92e.com", "user@xn--80ak6aa92e.com"},
		{"user@example.xn--p1ai", "user@example.xn--p1ai"},
		{"1234@123.kz", "1234@123.kz"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseEmail(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseEmail_RefusesInvalid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		code string
	}{
		{"empty", "", CodeEmailInvalid},
		{"spaces only", "   ", CodeEmailInvalid},
		{"no at", "ivan.example.com", CodeEmailInvalid},
		{"two ats", "ivan@petrov@example.com", CodeEmailInvalid},
		{"empty local part", "@example.com", CodeEmailInvalid},
		{"empty domain", "ivan@", CodeEmailInvalid},
		{"domain without dot", "ivan@localhost", CodeEmailInvalid},
		{"leading dot in local", ".ivan@example.com", CodeEmailInvalid},
		{"trailing dot in local", "ivan.@example.com", CodeEmailInvalid},
		{"double dot in local", "iv..an@example.com", CodeEmailInvalid},
		{"leading dot in domain", "ivan@.example.com", CodeEmailInvalid},
		{"trailing dot in domain", "ivan@example.com.", CodeEmailInvalid},
		{"double dot in domain", "ivan@example..com", CodeEmailInvalid},
		{"label starts with hyphen", "ivan@-example.com", CodeEmailInvalid},
		{"label ends with hyphen", "ivan@example-.com", CodeEmailInvalid},
		{"underscore in domain", "ivan@ex_ample.com", CodeEmailInvalid},
		{"cyrillic local part", "иван@example.com", CodeEmailInvalid},
		{"cyrillic domain", "ivan@почта.рф", CodeEmailInvalid},
		{"space inside", "iv an@example.com", CodeEmailInvalid},
		{"quotes", `"ivan"@example.com`, CodeEmailInvalid},
		{"comma", "ivan,petrov@example.com", CodeEmailInvalid},
		{"ip literal", "ivan@[127.0.0.1]", CodeEmailInvalid},
		{"numeric tld", "ivan@1.2.3.4", CodeEmailInvalid},
		{"one-letter tld", "ivan@example.c", CodeEmailInvalid},
		{"label longer than 63", "ivan@" + strings.Repeat("a", 64) + ".com", CodeEmailInvalid},
		{"local part longer than 64", strings.Repeat("a", 65) + "@example.com", CodeEmailInvalid},
		{"longer than 254", "ivan@" + strings.Repeat("a.", 125) + "com", CodeEmailInvalid},
		{"disposable", "ivan@mailinator.com", CodeEmailDisposable},
		{"disposable upper-case", "ivan@YopMail.com", CodeEmailDisposable},
		{"disposable subdomain", "ivan@inbox.guerrillamail.com", CodeEmailDisposable},
		{"disposable temp-mail", "ivan@temp-mail.org", CodeEmailDisposable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEmail(tt.in)
			requireDomainErr(t, err, tt.code, "email")
		})
	}
}

func TestParseEmail_MaxLengthIs254(t *testing.T) {
	local := strings.Repeat("a", 64)
	domain := strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 57) + ".com"
	ok := local + "@" + domain
	require.Len(t, ok, 254)
	_, err := ParseEmail(ok)
	require.NoError(t, err)
	_, err = ParseEmail(local + "@e" + domain)
	requireDomainErr(t, err, CodeEmailInvalid, "email")
}

func TestChannel_FromStringAndJSON(t *testing.T) {
	for _, name := range []string{"phone", "email"} {
		ch, err := ChannelFromString(name)
		require.NoError(t, err)
		assert.False(t, ch.IsZero())
		assert.Equal(t, name, ch.String())

		b, err := json.Marshal(ch)
		require.NoError(t, err)
		assert.Equal(t, `"`+name+`"`, string(b))
		var back Channel
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, ch, back)
	}
	assert.True(t, Channel{}.IsZero())
	for _, bad := range []string{"", "sms", "Phone"} {
		_, err := ChannelFromString(bad)
		requireDomainErr(t, err, CodeValidation, "channel")
		var ch Channel
		assert.Error(t, json.Unmarshal([]byte(`"`+bad+`"`), &ch))
	}
}

func TestContactKey_IsNormalised(t *testing.T) {
	tests := []struct {
		ch    Channel
		value string
		want  string
	}{
		{ChannelPhone, "8 (916) 123-45-67", "phone:+79161234567"},
		{ChannelPhone, "+79161234567", "phone:+79161234567"},
		{ChannelEmail, " Ivan@Example.com ", "email:ivan@example.com"},
		{ChannelEmail, "ivan@example.com", "email:ivan@example.com"},
		{ChannelPhone, " not a phone ", "phone:not a phone"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ContactKey(tt.ch, tt.value), tt.value)
	}
}

func TestErrContactTaken_NamesTheField(t *testing.T) {
	err := ErrContactTaken(ChannelEmail)
	requireDomainErr(t, err, CodeContactTaken, "email")
	assert.ErrorIs(t, err, &Error{Code: CodeContactTaken})
}

// FuzzParsePhone: parsing never panics, and an accepted number is already
// normalised (it re-parses to itself) and is a Russian mobile number.
func FuzzParsePhone(f *testing.F) {
	for _, s := range []string{"+79161234567", "8 (916) 123-45-67", "+380501234567", "", "++7", "9161234567"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParsePhone(s)
		if err != nil {
			var de *Error
			if !errors.As(err, &de) || (de.Code != CodePhoneInvalid && de.Code != CodePhoneNotRussianMobile) {
				t.Fatalf("ParsePhone(%q): unexpected error %v", s, err)
			}
			return
		}
		if len(got) != 12 || !strings.HasPrefix(got, "+79") {
			t.Fatalf("ParsePhone(%q) = %q, not +79XXXXXXXXX", s, got)
		}
		again, err := ParsePhone(got)
		if err != nil || again != got {
			t.Fatalf("ParsePhone(%q) = %q, which re-parses to %q, %v", s, got, again, err)
		}
	})
}

// FuzzParseEmail: parsing never panics, and an accepted address re-parses
// to itself and respects the length limit.
func FuzzParseEmail(f *testing.F) {
	for _, s := range []string{"ivan@example.com", " Ivan@Example.COM ", "a@b.co", "@", "x@mailinator.com", "a..b@c.d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseEmail(s)
		if err != nil {
			var de *Error
			if !errors.As(err, &de) || (de.Code != CodeEmailInvalid && de.Code != CodeEmailDisposable) {
				t.Fatalf("ParseEmail(%q): unexpected error %v", s, err)
			}
			return
		}
		if len(got) > 254 || strings.Count(got, "@") != 1 {
			t.Fatalf("ParseEmail(%q) = %q breaks the shape rules", s, got)
		}
		again, err := ParseEmail(got)
		if err != nil || again != got {
			t.Fatalf("ParseEmail(%q) = %q, which re-parses to %q, %v", s, got, again, err)
		}
	})
}
