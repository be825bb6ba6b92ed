package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/kabinet/kabinet/platform/auth"
)

// identityMessages are the texts of the identity verification case page.
var identityMessages = map[string]map[string]string{
	langRU: {
		"staff.i.title":             "Подтверждение личности",
		"staff.i.status":            "Состояние проверки",
		"staff.i.requested":         "Запрошено",
		"staff.i.pending_only":      "Решение принимается по ожидающей проверке: сейчас решать нечего.",
		"staff.i.approve":           "Подтвердить личность",
		"staff.i.method":            "Как проверена личность",
		"staff.err.method_required": "Выберите, как проверена личность.",
		"staff.code.four_eyes_required": "Решение должен принять другой оператор: " +
			"вы уже работали с этой проверкой (принцип четырёх глаз).",
		"reason.unsupported_document": "Документ не принимается",
		"reason.registry_mismatch":    "Данные не совпадают с реестром",
		"reason.data_mismatch":        "Данные не совпадают с документом",
		"reason.missing_fields":       "Не заполнены обязательные сведения",
		"reason.document_expired":     "Срок действия документа истёк",
	},
	langEN: {
		"staff.i.title":                 "Identity verification",
		"staff.i.status":                "Verification status",
		"staff.i.requested":             "Requested",
		"staff.i.pending_only":          "Decisions are taken on a pending verification: there is nothing to decide now.",
		"staff.i.approve":               "Confirm the identity",
		"staff.i.method":                "How the identity was checked",
		"staff.err.method_required":     "Choose how the identity was checked.",
		"staff.code.four_eyes_required": "Another operator must decide: you have already worked on this verification (four eyes).",
		"reason.unsupported_document":   "The document is not accepted",
		"reason.registry_mismatch":      "The data disagree with the registry",
		"reason.data_mismatch":          "The data disagree with the document",
		"reason.missing_fields":         "Required data are missing",
		"reason.document_expired":       "The document has expired",
	},
}

func init() {
	for lang, m := range identityMessages {
		for k, v := range m {
			if _, ok := messages[lang][k]; !ok { // the staff pages' own wording wins
				messages[lang][k] = v
			}
		}
	}
}

// operatorMethods are the verification methods an operator approves (the
// others decide by themselves: a code or a signature).
var operatorMethods = []string{"service_center", "video"}

// identityData is what the identity case page shows.
type identityData struct {
	Account string
	Person  map[string]any
	Pending bool
	Methods []string
	Reasons []string
}

// identityRoutes mounts the identity verification case page and its
// decisions.
func (s *Server) identityRoutes(r chi.Router) {
	r.Get("/staff/identity/{account}", s.identityPage)
	r.Post("/staff/identity/{account}/{action}", s.identityDecision)
}

// identityAccount reads the case's account id.
func (s *Server) identityAccount(w http.ResponseWriter, r *http.Request, sess staffSession) (string, bool) {
	return s.caseParam(w, r, sess, "account")
}

func (s *Server) identityPage(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.staffPage(w, r)
	if !ok {
		return
	}
	account, ok := s.identityAccount(w, r, sess)
	if !ok {
		return
	}
	if v, ok := s.identityView(w, r, sess, account); ok {
		s.renderStaff(w, r, "staff_identity", http.StatusOK, v)
	}
}

// identityView reads the person's cabinet as the operator; false when it
// has answered.
func (s *Server) identityView(w http.ResponseWriter, r *http.Request, sess staffSession, account string) (staffView, bool) {
	v := s.newStaffView(r, sess)
	a, ok := s.caseRead(w, r, sess, "/v1/accounts/"+url.PathEscape(account)+"/cabinet")
	if !ok {
		return v, false
	}
	ver, _ := a.Body["identity_verification"].(map[string]any)
	v.Data = identityData{Account: account, Person: a.Body, Pending: str(ver, "status") == "pending",
		Methods: operatorMethods, Reasons: s.cfg.Staff.IdentityRejectionReasons}
	return v, true
}

// identityDecision posts an approval or a rejection to the API, checking
// the form first so its errors are in the operator's language.
func (s *Server) identityDecision(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.staffPage(w, r)
	if !ok {
		return
	}
	account, ok := s.identityAccount(w, r, sess)
	if !ok {
		return
	}
	action := chi.URLParam(r, "action")
	if action != "approve" && action != "reject" {
		s.staffError(w, r, sess, http.StatusNotFound, "staff.bad_action")
		return
	}
	lang := langOf(r)
	form := map[string]string{"comment": strings.TrimSpace(r.PostFormValue("comment")),
		"reason": r.PostFormValue("reason"), "method": r.PostFormValue("method")}
	fields := map[string]string{}
	var body map[string]any
	if action == "approve" {
		if !slices.Contains(operatorMethods, form["method"]) {
			fields["method"] = messages[lang]["staff.err.method_required"]
		}
		body = map[string]any{"method": form["method"], "comment": form["comment"]}
	} else {
		switch {
		case form["reason"] == "":
			fields["reason"] = messages[lang]["staff.err.reason_required"]
		case !slices.Contains(s.cfg.Staff.IdentityRejectionReasons, form["reason"]):
			fields["reason"] = messages[lang]["staff.err.reason_unknown"]
		}
		if form["comment"] == "" {
			fields["comment"] = messages[lang]["staff.err.comment_required"]
		}
		body = map[string]any{"reasons": []string{form["reason"]}, "comment": form["comment"]}
	}
	if utf8.RuneCountInString(form["comment"]) > 2000 {
		fields["comment"] = messages[lang]["staff.err.comment_long"]
	}
	if len(fields) > 0 {
		s.identityRefused(w, r, sess, account, action, form, fields, messages[lang]["err.fix"], http.StatusUnprocessableEntity)
		return
	}
	path := "/v1/accounts/" + url.PathEscape(account) + "/identity-verification/" + action
	a := s.call(r, http.MethodPost, path, sess.token, body)
	if a.Status == http.StatusForbidden && a.Problem().Code == "four_eyes_required" {
		s.identityRefused(w, r, sess, account, action, form, fields, messages[lang]["staff.code.four_eyes_required"], http.StatusForbidden)
		return
	}
	if a, ok = s.staffAnswered(w, r, sess, auth.RoleOperator, a, true); !ok {
		return
	}
	if a.Status != http.StatusOK {
		msg := decisionRefusal(a, lang, fields)
		s.identityRefused(w, r, sess, account, action, form, fields, msg, statusOf(a))
		return
	}
	http.Redirect(w, r, "/staff/identity/"+account, http.StatusSeeOther)
}

// identityRefused shows the case again with the decision's errors beside
// its fields and what was typed kept.
func (s *Server) identityRefused(w http.ResponseWriter, r *http.Request, sess staffSession, account, action string,
	form, fields map[string]string, msg string, status int) {
	v, ok := s.identityView(w, r, sess, account)
	if !ok {
		return
	}
	s.renderStaff(w, r, "staff_identity", status, withDecisionErrors(v, action, form, fields, msg))
}
