package readapi

import (
	"encoding/json"
	"net/http"
	"sync"

	"github.com/kabinet/kabinet/platform/httpx"
)

// encodedMax bounds how many answers an encodedAnswers keeps.
const encodedMax = 4096

// encodedAnswers keeps encoded 200 answers by a key that determines the
// whole answer (a shared, never changed view of the read model, with what
// else the answer depends on), so each is encoded once. Bounded by
// encodedMax; emptied when full.
type encodedAnswers[K comparable] struct {
	mu  sync.Mutex
	got map[K][]byte
}

// write answers 200 with key's encoded answer, encoding present() the
// first time.
func (e *encodedAnswers[K]) write(w http.ResponseWriter, key K, present func() any) {
	e.mu.Lock()
	body, ok := e.got[key]
	e.mu.Unlock()
	if !ok {
		v := present()
		var err error
		if body, err = json.Marshal(v); err != nil {
			httpx.WriteJSON(w, http.StatusOK, v) // answers the failure
			return
		}
		body = append(body, '\n')
		e.mu.Lock()
		if e.got == nil || len(e.got) >= encodedMax {
			e.got = make(map[K][]byte)
		}
		e.got[key] = body
		e.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(body) //nolint:errcheck // the client is gone; nothing to do
}
