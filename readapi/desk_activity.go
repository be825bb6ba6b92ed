package readapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/kabinet/kabinet/platform/httpx"
	"github.com/kabinet/kabinet/platform/journal"
)

// GET /v1/accounts/{id}/fines — owner: fines and debts from the registry,
// each with its payments (paid, refund_pending, refunded).
func (h *deskServer) listFines(w http.ResponseWriter, r *http.Request) {
	id, ok := h.accountParam(w, r)
	if !ok {
		return
	}
	items, err := h.d.Fines.Fines(r.Context(), id)
	writePage(w, r, items, "", err)
}

// activityItem is one journal entry as its account's citizen sees it:
// what was done, when and with what outcome; who, only as a role, unless
// it was the citizen (by_you). No actor ids, addresses or user agents of
// anyone else.
type activityItem struct {
	Seq       uint64    `json:"seq"`
	At        time.Time `json:"at"`
	Action    string    `json:"action"`
	Outcome   string    `json:"outcome"`
	Reason    string    `json:"reason,omitempty"`
	ActorRole string    `json:"actor_role"`
	ByYou     bool      `json:"by_you"`
	IP        string    `json:"ip,omitempty"`
	UserAgent string    `json:"user_agent,omitempty"`
}

// GET /v1/accounts/{id}/activity — owner: the account's journal entries
// (sign-ins, payments, actions), oldest first; ?cursor= is the next seq.
func (h *deskServer) activity(w http.ResponseWriter, r *http.Request) {
	id, ok := h.accountParam(w, r)
	if !ok {
		return
	}
	limit, cursor, ok := listing(w, r)
	if !ok {
		return
	}
	var from uint64
	if cursor != "" {
		var err error
		if from, err = strconv.ParseUint(cursor, 10, 64); err != nil {
			badCursor(w, r)
			return
		}
	}
	entries, err := h.d.Journal.Entries(r.Context(), journal.Filter{AccountID: id.String(), FromSeq: from, Limit: limit + 1})
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	next := ""
	if len(entries) > limit {
		entries = entries[:limit]
		next = strconv.FormatUint(entries[len(entries)-1].Seq+1, 10)
	}
	writePage(w, r, h.activityItems(id.String(), entries), next, nil)
}

// activityItems turns journal entries into what the citizen sees: one
// item per action. The write side's bookkeeping is left out, and the
// entries one command left on several streams (the account's and a
// claim's) are one item.
func (h *deskServer) activityItems(account string, entries []journal.Entry) []activityItem {
	items := make([]activityItem, 0, len(entries))
	seen := map[[3]string]bool{} // correlation, action, outcome
	for _, e := range entries {
		if h.d.Bookkeeping[e.Action] {
			continue
		}
		if e.CorrelationID != "" {
			k := [3]string{e.CorrelationID, e.Action, string(e.Outcome)}
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		mine := e.ActorID == account // a citizen acts as their account
		it := activityItem{Seq: e.Seq, At: e.At.UTC(), Action: e.Action, Outcome: string(e.Outcome), Reason: e.Reason,
			ActorRole: e.ActorRole, ByYou: mine}
		if mine {
			it.IP, it.UserAgent = e.IP, e.UserAgent
		}
		items = append(items, it)
	}
	return items
}
