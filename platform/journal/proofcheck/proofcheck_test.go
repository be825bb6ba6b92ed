package proofcheck

import (
	"crypto/rand"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

func TestCheckpointRefusesABadKeyAndAnUnsignedNote(t *testing.T) {
	if _, _, err := Checkpoint("x", "not a key"); err == nil || !strings.Contains(err.Error(), "verifier key") {
		t.Fatalf("a malformed key: %v", err)
	}
	_, vkey, err := note.GenerateKey(rand.Reader, "kabinet.test/journal")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Checkpoint("kabinet.test/journal\n1\nAAAA\n", vkey); err == nil {
		t.Fatal("an unsigned checkpoint verified")
	}
}

func TestCheckEventRefusesAnEventWithoutItsProof(t *testing.T) {
	if _, err := CheckEvent(Event{Position: 1}, nil, 0, ""); err == nil {
		t.Fatal("an event without its stored form and hash passed")
	}
}

func TestHistoryRefusesAnEmptyInput(t *testing.T) {
	_, vkey, err := note.GenerateKey(rand.Reader, "kabinet.test/journal")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := History(strings.NewReader(""), vkey, ""); err == nil {
		t.Fatal("no page checked as a history")
	}
}
