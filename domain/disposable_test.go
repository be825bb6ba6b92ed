package domain

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDisposableDomains_ListHasAtLeast60WellFormedEntries(t *testing.T) {
	assert.GreaterOrEqual(t, len(disposableDomains), 60)
	for d := range disposableDomains {
		assert.Equal(t, strings.ToLower(d), d, "entries are lower-case")
		assert.Empty(t, checkDomain(d), "entry %q must be a valid domain", d)
	}
}

func TestIsDisposableDomain_MatchesDomainAndParents(t *testing.T) {
	tests := []struct {
		domain string
		want   bool
	}{
		{"mailinator.com", true},
		{"10minutemail.com", true},
		{"guerrillamail.com", true},
		{"temp-mail.org", true},
		{"yopmail.com", true},
		{"eu.mailinator.com", true},
		{"a.b.yopmail.fr", true},
		{"mailinator.com.", true},
		{"notmailinator.com", false},
		{"mailinator.com.evil.org", false},
		{"mail.ru", false},
		{"gmail.com", false},
		{"yandex.ru", false},
		{"com", false},
		{"", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, IsDisposableDomain(tt.domain), tt.domain)
	}
}
