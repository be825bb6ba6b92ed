package readapi

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/auth"
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

// cabinetKey names one encoded cabinet answer. cabinet.Reader hands out
// the same *View for as long as the document it decoded is unchanged in
// the read model (a changed document is a new *View), and an answer
// depends on nothing else than this key.
type cabinetKey struct {
	view   *cabinet.View
	today  domain.Date
	masked bool
	unread int
}

// writeCabinet answers the shared view v as presentCabinet would, from
// the encoded answers when it has this one.
func (s *Server) writeCabinet(w http.ResponseWriter, r *http.Request, id uuid.UUID, v *cabinet.View, unread int) {
	p, _ := principalOf(r)
	key := cabinetKey{view: v, today: s.today(), masked: p.Role != auth.RoleCitizen || p.AccountID != id, unread: unread}
	s.cabinets.write(w, key, func() any { return s.presentCabinet(r, id, v, unread) })
}
