package readapi

import (
	"encoding/json"
	"net/http"
	"sync"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/httpx"
	"github.com/kabinet/kabinet/platform/observability"
	"github.com/kabinet/kabinet/projections/cabinet"
)

// presentCabinet is the cabinet as this reader sees it today: documents
// past their expiry count as expired, SNILS and INN are masked for
// everyone but the owner (docs/DOMAIN.md §5), and the unread notifications come
// from the notifications read model (reading one is not an event, so the
// cabinet projection cannot count them).
func (s *Server) presentCabinet(r *http.Request, id uuid.UUID, v *cabinet.View, unread int) cabinet.View {
	out := v.AsOf(s.today())
	if p, _ := principalOf(r); p.Role != auth.RoleCitizen || p.AccountID != id {
		out = out.Masked()
	}
	if unread < 0 {
		var err error
		if unread, err = s.notes.Unread(r.Context(), id); err != nil {
			observability.LoggerFrom(r.Context()).Warn("unread notifications unavailable", "err", err)
		}
	}
	out.UnreadNotifications = unread
	return out
}

// encodedCabinets keeps the encoded answers of cabinet views shared by
// cabinet.Reader, which hands out the same *View for as long as the
// document it decoded is unchanged in the read model (a changed document
// is a new *View). An answer depends on nothing else than its key, so it
// is encoded once per view, day, masking and unread count. Bounded by
// encodedMax; emptied when full.
type encodedCabinets struct {
	mu  sync.Mutex
	got map[encodedKey][]byte
}

const encodedMax = 4096

type encodedKey struct {
	view   *cabinet.View
	today  domain.Date
	masked bool
	unread int
}

// writeCabinet answers the shared view v as presentCabinet would, from
// the encoded answers when it has this one.
func (s *Server) writeCabinet(w http.ResponseWriter, r *http.Request, id uuid.UUID, v *cabinet.View, unread int) {
	p, _ := principalOf(r)
	key := encodedKey{view: v, today: s.today(), masked: p.Role != auth.RoleCitizen || p.AccountID != id, unread: unread}
	s.encoded.mu.Lock()
	body, ok := s.encoded.got[key]
	s.encoded.mu.Unlock()
	if !ok {
		var err error
		if body, err = json.Marshal(s.presentCabinet(r, id, v, unread)); err != nil {
			httpx.WriteJSON(w, http.StatusOK, s.presentCabinet(r, id, v, unread)) // answers the failure
			return
		}
		body = append(body, '\n')
		s.encoded.mu.Lock()
		if s.encoded.got == nil || len(s.encoded.got) >= encodedMax {
			s.encoded.got = make(map[encodedKey][]byte)
		}
		s.encoded.got[key] = body
		s.encoded.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(body) //nolint:errcheck // the client is gone; nothing to do
}
