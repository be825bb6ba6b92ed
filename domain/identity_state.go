package domain

import (
	"time"
)

// IdentityState is the identity part of an AccountState: personal data,
// documents (metadata and scan references, never bytes), verification,
// identifiers and notification preferences. StayValid says whether a
// stay-right document is on file and not marked expired.
type IdentityState struct {
	PersonalData            *PersonalData           `json:"personal_data"`
	Documents               []DocumentSnapshot      `json:"documents"`
	Verification            VerificationState       `json:"verification"`
	Snils                   Snils                   `json:"snils,omitzero"`
	Inn                     Inn                     `json:"inn,omitzero"`
	NotificationPreferences NotificationPreferences `json:"notification_preferences"`
	StayValid               bool                    `json:"stay_valid"`
}

// DocumentSnapshot is one document on file in an AccountState.
type DocumentSnapshot struct {
	DocumentState
	Series      string     `json:"series,omitempty"`
	Number      string     `json:"number"`
	IssuedAt    Date       `json:"issued_at"`
	Issuer      string     `json:"issuer"`
	Latin       *LatinName `json:"latin,omitempty"`
	Scans       []ScanRef  `json:"scans"`
	Translation *ScanRef   `json:"translation_blob,omitempty"`
	AddedAt     time.Time  `json:"added_at"`
}

// VerificationState is identity verification in an AccountState. Status is
// none, pending, verified or rejected. Deadline is the last Moscow day for
// a decision while pending; Reasons and Comment explain a rejection; By is
// who decided; ResetReason says why a verification was withdrawn.
// PendingCodeExpiresAt and AttemptsLeft describe a bank or Russian Post
// code awaiting entry.
type VerificationState struct {
	Status               string             `json:"status"`
	Method               VerificationMethod `json:"method,omitzero"`
	RequestedAt          time.Time          `json:"requested_at,omitzero"`
	Deadline             Date               `json:"deadline,omitzero"`
	Extended             bool               `json:"extended"`
	Reasons              []string           `json:"reasons,omitempty"`
	Comment              string             `json:"comment,omitempty"`
	By                   string             `json:"by,omitempty"`
	DecidedAt            time.Time          `json:"decided_at,omitzero"`
	ResetReason          string             `json:"reset_reason,omitempty"`
	PendingCodeExpiresAt time.Time          `json:"pending_code_expires_at,omitzero"`
	AttemptsLeft         int                `json:"attempts_left,omitempty"`
}

// state is the snapshot of the identity part.
func (s *identity) state() IdentityState {
	out := IdentityState{
		Documents:               []DocumentSnapshot{},
		Verification:            s.verification.state(),
		Snils:                   s.snils,
		Inn:                     s.inn,
		NotificationPreferences: DefaultNotificationPreferences(),
	}
	if s.personal != nil {
		pd := *s.personal
		out.PersonalData = &pd
	}
	if s.prefs != nil {
		out.NotificationPreferences = *s.prefs
	}
	for _, d := range s.documents {
		snap := DocumentSnapshot{
			DocumentState: d.state(),
			Series:        d.Series, Number: d.Number, IssuedAt: d.IssuedAt, Issuer: d.Issuer,
			Scans: append([]ScanRef{}, d.Scans...), AddedAt: d.OccurredAt,
		}
		if d.Latin != nil {
			l := *d.Latin
			snap.Latin = &l
		}
		if d.Translation != nil {
			t := *d.Translation
			snap.Translation = &t
		}
		out.Documents = append(out.Documents, snap)
	}
	out.StayValid = out.hasDocument(DocumentState.ProvesStay)
	return out
}

func (v verification) state() VerificationState {
	out := VerificationState{
		Status: v.status, Method: v.method, RequestedAt: v.requestedAt, Deadline: v.deadline,
		Extended: v.extended, Reasons: append([]string(nil), v.reasons...), Comment: v.comment,
		By: v.by, DecidedAt: v.decidedAt, ResetReason: v.resetReason,
	}
	if out.Status == "" {
		out.Status = VerificationNone
	}
	if v.codeHash != "" {
		out.PendingCodeExpiresAt, out.AttemptsLeft = v.codeExpiresAt, v.attemptsLeft
	}
	return out
}

// hasDocument reports whether a document not marked expired proves what
// proves asks.
func (s IdentityState) hasDocument(proves func(DocumentState) bool) bool {
	for _, d := range s.Documents {
		if !d.Expired && proves(d.DocumentState) {
			return true
		}
	}
	return false
}

// confirmableStay reports whether the documents not marked expired hold a
// stay right that opens the confirmed level (HoldsConfirmableStay).
func (s IdentityState) confirmableStay() bool {
	docs := make([]DocumentState, len(s.Documents))
	for i, d := range s.Documents {
		docs[i] = d.DocumentState
	}
	return HoldsConfirmableStay(docs, func(d DocumentState) bool { return !d.Expired })
}

// levelAboveSimplified is the level of an account with a confirmed
// contact, judged from the identity part alone (see DeriveLevel).
func (s IdentityState) levelAboveSimplified() Level {
	if s.PersonalData == nil || s.Snils.IsZero() || !s.hasDocument(DocumentState.ProvesIdentity) {
		return LevelSimplified
	}
	if s.Verification.Status != VerificationVerified || !s.confirmableStay() {
		return LevelStandard
	}
	return LevelConfirmed
}
