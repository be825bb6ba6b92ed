package main

import (
	"context"
	"fmt"
	"io"

	"github.com/kabinet/kabinet/platform/pii"
)

// cmdKeys runs `kabinet keys rotate`: every data key is re-wrapped under a
// new master key; no event is touched (they are sealed with the data keys).
// In embedded mode the new key is written to master.key.next first and
// replaces master.key once every data key is under it, so an interrupted
// rotation resumes when run again. With KABINET_MASTER_KEY set, set the new
// key there and the old one in KABINET_MASTER_KEY_PREVIOUS, run this, then
// drop the previous one.
func cmdKeys(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "rotate" {
		return usageError{"usage: kabinet keys rotate [--data-dir ./data]"}
	}
	c, _, err := parseConfig("keys rotate", args[1:])
	if err != nil {
		return err
	}
	if err := ensureDataDir(c.DataDir); err != nil {
		return err
	}
	events, read, store, err := openStores(ctx, c)
	if err != nil {
		return err
	}
	defer func() {
		store.Close()
		if read != events {
			read.Close()
		}
		events.Close()
	}()
	m := masterKeys(c)
	kms, err := m.BeginRotation()
	if err != nil {
		return err
	}
	keys, keysDB, closeKeys, err := openKeyring(ctx, c, events, kms)
	if err != nil {
		return err
	}
	defer closeKeys()
	n, err := keys.Rewrap(ctx, kms)
	if err != nil {
		return fmt.Errorf("rotate: %w (run it again to resume)", err)
	}
	if err := keysDB.Shred(ctx, pii.KeysTable); err != nil {
		return fmt.Errorf("rotate: %w", err)
	}
	if err := m.FinishRotation(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "re-wrapped %d data keys under master key %s\n", n, kms.KeyID())
	return nil
}
