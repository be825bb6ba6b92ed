package cmdhttp

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/httpx"
)

// DeskRoutes mounts the desk's commands (docs/DOMAIN.md §12); each needs an
// authenticated principal. A citizen acts only on their own account's
// requests, visits and applications, operators answer and decide; anyone
// else gets 404, as if the id did not exist.
func (h *HTTP) DeskRoutes(k *commands.Desk) func(chi.Router) {
	if k == nil {
		panic("commands.DeskRoutes: nil desk")
	}
	return func(r chi.Router) {
		r.Post("/v1/accounts/{id}/support-requests", h.openSupportRequest(k))
		r.Post("/v1/support-requests/{req}/messages", h.onDeskID("req", k.AccountOfSupportRequest, true, h.postSupportMessage(k)))
		r.Post("/v1/support-requests/{req}/resolve", h.onDeskID("req", nil, true, h.resolveSupportRequest(k)))
		r.Post("/v1/support-requests/{req}/close", h.onDeskID("req", k.AccountOfSupportRequest, false, h.closeSupportRequest(k)))
		r.Post("/v1/accounts/{id}/appointments", h.bookAppointment(k))
		r.Post("/v1/appointments/{ap}/reschedule", h.onDeskID("ap", k.AccountOfAppointment, false, h.rescheduleAppointment(k)))
		r.Post("/v1/appointments/{ap}/cancel", h.onDeskID("ap", k.AccountOfAppointment, false, h.cancelAppointment(k)))
		r.Post("/v1/applications/{app}/complaints", h.onDeskID("app", k.AccountOfApplication, false, h.fileComplaint(k)))
		r.Post("/v1/complaints/{c}/decide", h.onDeskID("c", nil, true, h.decideComplaint(k)))
	}
}

// deskAction runs one command on the id in the path.
type deskAction func(w http.ResponseWriter, r *http.Request, ctx context.Context, id uuid.UUID)

// onDeskID resolves the path's id and admits: with owner set, the citizen
// whose account holds it (and operators too when staff is set); with owner
// nil, operators only (staff must then be true).
func (h *HTTP) onDeskID(param string, owner func(context.Context, uuid.UUID) (uuid.UUID, error), staff bool, act deskAction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.FromContext(r.Context())
		if !ok {
			h.guard.Deny(w, r, http.StatusUnauthorized, auth.ReasonUnauthorized)
			return
		}
		id, err := uuid.Parse(chi.URLParam(r, param))
		if err != nil {
			h.guard.Deny(w, r, http.StatusNotFound, auth.ReasonNotFound)
			return
		}
		switch {
		case staff && p.Role == auth.RoleOperator:
		case owner == nil || p.Role != auth.RoleCitizen:
			h.guard.Deny(w, r, http.StatusNotFound, auth.ReasonNotFound)
			return
		default:
			account, err := owner(r.Context(), id)
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
		}
		act(w, r, h.withMetadata(r), id)
	}
}

// ownAccount resolves {id} and admits its citizen only.
func (h *HTTP) ownAccount(w http.ResponseWriter, r *http.Request) (uuid.UUID, bool) {
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		h.guard.Deny(w, r, http.StatusNotFound, auth.ReasonNotFound)
		return uuid.Nil, false
	}
	return id, h.guard.Owner(w, r, id)
}

// deskAnswer writes a desk command's answer (or its error) with the
// position header.
func deskAnswer(w http.ResponseWriter, r *http.Request, status int, res commands.Result, err error, body map[string]any) {
	if res.Position > 0 {
		w.Header().Set("X-Kabinet-Position", strconv.FormatUint(res.Position, 10))
	}
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	body["account_id"], body["position"] = res.AccountID.String(), res.Position
	httpx.WriteJSON(w, status, body)
}

func supportBody(res commands.SupportResult) map[string]any {
	q := res.Request
	return map[string]any{
		"request_id": res.ID.String(), "number": q.Number, "status": q.Status, "priority": q.Priority,
		"first_answer_due": timeOrNil(q.AnswerDue), "answer_due": timeOrNil(q.AnswerDue), "resolution_due": timeOrNil(q.ResolutionDue),
	}
}

func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

type supportRequestBody struct {
	Topic    string `json:"topic"`
	Text     string `json:"text"`
	Priority string `json:"priority"`
}

func (h *HTTP) openSupportRequest(k *commands.Desk) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req supportRequestBody
		id, ok := h.ownAccount(w, r)
		if !ok || !decodeBody(w, r, &req) {
			return
		}
		res, err := k.OpenSupportRequest(h.withMetadata(r), id, domain.SupportInput{Topic: req.Topic, Text: req.Text, Priority: req.Priority})
		deskAnswer(w, r, http.StatusCreated, res.Result, err, supportBody(res))
	}
}

type textBody struct {
	Text string `json:"text"`
}

func (h *HTTP) postSupportMessage(k *commands.Desk) deskAction {
	return func(w http.ResponseWriter, r *http.Request, ctx context.Context, id uuid.UUID) {
		var req textBody
		if !decodeBody(w, r, &req) {
			return
		}
		res, err := k.PostSupportMessage(ctx, id, req.Text)
		deskAnswer(w, r, http.StatusCreated, res.Result, err, supportBody(res))
	}
}

func (h *HTTP) resolveSupportRequest(k *commands.Desk) deskAction {
	return func(w http.ResponseWriter, r *http.Request, ctx context.Context, id uuid.UUID) {
		if !decodeOptional(w, r, &noBody{}) {
			return
		}
		res, err := k.ResolveSupportRequest(ctx, id)
		deskAnswer(w, r, http.StatusOK, res.Result, err, supportBody(res))
	}
}

func (h *HTTP) closeSupportRequest(k *commands.Desk) deskAction {
	return func(w http.ResponseWriter, r *http.Request, ctx context.Context, id uuid.UUID) {
		if !decodeOptional(w, r, &noBody{}) {
			return
		}
		res, err := k.CloseSupportRequest(ctx, id)
		deskAnswer(w, r, http.StatusOK, res.Result, err, supportBody(res))
	}
}

func appointmentBody(res commands.AppointmentResult) map[string]any {
	ap := res.Appointment
	return map[string]any{
		"appointment_id": res.ID.String(), "status": ap.Status, "ticket": ap.Number, "office_id": ap.OfficeID,
		"purpose": ap.Purpose, "slot": timeOrNil(ap.Slot), "slot_end": timeOrNil(ap.SlotEnd),
	}
}

type appointmentRequest struct {
	OfficeID    string      `json:"office_id"`
	Slot        time.Time   `json:"slot"`
	Purpose     string      `json:"purpose"`
	DocumentIDs []uuid.UUID `json:"document_ids"`
}

func (h *HTTP) bookAppointment(k *commands.Desk) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req appointmentRequest
		id, ok := h.ownAccount(w, r)
		if !ok || !decodeBody(w, r, &req) {
			return
		}
		res, err := k.BookAppointment(h.withMetadata(r), id, domain.AppointmentInput{
			OfficeID: req.OfficeID, Slot: req.Slot, Purpose: req.Purpose, DocumentIDs: req.DocumentIDs,
		})
		deskAnswer(w, r, http.StatusCreated, res.Result, err, appointmentBody(res))
	}
}

type rescheduleRequest struct {
	Slot time.Time `json:"slot"`
}

func (h *HTTP) rescheduleAppointment(k *commands.Desk) deskAction {
	return func(w http.ResponseWriter, r *http.Request, ctx context.Context, id uuid.UUID) {
		var req rescheduleRequest
		if !decodeBody(w, r, &req) {
			return
		}
		res, err := k.RescheduleAppointment(ctx, id, req.Slot)
		deskAnswer(w, r, http.StatusOK, res.Result, err, appointmentBody(res))
	}
}

func (h *HTTP) cancelAppointment(k *commands.Desk) deskAction {
	return func(w http.ResponseWriter, r *http.Request, ctx context.Context, id uuid.UUID) {
		if !decodeOptional(w, r, &noBody{}) {
			return
		}
		res, err := k.CancelAppointment(ctx, id)
		deskAnswer(w, r, http.StatusOK, res.Result, err, appointmentBody(res))
	}
}

func complaintBody(res commands.ComplaintResult) map[string]any {
	return map[string]any{
		"complaint_id": res.ID.String(), "status": res.Status, "application_id": res.ApplicationID.String(),
		"application_status": res.ApplicationStatus,
	}
}

type complaintRequest struct {
	Text        string `json:"text"`
	Corrections string `json:"corrections"`
}

func (h *HTTP) fileComplaint(k *commands.Desk) deskAction {
	return func(w http.ResponseWriter, r *http.Request, ctx context.Context, app uuid.UUID) {
		var req complaintRequest
		if !decodeBody(w, r, &req) {
			return
		}
		res, err := k.FileComplaint(ctx, app, req.Text, req.Corrections)
		deskAnswer(w, r, http.StatusCreated, res.Result, err, complaintBody(res))
	}
}

type decideRequest struct {
	Outcome string `json:"outcome"`
	Comment string `json:"comment"`
}

func (h *HTTP) decideComplaint(k *commands.Desk) deskAction {
	return func(w http.ResponseWriter, r *http.Request, ctx context.Context, id uuid.UUID) {
		var req decideRequest
		if !decodeBody(w, r, &req) {
			return
		}
		res, err := k.DecideComplaint(ctx, id, req.Outcome, req.Comment)
		deskAnswer(w, r, http.StatusOK, res.Result, err, complaintBody(res))
	}
}
