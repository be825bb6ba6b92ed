package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
)

// fineRoutes mounts paying a fine through the test gateway. The fine's
// payment identifier (УИН) travels in the form's body, not the address.
func (s *Server) fineRoutes(r chi.Router) {
	r.Post("/cabinet/fines/pay", s.payFine)
}

// finesData is what the fines page shows.
type finesData struct {
	Fines   []any
	Gateway bool // the embedded test gateway can take a payment
}

// renderFines shows the account's fines and debts with their payments.
func (s *Server) renderFines(w http.ResponseWriter, r *http.Request, v view, status int) {
	a, _, ok := s.authed(w, r, http.MethodGet, s.accountPath(r, "/fines"), nil)
	if !ok {
		return
	}
	if a.Status != http.StatusOK {
		s.render(w, r, "error", statusOf(a), withProblem(s.newView(r), a))
		return
	}
	items, _ := a.Body["items"].([]any)
	v.Data = finesData{Fines: items, Gateway: s.cfg.TestGateway != nil}
	s.render(w, r, "fines", status, v)
}

func (s *Server) finesPage(w http.ResponseWriter, r *http.Request) {
	s.renderFines(w, r, s.newView(r), http.StatusOK)
}

// payFine pays an unpaid fine of the account's own list through the test
// gateway: the gateway's signed callback goes to the API as a real
// gateway's would. A fine the list does not hold (someone else's) is 404.
func (s *Server) payFine(w http.ResponseWriter, r *http.Request) {
	fine := r.PostFormValue("fine")
	a, _, ok := s.authed(w, r, http.MethodGet, s.accountPath(r, "/fines"), nil)
	if !ok {
		return
	}
	v := s.newView(r)
	if a.Status != http.StatusOK {
		s.render(w, r, "error", statusOf(a), withProblem(v, a))
		return
	}
	var due map[string]any
	items, _ := a.Body["items"].([]any)
	for _, it := range items {
		if m, _ := it.(map[string]any); str(m, "fine_id") == fine && fine != "" {
			due = m
		}
	}
	if due == nil {
		s.render(w, r, "error", http.StatusNotFound, v)
		return
	}
	if s.cfg.TestGateway == nil || str(due, "status") != "unpaid" {
		v.Error = messages[v.Lang]["fin.nothing"]
		if s.cfg.TestGateway == nil {
			v.Error = messages[v.Lang]["pay.nogate"]
		}
		s.renderFines(w, r, v, http.StatusConflict)
		return
	}
	money, _ := due["amount"].(map[string]any)
	amount, _ := money["amount"].(float64)
	body, err := json.Marshal(map[string]any{"amount": int64(amount), "currency": str(money, "currency"),
		"transaction_id": "test-" + uuid.NewString()})
	if err != nil {
		s.render(w, r, "error", http.StatusInternalServerError, v)
		return
	}
	paid := s.gatewayCall(r, s.accountPath(r, "/fines/"+url.PathEscape(fine)+"/payments"), body)
	if paid.Status != http.StatusOK {
		s.renderFines(w, r, withProblem(v, paid), statusOf(paid))
		return
	}
	if pos := paid.Header.Get("X-Kabinet-Position"); pos != "" {
		http.SetCookie(w, s.cookie(cookiePosition, pos, 10*time.Minute))
	}
	http.Redirect(w, r, "/cabinet/fines", http.StatusSeeOther)
}
