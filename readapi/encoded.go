package readapi

import (
	"encoding/json"
	"net/http"
	"sync"

	"github.com/kabinet/kabinet/platform/httpx"
)

// encodedMax bounds how many answers an encodedAnswers keeps.
const encodedMax = 4096

// bounded is a map of at most max values, emptied when full: for answers
// whose keys go out of use (a passed position, a replaced view) and are
// never asked again. Safe for concurrent use.
type bounded[K comparable, V any] struct {
	mu  sync.Mutex
	got map[K]V
}

func (b *bounded[K, V]) get(k K) (V, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.got[k]
	return v, ok
}

func (b *bounded[K, V]) put(k K, v V, max int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.got == nil || len(b.got) >= max {
		b.got = make(map[K]V)
	}
	b.got[k] = v
}

// encodedAnswers keeps encoded 200 answers by a key that determines the
// whole answer (a shared, never changed view of the read model, with what
// else the answer depends on), so each is encoded once. Bounded by
// encodedMax.
type encodedAnswers[K comparable] struct{ bounded[K, []byte] }

// write answers 200 with key's encoded answer, encoding present() the
// first time.
func (e *encodedAnswers[K]) write(w http.ResponseWriter, key K, present func() any) {
	body, ok := e.get(key)
	if !ok {
		v := present()
		var err error
		if body, err = json.Marshal(v); err != nil {
			httpx.WriteJSON(w, http.StatusOK, v) // answers the failure
			return
		}
		body = append(body, '\n')
		e.put(key, body, encodedMax)
	}
	httpx.WriteEncodedJSON(w, body)
}
