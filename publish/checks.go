package publish

import (
	"net/http"
	"time"

	"github.com/outpost-status/outpost/internal/httpjson"
	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/probe"
)

// checkJSON is one entry of /api/v1/checks.json.
type checkJSON struct {
	ID         string      `json:"id"`
	Key        string      `json:"key"`
	Name       string      `json:"name"`
	Component  string      `json:"component"`
	Type       string      `json:"type"`
	Target     string      `json:"target"` // redacted
	State      string      `json:"state"`
	Since      *time.Time  `json:"since"`
	LastResult *ResultJSON `json:"last_result"`
	// Locations is each location's last verdict (SPEC §17): this one's
	// from its last probe, its peers' from their last answer. Absent
	// without peers.
	Locations []monitor.LocationVerdict `json:"locations,omitempty"`
}

// locationSource gives the verdicts of other locations; *monitor.Monitor
// implements it. A MonitorSource without it shows none.
type locationSource interface {
	LocationVerdicts(key string) []monitor.LocationVerdict
}

// ResultJSON is the public JSON form of one probe result.
type ResultJSON struct {
	Time            time.Time          `json:"time"`
	DurationSeconds float64            `json:"duration_seconds"`
	Outcome         string             `json:"outcome"`
	Class           string             `json:"class,omitempty"`
	Message         string             `json:"message,omitempty"`
	Details         probe.Details      `json:"details"`
	Phases          map[string]float64 `json:"phases_seconds,omitempty"`
	// SchedDelaySeconds is how long, at most, outpost itself waited for a
	// CPU during the probe (absent when it did not): time that is not the
	// target's, and that grading took off the duration.
	SchedDelaySeconds float64 `json:"sched_delay_seconds,omitempty"`
}

type checksDoc struct {
	GeneratedAt time.Time   `json:"generated_at"`
	Checks      []checkJSON `json:"checks"`
}

func (s *Server) handleChecks(w http.ResponseWriter, _ *http.Request) {
	snap := s.opts.Monitor.Snapshot()
	doc := checksDoc{GeneratedAt: s.opts.Now().UTC(), Checks: make([]checkJSON, 0, len(snap))}
	locs, _ := s.opts.Monitor.(locationSource)
	for _, c := range snap {
		j := checkToJSON(c)
		if locs != nil {
			j.Locations = locs.LocationVerdicts(c.Key)
		}
		doc.Checks = append(doc.Checks, j)
	}
	httpjson.Write(w, http.StatusOK, doc)
}

func checkToJSON(c monitor.CheckStatus) checkJSON {
	out := checkJSON{ID: c.ID, Key: c.Key, Name: c.Name, Component: c.Component, Type: c.Target.Scheme(),
		Target: c.Target.Redacted, State: string(c.State)}
	if !c.Since.IsZero() {
		since := c.Since.UTC()
		out.Since = &since
	}
	if r := c.Last; r != nil {
		out.LastResult = ResultToJSON(*r)
	}
	return out
}

// ResultToJSON is the public JSON form of a probe result, shared by the
// API and `outpost probe -json`.
func ResultToJSON(r probe.Result) *ResultJSON {
	out := &ResultJSON{Time: r.Start.UTC(), DurationSeconds: r.Duration.Seconds(), Outcome: string(r.Outcome),
		Class: string(r.Class), Message: r.Message, Details: r.Details, SchedDelaySeconds: r.SchedDelay.Seconds()}
	if len(r.Phases) > 0 {
		out.Phases = make(map[string]float64, len(r.Phases))
		for _, p := range r.Phases {
			out.Phases[p.Name] = p.Duration.Seconds()
		}
	}
	return out
}
