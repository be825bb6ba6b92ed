package domain

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Event is a past-tense fact in an account's stream. EventType is the Go
// type's name, which is also the name in the store and in the API.
type Event interface {
	EventType() string
}

// AccountRegistered records that a foreign citizen registered with a name,
// citizenship and at least one contact (normalised; either may be empty).
type AccountRegistered struct {
	AccountID   uuid.UUID `json:"account_id"`
	Surname     string    `json:"surname"`
	GivenNames  string    `json:"given_names"`
	Patronymic  string    `json:"patronymic,omitempty"`
	Citizenship string    `json:"citizenship"`
	Phone       string    `json:"phone,omitempty"`
	Email       string    `json:"email,omitempty"`
	OccurredAt  time.Time `json:"occurred_at"`
}

// ContactConfirmationRequested records that a one-time code was issued for a
// contact; it voids any earlier code. It restores the attempts only after a
// lock has ended (the counter belongs to the contact, not to a code). Only
// the code's hash is kept.
type ContactConfirmationRequested struct {
	Channel     Channel   `json:"channel"`
	Value       string    `json:"value"`
	CodeHash    string    `json:"code_hash"`
	ExpiresAt   time.Time `json:"expires_at"`
	ResendAfter time.Time `json:"resend_after"`
	OccurredAt  time.Time `json:"occurred_at"`
}

// ContactConfirmationFailed records that a wrong code was entered for a
// contact. Value is empty in events stored before an account could hold
// two contacts on one channel: they name the channel's only contact.
type ContactConfirmationFailed struct {
	Channel      Channel   `json:"channel"`
	Value        string    `json:"value,omitempty"`
	AttemptsLeft int       `json:"attempts_left"`
	OccurredAt   time.Time `json:"occurred_at"`
}

// ContactConfirmationLocked records that the attempts ran out: the pending
// code is void and no code may be requested or entered for the contact until
// Until. Value is empty in older events, as in ContactConfirmationFailed.
type ContactConfirmationLocked struct {
	Channel    Channel   `json:"channel"`
	Value      string    `json:"value,omitempty"`
	Until      time.Time `json:"until"`
	OccurredAt time.Time `json:"occurred_at"`
}

// ContactConfirmed records that the citizen proved they hold the contact.
type ContactConfirmed struct {
	Channel    Channel   `json:"channel"`
	Value      string    `json:"value"`
	OccurredAt time.Time `json:"occurred_at"`
}

// ContactAdded records another phone or email added after registration,
// not yet confirmed; Replaces, when set, is the value of the contact on the
// same channel that its confirmation removes.
type ContactAdded struct {
	Channel    Channel   `json:"channel"`
	Value      string    `json:"value"`
	Replaces   string    `json:"replaces,omitempty"`
	OccurredAt time.Time `json:"occurred_at"`
}

// ContactRemoved records that a contact left the account; WasConfirmed
// says whether its claim across accounts is to be released.
type ContactRemoved struct {
	Channel      Channel   `json:"channel"`
	Value        string    `json:"value"`
	WasConfirmed bool      `json:"was_confirmed"`
	OccurredAt   time.Time `json:"occurred_at"`
}

// EventType implements Event.
func (AccountRegistered) EventType() string { return "AccountRegistered" }

// EventType implements Event.
func (ContactAdded) EventType() string { return "ContactAdded" }

// EventType implements Event.
func (ContactRemoved) EventType() string { return "ContactRemoved" }

// EventType implements Event.
func (ContactConfirmationRequested) EventType() string { return "ContactConfirmationRequested" }

// EventType implements Event.
func (ContactConfirmationFailed) EventType() string { return "ContactConfirmationFailed" }

// EventType implements Event.
func (ContactConfirmationLocked) EventType() string { return "ContactConfirmationLocked" }

// EventType implements Event.
func (ContactConfirmed) EventType() string { return "ContactConfirmed" }

func (e AccountRegistered) occurredAt() time.Time            { return e.OccurredAt }
func (e ContactConfirmationRequested) occurredAt() time.Time { return e.OccurredAt }
func (e ContactConfirmationFailed) occurredAt() time.Time    { return e.OccurredAt }
func (e ContactConfirmationLocked) occurredAt() time.Time    { return e.OccurredAt }
func (e ContactConfirmed) occurredAt() time.Time             { return e.OccurredAt }
func (e ContactAdded) occurredAt() time.Time                 { return e.OccurredAt }
func (e ContactRemoved) occurredAt() time.Time               { return e.OccurredAt }

// EventTime returns when e occurred (its occurred_at), or the zero time for an
// event that does not carry one.
func EventTime(e Event) time.Time {
	if t, ok := e.(interface{ occurredAt() time.Time }); ok {
		return t.occurredAt()
	}
	return time.Time{}
}

// knownEvents holds every event type and its current schema version.
// Adding an event: one line here and its case in Account.apply.
var knownEvents = newEventRegistry(
	slices.Concat(accountEventTypes, identityEventTypes, applicationEventTypes, closureEventTypes, signinEventTypes, deskEventTypes),
	upcasters,
)

// accountEventTypes are registration and contact events.
var accountEventTypes = []eventType{
	typeOf[AccountRegistered](1),
	typeOf[ContactConfirmationRequested](2),
	typeOf[ContactConfirmationFailed](1),
	typeOf[ContactConfirmationLocked](1),
	typeOf[ContactConfirmed](1),
	typeOf[ContactAdded](1),
	typeOf[ContactRemoved](1),
	typeOf[ConsentGiven](1),
	typeOf[ConsentWithdrawn](1),
}

// upcasters lift a stored payload one version up. When an event moves to
// v2, bump its version in its list and add
//
//	{"ContactConfirmed", 1}: func(v1 []byte) ([]byte, error) { … return v2, nil },
//
// so payloads stored as v1 still decode into today's struct.
var upcasters = map[upcastKey]upcaster{
	{"ContactConfirmationRequested", 1}: upcastCodeHashAlg,
}

// upcastCodeHashAlg lifts ContactConfirmationRequested v1, whose code_hash
// was bare hex, to v2, where the hash names its algorithm.
func upcastCodeHashAlg(v1 []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(v1, &m); err != nil {
		return nil, fmt.Errorf("upcast ContactConfirmationRequested v1: %w", err)
	}
	var h string
	if err := json.Unmarshal(m["code_hash"], &h); err != nil {
		return nil, fmt.Errorf("upcast ContactConfirmationRequested v1 code_hash: %w", err)
	}
	if !strings.HasPrefix(h, CodeHashAlg) {
		h = CodeHashAlg + h
	}
	b, _ := json.Marshal(h)
	m["code_hash"] = b
	return json.Marshal(m)
}

// EncodeEvent serialises e for the store: its type name, current schema
// version and JSON payload. An unregistered event type is an error.
func EncodeEvent(e Event) (typ string, schemaVersion int, data []byte, err error) {
	return knownEvents.encode(e)
}

// DecodeEvent rebuilds an event from the store, upcasting a payload written
// under an older schema version to the current one first. An unknown type,
// a version from the future or a missing upcaster is an error.
func DecodeEvent(typ string, schemaVersion int, data []byte) (Event, error) {
	return knownEvents.decode(typ, schemaVersion, data)
}

// EventTypes lists every registered event type name, sorted; subscribers use
// it to know what the domain can emit.
func EventTypes() []string {
	names := make([]string, 0, len(knownEvents.types))
	for n := range knownEvents.types {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

type upcaster func(data []byte) ([]byte, error)

type upcastKey struct {
	typ         string
	fromVersion int
}

type eventType struct {
	name    string
	goType  reflect.Type
	version int
	decode  func([]byte) (Event, error)
}

// typeOf registers E under its own EventType name, so the name in the
// registry cannot drift from the Go type.
func typeOf[E Event](version int) eventType {
	var zero E
	return eventType{
		name:    zero.EventType(),
		goType:  reflect.TypeOf(zero),
		version: version,
		decode: func(b []byte) (Event, error) {
			var e E
			if err := json.Unmarshal(b, &e); err != nil {
				return nil, err
			}
			return e, nil
		},
	}
}

type eventRegistry struct {
	types     map[string]eventType
	upcasters map[upcastKey]upcaster
}

func newEventRegistry(types []eventType, ups map[upcastKey]upcaster) eventRegistry {
	r := eventRegistry{types: make(map[string]eventType, len(types)), upcasters: ups}
	for _, t := range types {
		r.types[t.name] = t
	}
	return r
}

func (r eventRegistry) encode(e Event) (string, int, []byte, error) {
	if e == nil {
		return "", 0, nil, fmt.Errorf("domain: encode: nil event")
	}
	t, ok := r.types[e.EventType()]
	if !ok {
		return "", 0, nil, fmt.Errorf("domain: encode: unknown event type %q", e.EventType())
	}
	if got := reflect.TypeOf(e); got != t.goType {
		// A pointer would encode alike but never match apply's value cases.
		return "", 0, nil, fmt.Errorf("domain: encode: %s must be passed as %s, got %s", t.name, t.goType, got)
	}
	data, err := json.Marshal(e)
	if err != nil {
		return "", 0, nil, fmt.Errorf("domain: encode %s: %w", t.name, err)
	}
	return t.name, t.version, data, nil
}

func (r eventRegistry) decode(typ string, version int, data []byte) (Event, error) {
	t, ok := r.types[typ]
	if !ok {
		return nil, fmt.Errorf("domain: decode: unknown event type %q", typ)
	}
	if version < 1 || version > t.version {
		return nil, fmt.Errorf("domain: decode %s: schema version %d not in 1..%d", typ, version, t.version)
	}
	for v := version; v < t.version; v++ {
		up, ok := r.upcasters[upcastKey{typ, v}]
		if !ok {
			return nil, fmt.Errorf("domain: decode %s: no upcaster from schema version %d", typ, v)
		}
		var err error
		if data, err = up(data); err != nil {
			return nil, fmt.Errorf("domain: decode %s: upcast from v%d: %w", typ, v, err)
		}
	}
	e, err := t.decode(data)
	if err != nil {
		return nil, fmt.Errorf("domain: decode %s v%d: %w", typ, t.version, err)
	}
	return e, nil
}
