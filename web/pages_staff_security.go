package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/journal/proofcheck"
)

// securityRoutes mounts the security team's pages: the journal with its
// filters and the latest checkpoint, and the journal's verification.
func (s *Server) securityRoutes(r chi.Router) {
	r.Get("/staff/journal", s.journalPage)
	r.Get("/staff/journal/verify", s.journalVerify)
}

// journalFilters are the journal page's filters, passed to GET /v1/journal
// as they are (from and to are read as Moscow time).
var journalFilters = []string{"account_id", "actor_id", "action", "outcome", "from", "to"}

// journalOutcomes are the outcomes an entry may have.
var journalOutcomes = []string{"done", "refused", "denied"}

// journalData is what the journal page shows.
type journalData struct {
	Items      []any
	Next       string
	Outcomes   []string
	Checkpoint string
	Size       uint64
	// Signed says whether the checkpoint's signature verified with the
	// journal's verifier key; CheckpointError why not.
	Signed          bool
	CheckpointError string
}

func (s *Server) journalPage(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.staffPage(w, r)
	if !ok {
		return
	}
	v := s.newStaffView(r, sess)
	q := url.Values{}
	for _, f := range journalFilters {
		val := strings.TrimSpace(r.URL.Query().Get(f))
		v.Form[f] = val
		if val == "" {
			continue
		}
		if f == "from" || f == "to" {
			t, err := time.ParseInLocation(localMinute, val, moscow)
			if err != nil {
				v.Fields[f] = messages[v.Lang]["staff.err.at_invalid"]
				continue
			}
			val = t.UTC().Format(time.RFC3339)
		}
		q.Set(f, val)
	}
	if c := r.URL.Query().Get("cursor"); c != "" {
		q.Set("cursor", c)
	}
	a, ok := s.staffCall(w, r, sess, auth.RoleSecurity, http.MethodGet, "/v1/journal?"+q.Encode(), nil)
	if !ok {
		return
	}
	d := journalData{Outcomes: journalOutcomes}
	status := http.StatusOK
	if a.Status != http.StatusOK {
		status = statusOf(a)
		v.Error = a.Problem().Detail
		if p := a.Problem(); p.Detail == "" {
			v.Error = messages[v.Lang]["err.generic"]
		}
	} else {
		d.Items, _ = a.Body["items"].([]any)
		if next := str(a.Body, "next_cursor"); next != "" {
			q.Set("cursor", next)
			for _, f := range []string{"from", "to"} { // the page's own form of the filters
				if v.Form[f] != "" {
					q.Set(f, v.Form[f])
				}
			}
			d.Next = q.Encode()
		}
	}
	if len(v.Fields) > 0 {
		status = http.StatusBadRequest
		v.Error = messages[v.Lang]["err.fix"]
	}
	cp := s.call(r, http.MethodGet, "/v1/journal/checkpoint", "", nil)
	if cp.Status == http.StatusOK {
		d.Checkpoint = string(cp.Raw)
		var err error
		if d.Size, _, err = proofcheck.Checkpoint(d.Checkpoint, s.cfg.Staff.JournalKey); err != nil {
			d.CheckpointError = err.Error()
		} else {
			d.Signed = true
		}
	}
	v.Data = d
	s.renderStaff(w, r, "staff_journal", status, v)
}

func (s *Server) journalVerify(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.staffPage(w, r)
	if !ok {
		return
	}
	a, ok := s.staffCall(w, r, sess, auth.RoleSecurity, http.MethodGet, "/v1/journal/verify", nil)
	if !ok {
		return
	}
	if a.Status != http.StatusOK {
		s.staffProblem(w, r, sess, a)
		return
	}
	v := s.newStaffView(r, sess)
	v.Data = a.Body
	s.renderStaff(w, r, "staff_verify", http.StatusOK, v)
}
