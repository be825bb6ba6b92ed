package domain

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Level is an account's level (docs/DOMAIN.md §1). It is never stored: it is
// derived from the state by DeriveLevel. The zero value is no level yet.
type Level struct {
	s string
}

var (
	// LevelNone is an account with no confirmed contact yet.
	LevelNone = Level{}
	// LevelSimplified: registered with at least one confirmed contact.
	LevelSimplified = Level{"simplified"}
	// LevelStandard: plus personal data, an identity document and SNILS.
	LevelStandard = Level{"standard"}
	// LevelConfirmed: plus verified identity and a valid stay-right document.
	LevelConfirmed = Level{"confirmed"}
)

// levels is every level from lowest to highest.
var levels = []Level{LevelNone, LevelSimplified, LevelStandard, LevelConfirmed}

// LevelFromString parses "", "simplified", "standard" or "confirmed".
func LevelFromString(s string) (Level, error) {
	for _, l := range levels {
		if l.s == s {
			return l, nil
		}
	}
	return Level{}, fmt.Errorf("domain: unknown account level %q", s)
}

// IsZero reports whether l is no level.
func (l Level) IsZero() bool { return l == Level{} }

// String returns the level's wire name ("" for none).
func (l Level) String() string { return l.s }

// AtLeast reports whether l opens everything that other opens.
func (l Level) AtLeast(other Level) bool { return l.rank() >= other.rank() }

func (l Level) rank() int {
	for i, x := range levels {
		if x == l {
			return i
		}
	}
	return -1
}

// MarshalText writes the level's wire name.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.s), nil }

// UnmarshalText reads a wire name, refusing unknown ones.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := LevelFromString(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// AccountState is a snapshot of an account for read models and the API. It
// never carries code hashes: a snapshot may be shown, cached or logged. It
// does carry the full SNILS and INN, for the owner and the auditor; other
// views mask them. Surname, GivenNames, Patronymic and Citizenship follow
// the latest personal data once there is any.
type AccountState struct {
	AccountID    uuid.UUID      `json:"account_id"`
	Version      int64          `json:"version"`
	Surname      string         `json:"surname"`
	GivenNames   string         `json:"given_names"`
	Patronymic   string         `json:"patronymic"`
	Citizenship  string         `json:"citizenship"`
	Level        Level          `json:"level"`
	Contacts     []ContactState `json:"contacts"`
	RegisteredAt time.Time      `json:"registered_at"`
	// Consent is the personal data consent; nil for accounts registered
	// before it was asked.
	Consent      *ConsentState      `json:"consent,omitempty"`
	Applications []ApplicationState `json:"applications"`
	IdentityState
}

// ContactState is one contact in an AccountState. PendingCodeExpiresAt is set
// while a code awaits entry; LockedUntil after the attempts ran out (it may
// lie in the past: the reader compares it with its own clock).
type ContactState struct {
	Channel              Channel    `json:"channel"`
	Value                string     `json:"value"`
	Confirmed            bool       `json:"confirmed"`
	PendingCodeExpiresAt *time.Time `json:"pending_code_expires_at,omitempty"`
	AttemptsLeft         int        `json:"attempts_left"`
	LockedUntil          *time.Time `json:"locked_until,omitempty"`
}

// State returns the account's snapshot, including changes not yet saved;
// Version is the version its last event will have once saved.
func (a *ForeignerAccount) State() AccountState {
	s := AccountState{
		AccountID:    a.id,
		Version:      a.version + int64(len(a.changes)),
		Surname:      a.surname,
		GivenNames:   a.givenNames,
		Patronymic:   a.patronymic,
		Citizenship:  a.citizenship,
		Contacts:     []ContactState{},
		RegisteredAt: a.registeredAt,
	}
	for _, ch := range channels {
		for _, c := range a.contacts {
			if c.channel != ch || c.removed {
				continue
			}
			cs := ContactState{Channel: ch, Value: c.value, Confirmed: c.confirmed, AttemptsLeft: c.attemptsLeft}
			if c.codeHash != "" {
				cs.PendingCodeExpiresAt = timePtr(c.codeExpiresAt)
			}
			if !c.lockedUntil.IsZero() {
				cs.LockedUntil = timePtr(c.lockedUntil)
			}
			s.Contacts = append(s.Contacts, cs)
		}
	}
	s.Consent = a.consent.state()
	s.IdentityState = a.identity.state()
	if pd := s.PersonalData; pd != nil {
		// The personal data is the newer word on names and citizenship.
		s.Surname, s.GivenNames, s.Patronymic, s.Citizenship = pd.Surname, pd.GivenNames, pd.Patronymic, pd.Citizenship
	}
	s.Applications = a.Applications()
	s.Level = DeriveLevel(s)
	return s
}

// DeriveLevel computes the level a state has earned (docs/DOMAIN.md §1):
// simplified with a confirmed contact; standard with, besides, personal
// data, an identity document not marked expired and a linked SNILS;
// confirmed with, besides, a verified identity (not reset since) and a
// stay-right document not marked expired. It drops as soon as a basis goes.
func DeriveLevel(s AccountState) Level {
	for _, c := range s.Contacts {
		if c.Confirmed {
			return s.IdentityState.levelAboveSimplified()
		}
	}
	return LevelNone
}

func timePtr(t time.Time) *time.Time { return &t }
