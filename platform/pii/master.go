package pii

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/kabinet/kabinet/platform/secrets"
)

// Master key files in the data dir (embedded mode): master.key is the
// current one; master.key.next exists only while a rotation is under way
// (written first, renamed over master.key once every data key is re-wrapped).
const (
	MasterKeyFile     = "master.key"
	NextMasterKeyFile = "master.key.next"
)

// MasterKeys says where the master keys come from.
type MasterKeys struct {
	// Env is KABINET_MASTER_KEY and EnvPrevious KABINET_MASTER_KEY_PREVIOUS;
	// when Env is set the data dir's files are not used.
	Env, EnvPrevious string
	// DataDir holds master.key (created on first use) otherwise.
	DataDir string
}

// FromEnv reports whether the keys come from the environment.
func (m MasterKeys) FromEnv() bool { return m.Env != "" }

// Open builds the local KMS: from the environment (current, and the
// previous key during a rotation), else from master.key, with
// master.key.next as the current key when a rotation was interrupted.
func (m MasterKeys) Open() (*LocalKMS, error) {
	if m.FromEnv() {
		cur, err := secrets.FromEnvOrFile("KABINET_MASTER_KEY", m.Env, "", "master key", 32)
		if err != nil {
			return nil, err
		}
		if m.EnvPrevious == "" {
			return NewLocalKMS(cur)
		}
		prev, err := secrets.FromEnvOrFile("KABINET_MASTER_KEY_PREVIOUS", m.EnvPrevious, "", "previous master key", 32)
		if err != nil {
			return nil, err
		}
		return NewLocalKMS(cur, prev)
	}
	cur, err := secrets.LoadOrCreate(filepath.Join(m.DataDir, MasterKeyFile), "master key", 32)
	if err != nil {
		return nil, err
	}
	next, err := secrets.Load(filepath.Join(m.DataDir, NextMasterKeyFile), "next master key", 32)
	if errors.Is(err, fs.ErrNotExist) {
		return NewLocalKMS(cur)
	}
	if err != nil {
		return nil, err
	}
	return NewLocalKMS(next, cur)
}

// BeginRotation returns the KMS a rotation re-wraps with: the environment's
// keys as they are (the operator set the new key and the previous one), or
// a new master.key.next (kept if an interrupted rotation left one) before
// master.key.
func (m MasterKeys) BeginRotation() (*LocalKMS, error) {
	if m.FromEnv() {
		return m.Open()
	}
	cur, err := secrets.Load(filepath.Join(m.DataDir, MasterKeyFile), "master key", 32)
	if err != nil {
		return nil, err
	}
	next, err := secrets.LoadOrCreate(filepath.Join(m.DataDir, NextMasterKeyFile), "next master key", 32)
	if err != nil {
		return nil, err
	}
	return NewLocalKMS(next, cur)
}

// FinishRotation makes the new key the only one, once every data key is
// wrapped under it: master.key.next replaces master.key. From the
// environment there is nothing to do here (drop KABINET_MASTER_KEY_PREVIOUS).
func (m MasterKeys) FinishRotation() error {
	if m.FromEnv() {
		return nil
	}
	next := filepath.Join(m.DataDir, NextMasterKeyFile)
	if err := os.Rename(next, filepath.Join(m.DataDir, MasterKeyFile)); err != nil {
		return fmt.Errorf("pii: install rotated master key: %w", err)
	}
	d, err := os.Open(m.DataDir)
	if err != nil {
		return fmt.Errorf("pii: sync data dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("pii: sync data dir: %w", err)
	}
	return nil
}
