package journal

import (
	"crypto/sha256"
	"slices"
	"strings"
	"sync"
)

// listMemo remembers the last lists of accounts entries named: their stored
// form with its set id, and their array in the leaf. A page of the operator
// queue read again and again names the same people in the same order, and
// sorting, hashing and escaping them anew was a fifth of the journal
// writer's work per entry. What it answers is what accountList and
// appendAccountList compute, only once per list.
type listMemo struct {
	mu     sync.Mutex
	stored map[string]storedList // ids as given, joined by commas → stored form
	leaf   map[string][]byte     // stored form → the leaf's "account_ids" member
}

// storedList is a list's stored form and set id.
type storedList struct {
	list string
	set  []byte
}

// listMemoLimit bounds each map; a full one starts again empty.
const listMemoLimit = 256

var lists listMemo

// accountList returns the stored form of ids, which CheckAccounts passed
// (sorted, each once, joined by commas), and its set id; "" and nil for
// none.
func accountList(ids []string) (string, []byte) {
	if len(ids) == 0 {
		return "", nil
	}
	key := strings.Join(ids, ",") // CheckAccounts refused ids with commas
	lists.mu.Lock()
	s, ok := lists.stored[key]
	lists.mu.Unlock()
	if ok {
		return s.list, s.set
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	list := strings.Join(slices.Compact(sorted), ",")
	sum := sha256.Sum256([]byte(list))
	lists.mu.Lock()
	if lists.stored == nil || len(lists.stored) >= listMemoLimit {
		lists.stored = make(map[string]storedList)
	}
	lists.stored[key] = storedList{list: list, set: sum[:]}
	lists.mu.Unlock()
	return list, sum[:]
}

// appendAccountList appends the leaf's "account_ids" array of a stored list.
func appendAccountList[T text](b []byte, list T) []byte {
	lists.mu.Lock()
	member, ok := lists.leaf[string(list)]
	lists.mu.Unlock()
	if ok {
		return append(b, member...)
	}
	start := len(b)
	b = encodeAccountList(b, list)
	lists.mu.Lock()
	if lists.leaf == nil || len(lists.leaf) >= listMemoLimit {
		lists.leaf = make(map[string][]byte)
	}
	lists.leaf[string(list)] = slices.Clone(b[start:])
	lists.mu.Unlock()
	return b
}

// encodeAccountList is what appendAccountList appends, computed.
func encodeAccountList[T text](b []byte, list T) []byte {
	b = append(b, `,"account_ids":[`...)
	start := 0
	for i := 0; i <= len(list); i++ {
		if i < len(list) && list[i] != ',' {
			continue
		}
		if start > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, list[start:i])
		start = i + 1
	}
	return append(b, ']')
}
