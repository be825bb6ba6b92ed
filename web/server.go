// Package web is the citizens' web cabinet: server-rendered pages over the
// JSON API, served by the same binary and working offline (templates,
// styles and the one small script are embedded). Every page talks to the
// API in-process through its handler, so the roles, rules, journal and
// idempotency of the API apply to the pages unchanged; the browser holds
// the session's tokens only in HttpOnly, SameSite cookies.
package web

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config assembles a Server.
type Config struct {
	// API is the JSON API's handler; the pages call it in-process.
	API http.Handler
	// Secure marks cookies Secure (every mode but embedded development).
	Secure bool
	// Transliterate gives the Latin spelling of a Cyrillic name, for the
	// preview beside the personal data form.
	Transliterate func(string) string
	// ConsentVersion is the version of the consent text the registration
	// form asks for ("" when registration takes no consent).
	ConsentVersion string
	// Logger is told of failures the person is not shown the detail of.
	Logger *slog.Logger
	// TestGateway, when set, signs payment callbacks as the payment
	// gateway does, so a citizen can pay a fee through the embedded test
	// gateway's page. Never set in production: there the portal's gateway
	// takes the payment and calls the API itself.
	TestGateway func(body []byte) string
	// Staff, when set, opens the staff pages under /staff, signed in
	// through the identity provider; nil (no provider configured) leaves
	// them answering that staff sign-in is not set up.
	Staff *StaffConfig
}

// Server serves the web cabinet.
type Server struct {
	cfg   Config
	pages map[string]*template.Template
}

// New parses the embedded templates; it panics on a broken template, which
// is a build error, not a run-time one.
func New(cfg Config) *Server {
	if cfg.API == nil || cfg.Transliterate == nil {
		panic("web.New: API and Transliterate are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, pages: map[string]*template.Template{}}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		if n == "templates/layout.html" || n == "templates/partials.html" || n == "templates/staff_layout.html" {
			continue
		}
		layout := "layout.html"
		if strings.HasPrefix(n, "templates/staff_") { // the staff pages have their own header
			layout = "staff_layout.html"
		}
		s.pages[n[len("templates/"):len(n)-len(".html")]] = template.Must(
			template.New(layout).Funcs(funcs).ParseFS(templateFS, "templates/"+layout, "templates/partials.html", n))
	}
	return s
}

// Routes mounts the pages at / with their security headers and
// cross-origin protection (a form posted from another site is refused).
func (s *Server) Routes(r chi.Router) {
	static, _ := fs.Sub(staticFS, "static")
	cop := http.NewCrossOriginProtection()
	r.Group(func(r chi.Router) {
		r.Use(securityHeaders, cop.Handler)
		r.Handle("/static/*", http.StripPrefix("/static/", http.FileServerFS(static)))
		r.Get("/", s.home)
		r.Get("/register", s.registerForm)
		r.Post("/register", s.register)
		r.Get("/confirm", s.confirmForm)
		r.Post("/confirm", s.confirm)
		r.Post("/confirm/resend", s.resend)
		r.Get("/signin", s.signinForm)
		r.Post("/signin", s.signin)
		r.Post("/signin/code", s.signinCode)
		r.Post("/logout", s.logout)
		r.Get("/cabinet", s.cabinet)
		r.Get("/cabinet/personal-data", s.personalDataForm)
		r.Post("/cabinet/personal-data", s.personalData)
		r.Get("/cabinet/documents", s.documentsForm)
		r.Post("/cabinet/documents", s.uploadDocument)
		r.Get("/services", s.services)
		r.Get("/services/{code}", s.serviceForm)
		r.Post("/services/{code}", s.submitApplication)
		r.Get("/applications/{app}", s.application)
		r.Post("/translit", s.translit)
		r.Get("/lang/{lang}", s.switchLanguage)
		s.citizenRoutes(r)
		s.paymentRoutes(r)
		s.staffRoutes(r)
	})
}

// securityHeaders sets a strict Content-Security-Policy (only this origin's
// own styles, script and images; no framing, no plugins, forms only to
// this origin) and keeps pages out of caches.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if h.Get("Cache-Control") == "" {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}
