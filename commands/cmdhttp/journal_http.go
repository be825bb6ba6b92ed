package cmdhttp

import (
	"encoding/json"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/kabinet/kabinet/commands"
)

// RefusalRecorder journals a command refused by a rule that wrote no events.
type RefusalRecorder func(r *http.Request, action, accountID, code string)

// JournalRefusals wraps command routes: a request answered 4xx that neither
// wrote events (those are journaled from the log, with their outcome) nor was
// denied (the guard journals denials) is passed to record with its problem
// code.
func JournalRefusals(record RefusalRecorder) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, tr := commands.WithTrace(r.Context())
			cw := &capture{ResponseWriter: w, status: http.StatusOK, limit: 4096}
			next.ServeHTTP(cw, r.WithContext(ctx))
			if cw.status < 400 || cw.status >= 500 || tr.Wrote() || tr.Denied() {
				return
			}
			var p struct {
				Code string `json:"code"`
			}
			_ = json.Unmarshal(cw.body.Bytes(), &p)
			if p.Code == "" {
				p.Code = http.StatusText(cw.status)
			}
			action := r.Method + " " + chi.RouteContext(r.Context()).RoutePattern()
			record(r, action, chi.URLParam(r, "id"), p.Code)
		})
	}
}
