package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
)

// paymentMessages are the texts of the fee and the test gateway's page.
var paymentMessages = map[string]map[string]string{
	langRU: {
		"pay.fee":      "Госпошлина",
		"pay.paid":     "Оплачено",
		"pay.due":      "К оплате",
		"pay.go":       "Оплатить",
		"pay.title":    "Оплата госпошлины",
		"pay.test":     "Это встроенный тестовый платёжный шлюз: деньги не списываются. В рабочем режиме оплата идёт через платёжный шлюз портала.",
		"pay.confirm":  "Подтвердить оплату",
		"pay.nothing":  "По этому заявлению сейчас нечего оплачивать.",
		"pay.nogate":   "Оплата через кабинет не подключена: оплатите госпошлину через платёжный шлюз портала.",
		"pay.payments": "Платежи",
	},
	langEN: {
		"pay.fee":      "State fee",
		"pay.paid":     "Paid",
		"pay.due":      "To pay",
		"pay.go":       "Pay",
		"pay.title":    "Paying the state fee",
		"pay.test":     "This is the embedded test payment gateway: no money moves. In production the fee is paid through the portal's payment gateway.",
		"pay.confirm":  "Confirm the payment",
		"pay.nothing":  "There is nothing to pay on this application now.",
		"pay.nogate":   "Paying from the cabinet is not set up: pay the fee through the portal's payment gateway.",
		"pay.payments": "Payments",
	},
}

func init() {
	for lang, m := range paymentMessages {
		for k, s := range m {
			messages[lang][k] = s
		}
	}
	funcs["money"] = money
}

// money writes an amount in minor units (kopecks) with its currency.
func money(amount any, currency any) string {
	a, _ := amount.(float64)
	c, _ := currency.(string)
	if c == "RUB" || c == "" {
		c = "₽"
	}
	return fmt.Sprintf("%.2f %s", a/100, c)
}

// paymentRoutes mounts the fee's payment through the test gateway.
func (s *Server) paymentRoutes(r chi.Router) {
	r.Get("/applications/{app}/pay", s.paymentPage)
	r.Post("/applications/{app}/pay", s.pay)
}

// feeDue reads the citizen's application and the fee it waits for: the
// API answers only its own citizen, so another's application is 404 here.
func (s *Server) feeDue(w http.ResponseWriter, r *http.Request) (app map[string]any, amount int64, currency string, ok bool) {
	a, _, ok := s.authed(w, r, http.MethodGet, "/v1/applications/"+url.PathEscape(chi.URLParam(r, "app")), nil)
	if !ok {
		return nil, 0, "", false
	}
	if a.Status != http.StatusOK {
		s.render(w, r, "error", statusOf(a), withProblem(s.newView(r), a))
		return nil, 0, "", false
	}
	if str(a.Body, "status") == "awaiting_payment" {
		if fee, isMap := a.Body["fee"].(map[string]any); isMap {
			amt, _ := fee["amount"].(float64)
			amount, currency = int64(amt), str(fee, "currency")
		}
	}
	return a.Body, amount, currency, true
}

// paymentPage is the test gateway's checkout for the application's fee.
func (s *Server) paymentPage(w http.ResponseWriter, r *http.Request) {
	app, amount, currency, ok := s.feeDue(w, r)
	if !ok {
		return
	}
	v := s.newView(r)
	v.Data = map[string]any{"app": app, "amount": float64(amount), "currency": currency, "gateway": s.cfg.TestGateway != nil}
	s.render(w, r, "payment", http.StatusOK, v)
}

// pay charges the fee through the test gateway: the gateway's signed
// callback goes to the API as a real gateway's would, so the payment is
// checked and journaled as any other.
func (s *Server) pay(w http.ResponseWriter, r *http.Request) {
	app, amount, currency, ok := s.feeDue(w, r)
	if !ok {
		return
	}
	v := s.newView(r)
	v.Data = map[string]any{"app": app, "amount": float64(amount), "currency": currency, "gateway": s.cfg.TestGateway != nil}
	if s.cfg.TestGateway == nil || amount <= 0 {
		s.render(w, r, "payment", http.StatusConflict, v)
		return
	}
	id := str(app, "application_id")
	body, err := json.Marshal(map[string]any{
		"amount": amount, "currency": currency, "application_id": id,
		"transaction_id": "test-" + uuid.NewString(),
	})
	if err != nil {
		s.render(w, r, "error", http.StatusInternalServerError, v)
		return
	}
	a := s.gatewayCallback(r, id, body)
	if a.Status != http.StatusOK {
		s.render(w, r, "payment", statusOf(a), withProblem(v, a))
		return
	}
	if pos := a.Header.Get("X-Kabinet-Position"); pos != "" {
		http.SetCookie(w, s.cookie(cookiePosition, pos, 10*time.Minute))
	}
	http.Redirect(w, r, "/applications/"+url.PathEscape(id), http.StatusSeeOther)
}

// gatewayCallback sends the gateway's signed callback to the API
// in-process, as the gateway would: no session, the body's signature.
func (s *Server) gatewayCallback(r *http.Request, app string, body []byte) apiAnswer {
	return s.gatewayCall(r, "/v1/applications/"+url.PathEscape(app)+"/payments", body)
}

// gatewayCall posts body to the API's callback at path, signed as the
// gateway signs it.
func (s *Server) gatewayCall(r *http.Request, path string, body []byte) apiAnswer {
	return s.call(r, http.MethodPost, path, "", signedBody{data: body, signature: s.cfg.TestGateway(body)})
}
