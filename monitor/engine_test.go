package monitor

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/probe"
	"github.com/outpost-status/outpost/store"
)

// fakeHistory records transitions in memory.
type fakeHistory struct {
	mu        sync.Mutex
	ts        []store.Transition
	heartbeat time.Time
	open      map[store.Subject]store.Interval
}

func (h *fakeHistory) RecordTransitions(ts []store.Transition) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ts = append(h.ts, ts...)
	return nil
}

func (h *fakeHistory) OpenIntervals() (map[store.Subject]store.Interval, error) { return h.open, nil }
func (h *fakeHistory) Heartbeat(t time.Time) error                              { h.heartbeat = t; return nil }
func (h *fakeHistory) LastHeartbeat() (time.Time, error)                        { return h.heartbeat, nil }

// last returns the last state recorded for subj at or before t.
func (h *fakeHistory) stateAt(subj store.Subject, t time.Time) (store.State, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	st, found := store.StateUnknown, false
	for _, tr := range h.ts {
		if tr.Subject == subj && !tr.At.After(t) {
			st, found = tr.State, true
		}
	}
	return st, found
}

// harness runs a Monitor without its goroutines: the test feeds results
// and ticks with a fake clock. Incidents go to a real store through a
// real engine.
type harness struct {
	t        *testing.T
	clock    *fakeClock
	hist     *fakeHistory
	db       *store.DB
	m        *Monitor
	engine   *incident.Engine
	spec     testSetup
	notifier incident.Notifier
	observer Observer       // nil: none
	delays   DelayEstimator // nil: the sampler, never started here
	logger   *slog.Logger   // nil: discarded
	selfDown bool
	mu       sync.Mutex
}

var t0 = time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)

// testSetup is a spec and the incident engine's settings.
type testSetup struct {
	Spec
	Incidents incident.Settings
}

func newHarness(t *testing.T, spec testSetup) *harness {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := &harness{t: t, clock: &fakeClock{now: t0}, hist: &fakeHistory{}, db: db, spec: spec}
	h.restart()
	return h
}

// restart builds a fresh Monitor on the same store, as after a crash.
func (h *harness) restart() {
	h.t.Helper()
	prober := probe.ProberFunc(func(_ context.Context, t probe.Target) probe.Result {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.selfDown {
			return probe.Result{Outcome: probe.Down, Class: probe.ClassTimeout}
		}
		return probe.Result{Outcome: probe.Up}
	})
	h.engine = incident.New(h.db, incident.Options{Settings: h.spec.Incidents, Notifier: h.notifier, Now: h.clock.Now, Logger: h.logger})
	h.m = New(h.spec.Spec, Options{Prober: prober, History: h.hist, Incidents: h.engine, MaintenanceStore: h.db,
		Notifier: h.notifier, Clock: h.clock, Observer: h.observer, Logger: h.logger, Delays: h.delays})
	if err := h.m.start(); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) setSelfDown(down bool) {
	h.mu.Lock()
	h.selfDown = down
	h.mu.Unlock()
}

// probe feeds one result for check key, then moves the clock on by step.
func (h *harness) probe(key string, outcome probe.Outcome, step time.Duration) {
	h.t.Helper()
	c, ok := h.m.checkFor(key)
	if !ok {
		h.t.Fatalf("no check %s", key)
	}
	r := probe.Result{Start: h.clock.Now(), Duration: 10 * time.Millisecond, Outcome: outcome}
	if outcome == probe.Down {
		r.Class, r.Message = probe.ClassRefused, "connection refused"
	}
	h.m.record(context.Background(), c, r)
	h.clock.Advance(step)
}

// fail feeds n failures of key, retry_interval apart.
func (h *harness) fail(key string, n int) {
	for range n {
		h.probe(key, probe.Down, 5*time.Second)
	}
}

func (h *harness) pass(key string, n int) {
	for range n {
		h.probe(key, probe.Up, 30*time.Second)
	}
}

// wait advances the clock and runs the timers once, on time.
func (h *harness) wait(d time.Duration) {
	h.clock.Advance(d)
	h.m.tick(h.m.read(), 0)
}

func (h *harness) incidents() []store.Incident {
	h.t.Helper()
	incs, err := h.db.Incidents(nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return incs
}

func (h *harness) only() store.Incident {
	h.t.Helper()
	incs := h.incidents()
	if len(incs) != 1 {
		h.t.Fatalf("got %d incidents, want 1: %+v", len(incs), incs)
	}
	return incs[0]
}

func testSpec(lang string, selfCheck bool) testSetup {
	tg, _ := probe.ParseTarget("tcp://127.0.0.1:1")
	mk := func(comp, id string) Check {
		return Check{Key: comp + "/" + id, ID: id, Component: comp, Target: tg, Interval: 30 * time.Second,
			Timeout: 10 * time.Second, RetryInterval: 5 * time.Second, Thresholds: Thresholds{FailAfter: 3, RecoverAfter: 2},
			Fingerprint: "v1"}
	}
	spec := testSetup{Spec: specOf(mk("telephony", "sip-udp"), mk("telephony", "sip-tls"), mk("web", "home"))}
	spec.Components[0].Name, spec.Components[0].Description = "Telephony", "Calls and SIP trunks"
	spec.Components[1].Name = "Website"
	spec.Incidents = incident.Settings{Language: lang, GroupWindow: 5 * time.Minute, RemindAfter: 30 * time.Minute}
	if selfCheck {
		self, _ := probe.ParseTarget("dns://127.0.0.1/example.com")
		spec.SelfCheck = SelfCheck{Targets: []probe.Target{self}, Interval: 30 * time.Second, Timeout: time.Second}
	}
	return spec
}

func statusOf(m *Monitor, id string) ComponentStatus {
	for _, c := range m.Components() {
		if c.ID == id {
			return c.Status
		}
	}
	return ""
}

func TestBlipOpensNothing(t *testing.T) {
	h := newHarness(t, testSpec("en", false))
	h.pass("web/home", 1)
	h.fail("web/home", 2)
	h.pass("web/home", 1)
	if n := len(h.incidents()); n != 0 {
		t.Fatalf("a blip shorter than fail_after opened %d incidents", n)
	}
	if s := statusOf(h.m, "web"); s != Operational {
		t.Errorf("web status = %s", s)
	}
}

func TestOutageOpensOneDraft(t *testing.T) {
	h := newHarness(t, testSpec("en", false))
	h.pass("telephony/sip-udp", 1)
	h.pass("telephony/sip-tls", 1)
	firstFail := h.clock.Now()
	h.fail("telephony/sip-udp", 2)
	if len(h.incidents()) != 0 {
		t.Fatal("incident before fail_after")
	}
	h.fail("telephony/sip-udp", 1)
	if s := statusOf(h.m, "telephony"); s != PartialOutage {
		t.Fatalf("telephony = %s, want partial_outage", s)
	}
	inc := h.only()
	if inc.State != store.IncidentDraft || inc.Impact != "minor" || !inc.Auto || !inc.StartedAt.Equal(firstFail) {
		t.Errorf("draft = %+v (want started at first failure %v)", inc, firstFail)
	}
	if inc.Name != "Telephony partly disrupted" || !strings.Contains(inc.Body, "Calls and SIP trunks") {
		t.Errorf("text = %q / %q", inc.Name, inc.Body)
	}
	h.fail("telephony/sip-tls", 3)
	if s := statusOf(h.m, "telephony"); s != MajorOutage {
		t.Fatalf("telephony = %s, want major_outage", s)
	}
	inc = h.only()
	if inc.Impact != "major" || inc.Name != "Telephony unavailable" {
		t.Errorf("after major: impact %s name %q", inc.Impact, inc.Name)
	}
	if h.m.Indicator() != IndicatorMajor {
		t.Errorf("indicator = %s", h.m.Indicator())
	}
	h.fail("telephony/sip-udp", 5) // further failures add nothing
	h.only()
}

func TestBlindMonitorOpensNothingAndCountsUnknown(t *testing.T) {
	h := newHarness(t, testSpec("en", true))
	h.pass("web/home", 1)
	h.setSelfDown(true)
	blindFrom := h.clock.Now()
	h.fail("web/home", 6)
	if n := len(h.incidents()); n != 0 {
		t.Fatalf("blind monitor opened %d incidents", n)
	}
	if !h.m.Blind() {
		t.Fatal("monitor not blind")
	}
	if s := h.m.Snapshot()[2].State; s != StateUnknown {
		t.Errorf("check state while blind = %s, want unknown", s)
	}
	if st, _ := h.hist.stateAt(store.CheckSubject("web/home"), blindFrom.Add(20*time.Second)); st != store.StateUnknown {
		t.Errorf("time while blind recorded as %v, want unknown", st)
	}
	h.setSelfDown(false)
	h.m.setBlind(false)
	h.fail("web/home", 1)
	if h.m.Blind() || len(h.incidents()) != 1 {
		t.Errorf("after sight returns: blind=%v incidents=%d", h.m.Blind(), len(h.incidents()))
	}
}

func TestMaintenanceOpensNothing(t *testing.T) {
	spec := testSpec("en", false)
	spec.Maintenance = []MaintenanceWindow{{ID: "m1", Components: []string{"web"}, Start: t0, End: t0.Add(time.Hour), Title: "Upgrade"}}
	h := newHarness(t, spec)
	h.fail("web/home", 5)
	if s := statusOf(h.m, "web"); s != UnderMaintenance {
		t.Fatalf("web = %s, want under_maintenance", s)
	}
	if n := len(h.incidents()); n != 0 {
		t.Fatalf("maintenance opened %d incidents", n)
	}
	if st, _ := h.hist.stateAt(store.ComponentSubject("web"), h.clock.Now()); st != store.StateMaintenance {
		t.Errorf("component time recorded as %v, want maintenance", st)
	}
	h.wait(time.Hour) // the window ends; the check is still down
	if s := statusOf(h.m, "web"); s != MajorOutage || len(h.incidents()) != 1 {
		t.Errorf("after the window: %s with %d incidents", s, len(h.incidents()))
	}
}

func TestFlappingOpensAtMostOneIncident(t *testing.T) {
	spec := testSpec("en", false)
	for i := range spec.Checks {
		spec.Checks[i].Thresholds = Thresholds{FailAfter: 1, RecoverAfter: 1}
	}
	h := newHarness(t, spec)
	for range 20 {
		h.probe("web/home", probe.Down, 5*time.Second)
		h.probe("web/home", probe.Up, 5*time.Second)
	}
	if n := len(h.incidents()); n != 1 {
		t.Fatalf("flapping opened %d incidents", n)
	}
	// And with the default thresholds it never goes down at all.
	h2 := newHarness(t, testSpec("en", false))
	for range 20 {
		h2.probe("web/home", probe.Down, 5*time.Second)
		h2.probe("web/home", probe.Up, 5*time.Second)
	}
	if n := len(h2.incidents()); n != 0 {
		t.Fatalf("flapping with fail_after 3 opened %d incidents", n)
	}
}

func TestRestartMidIncidentOpensNoDuplicate(t *testing.T) {
	h := newHarness(t, testSpec("en", false))
	h.fail("web/home", 3)
	h.only()
	h.hist.heartbeat = h.clock.Now()
	h.clock.Advance(time.Minute)
	h.restart()
	h.fail("web/home", 3)
	h.only()
}

func TestStartMarksDowntimeUnknown(t *testing.T) {
	h := newHarness(t, testSpec("en", false))
	h.pass("web/home", 1)
	stopped := h.clock.Now()
	h.hist.heartbeat = stopped
	h.hist.open = map[store.Subject]store.Interval{store.CheckSubject("web/home"): {State: store.StateUp, Start: t0}}
	h.clock.Advance(time.Hour)
	h.restart()
	if st, _ := h.hist.stateAt(store.CheckSubject("web/home"), stopped.Add(30*time.Minute)); st != store.StateUnknown {
		t.Errorf("downtime recorded as %v, want unknown", st)
	}
}

func TestReloadKeepsUnchangedChecks(t *testing.T) {
	h := newHarness(t, testSpec("en", false))
	h.fail("web/home", 3)
	h.pass("telephony/sip-udp", 1)
	spec := testSpec("en", false)
	spec.Checks[0].Fingerprint = "v2" // sip-udp changed
	spec.Checks = spec.Checks[:len(spec.Checks)]
	h.m.Reload(spec.Spec)
	snap := h.m.Snapshot()
	if snap[0].State != StateUnknown {
		t.Errorf("changed check kept state %s", snap[0].State)
	}
	if snap[2].State != StateDown {
		t.Errorf("unchanged check lost state: %s", snap[2].State)
	}
	removed := testSpec("en", false)
	removed.Checks = removed.Checks[:2]
	removed.Components = removed.Components[:1]
	h.m.Reload(removed.Spec)
	if n := len(h.m.Snapshot()); n != 2 {
		t.Errorf("after removing a check: %d checks", n)
	}
	if _, ok := h.m.checkFor("web/home"); ok {
		t.Error("removed check still present")
	}
}
