package monitor

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/outpost-status/outpost/probe"
	"github.com/outpost-status/outpost/store"
)

// Observer receives every probe result and scheduling delay; the metrics
// in publish implement it, so monitor never imports publish.
type Observer interface {
	ObserveProbe(c Check, r probe.Result)
	ObserveSchedulerLag(lag time.Duration)
}

// ResultSink persists results; *store.Writer implements it.
type ResultSink interface {
	Add(r store.Result)
}

// Options configure a Monitor.
type Options struct {
	Prober probe.Prober
	Sink   ResultSink // nil: results are not stored
	// Observer may be nil.
	Observer Observer
	Clock    Clock // default SystemClock
	Logger   *slog.Logger
	// Concurrency bounds probes in flight. Default 256.
	Concurrency int
}

// Monitor runs the checks and holds their live state.
type Monitor struct {
	opts   Options
	log    *slog.Logger
	checks []Check

	mu     sync.RWMutex
	states []CheckState
}

// New returns a Monitor for checks; start it with Run.
func New(checks []Check, o Options) *Monitor {
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 256
	}
	states := make([]CheckState, len(checks))
	for i := range states {
		states[i].State = StateUnknown
	}
	return &Monitor{opts: o, log: o.Logger, checks: checks, states: states}
}

// CheckStatus is a check with its live state, as copied by Snapshot.
type CheckStatus struct {
	Check
	CheckState
}

// Snapshot returns a copy of every check's state, in configuration order.
func (m *Monitor) Snapshot() []CheckStatus {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]CheckStatus, len(m.checks))
	for i, c := range m.checks {
		out[i] = CheckStatus{Check: c, CheckState: m.states[i]}
	}
	return out
}

// Run probes every check until ctx ends, then waits for probes in flight
// (each bounded by its timeout) and returns.
func (m *Monitor) Run(ctx context.Context) error {
	s := newScheduler(m, m.opts.Clock)
	return s.run(ctx)
}

// probeOnce runs one probe of check i and records its result. Probes
// get their own deadline from the check's timeout and are not cancelled
// by shutdown, so that SIGTERM drains rather than fails them.
func (m *Monitor) probeOnce(ctx context.Context, i int) probe.Result {
	c := m.checks[i]
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.Timeout)
	r := m.opts.Prober.Probe(pctx, c.Target)
	cancel()
	m.record(i, r)
	return r
}

func (m *Monitor) record(i int, r probe.Result) {
	c := m.checks[i]
	now := m.opts.Clock.Now()
	m.mu.Lock()
	prev := m.states[i]
	next := nextState(prev, r, c.Thresholds, now)
	m.states[i] = next
	m.mu.Unlock()
	if next.State != prev.State {
		m.log.Info("check state changed", "check", c.Key, "component", c.Component,
			"from", prev.State, "to", next.State, "outcome", r.Outcome, "class", r.Class, "err", r.Message)
	} else {
		m.log.Debug("probe", "check", c.Key, "outcome", r.Outcome, "class", r.Class,
			"duration", r.Duration, "err", r.Message)
	}
	if m.opts.Observer != nil {
		m.opts.Observer.ObserveProbe(c, r)
	}
	if m.opts.Sink != nil {
		m.opts.Sink.Add(StoreResult(c.Key, r))
	}
}

// StoreResult converts a probe result for the store.
func StoreResult(key string, r probe.Result) store.Result {
	out := store.Result{Check: key, Time: r.Start, Duration: r.Duration, Class: string(r.Class),
		Message: r.Message, CertExpiry: r.Details.CertExpiry}
	switch r.Outcome {
	case probe.Up:
		out.Outcome = store.OutcomeUp
	case probe.Degraded:
		out.Outcome = store.OutcomeDegraded
	default:
		out.Outcome = store.OutcomeDown
	}
	switch d := r.Details; {
	case d.HTTPStatus != 0:
		out.Code = d.HTTPStatus
	case d.SIPStatus != 0:
		out.Code = d.SIPStatus
	}
	return out
}
