package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/journal/proofcheck"
)

// auditRoutes mounts the auditors' pages: find a person, their history as
// a timeline with each event's proof checked, and their state at a moment.
func (s *Server) auditRoutes(r chi.Router) {
	r.Get("/staff/audit", s.auditSearch)
	r.Get("/staff/audit/{id}", s.auditTimeline)
}

// localMinute is the form of a datetime-local field; the pages read it as
// Moscow time.
const localMinute = "2006-01-02T15:04"

// auditSearch is the form that opens a person's timeline.
func (s *Server) auditSearch(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.staffPage(w, r)
	if !ok {
		return
	}
	v := s.newStaffView(r, sess)
	if sess.p.Role != auth.RoleAuditor {
		s.staffError(w, r, sess, http.StatusForbidden, "staff.forbidden")
		return
	}
	acc := strings.TrimSpace(r.URL.Query().Get("account"))
	if acc == "" {
		s.renderStaff(w, r, "staff_audit_search", http.StatusOK, v)
		return
	}
	id, err := uuid.Parse(acc)
	if err != nil {
		v.Form["account"] = acc
		v.Fields["account"] = messages[v.Lang]["staff.err.account_invalid"]
		v.Error = messages[v.Lang]["err.fix"]
		s.renderStaff(w, r, "staff_audit_search", http.StatusBadRequest, v)
		return
	}
	http.Redirect(w, r, "/staff/audit/"+id.String(), http.StatusSeeOther)
}

// timelineEvent is one event as the timeline shows it, with the outcome
// of its proof check: "verified", "pending" (not yet under a signed
// checkpoint) or "failed" with why.
type timelineEvent struct {
	Item    map[string]any
	Data    string
	Proof   string
	Failure string
}

// timelineData is what the timeline page shows.
type timelineData struct {
	Account    string
	Events     []timelineEvent
	Checkpoint string
	Size       uint64
	// CheckpointError says why the page's checkpoint did not verify.
	CheckpointError string
	Verified        int
	Pending         int
	Failed          int
	Next            string
	State           string // the state at the chosen moment, as JSON
	StateAt         string
}

func (s *Server) auditTimeline(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.staffPage(w, r)
	if !ok {
		return
	}
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		s.staffError(w, r, sess, http.StatusNotFound, "staff.err.account_invalid")
		return
	}
	q := url.Values{"proofs": {"true"}}
	if c := r.URL.Query().Get("cursor"); c != "" {
		q.Set("cursor", c)
	}
	a, ok := s.staffCall(w, r, sess, auth.RoleAuditor, http.MethodGet, "/v1/accounts/"+id.String()+"/history?"+q.Encode(), nil)
	if !ok {
		return
	}
	if a.Status != http.StatusOK {
		if a.Status == http.StatusNotFound {
			s.staffError(w, r, sess, http.StatusNotFound, "staff.err.no_account")
		} else {
			s.staffProblem(w, r, sess, a)
		}
		return
	}
	v := s.newStaffView(r, sess)
	d := timelineData{Account: id.String(), Next: str(a.Body, "next_cursor")}
	s.checkTimeline(&d, a, "account-"+id.String())

	status := http.StatusOK
	at, version := strings.TrimSpace(r.URL.Query().Get("at")), r.URL.Query().Get("version")
	v.Form["at"] = at
	if at != "" || version != "" {
		sq := url.Values{}
		if version != "" {
			sq.Set("version", version)
			d.StateAt = "v" + version
		} else if t, err := time.ParseInLocation(localMinute, at, moscow); err != nil {
			v.Fields["at"] = messages[v.Lang]["staff.err.at_invalid"]
		} else {
			sq.Set("at", t.Add(time.Minute-time.Nanosecond).UTC().Format(time.RFC3339Nano))
			d.StateAt = t.Format("02.01.2006 15:04") + " MSK"
		}
		if len(sq) > 0 {
			st := s.call(r, http.MethodGet, "/v1/accounts/"+id.String()+"/state?"+sq.Encode(), sess.token, nil)
			switch st.Status {
			case http.StatusOK:
				var pretty bytes.Buffer
				if json.Indent(&pretty, st.Raw, "", "  ") == nil {
					d.State = pretty.String()
				}
			case http.StatusNotFound:
				v.Fields["at"] = messages[v.Lang]["staff.err.no_state"]
			default:
				v.Fields["at"] = st.Problem().Detail
			}
		}
		if v.Fields["at"] != "" {
			status = http.StatusUnprocessableEntity
			v.Error = messages[v.Lang]["err.fix"]
		}
	}
	v.Data = d
	s.renderStaff(w, r, "staff_timeline", status, v)
}

// checkTimeline checks the page's checkpoint with the journal's verifier
// key and each event's proof under it, as kabinet history --verify does.
func (s *Server) checkTimeline(d *timelineData, a apiAnswer, stream string) {
	var page proofcheck.Page
	perr := json.Unmarshal(a.Raw, &page)
	items, _ := a.Body["items"].([]any)
	var root []byte
	d.Checkpoint = page.Checkpoint
	switch {
	case perr != nil:
		d.CheckpointError = perr.Error()
	case page.Checkpoint == "":
	default:
		var err error
		if d.Size, root, err = proofcheck.Checkpoint(page.Checkpoint, s.cfg.Staff.JournalKey); err != nil {
			d.CheckpointError = err.Error()
		}
	}
	for i, raw := range items {
		m, _ := raw.(map[string]any)
		ev := timelineEvent{Item: m}
		if data, err := json.MarshalIndent(m["data"], "", "  "); err == nil {
			ev.Data = string(data)
		}
		switch {
		case perr != nil || i >= len(page.Items):
			ev.Proof, ev.Failure = "failed", "unreadable"
		case d.CheckpointError != "":
			ev.Proof, ev.Failure = "failed", d.CheckpointError
		default:
			proven, err := proofcheck.CheckEvent(page.Items[i], root, d.Size, stream)
			switch {
			case err != nil:
				ev.Proof, ev.Failure = "failed", err.Error()
			case proven:
				ev.Proof = "verified"
			default:
				ev.Proof = "pending"
			}
		}
		switch ev.Proof {
		case "verified":
			d.Verified++
		case "pending":
			d.Pending++
		default:
			d.Failed++
		}
		d.Events = append(d.Events, ev)
	}
}
