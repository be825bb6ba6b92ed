package main

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/httpx"
	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/observability"
)

// entryFor describes the request r as a journal entry.
func entryFor(r *http.Request, action, accountID string, outcome journal.Outcome, reason string) journal.Entry {
	e := journal.Entry{
		Action: action, AccountID: accountID, Outcome: outcome, Reason: reason,
		CorrelationID: observability.CorrelationIDFrom(r.Context()),
		IP:            httpx.ClientIP(r), UserAgent: httpx.UserAgent(r),
		ActorRole: "anonymous",
	}
	if p, ok := auth.FromContext(r.Context()); ok {
		e.ActorID, e.ActorRole = p.Subject, p.Role.String()
	}
	return e
}

// routeAction names what a request tried: its method and route pattern.
func routeAction(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
		return r.Method + " " + rc.RoutePattern()
	}
	return r.Method + " " + r.URL.Path
}

// record hands e to the journal writer's inbox. The inbox insert is durable
// before the answer leaves; if it fails the failure is logged, the answer
// still goes (the request itself changed nothing).
func (a *App) record(r *http.Request, e journal.Entry) {
	if err := a.JournalWriter.Record(context.WithoutCancel(r.Context()), e); err != nil {
		observability.LoggerFrom(r.Context()).Error("journal record", "err", err, "outcome", string(e.Outcome))
	}
}

// journalDenied records a 401/403/404 the guard answered.
func (a *App) journalDenied(r *http.Request, _ int, reason string) {
	if tr := commands.TraceFrom(r.Context()); tr != nil {
		tr.MarkDenied()
	}
	a.record(r, entryFor(r, routeAction(r), chi.URLParam(r, "id"), journal.Denied, reason))
}

// journalRefused records a command refused by a rule that wrote no events.
func (a *App) journalRefused(r *http.Request, action, accountID, code string) {
	a.record(r, entryFor(r, action, accountID, journal.Refused, code))
}

// journalStaffReads records staff reading several people's data at once
// (a page naming them): one entry that lists them all, found under each
// person's account like an entry about them alone.
func (a *App) journalStaffReads(r *http.Request, ids []uuid.UUID, action string) {
	e := entryFor(r, action, "", journal.Done, "")
	e.AccountIDs = make([]string, len(ids))
	for i, id := range ids {
		e.AccountIDs[i] = id.String()
	}
	a.record(r, e)
}

// journalStaffRead records staff reading a person's data.
func (a *App) journalStaffRead(r *http.Request, accountID uuid.UUID, action string) {
	a.record(r, entryFor(r, action, accountID.String(), journal.Done, ""))
}

// journalSecurityRead records the security role reading the journal itself
// (entries, verification, inclusion proofs): reads of the journal are
// journaled like any other staff read.
func (a *App) journalSecurityRead(r *http.Request, action, accountID string) {
	a.record(r, entryFor(r, action, accountID, journal.Done, ""))
}
