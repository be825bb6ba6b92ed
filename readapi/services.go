package readapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/httpx"
)

// servicesAnswer is the catalog: every service with its names, form fields,
// documents, fee and deadline, each text in Russian and English.
type servicesAnswer struct {
	Items []domain.Service `json:"items"`
}

// getServices serves the declarative catalog; it is public (no personal data).
func (s *Server) getServices(w http.ResponseWriter, _ *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, servicesAnswer{Items: domain.Catalog()})
}

func (s *Server) getService(w http.ResponseWriter, r *http.Request) {
	svc, ok := domain.ServiceByCode(chi.URLParam(r, "code"))
	if !ok {
		httpx.WriteError(w, r, httpx.NotFound("no such service"))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, svc)
}
