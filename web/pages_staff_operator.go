package web

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/kabinet/kabinet/platform/auth"
)

// operatorRoutes mounts the operators' pages: the work queues and one
// page per case with its decision forms.
func (s *Server) operatorRoutes(r chi.Router) {
	r.Get("/staff/queue", s.queuePage)
	r.Get("/staff/cases/{app}", s.casePage)
	r.Post("/staff/cases/{app}/{action}", s.caseDecision)
}

// queueData is what the queue page shows.
type queueData struct {
	Kind  string
	Items []any
	Next  string
}

// queueKinds are the queues an operator works: applications and identity
// verifications.
var queueKinds = []string{"applications", "identity"}

func (s *Server) queuePage(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.staffPage(w, r)
	if !ok {
		return
	}
	kind := r.URL.Query().Get("kind")
	if kind == "" {
		kind = "applications"
	}
	if !slices.Contains(queueKinds, kind) {
		s.staffError(w, r, sess, http.StatusBadRequest, "staff.bad_kind")
		return
	}
	q := url.Values{"kind": {kind}}
	if c := r.URL.Query().Get("cursor"); c != "" {
		q.Set("cursor", c)
	}
	a, ok := s.staffCall(w, r, sess, auth.RoleOperator, http.MethodGet, "/v1/operator/queue?"+q.Encode(), nil)
	if !ok {
		return
	}
	if a.Status != http.StatusOK {
		s.staffProblem(w, r, sess, a)
		return
	}
	v := s.newStaffView(r, sess)
	items, _ := a.Body["items"].([]any)
	v.Data = queueData{Kind: kind, Items: items, Next: str(a.Body, "next_cursor")}
	s.renderStaff(w, r, "staff_queue", http.StatusOK, v)
}

// caseData is what a case page shows: the application, the person's
// cabinet, their documents (those filed with the application first) and
// the decisions its status allows.
type caseData struct {
	App       map[string]any
	Person    map[string]any
	Filed     []any
	Other     []any
	Actions   []string
	Reasons   []string
	Decisions map[string]bool
}

// operatorActions are the decisions an operator may take in each status,
// in the order the page offers them (the API decides; this only spares
// forms that would be refused).
var operatorActions = map[string][]string{
	"submitted": {"accept", "reject"},
	"accepted":  {"start-review"},
	"in_review": {"approve", "request-clarification", "reject"},
}

// decisionActions are the API's operator actions on an application.
var decisionActions = []string{"accept", "start-review", "request-clarification", "approve", "reject"}

// caseID reads the case's application id.
func (s *Server) caseID(w http.ResponseWriter, r *http.Request, sess staffSession) (string, bool) {
	return s.caseParam(w, r, sess, "app")
}

// caseParam reads the uuid of a case from the path parameter name; a
// malformed one is a 404 page saying so, without asking the API.
func (s *Server) caseParam(w http.ResponseWriter, r *http.Request, sess staffSession, name string) (string, bool) {
	id, err := uuid.Parse(chi.URLParam(r, name))
	if err != nil {
		s.staffError(w, r, sess, http.StatusNotFound, "staff.bad_case")
		return "", false
	}
	return id.String(), true
}

func (s *Server) casePage(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.staffPage(w, r)
	if !ok {
		return
	}
	app, ok := s.caseID(w, r, sess)
	if !ok {
		return
	}
	v, ok := s.caseView(w, r, sess, app)
	if !ok {
		return
	}
	s.renderStaff(w, r, "staff_case", http.StatusOK, v)
}

// caseRead reads a case's resource from the API as the operator; false
// when it has answered (an unknown case is the case page's 404).
func (s *Server) caseRead(w http.ResponseWriter, r *http.Request, sess staffSession, path string) (apiAnswer, bool) {
	a, ok := s.staffCall(w, r, sess, auth.RoleOperator, http.MethodGet, path, nil)
	if !ok {
		return a, false
	}
	switch a.Status {
	case http.StatusOK:
		return a, true
	case http.StatusNotFound:
		s.staffError(w, r, sess, http.StatusNotFound, "staff.no_case")
	default:
		s.staffProblem(w, r, sess, a)
	}
	return a, false
}

// caseView reads the case from the API; false when it has answered.
func (s *Server) caseView(w http.ResponseWriter, r *http.Request, sess staffSession, app string) (staffView, bool) {
	v := s.newStaffView(r, sess)
	a, ok := s.caseRead(w, r, sess, "/v1/applications/"+url.PathEscape(app))
	if !ok {
		return v, false
	}
	d := caseData{App: a.Body, Actions: operatorActions[str(a.Body, "status")], Reasons: s.cfg.Staff.RejectionReasons}
	d.Decisions = map[string]bool{}
	for _, act := range d.Actions {
		d.Decisions[act] = true
	}
	if acc := str(a.Body, "account_id"); acc != "" {
		c := s.call(r, http.MethodGet, "/v1/accounts/"+url.PathEscape(acc)+"/cabinet", sess.token, nil)
		if c.Status == http.StatusOK {
			d.Person = c.Body
			filed := map[string]bool{}
			if ids, ok := a.Body["document_ids"].([]any); ok {
				for _, id := range ids {
					if s, ok := id.(string); ok {
						filed[s] = true
					}
				}
			}
			docs, _ := c.Body["documents"].([]any)
			for _, doc := range docs {
				if m, ok := doc.(map[string]any); ok && filed[str(m, "document_id")] {
					d.Filed = append(d.Filed, doc)
				} else {
					d.Other = append(d.Other, doc)
				}
			}
		}
	}
	v.Data = d
	return v, true
}

// dueDate is a date as the clarification form takes it.
var dueDate = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2}|\d{2}\.\d{2}\.\d{4})$`)

// caseDecision posts one decision to the API. The form is checked here
// first (a reason from the closed list, a comment, a date to answer by),
// so its errors are in the person's language; the API's refusals are
// shown beside the field they name.
func (s *Server) caseDecision(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.staffPage(w, r)
	if !ok {
		return
	}
	app, ok := s.caseID(w, r, sess)
	if !ok {
		return
	}
	action := chi.URLParam(r, "action")
	if !slices.Contains(decisionActions, action) {
		s.staffError(w, r, sess, http.StatusNotFound, "staff.bad_action")
		return
	}
	form := map[string]string{
		"comment": strings.TrimSpace(r.PostFormValue("comment")),
		"reason":  r.PostFormValue("reason"),
		"due":     strings.TrimSpace(r.PostFormValue("due")),
	}
	lang := langOf(r)
	fields := map[string]string{}
	var body any
	switch action {
	case "reject":
		if form["reason"] == "" {
			fields["reason"] = messages[lang]["staff.err.reason_required"]
		} else if !slices.Contains(s.cfg.Staff.RejectionReasons, form["reason"]) {
			fields["reason"] = messages[lang]["staff.err.reason_unknown"]
		}
		if form["comment"] == "" {
			fields["comment"] = messages[lang]["staff.err.comment_required"]
		}
		body = map[string]any{"reasons": []string{form["reason"]}, "comment": form["comment"]}
	case "request-clarification":
		if form["comment"] == "" {
			fields["comment"] = messages[lang]["staff.err.comment_required"]
		}
		if !dueDate.MatchString(form["due"]) {
			fields["due"] = messages[lang]["staff.err.due_invalid"]
		}
		body = map[string]any{"comment": form["comment"], "due": form["due"]}
	case "approve":
		if form["comment"] != "" {
			body = map[string]any{"comment": form["comment"]}
		}
	}
	if utf8.RuneCountInString(form["comment"]) > 2000 {
		fields["comment"] = messages[lang]["staff.err.comment_long"]
	}
	if len(fields) > 0 {
		s.caseRefused(w, r, sess, app, action, form, fields, messages[lang]["err.fix"], http.StatusUnprocessableEntity)
		return
	}
	a, ok := s.staffCall(w, r, sess, auth.RoleOperator, http.MethodPost, "/v1/applications/"+url.PathEscape(app)+"/"+action, body)
	if !ok {
		return
	}
	if a.Status != http.StatusOK {
		msg := decisionRefusal(a, lang, fields)
		s.caseRefused(w, r, sess, app, action, form, fields, msg, statusOf(a))
		return
	}
	http.Redirect(w, r, "/staff/cases/"+app, http.StatusSeeOther)
}

// decisionRefusal puts the API's refusal of a decision into fields (its
// field errors, in lang where the pages know their code; reasons[i] is
// the form's reason) and returns its message.
func decisionRefusal(a apiAnswer, lang string, fields map[string]string) string {
	p := a.Problem()
	for f, m := range p.Fields {
		name := f
		if strings.HasPrefix(f, "reasons") {
			name = "reason"
		}
		if t := messages[lang]["staff.field."+fieldCode(a, f)]; t != "" {
			m = t
		}
		fields[name] = m
	}
	if msg := messages[lang]["staff.code."+p.Code]; msg != "" {
		return msg
	}
	return p.Detail
}

// fieldCode is the code of the API's error on field.
func fieldCode(a apiAnswer, field string) string {
	errs, _ := a.Body["errors"].([]any)
	for _, e := range errs {
		if m, ok := e.(map[string]any); ok && str(m, "field") == field {
			return str(m, "code")
		}
	}
	return ""
}

// caseRefused shows the case again with the decision's errors beside its
// fields and what was typed kept.
func (s *Server) caseRefused(w http.ResponseWriter, r *http.Request, sess staffSession, app, action string,
	form, fields map[string]string, msg string, status int) {
	v, ok := s.caseView(w, r, sess, app)
	if !ok {
		return
	}
	s.renderStaff(w, r, "staff_case", status, withDecisionErrors(v, action, form, fields, msg))
}

// withDecisionErrors shows a refused decision on its case's view: msg on
// top, each field's error beside it (keyed by the decision's form), and
// what was typed kept.
func withDecisionErrors(v staffView, action string, form, fields map[string]string, msg string) staffView {
	v.Error = msg
	if v.Error == "" {
		v.Error = messages[v.Lang]["err.generic"]
	}
	v.Form = form
	v.Form["action"] = action
	v.Fields = map[string]string{}
	for f, m := range fields {
		v.Fields[action+"."+f] = m
	}
	return v
}
