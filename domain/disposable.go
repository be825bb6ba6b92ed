package domain

import "strings"

// disposableDomains are well-known throwaway-mailbox services. An account
// confirmed through one could be taken over by anyone who opens the same
// public inbox, so the portal refuses them (email_disposable). The list is
// deliberately conservative: a real provider here would lock people out.
var disposableDomains = map[string]struct{}{
	"10minutemail.com":       {},
	"10minutemail.net":       {},
	"20minutemail.com":       {},
	"10mail.org":             {},
	"1secmail.com":           {},
	"1secmail.net":           {},
	"1secmail.org":           {},
	"anonbox.net":            {},
	"armyspy.com":            {},
	"burnermail.io":          {},
	"crazymailing.com":       {},
	"cuvox.de":               {},
	"dayrep.com":             {},
	"deadaddress.com":        {},
	"discard.email":          {},
	"discardmail.com":        {},
	"dispostable.com":        {},
	"dropmail.me":            {},
	"einrot.com":             {},
	"emailfake.com":          {},
	"emailondeck.com":        {},
	"fakeinbox.com":          {},
	"fakemail.net":           {},
	"fleckens.hu":            {},
	"getairmail.com":         {},
	"getnada.com":            {},
	"grr.la":                 {},
	"guerrillamail.biz":      {},
	"guerrillamail.com":      {},
	"guerrillamail.de":       {},
	"guerrillamail.info":     {},
	"guerrillamail.net":      {},
	"guerrillamail.org":      {},
	"guerrillamailblock.com": {},
	"gustr.com":              {},
	"harakirimail.com":       {},
	"inboxkitten.com":        {},
	"incognitomail.org":      {},
	"jourrapide.com":         {},
	"mail-temp.com":          {},
	"mailcatch.com":          {},
	"maildrop.cc":            {},
	"mailexpire.com":         {},
	"mailforspam.com":        {},
	"mailinator.com":         {},
	"mailinator.net":         {},
	"mailinator2.com":        {},
	"mailnesia.com":          {},
	"mailnull.com":           {},
	"mailpoof.com":           {},
	"mailsac.com":            {},
	"mintemail.com":          {},
	"minuteinbox.com":        {},
	"mohmal.com":             {},
	"moakt.com":              {},
	"mytemp.email":           {},
	"pokemail.net":           {},
	"rhyta.com":              {},
	"sharklasers.com":        {},
	"spam4.me":               {},
	"spambox.us":             {},
	"spamdecoy.net":          {},
	"spamfree24.org":         {},
	"spamgourmet.com":        {},
	"superrito.com":          {},
	"teleworm.us":            {},
	"temp-mail.io":           {},
	"temp-mail.org":          {},
	"tempail.com":            {},
	"tempinbox.com":          {},
	"tempmail.net":           {},
	"tempmailaddress.com":    {},
	"tempmailo.com":          {},
	"temporary-mail.net":     {},
	"tempr.email":            {},
	"throwawaymail.com":      {},
	"tmpmail.net":            {},
	"tmpmail.org":            {},
	"trashmail.com":          {},
	"trashmail.de":           {},
	"trashmail.me":           {},
	"trashmail.net":          {},
	"wegwerfmail.de":         {},
	"wegwerfmail.net":        {},
	"yopmail.com":            {},
	"yopmail.fr":             {},
	"yopmail.net":            {},
}

// IsDisposableDomain reports whether an email domain (lower-case) or any of
// its parent domains is a known disposable-mailbox service: such services
// hand out subdomains too (x.mailinator.com).
func IsDisposableDomain(domain string) bool {
	d := strings.TrimSuffix(domain, ".")
	for d != "" {
		if _, ok := disposableDomains[d]; ok {
			return true
		}
		_, parent, found := strings.Cut(d, ".")
		if !found {
			return false
		}
		d = parent
	}
	return false
}
