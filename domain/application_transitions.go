package domain

// Application statuses (docs/DOMAIN.md §6).
const (
	StatusSubmitted              = "submitted"
	StatusAwaitingPayment        = "awaiting_payment"
	StatusAccepted               = "accepted"
	StatusInReview               = "in_review"
	StatusClarificationRequested = "clarification_requested"
	StatusApproved               = "approved"
	StatusRejected               = "rejected"
	StatusWithdrawn              = "withdrawn"
)

// Actions on an application, one per decision that moves it (and per event).
const (
	ActionAccept               = "accept"                // operator: ApplicationAccepted
	ActionChargeFee            = "charge_fee"            // on submission of a service with a fee: FeeCharged
	ActionPay                  = "pay"                   // payment gateway: FeePaid
	ActionStartReview          = "start_review"          // operator: ApplicationReviewStarted
	ActionRequestClarification = "request_clarification" // operator: ClarificationRequested
	ActionProvideClarification = "provide_clarification" // citizen: ClarificationProvided
	ActionApprove              = "approve"               // operator: ApplicationApproved
	ActionReject               = "reject"                // operator: ApplicationRejected
	ActionTimeoutClarification = "timeout_clarification" // scheduler: ApplicationRejected{timeout}
	ActionTimeoutPayment       = "timeout_payment"       // scheduler: ApplicationRejected{fee_not_paid, timeout}
	ActionResubmit             = "resubmit"              // citizen: ApplicationResubmitted
	ActionWithdraw             = "withdraw"              // citizen: ApplicationWithdrawn
)

// transitions is the application lifecycle, the one place it is written:
// status → action → next status. A pair not listed is an invalid transition.
//
// Payment: a service with a fee goes submitted → awaiting_payment in the same
// decision that submits it (FeeCharged), and its payment accepts it
// (awaiting_payment → accepted), so the operator's accept step is the
// payment itself; a fee unpaid for UnpaidFeeTimeout rejects the application
// (fee_not_paid). The citizen may withdraw until a decision is made
// (approved, rejected) — not after, since withdrawing a decided application
// would erase nothing and a rejected one is reopened by resubmission.
var transitions = map[string]map[string]string{
	StatusSubmitted: {
		ActionAccept:    StatusAccepted,
		ActionReject:    StatusRejected,
		ActionChargeFee: StatusAwaitingPayment,
		ActionWithdraw:  StatusWithdrawn,
	},
	StatusAwaitingPayment: {
		ActionPay:            StatusAccepted,
		ActionTimeoutPayment: StatusRejected,
		ActionWithdraw:       StatusWithdrawn,
	},
	StatusAccepted: {
		ActionStartReview: StatusInReview,
		ActionWithdraw:    StatusWithdrawn,
	},
	StatusInReview: {
		ActionRequestClarification: StatusClarificationRequested,
		ActionApprove:              StatusApproved,
		ActionReject:               StatusRejected,
		ActionWithdraw:             StatusWithdrawn,
	},
	StatusClarificationRequested: {
		ActionProvideClarification: StatusInReview,
		ActionTimeoutClarification: StatusRejected,
		ActionWithdraw:             StatusWithdrawn,
	},
	StatusRejected: {
		ActionResubmit: StatusInReview,
	},
	StatusApproved:  {},
	StatusWithdrawn: {},
}

// statusOrder and actionOrder fix the order Statuses and Actions list.
var (
	statusOrder = []string{
		StatusSubmitted, StatusAwaitingPayment, StatusAccepted, StatusInReview,
		StatusClarificationRequested, StatusApproved, StatusRejected, StatusWithdrawn,
	}
	actionOrder = []string{
		ActionAccept, ActionChargeFee, ActionPay, ActionStartReview,
		ActionRequestClarification, ActionProvideClarification, ActionApprove,
		ActionReject, ActionTimeoutClarification, ActionTimeoutPayment, ActionResubmit, ActionWithdraw,
	}
)

// statusLabels are the statuses as the citizen reads them.
var statusLabels = map[string]string{
	StatusSubmitted:              "Отправлено",
	StatusAwaitingPayment:        "Ожидает оплаты",
	StatusAccepted:               "Принято",
	StatusInReview:               "На рассмотрении",
	StatusClarificationRequested: "Требуется уточнение",
	StatusApproved:               "Одобрено",
	StatusRejected:               "Отклонено",
	StatusWithdrawn:              "Отозвано",
}

// Transition returns the status an action leads to from status, and
// whether the lifecycle allows it at all.
func Transition(status, action string) (next string, ok bool) {
	next, ok = transitions[status][action]
	return next, ok
}

// Statuses lists every application status, in lifecycle order.
func Statuses() []string { return append([]string(nil), statusOrder...) }

// Actions lists every action on an application.
func Actions() []string { return append([]string(nil), actionOrder...) }

// StatusLabel returns the Russian caption of a status ("" for an unknown one).
func StatusLabel(status string) string { return statusLabels[status] }

// IsFinalStatus reports whether no action leads anywhere from status.
func IsFinalStatus(status string) bool {
	next, ok := transitions[status]
	return ok && len(next) == 0
}

// actionTarget is the status an action leads to wherever it is allowed
// (each action has one; a test keeps it so).
func actionTarget(action string) string {
	for _, next := range transitions {
		if to, ok := next[action]; ok {
			return to
		}
	}
	return ""
}

// move checks that action is allowed from status and returns the next
// status, or invalid_transition with from, action and to in Details.
func move(status, action string) (string, error) {
	if next, ok := Transition(status, action); ok {
		return next, nil
	}
	return "", NewError(CodeInvalidTransition, "an application %s cannot be moved by %s", status, action).
		WithDetail("from", status).
		WithDetail("action", action).
		WithDetail("to", actionTarget(action))
}
