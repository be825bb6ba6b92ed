package cmdhttp

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/httpx"
)

// ApplicationRoutes mounts the application commands; every one
// needs an authenticated principal. Submission and the citizen's actions
// admit only the account's own citizen, the decisions only operators;
// anyone else gets 404, as if the application did not exist.
func (h *HTTP) ApplicationRoutes(r chi.Router) {
	r.Post("/v1/accounts/{id}/applications", h.submitApplication)
	r.Post("/v1/applications/{app}/accept", h.operator(withBody(decodeOptional, h.acceptApplication)))
	r.Post("/v1/applications/{app}/start-review", h.operator(withBody(decodeOptional, h.startReview)))
	r.Post("/v1/applications/{app}/request-clarification", h.operator(withBody(decodeBody, h.requestClarification)))
	r.Post("/v1/applications/{app}/approve", h.operator(withBody(decodeOptional, h.approveApplication)))
	r.Post("/v1/applications/{app}/reject", h.operator(withBody(decodeBody, h.rejectApplication)))
	r.Post("/v1/applications/{app}/clarify", h.applicant(withBody(decodeBody, h.provideClarification)))
	r.Post("/v1/applications/{app}/resubmit", h.applicant(withBody(decodeOptional, h.resubmitApplication)))
	r.Post("/v1/applications/{app}/withdraw", h.applicant(withBody(decodeOptional, h.withdrawApplication)))
	r.Put("/v1/applications/{app}", h.applicant(withBody(decodeBody, h.editApplication)))
}

// applicationAction runs one command on the application named in the
// path; it returns errAnswered when it has answered already (a bad body).
type applicationAction func(ctx context.Context, w http.ResponseWriter, r *http.Request, app uuid.UUID) (commands.ApplicationResult, error)

var errAnswered = errors.New("answered")

// applicationCommand sends one command on app built from the request's
// decoded body.
type applicationCommand[Req any] func(ctx context.Context, app uuid.UUID, req Req) (commands.ApplicationResult, error)

// withBody makes the action of a command built from the request's JSON
// body: decode is decodeBody, or decodeOptional where an empty body means
// Req's zero value.
func withBody[Req any](decode func(http.ResponseWriter, *http.Request, any) bool, send applicationCommand[Req]) applicationAction {
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request, app uuid.UUID) (commands.ApplicationResult, error) {
		var req Req
		if !decode(w, r, &req) {
			return commands.ApplicationResult{}, errAnswered
		}
		return send(ctx, app, req)
	}
}

// operator admits operators only; the route answers 404 to anyone else.
func (h *HTTP) operator(act applicationAction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.FromContext(r.Context())
		switch {
		case !ok:
			h.guard.Deny(w, r, http.StatusUnauthorized, auth.ReasonUnauthorized)
			return
		case p.Role != auth.RoleOperator:
			h.guard.Deny(w, r, http.StatusNotFound, auth.ReasonNotFound)
			return
		}
		app, err := uuid.Parse(chi.URLParam(r, "app"))
		if err != nil {
			h.guard.Deny(w, r, http.StatusNotFound, auth.ReasonNotFound)
			return
		}
		h.runApplication(w, r, app, act)
	}
}

// applicant admits the citizen whose account holds the application; an
// application of another account, or none, is 404 alike.
func (h *HTTP) applicant(act applicationAction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		app, err := uuid.Parse(chi.URLParam(r, "app"))
		if err != nil {
			h.guard.Deny(w, r, http.StatusNotFound, auth.ReasonNotFound)
			return
		}
		account, err := h.app.Applications.AccountOf(r.Context(), app)
		if err != nil {
			if httpx.StatusFor(err) == http.StatusNotFound {
				h.guard.Deny(w, r, http.StatusNotFound, auth.ReasonNotFound)
			} else {
				httpx.WriteError(w, r, err)
			}
			return
		}
		if !h.guard.Owner(w, r, account) {
			return
		}
		h.runApplication(w, r, app, act)
	}
}

func (h *HTTP) runApplication(w http.ResponseWriter, r *http.Request, app uuid.UUID, act applicationAction) {
	res, err := act(h.withMetadata(r), w, r, app)
	if errors.Is(err, errAnswered) {
		return
	}
	h.applicationAnswer(w, r, http.StatusOK, res, err)
}

// applicationAnswer is a command answer with the application's state.
type applicationAnswer struct {
	ApplicationID    string        `json:"application_id"`
	Number           string        `json:"number,omitempty"`
	Status           string        `json:"status,omitempty"`
	StatusLabel      string        `json:"status_label,omitempty"`
	AccountID        string        `json:"account_id"`
	Position         uint64        `json:"position"`
	Deadline         string        `json:"deadline,omitempty"`
	ClarificationDue string        `json:"clarification_due,omitempty"`
	Fee              *domain.Money `json:"fee,omitempty"`
}

func newApplicationAnswer(res commands.ApplicationResult) applicationAnswer {
	a := applicationAnswer{
		ApplicationID: res.ApplicationID.String(), Number: res.Number, Status: res.Status,
		StatusLabel: domain.StatusLabel(res.Status), AccountID: res.AccountID.String(), Position: res.Position,
	}
	if !res.App.Deadline.IsZero() {
		a.Deadline = res.App.Deadline.String()
	}
	if !res.App.ClarificationDue.IsZero() {
		a.ClarificationDue = res.App.ClarificationDue.String()
	}
	if !res.App.Fee.IsZero() {
		fee := res.App.Fee
		a.Fee = &fee
	}
	return a
}

func (h *HTTP) applicationAnswer(w http.ResponseWriter, r *http.Request, status int, res commands.ApplicationResult, err error) {
	if res.Position > 0 {
		w.Header().Set("X-Kabinet-Position", strconv.FormatUint(res.Position, 10))
	}
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	httpx.WriteJSON(w, status, newApplicationAnswer(res))
}

type submitApplicationRequest struct {
	Service     string         `json:"service"`
	Form        map[string]any `json:"form"`
	DocumentIDs []uuid.UUID    `json:"document_ids"`
}

func (h *HTTP) submitApplication(w http.ResponseWriter, r *http.Request) {
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		h.guard.Deny(w, r, http.StatusNotFound, auth.ReasonNotFound)
		return
	}
	var req submitApplicationRequest
	if !h.guard.Owner(w, r, id) || !decodeBody(w, r, &req) {
		return
	}
	res, err := h.app.Applications.Submit.Handle(h.withMetadata(r), commands.SubmitApplication{
		AccountID: id, Service: req.Service, Form: req.Form, DocumentIDs: req.DocumentIDs,
	})
	h.applicationAnswer(w, r, http.StatusCreated, res, err)
}

// noBody is the body of the actions that take none; {} is accepted too.
type noBody struct{}

func (h *HTTP) acceptApplication(ctx context.Context, app uuid.UUID, _ noBody) (commands.ApplicationResult, error) {
	return h.app.Applications.Accept.Handle(ctx, commands.AcceptApplication{ApplicationID: app})
}

func (h *HTTP) startReview(ctx context.Context, app uuid.UUID, _ noBody) (commands.ApplicationResult, error) {
	return h.app.Applications.StartReview.Handle(ctx, commands.StartReview{ApplicationID: app})
}

type requestClarificationRequest struct {
	Comment string      `json:"comment"`
	Due     domain.Date `json:"due"`
}

func (h *HTTP) requestClarification(ctx context.Context, app uuid.UUID, req requestClarificationRequest) (commands.ApplicationResult, error) {
	return h.app.Applications.RequestClarification.Handle(ctx, commands.RequestClarification{ApplicationID: app, Comment: req.Comment, Due: req.Due})
}

type approveApplicationRequest struct {
	Comment string                `json:"comment"`
	Result  domain.ResultDocument `json:"result"`
}

func (h *HTTP) approveApplication(ctx context.Context, app uuid.UUID, req approveApplicationRequest) (commands.ApplicationResult, error) {
	return h.app.Applications.Approve.Handle(ctx, commands.ApproveApplication{ApplicationID: app, Comment: req.Comment, Result: req.Result})
}

type rejectApplicationRequest struct {
	Reasons          []string `json:"reasons"`
	Comment          string   `json:"comment"`
	MissingDocuments []string `json:"missing_documents"`
}

func (h *HTTP) rejectApplication(ctx context.Context, app uuid.UUID, req rejectApplicationRequest) (commands.ApplicationResult, error) {
	return h.app.Applications.Reject.Handle(ctx, commands.RejectApplication{
		ApplicationID: app, Reasons: req.Reasons, Comment: req.Comment, MissingDocuments: req.MissingDocuments,
	})
}

type clarifyRequest struct {
	Comment     string      `json:"comment"`
	DocumentIDs []uuid.UUID `json:"document_ids"`
}

func (h *HTTP) provideClarification(ctx context.Context, app uuid.UUID, req clarifyRequest) (commands.ApplicationResult, error) {
	return h.app.Applications.Clarify.Handle(ctx, commands.ProvideClarification{ApplicationID: app, Comment: req.Comment, DocumentIDs: req.DocumentIDs})
}

// resubmitRequest: an absent form or document_ids keeps the old one.
type resubmitRequest struct {
	Form        map[string]any `json:"form"`
	DocumentIDs []uuid.UUID    `json:"document_ids"`
}

func (h *HTTP) resubmitApplication(ctx context.Context, app uuid.UUID, req resubmitRequest) (commands.ApplicationResult, error) {
	return h.app.Applications.Resubmit.Handle(ctx, commands.ResubmitApplication{ApplicationID: app, Form: req.Form, DocumentIDs: req.DocumentIDs})
}

// editApplication takes the new form and/or document_ids (an absent one
// stays) of an application not yet accepted.
func (h *HTTP) editApplication(ctx context.Context, app uuid.UUID, req resubmitRequest) (commands.ApplicationResult, error) {
	return h.app.Applications.Edit.Handle(ctx, commands.EditApplication{ApplicationID: app, Form: req.Form, DocumentIDs: req.DocumentIDs})
}

func (h *HTTP) withdrawApplication(ctx context.Context, app uuid.UUID, _ noBody) (commands.ApplicationResult, error) {
	return h.app.Applications.Withdraw.Handle(ctx, commands.WithdrawApplication{ApplicationID: app})
}
