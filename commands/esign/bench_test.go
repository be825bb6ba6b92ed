package esign

import (
	"crypto"
	"testing"
	"time"
)

// BenchmarkVerify measures one e-signature check as the signature route
// makes it: decode, parse the CMS, check the signature over the challenge
// and build the chain to the trust store.
func BenchmarkVerify(b *testing.B) {
	root := newRoot(b, "Аккредитованный УЦ", now.AddDate(-5, 0, 0), now.AddDate(5, 0, 0))
	for name, key := range map[string]crypto.Signer{"ECDSA-P256": ecKey(b), "RSA-2048": rsaKey(b, 2048)} {
		cert := root.leaf(b, "Иванов Пётр", key, now.AddDate(0, -1, 0), now.AddDate(1, 0, 0))
		sig := sign(b, challenge, cert, key)
		v := NewVerifier(root.pool())
		b.Run(name, func(b *testing.B) {
			at := time.Now()
			for b.Loop() {
				if _, err := v.Verify(sig, challenge, at); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
