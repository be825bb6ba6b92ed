// Package witness is an outside witness of the action journal: it keeps the
// last checkpoint it accepted in a file the journal's operators cannot
// write, and accepts a newer one only with a valid signature and a valid
// consistency proof from the old one. A rollback, or a history rewritten and
// re-signed with the journal's real key (a fork), is caught even by someone
// holding that key.
//
// It uses only the upstream libraries (golang.org/x/mod/sumdb/note,
// github.com/transparency-dev/formats/log and merkle/proof) to judge what it
// fetches.
package witness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// Errors a witness run ends with when the journal misbehaves.
var (
	// ErrRollback: the journal shows a smaller tree than one already seen.
	ErrRollback = errors.New("witness: rollback")
	// ErrFork: the journal shows a tree that does not extend the one already
	// seen (same size with another root, or a consistency proof that fails).
	ErrFork = errors.New("witness: fork")
	// ErrBadCheckpoint: the checkpoint is not signed by the journal's key.
	ErrBadCheckpoint = errors.New("witness: bad checkpoint")
)

// maxBody bounds what the witness reads from the journal.
const maxBody = 1 << 20

// Result is what one witness run saw.
type Result struct {
	OldSize  uint64 // size of the checkpoint held before (0 when none)
	NewSize  uint64 // size of the checkpoint held now
	RootHash []byte // root hash of the checkpoint held now
	First    bool   // no checkpoint was held before: this one is trusted on first use
}

// Run fetches the journal's latest checkpoint from baseURL and stores it in
// stateFile if it is signed with verifierKey and extends the checkpoint
// stateFile held (checked with a consistency proof fetched from the
// journal). On any failure stateFile is left as it was.
func Run(ctx context.Context, client *http.Client, baseURL, stateFile, verifierKey string) error {
	_, err := Observe(ctx, client, baseURL, stateFile, verifierKey)
	return err
}

// Observe is Run, reporting what it saw.
func Observe(ctx context.Context, client *http.Client, baseURL, stateFile, verifierKey string) (Result, error) {
	v, err := note.NewVerifier(strings.TrimSpace(verifierKey))
	if err != nil {
		return Result{}, fmt.Errorf("witness: verifier key: %w", err)
	}
	origin := v.Name() // the journal's origin is its key's name
	if err := checkStateDir(stateFile); err != nil {
		return Result{}, err
	}
	if client == nil {
		client = http.DefaultClient
	}
	c := fetcher{client: client, base: strings.TrimRight(baseURL, "/")}

	signed, err := c.get(ctx, "/v1/journal/checkpoint")
	if err != nil {
		return Result{}, err
	}
	cp, _, _, err := log.ParseCheckpoint(signed, origin, v)
	if err != nil {
		return Result{}, fmt.Errorf("%w: the journal's latest checkpoint: %v", ErrBadCheckpoint, err)
	}

	held, err := os.ReadFile(stateFile)
	if errors.Is(err, fs.ErrNotExist) {
		if err := writeAtomic(stateFile, signed); err != nil {
			return Result{}, err
		}
		return Result{NewSize: cp.Size, RootHash: cp.Hash, First: true}, nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("witness: read state %s: %w", stateFile, err)
	}
	old, _, _, err := log.ParseCheckpoint(held, origin, v)
	if err != nil {
		return Result{}, fmt.Errorf("witness: the held checkpoint in %s does not verify with this key: %w", stateFile, err)
	}
	res := Result{OldSize: old.Size, NewSize: old.Size, RootHash: old.Hash}

	switch {
	case cp.Size < old.Size:
		return res, fmt.Errorf("%w: the journal shows size %d, smaller than size %d seen before", ErrRollback, cp.Size, old.Size)
	case cp.Size == old.Size:
		if !bytes.Equal(cp.Hash, old.Hash) {
			return res, fmt.Errorf("%w: size %d now has root %x, but root %x was seen before", ErrFork, cp.Size, cp.Hash, old.Hash)
		}
		return res, nil
	}
	hashes, err := c.consistency(ctx, old.Size, cp.Size)
	if err != nil {
		return res, err
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, old.Size, cp.Size, hashes, old.Hash, cp.Hash); err != nil {
		return res, fmt.Errorf("%w: size %d does not extend size %d seen before: %v", ErrFork, cp.Size, old.Size, err)
	}
	if err := writeAtomic(stateFile, signed); err != nil {
		return res, err
	}
	return Result{OldSize: old.Size, NewSize: cp.Size, RootHash: cp.Hash}, nil
}

// fetcher GETs from the journal.
type fetcher struct {
	client *http.Client
	base   string
}

func (c fetcher) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("witness: GET %s: %w", path, err)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("witness: GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("witness: GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("witness: GET %s: %s: %s", path, resp.Status, bytes.TrimSpace(body))
	}
	return body, nil
}

func (c fetcher) consistency(ctx context.Context, from, to uint64) ([][]byte, error) {
	q := url.Values{"from": {strconv.FormatUint(from, 10)}, "to": {strconv.FormatUint(to, 10)}}
	body, err := c.get(ctx, "/v1/journal/proof/consistency?"+q.Encode())
	if err != nil {
		return nil, err
	}
	var p struct {
		From   uint64   `json:"from"`
		To     uint64   `json:"to"`
		Hashes [][]byte `json:"hashes"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("witness: consistency proof %d→%d: %w", from, to, err)
	}
	if p.From != from || p.To != to {
		return nil, fmt.Errorf("witness: asked for a consistency proof %d→%d, got %d→%d", from, to, p.From, p.To)
	}
	return p.Hashes, nil
}

// ErrNoStateDir: the directory of the state file does not exist.
var ErrNoStateDir = errors.New("witness: the state file's directory does not exist")

// checkStateDir refuses a state file whose directory is missing. The
// witness does not create it: a mistyped path must not pass for a first
// run, which would trust whatever checkpoint the service shows.
func checkStateDir(stateFile string) error {
	dir := filepath.Dir(stateFile)
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s (create it, writable only by the witness, e.g. mkdir -m 700 -p %s; "+
			"it is not created for you, so that a mistyped path is not taken for a first run)", ErrNoStateDir, dir, dir)
	}
	if err != nil {
		return fmt.Errorf("witness: state directory %s: %w", dir, err)
	}
	if !info.IsDir() {
		return fmt.Errorf("%w: %s is not a directory", ErrNoStateDir, dir)
	}
	return nil
}

// writeAtomic replaces path with b: a temp file in the same directory,
// synced, then renamed over path, so a crash leaves the old or the new file.
func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("witness: write state: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename there is nothing left to remove
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("witness: write state: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("witness: write state: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("witness: write state: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("witness: write state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("witness: write state: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() //nolint:errcheck // best effort: the rename is done
		d.Close()
	}
	return nil
}
