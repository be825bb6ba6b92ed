package pii

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kabinet/kabinet/domain"
)

// SealedField is the JSON member that carries an event's personal fields,
// encrypted: "v1:", the names of the fields taken out (comma-separated,
// sorted), ":", then standard base64 of nonce ‖ AES-256-GCM ciphertext of a
// JSON object of those fields. Its additional data binds it to the account,
// the event type, the part (data or metadata) and the names.
const (
	SealedField = "pii"
	sealedV1    = "v1:"
)

// Codec encrypts and decrypts the personal fields of events with their
// account's data key.
type Codec struct {
	keys   *Keyring
	opened openedEvents
}

// NewCodec builds a codec over a keyring.
func NewCodec(keys *Keyring) *Codec {
	if keys == nil {
		panic("pii.NewCodec: nil keyring")
	}
	return &Codec{keys: keys}
}

// Keys is the codec's keyring.
func (c *Codec) Keys() *Keyring { return c.keys }

// Part names what is sealed, in the additional data.
type Part string

// The two parts of an event that carry personal fields.
const (
	Data     Part = "data"
	Metadata Part = "metadata"
)

// Fields returns the personal fields of part for an event of type typ.
func Fields(typ string, part Part) []string {
	if part == Metadata {
		return domain.PersonalMetadata()
	}
	return domain.PersonalFields(typ)
}

func sealAAD(account, typ string, part Part, names string) []byte {
	return []byte("kabinet pii v1\x00" + account + "\x00" + typ + "\x00" + string(part) + "\x00" + names)
}

// Seal takes the personal fields of a JSON object out and puts them back
// encrypted under the account's key (created on first use). A payload
// without personal fields, or that is not a JSON object, is returned as is.
func (c *Codec) Seal(ctx context.Context, account, typ string, part Part, raw []byte) ([]byte, error) {
	obj, ok := object(raw)
	if !ok {
		return raw, nil
	}
	if _, sealed := obj[SealedField]; sealed {
		return nil, fmt.Errorf("pii: seal %s %s: payload already has a %q member", typ, part, SealedField)
	}
	personal := map[string]json.RawMessage{}
	var names []string
	for _, f := range Fields(typ, part) {
		if v, ok := obj[f]; ok {
			personal[f] = v
			names = append(names, f)
			delete(obj, f)
		}
	}
	sort.Strings(names)
	if len(personal) == 0 {
		return raw, nil
	}
	aead, _, err := c.keys.aead(ctx, account, true)
	if err != nil {
		return nil, fmt.Errorf("pii: seal %s: %w", typ, err)
	}
	plain, err := json.Marshal(personal)
	if err != nil {
		return nil, fmt.Errorf("pii: seal %s: %w", typ, err)
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("pii: seal: nonce: %w", err)
	}
	list := strings.Join(names, ",")
	ct := aead.Seal(nonce, nonce, plain, sealAAD(account, typ, part, list))
	obj[SealedField], _ = json.Marshal(sealedV1 + list + ":" + base64.StdEncoding.EncodeToString(ct))
	return json.Marshal(obj)
}

// Opened is a payload with its personal fields restored, or without them
// when the key was erased (Erased lists the fields that were taken out).
type Opened struct {
	Raw    []byte
	Erased []string
}

// Open restores the personal fields of a payload Seal made. A payload
// without a sealed member (written before encryption, or with nothing
// personal) is returned as is. When the account's key was erased the
// sealed member is dropped and Erased names the fields it held.
func (c *Codec) Open(ctx context.Context, account, typ string, part Part, raw []byte) (Opened, error) {
	return c.open(&keyOf{keys: c.keys, ctx: ctx, account: account}, typ, part, raw)
}

// mayBeSealed tells whether raw can hold a sealed member at all.
func mayBeSealed(raw []byte) bool { return bytes.Contains(raw, []byte(`"`+SealedField+`"`)) }

// keyOf looks the account's data key up once, when first needed, for the
// parts of one event.
type keyOf struct {
	keys    *Keyring
	ctx     context.Context
	account string

	looked bool
	dk     *dataKey
	ok     bool
	err    error
}

func (k *keyOf) get() (*dataKey, bool, error) {
	if !k.looked {
		k.dk, k.ok, k.err = k.keys.dataKey(k.ctx, k.account, false)
		k.looked = true
	}
	return k.dk, k.ok, k.err
}

func (c *Codec) open(key *keyOf, typ string, part Part, raw []byte) (Opened, error) {
	if !mayBeSealed(raw) {
		return Opened{Raw: raw}, nil
	}
	start, end, sealed, ok := sealedMember(raw)
	if !ok || !strings.HasPrefix(sealed, sealedV1) {
		return Opened{Raw: raw}, nil
	}
	list, ct, ok := strings.Cut(strings.TrimPrefix(sealed, sealedV1), ":")
	if !ok {
		return Opened{}, fmt.Errorf("pii: open %s: malformed %q member", typ, SealedField)
	}
	dk, ok, err := key.get()
	if errors.Is(err, ErrErased) {
		return erasedOpen(raw, list)
	}
	if err != nil {
		return Opened{}, fmt.Errorf("pii: open %s: %w", typ, err)
	}
	if !ok {
		return Opened{}, fmt.Errorf("pii: open %s: account %s has no data key", typ, key.account)
	}
	plain, err := decrypt(dk.aead, ct, sealAAD(key.account, typ, part, list))
	if err != nil {
		return Opened{}, fmt.Errorf("pii: open %s of %s: %w", typ, key.account, err)
	}
	// The sealed member's place takes the members it held: the plaintext
	// is a JSON object Seal wrote, so its inside is a list of members.
	inner := bytes.TrimSpace(plain)
	if len(inner) < 2 || inner[0] != '{' || inner[len(inner)-1] != '}' {
		return Opened{}, fmt.Errorf("pii: open %s: sealed fields are not an object", typ)
	}
	out := make([]byte, 0, len(raw)-(end-start)+len(inner))
	out = append(append(append(out, raw[:start]...), inner[1:len(inner)-1]...), raw[end:]...)
	return Opened{Raw: out}, nil
}

// erasedOpen drops the sealed member of an erased account's payload.
func erasedOpen(raw []byte, list string) (Opened, error) {
	obj, ok := object(raw)
	if !ok {
		return Opened{}, errors.New("pii: open: sealed payload is not an object")
	}
	delete(obj, SealedField)
	out, err := json.Marshal(obj)
	return Opened{Raw: out, Erased: strings.Split(list, ",")}, err
}

func decrypt(aead cipher.AEAD, b64 string, ad []byte) ([]byte, error) {
	ct, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("sealed fields: %w", err)
	}
	if len(ct) < aead.NonceSize()+aead.Overhead() {
		return nil, errors.New("sealed fields too short")
	}
	plain, err := aead.Open(nil, ct[:aead.NonceSize()], ct[aead.NonceSize():], ad)
	if err != nil {
		return nil, fmt.Errorf("sealed fields do not authenticate: %w", err)
	}
	return plain, nil
}

// ShowErased marks, in a JSON object about to be shown, each erased field
// as "[erased]" (histories, docs/DOMAIN.md §11), replacing whatever zero value
// decoding left there.
func ShowErased(raw []byte, erased []string) ([]byte, error) {
	if len(erased) == 0 {
		return raw, nil
	}
	obj, ok := object(raw)
	if !ok {
		return raw, nil
	}
	mark, _ := json.Marshal(domain.Erased)
	for _, f := range erased {
		obj[f] = mark
	}
	return json.Marshal(obj)
}

// object decodes a JSON object, reporting false for anything else.
func object(raw []byte) (map[string]json.RawMessage, bool) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || t[0] != '{' {
		return nil, false
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(t, &obj) != nil {
		return nil, false
	}
	return obj, true
}
