package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/kabinet/kabinet/commands/esign"
)

const esignUsage = `Usage:
  kabinet esign test-cert --data-dir DIR --name "Фамилия Имя Отчество" --out DIR2 [--key ecdsa|rsa] [--days 365]

Issues a TEST e-signature certificate (CN = the name, SN = its first word,
GN = the rest) and its key from the data dir's test CA (esign-ca.pem,
created on first use), and writes DIR2/cert.pem and DIR2/key.pem (0600).
A service started on that data dir without KABINET_ESIGN_CA_DIR trusts it.
Sign a challenge with:
  openssl cms -sign -binary -outform DER -in challenge.bin -signer DIR2/cert.pem -inkey DIR2/key.pem -out sig.der
`

// cmdEsign runs the e-signature tools.
func cmdEsign(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, esignUsage)
		return nil
	}
	if args[0] != "test-cert" {
		return usageError{fmt.Sprintf("unknown esign command %q\n%s", args[0], esignUsage)}
	}
	fs := flag.NewFlagSet("esign test-cert", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dataDir := fs.String("data-dir", envOr("KABINET_DATA_DIR", "./data"), "data dir holding the test CA")
	name := fs.String("name", "", "the holder's Russian name: Фамилия Имя Отчество")
	out := fs.String("out", "", "directory to write cert.pem and key.pem into")
	key := fs.String("key", esign.KeyECDSA, "key type: ecdsa (P-256) or rsa (2048)")
	days := fs.Int("days", 365, "validity in days")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, esignUsage)
			return nil
		}
		return usageError{err.Error()}
	}
	if *name == "" || *out == "" {
		return usageError{"esign test-cert needs --name and --out"}
	}
	if err := ensureDataDir(*dataDir); err != nil {
		return err
	}
	ca, err := esign.LoadOrCreateTestCA(*dataDir)
	if err != nil {
		return err
	}
	tc, err := esign.WriteTestCertificate(ca, *name, *key, *days, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "certificate %s\nkey         %s\nserial      %X, valid until %s\n",
		tc.CertPath, tc.KeyPath, tc.Cert.SerialNumber, tc.Cert.NotAfter.UTC().Format("2006-01-02"))
	return nil
}

// esignVerifier trusts the CAs of KABINET_ESIGN_CA_DIR when it is set, else
// the data dir's test CA (the embedded default: development only).
func esignVerifier(c Config, logger *slog.Logger) (*esign.Verifier, error) {
	if c.ESignCADir != "" {
		pool, n, err := esign.LoadTrustStore(c.ESignCADir)
		if err != nil {
			return nil, err
		}
		logger.Info("e-signature trust store loaded", "dir", c.ESignCADir, "certificates", n)
		return esign.NewVerifier(pool), nil
	}
	ca, err := esign.LoadOrCreateTestCA(c.DataDir)
	if err != nil {
		return nil, err
	}
	logger.Warn("e-signatures are checked against the data dir's TEST CA only; set KABINET_ESIGN_CA_DIR to the accredited CAs in production")
	return esign.NewVerifier(ca.Pool()), nil
}
