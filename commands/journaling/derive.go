package journaling

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/journal"
)

// Unknown is the actor of an entry derived from an event that does not
// carry Kabinet's command metadata (written by another tool, say).
const Unknown = "unknown"

// Stream prefixes the writer knows: an account's stream names the account
// (commands.StreamName); a contact claim's data names it.
const (
	accountPrefix = "account-"
	contactPrefix = "contact-"
)

// event is a recorded event with its decoded metadata.
type event struct {
	eventstore.RecordedEvent
	md metadata
}

// sameCommand reports whether b continues a's entry: the same stream and
// the same command execution.
func sameCommand(a, b *event) bool {
	return a.md.ours() && b.md.ours() && a.StreamID == b.StreamID && a.md.CommandID == b.md.CommandID
}

// groupEnds returns the end index (exclusive) of each entry's run of evs: a
// run is a maximal sequence of consecutive events of one stream with one
// command_id; an event without command metadata is a run of its own.
func groupEnds(evs []event) []int {
	var ends []int
	for i := 1; i <= len(evs); i++ {
		if i == len(evs) || !sameCommand(&evs[i-1], &evs[i]) {
			ends = append(ends, i)
		}
	}
	return ends
}

// deriveEntry builds the journal entry of one run of events.
func deriveEntry(run []event) journal.Entry {
	first := &run[0]
	e := journal.Entry{
		At:             first.OccurredAt,
		AccountID:      accountOf(first),
		Outcome:        journal.Done,
		EventPositions: make([]uint64, len(run)),
	}
	if e.At.IsZero() {
		e.At = first.RecordedAt
	}
	for i := range run {
		e.EventPositions[i] = run[i].Position
	}
	md := &first.md
	if !md.ours() {
		e.Action, e.ActorID, e.ActorRole = first.Type, Unknown, Unknown
		e.CorrelationID = md.CorrelationID
		return e
	}
	e.Action = md.Command
	e.ActorID, e.ActorRole, e.CorrelationID = md.ActorID, md.ActorRole, md.CorrelationID
	e.IP, e.UserAgent = md.SourceIP, md.UserAgent
	if md.Outcome == string(journal.Refused) {
		e.Outcome, e.Reason = journal.Refused, md.Reason
	}
	return e
}

// accountOf names the account an event is about: the uuid of an account
// stream, else the "account_id" of the event's data (a contact claim's), else "".
func accountOf(e *event) string {
	if id, ok := strings.CutPrefix(e.StreamID, accountPrefix); ok {
		return id
	}
	var d struct {
		AccountID string `json:"account_id"`
	}
	if len(e.Data) > 0 && json.Unmarshal(e.Data, &d) == nil {
		return d.AccountID
	}
	return ""
}

// inboxEntry is the stored form of an entry in the inbox.
type inboxEntry struct {
	At            time.Time       `json:"at"`
	ActorID       string          `json:"actor_id,omitempty"`
	ActorRole     string          `json:"actor_role,omitempty"`
	Action        string          `json:"action"`
	AccountID     string          `json:"account_id,omitempty"`
	AccountIDs    []string        `json:"account_ids,omitempty"`
	Outcome       journal.Outcome `json:"outcome"`
	Reason        string          `json:"reason,omitempty"`
	CorrelationID string          `json:"correlation_id,omitempty"`
	IP            string          `json:"ip,omitempty"`
	UserAgent     string          `json:"user_agent,omitempty"`
}

func toInbox(e journal.Entry) inboxEntry {
	return inboxEntry{
		At: e.At, ActorID: e.ActorID, ActorRole: e.ActorRole, Action: e.Action, AccountID: e.AccountID,
		AccountIDs: e.AccountIDs, Outcome: e.Outcome, Reason: e.Reason, CorrelationID: e.CorrelationID,
		IP: e.IP, UserAgent: e.UserAgent,
	}
}

// unreadableAction is the action of the entry that stands in for an inbox
// row the writer cannot decode: journaled rather than lost or left to block
// the inbox.
const unreadableAction = "journal.inbox.unreadable"

// fromInbox decodes an inbox row into its entry.
func fromInbox(r inboxRow) journal.Entry {
	var ie inboxEntry
	if err := json.Unmarshal([]byte(r.entry), &ie); err != nil || ie.Action == "" || !ie.Outcome.Valid() ||
		journal.CheckAccounts(ie.AccountID, ie.AccountIDs) != nil {
		return journal.Entry{
			ActorID: Unknown, ActorRole: Unknown, Action: unreadableAction,
			Outcome: journal.Refused, Reason: "unreadable_inbox_entry",
		}
	}
	return journal.Entry{
		At: ie.At, ActorID: ie.ActorID, ActorRole: ie.ActorRole, Action: ie.Action, AccountID: ie.AccountID,
		AccountIDs: ie.AccountIDs, Outcome: ie.Outcome, Reason: ie.Reason, CorrelationID: ie.CorrelationID,
		IP: ie.IP, UserAgent: ie.UserAgent,
	}
}
