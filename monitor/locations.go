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

// Confirmations returns how many confirmations ended with each result
// (ConfirmResults), for outpost_confirmations_total.
func (m *Monitor) Confirmations() map[string]uint64 {
	out := make(map[string]uint64, len(ConfirmResults))
	for _, r := range ConfirmResults {
		out[r] = 0
	}
	if m.conf == nil {
		return out
	}
	m.conf.mu.Lock()
	defer m.conf.mu.Unlock()
	for r, n := range m.conf.counts {
		out[r] = n
	}
	return out
}

// LocationVerdicts returns every location's last verdict on check key:
// this location's from its last probe, the others' from their last
// answer. Nil without peers.
func (m *Monitor) LocationVerdicts(key string) []LocationVerdict {
	if m.conf == nil || m.conf.peers() == nil {
		return nil
	}
	m.mu.RLock()
	e, ok := m.entries[key]
	var own LocationVerdict
	if ok {
		own = LocationVerdict{ID: m.conf.loc.ID, Name: m.conf.loc.Name, State: StateUnknown}
		if r := e.state.Last; r != nil {
			own.Time = r.Start.UTC()
			own.State = passedState(e.state)
			if !r.Outcome.Passed() {
				own.State = StateDown
			}
		}
	}
	m.mu.RUnlock()
	if !ok {
		return nil
	}
	m.conf.mu.Lock()
	defer m.conf.mu.Unlock()
	return append([]LocationVerdict{own}, m.conf.verdicts[key]...)
}

// peerStatuser is a Peers that keeps each peer's health (*PeerClient).
type peerStatuser interface {
	PeerStatus() []PeerStatus
}

// PeerStatus returns each peer's health when the Peers client keeps it
// (the console's overview); nil otherwise.
func (m *Monitor) PeerStatus() []PeerStatus {
	if m.conf == nil {
		return nil
	}
	if ps, ok := m.conf.peers().(peerStatuser); ok {
		return ps.PeerStatus()
	}
	return nil
}
