package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/probe"
	"github.com/outpost-status/outpost/store"
)

// Observer receives every probe result and scheduling delay; the metrics
// package implements it, so monitor never imports metrics.
type Observer interface {
	ObserveProbe(c Check, r probe.Result)
	ObserveSchedulerLag(lag time.Duration)
	// ObserveInconclusive is told of a result taken while the monitor
	// was starved of CPU, which counts toward no state (see judge).
	ObserveInconclusive(c Check)
}

// ResultSink persists results; *store.Writer implements it.
type ResultSink interface {
	Add(r store.Result)
}

// History records state intervals and liveness; *store.DB implements it.
type History interface {
	RecordTransitions(ts []store.Transition) error
	OpenIntervals() (map[store.Subject]store.Interval, error)
	Heartbeat(t time.Time) error
	LastHeartbeat() (time.Time, error)
}

// Options configure a Monitor. Only Prober is required.
type Options struct {
	Prober    probe.Prober
	Sink      ResultSink // nil: results are not stored
	Observer  Observer   // nil: no metrics
	History   History    // nil: no intervals
	Incidents Incidents  // nil: no incident engine
	// MaintenanceStore keeps windows added through the admin API; nil
	// allows configured windows only.
	MaintenanceStore MaintenanceStore
	// Notifier renders the announcements of maintenance windows, enqueued
	// with the changes that cause them; nil notifies nobody. (The
	// incident engine has its own.)
	Notifier incident.Notifier
	Clock    Clock // default SystemClock
	// Delays estimates waits for a CPU during probes; default a sampler
	// of the Go scheduler, started by Run (see schedSampler).
	Delays DelayEstimator
	Logger *slog.Logger
	// Concurrency bounds probes in flight. Default 256.
	Concurrency int
	// TickInterval is how often the monitor writes its heartbeat, and the
	// longest it sleeps without looking at the clock when no maintenance
	// boundary or incident timer is due sooner. Default 30 s: a crash
	// (kill -9, power loss) leaves up to that much time counted as the
	// last known state instead of unknown; a heartbeat is a bbolt write
	// with fsync, which at 5 s apart was most of an idle monitor's cost.
	// While results are stored the heartbeat goes with them, every half
	// TickInterval (beatWithResult), and the tick does not wake for it.
	TickInterval time.Duration
	// Locations has other locations confirm a check's change to and from
	// down (SPEC §17, confirm.go); zero: this location decides alone.
	Locations Locations
}

// defaultTickInterval is TickInterval's default.
const defaultTickInterval = 30 * time.Second

// Spec is the reloadable part of the monitor's configuration.
type Spec struct {
	Checks      []Check
	Components  []Component
	Maintenance []MaintenanceWindow
	SelfCheck   SelfCheck
	Alerts      AlertSpec
}

// entry is one check and its state.
type entry struct {
	check Check
	state CheckState
}

// Monitor runs the checks, holds their live state, derives component
// status, and drives the incident engine.
type Monitor struct {
	opts Options
	log  *slog.Logger

	// evalMu serialises evaluation and the writes that follow from it
	// (intervals, incidents), so they reach the store in order.
	evalMu    sync.Mutex
	incidents Incidents // Options.Incidents
	self      *selfChecker
	lastErr   string
	seen      reading       // the last look at the clocks (checkClock)
	beat      atomic.Int64  // monotonic reading of the last heartbeat (a time.Duration)
	tickSoon  atomic.Bool   // tick at once (tickNow)
	rearm     chan struct{} // wakes the tick loop to plan again (replan)
	sampler   *schedSampler // the default Delays, run by Run; nil if injected
	conf      *confirmer    // several locations (confirm.go); nil with one
	flights   flights       // probes in flight, joined by peers' confirmations (probenow.go)

	mu          sync.RWMutex // guards everything below; held briefly
	order       []string     // check keys in configuration order
	entries     map[string]*entry
	comps       []Component
	compStatus  map[string]ComponentStatus
	compSince   map[string]time.Time // when compStatus last changed
	started     time.Time
	maintenance []MaintenanceWindow // from the configuration
	stored      []MaintenanceWindow // added at run time
	inMaint     map[string]bool
	blind       bool
	recorded    map[store.Subject]store.State // last interval state written
	alertSpec   AlertSpec
	signals     map[string]map[string]*signal // component → fingerprint → active alert (signals.go)
	signalComp  map[string]string             // fingerprint → component

	reloaded chan struct{} // tells the scheduler the check set changed
	versions versions      // change counters for readers (Versions)
}

// New returns a Monitor for spec; start it with Run.
func New(spec Spec, o Options) *Monitor {
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	var sampler *schedSampler
	if o.Delays == nil {
		sampler = newSchedSampler()
		o.Delays = sampler
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 256
	}
	if o.TickInterval <= 0 {
		o.TickInterval = defaultTickInterval
	}
	m := &Monitor{opts: o, log: o.Logger, entries: map[string]*entry{}, compStatus: map[string]ComponentStatus{},
		compSince: map[string]time.Time{}, started: o.Clock.Now(),
		inMaint: map[string]bool{}, recorded: map[store.Subject]store.State{}, reloaded: make(chan struct{}, 1),
		rearm: make(chan struct{}, 1), sampler: sampler,
		signals: map[string]map[string]*signal{}, signalComp: map[string]string{}}
	m.seen = m.read()
	if o.Locations.Peers != nil || o.Locations.ID != "" { // several locations (confirm.go)
		m.conf = newConfirmer(o.Locations)
	}
	if o.Incidents != nil && !o.Locations.Confirmer { // a confirmer never opens incidents (SPEC §17)
		m.incidents = o.Incidents
		m.incidents.OnChange(m.tickNow)
	}
	m.self = newSelfChecker(o.Prober, o.Clock, spec.SelfCheck)
	m.apply(spec)
	return m
}

// CheckStatus is a check with its live state, as copied by Snapshot.
type CheckStatus struct {
	Check
	CheckState
}

// Snapshot returns a copy of every check's state, in configuration order.
// While the monitor is blind every state reads unknown.
func (m *Monitor) Snapshot() []CheckStatus {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]CheckStatus, 0, len(m.order))
	for _, key := range m.order {
		e := m.entries[key]
		st := CheckStatus{Check: e.check, CheckState: e.state}
		if m.blind && !e.check.Pushed() { // blindness does not apply to pushes (push.go)
			st.State = StateUnknown
		}
		out = append(out, st)
	}
	return out
}

// ComponentState is a component with its current status.
type ComponentState struct {
	Component
	Status ComponentStatus
	// Since is when Status was entered (the monitor's start for the first).
	Since time.Time
	// Position is the component's place in the configuration, from 1.
	Position int
}

// Components returns every component's status in configuration order.
func (m *Monitor) Components() []ComponentState {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]ComponentState, len(m.comps))
	for i, c := range m.comps {
		since := m.compSince[c.ID]
		if since.IsZero() {
			since = m.started
		}
		out[i] = ComponentState{Component: c, Status: m.compStatus[c.ID], Since: since, Position: i + 1}
	}
	return out
}

// Indicator returns the page indicator.
func (m *Monitor) Indicator() Indicator {
	var statuses []ComponentStatus
	for _, c := range m.Components() {
		statuses = append(statuses, c.Status)
	}
	return PageIndicator(statuses)
}

// Started returns when the monitor was created.
func (m *Monitor) Started() time.Time { return m.started }

// Maintenance returns every maintenance window, configured and added.
func (m *Monitor) Maintenance() []MaintenanceWindow {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.windowsLocked()
}

// Blind reports whether every self-check target is failing: the monitor
// cannot see, so nothing goes down and time counts as unknown.
func (m *Monitor) Blind() bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.blind
}

// Run probes every check until ctx ends, then waits for probes in flight
// (each bounded by its timeout) and returns.
func (m *Monitor) Run(ctx context.Context) error {
	if err := m.start(); err != nil {
		return err
	}
	if m.sampler != nil {
		if err := m.sampler.start(); err != nil {
			m.log.Warn("no estimate of waits for a CPU; slow probes are taken as they are", "err", err)
		}
		defer m.sampler.stop()
	}
	done := make(chan struct{})
	go func() { defer close(done); m.tickLoop(ctx) }()
	go m.self.loop(ctx, m.setBlind)
	err := newScheduler(m, m.opts.Clock).run(ctx)
	<-done
	m.waitConfirmations()
	return err
}

// start marks the time the monitor was not running as unknown and loads
// open incidents.
func (m *Monitor) start() error {
	m.evalMu.Lock()
	m.seen = m.read()
	m.beat.Store(int64(m.seen.mono))
	now := m.seen.wall
	m.evalMu.Unlock()
	if h := m.opts.History; h != nil {
		last, err := h.LastHeartbeat()
		if err != nil {
			return fmt.Errorf("monitor: read heartbeat: %w", err)
		}
		open, err := h.OpenIntervals()
		if err != nil {
			return fmt.Errorf("monitor: read open intervals: %w", err)
		}
		var ts []store.Transition
		for subj, iv := range open {
			if iv.State != store.StateUnknown && !last.IsZero() {
				ts = append(ts, store.Transition{Subject: subj, State: store.StateUnknown, At: last})
			}
		}
		if err := h.RecordTransitions(ts); err != nil {
			return fmt.Errorf("monitor: mark downtime unknown: %w", err)
		}
		if err := h.Heartbeat(now); err != nil {
			return fmt.Errorf("monitor: heartbeat: %w", err)
		}
	}
	if m.incidents != nil {
		if err := m.incidents.Load(now); err != nil {
			return err
		}
	}
	if err := m.loadMaintenance(); err != nil {
		return err
	}
	if err := m.announceConfigured(now); err != nil {
		m.log.Error("announcing configured maintenance failed", "err", err)
	}
	m.evalMu.Lock()
	defer m.evalMu.Unlock()
	m.evaluateAll(now, true)
	return nil
}
