package monitor

import "time"

// Fallbacks (confirm.fallback): what a check does when no peer answered.
const (
	FallbackLocal   = "local"   // this location's own verdict stands
	FallbackUnknown = "unknown" // the check reads unknown, never up
)

// Results of a confirmation, the values of outpost_confirmations_total.
const (
	ConfirmConfirmed = "confirmed" // the locations agree with this one's verdict
	ConfirmRefuted   = "refuted"   // they do not: the check keeps its state
	ConfirmFallback  = "fallback"  // nobody answered: confirm.fallback decides
)

// ConfirmResults lists every result, for pre-created metric series.
var ConfirmResults = []string{ConfirmConfirmed, ConfirmRefuted, ConfirmFallback}

// LocationVerdict is one location's last verdict on a check, as shown by
// /api/v1/checks.json.
type LocationVerdict struct {
	ID    string    `json:"id"`
	Name  string    `json:"name"`
	State State     `json:"state"`         // unknown: no answer
	Time  time.Time `json:"time,omitzero"` // of the probe, or of the question when nobody answered
	Error string    `json:"error,omitempty"`
}
