package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kabinet/kabinet/platform/delivery"
	"github.com/kabinet/kabinet/platform/sqldb"
)

// deliveryEnv is the delivery configuration read from the environment.
type deliveryEnv struct {
	SMTPAddr, SMTPFrom, SMTPUser, SMTPPassword, SMTPTLS string
	SMSURL, SMSSecret                                   string
}

func readDeliveryEnv() deliveryEnv {
	return deliveryEnv{
		SMTPAddr: os.Getenv("KABINET_SMTP_ADDR"), SMTPFrom: envOr("KABINET_SMTP_FROM", "noreply@kabinet.invalid"),
		SMTPUser: os.Getenv("KABINET_SMTP_USERNAME"), SMTPPassword: os.Getenv("KABINET_SMTP_PASSWORD"),
		SMTPTLS: envOr("KABINET_SMTP_TLS", delivery.TLSStartTLS),
		SMSURL:  os.Getenv("KABINET_SMS_URL"), SMSSecret: os.Getenv("KABINET_SMS_SECRET"),
	}
}

// openDelivery is the notifier of the configured adapters: email through
// SMTP and SMS through the gateway when configured, anything else to the
// file outbox; sends through an adapter are retried with backoff and what
// never went out is dead-lettered in the read store.
func openDelivery(ctx context.Context, c Config, read *sqldb.DB, outbox *delivery.OutboxFile, clock func() time.Time, logger *slog.Logger) (delivery.Notifier, error) {
	// Outside development a code never reaches a file in clear.
	outbox.RedactCodes = c.Env != "development"
	d := c.Delivery
	channels := map[string]delivery.Notifier{}
	if d.SMTPAddr != "" {
		switch d.SMTPTLS {
		case delivery.TLSStartTLS, delivery.TLSImplicit, delivery.TLSNone:
		default:
			return nil, fmt.Errorf("KABINET_SMTP_TLS must be starttls, tls or none, not %q", d.SMTPTLS)
		}
		channels["email"] = &delivery.SMTP{Addr: d.SMTPAddr, From: d.SMTPFrom, Username: d.SMTPUser,
			Password: d.SMTPPassword, TLS: d.SMTPTLS, Now: clock}
	}
	if d.SMSURL != "" {
		gw, err := delivery.NewSMSGateway(d.SMSURL, []byte(d.SMSSecret))
		if err != nil {
			return nil, fmt.Errorf("KABINET_SMS_URL/KABINET_SMS_SECRET: %w", err)
		}
		gw.Now = clock
		channels["sms"] = gw
	}
	if len(channels) == 0 {
		return outbox, nil
	}
	dls, err := delivery.OpenDeadLetters(ctx, read, clock)
	if err != nil {
		return nil, err
	}
	return &delivery.Retry{
		Next:     delivery.ByChannel{Channels: channels, Default: outbox},
		Attempts: c.DeliveryAttempts, Backoff: c.DeliveryBackoff, DeadLetters: dls, Logger: logger,
	}, nil
}

// cmdDelivery runs `kabinet delivery dead-letters`.
func cmdDelivery(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{"usage: kabinet delivery dead-letters [flags]"}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return subcommandHelp("delivery", "dead-letters [--limit N] [--format ndjson|table] [flags]")
	case "dead-letters":
		return deadLetters(ctx, args[1:], stdout)
	}
	return usageError{fmt.Sprintf("unknown delivery command %q", args[0])}
}

// deadLetters lists the notifications no attempt delivered, newest first.
func deadLetters(ctx context.Context, args []string, stdout io.Writer) error {
	var limit *int
	var format *string
	c, _, err := parseConfigWith("delivery dead-letters", args, func(fs *flag.FlagSet) {
		limit = fs.Int("limit", 100, "how many to list, newest first")
		format = fs.String("format", "table", "ndjson or table")
	})
	if err != nil {
		return err
	}
	if *format != "ndjson" && *format != "table" {
		return usageError{"--format must be ndjson or table"}
	}
	if *limit <= 0 {
		return usageError{"--limit must be positive"}
	}
	db, err := sqldb.Open(ctx, c.ReadStore)
	if err != nil {
		return err
	}
	defer db.Close()
	dls, err := delivery.OpenDeadLetters(ctx, db, nil)
	if err != nil {
		return err
	}
	list, err := dls.List(ctx, *limit)
	if err != nil {
		return err
	}
	if *format == "ndjson" {
		enc := json.NewEncoder(stdout)
		for _, d := range list {
			if err := enc.Encode(d); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FAILED AT\tCHANNEL\tKIND\tTO\tATTEMPTS\tERROR")
	for _, d := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", d.FailedAt.Format(time.RFC3339), d.Channel, d.Kind, d.To,
			d.Attempts, strings.ReplaceAll(d.Error, "\t", " "))
	}
	return tw.Flush()
}
