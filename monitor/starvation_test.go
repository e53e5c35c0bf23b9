package monitor

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outpost-status/outpost/probe"
	"github.com/outpost-status/outpost/store"
)

// slowScheduler is a DelayEstimator that says the monitor waited delay
// for a CPU during every probe.
type slowScheduler struct {
	mu    sync.Mutex
	delay time.Duration
}

func (s *slowScheduler) ProbeStarted() {}
func (s *slowScheduler) ProbeEnded()   {}

func (s *slowScheduler) Delay(start, end time.Time) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return min(s.delay, end.Sub(start))
}

func (s *slowScheduler) set(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// countingObserver counts inconclusive results.
type countingObserver struct{ inconclusive atomic.Int64 }

func (o *countingObserver) ObserveProbe(Check, probe.Result)  {}
func (o *countingObserver) ObserveSchedulerLag(time.Duration) {}
func (o *countingObserver) ObserveInconclusive(Check)         { o.inconclusive.Add(1) }

// starvedHarness is a harness whose checks have degraded_latency 2 s and
// timeout 10 s, whose scheduler is as slow as the test says, and whose
// stored results the test sees.
func starvedHarness(t *testing.T) (*harness, *slowScheduler, *[]store.Result) {
	spec := testSpec("en", false)
	for i := range spec.Checks {
		spec.Checks[i].Target.Options.DegradedLatency = 2 * time.Second
	}
	h := newHarness(t, spec)
	slow := &slowScheduler{}
	h.delays = slow
	h.restart()
	var stored []store.Result
	h.m.opts.Sink = sinkFunc(func(r store.Result) { stored = append(stored, r) })
	return h, slow, &stored
}

// feed records a result of key as the prober graded it, then lets step pass.
func (h *harness) feed(key string, r probe.Result, step time.Duration) {
	h.t.Helper()
	c, ok := h.m.checkFor(key)
	if !ok {
		h.t.Fatalf("no check %s", key)
	}
	r.Start = h.clock.Now()
	h.m.record(context.Background(), c, r)
	h.clock.Advance(step)
}

var (
	slowPass = probe.Result{Duration: 2400 * time.Millisecond, Outcome: probe.Degraded, Class: probe.ClassLatency,
		Message: "took 2.4s, above degraded_latency 2s"}
	timedOut = probe.Result{Duration: 10 * time.Second, Outcome: probe.Down, Class: probe.ClassTimeout,
		Message: "connect: i/o timeout"}
)

// A probe that took 2.4 s against degraded_latency 2 s, of which the
// monitor waited 0.9 s for a CPU, is up; the wait stays visible.
func TestWaitingForACPUDoesNotDegrade(t *testing.T) {
	h, slow, stored := starvedHarness(t)
	slow.set(900 * time.Millisecond)
	h.feed("web/home", slowPass, 30*time.Second)
	s := h.m.Snapshot()[2]
	if s.State != StateUp || s.Last.Outcome != probe.Up || s.Last.SchedDelay != 900*time.Millisecond {
		t.Errorf("check %s, last %+v; want up with the 900ms wait noted", s.State, s.Last)
	}
	if st := statusOf(h.m, "web"); st != Operational {
		t.Errorf("web is %s, want operational", st)
	}
	last := (*stored)[len(*stored)-1]
	if last.Outcome != store.OutcomeUp || !strings.Contains(last.Message, "up to 900ms waiting for a CPU") {
		t.Errorf("stored %+v; want up, saying why", last)
	}
}

// Without starvation, the same probe is honestly slow.
func TestHonestSlowProbeDegrades(t *testing.T) {
	h, slow, _ := starvedHarness(t)
	for _, delay := range []time.Duration{0, 300 * time.Millisecond} {
		slow.set(delay)
		h.feed("web/home", slowPass, 30*time.Second)
		if s := h.m.Snapshot()[2]; s.State != StateDegraded {
			t.Errorf("with %s of waiting: check %s, want degraded", delay, s.State)
		}
		if st := statusOf(h.m, "web"); st != DegradedPerformance {
			t.Errorf("with %s of waiting: web is %s, want degraded_performance", delay, st)
		}
	}
}

// Timeouts taken while the monitor waited for a CPU for more than a
// quarter of the timeout count toward nothing; honest ones count.
func TestTimeoutWhileStarvedIsInconclusive(t *testing.T) {
	h, slow, _ := starvedHarness(t)
	obs := &countingObserver{}
	h.m.opts.Observer = obs
	h.pass("web/home", 1)
	slow.set(4 * time.Second) // of a 10 s timeout
	h.feed("web/home", timedOut, 5*time.Second)
	h.feed("web/home", timedOut, 5*time.Second)
	h.feed("web/home", timedOut, 5*time.Second)
	h.feed("web/home", timedOut, 5*time.Second)
	s := h.m.Snapshot()[2]
	if s.State != StateUp || s.Fails != 0 || !s.FailingSince.IsZero() {
		t.Errorf("after 4 starved timeouts: %s with %d fails, want up with none", s.State, s.Fails)
	}
	if !strings.Contains(s.Last.Message, "inconclusive: the monitor waited up to 4s for a CPU") {
		t.Errorf("last result %q does not say it was inconclusive", s.Last.Message)
	}
	if n := len(h.incidents()); n != 0 {
		t.Errorf("starved timeouts opened %d incidents", n)
	}
	if n := obs.inconclusive.Load(); n != 4 {
		t.Errorf("the observer was told of %d inconclusive results, want 4 (outpost_probes_inconclusive_total)", n)
	}
	slow.set(2 * time.Second) // a fifth of the timeout: the target's fault
	for i := range 3 {
		if s := h.m.Snapshot()[2]; s.State != StateUp {
			t.Fatalf("down after %d honest timeouts", i)
		}
		h.feed("web/home", timedOut, 5*time.Second)
	}
	if s := h.m.Snapshot()[2]; s.State != StateDown || s.Fails != 3 {
		t.Errorf("after 3 honest timeouts: %s with %d fails, want down", s.State, s.Fails)
	}
	if n := len(h.incidents()); n != 1 {
		t.Errorf("honest timeouts opened %d incidents, want 1", n)
	}
}

// Starvation excuses slowness only: a refused connection counts whatever
// the wait.
func TestStarvationExcusesOnlyTimeouts(t *testing.T) {
	h, slow, _ := starvedHarness(t)
	slow.set(9 * time.Second)
	refused := probe.Result{Duration: 9500 * time.Millisecond, Outcome: probe.Down, Class: probe.ClassRefused}
	for range 3 {
		h.feed("web/home", refused, 5*time.Second)
	}
	if s := h.m.Snapshot()[2]; s.State != StateDown {
		t.Errorf("after 3 refusals while starved: %s, want down", s.State)
	}
}

// The scheduler probes again after retry_interval when a probe was
// inconclusive, as after a failure, and the check never goes down.
func TestSchedulerRetriesInconclusiveProbes(t *testing.T) {
	prober := probe.ProberFunc(func(ctx context.Context, _ probe.Target) probe.Result {
		return probe.Result{Start: time.Now(), Duration: 40 * time.Millisecond, Outcome: probe.Down, Class: probe.ClassTimeout}
	})
	results := make(chan store.Result, 100)
	target, _ := probe.ParseTarget("tcp://127.0.0.1:1")
	checks := []Check{{Key: "c/a", ID: "a", Component: "c", Target: target, Interval: 3 * time.Second,
		Timeout: 40 * time.Millisecond, RetryInterval: 5 * time.Millisecond, Thresholds: Thresholds{FailAfter: 2, RecoverAfter: 1}}}
	m := New(specOf(checks...), Options{Prober: prober, Delays: &slowScheduler{delay: time.Hour},
		Sink: sinkFunc(func(r store.Result) { results <- r })})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error)
	go func() { stopped <- m.Run(ctx) }()
	deadline := time.After(5 * time.Second)
	for n := 0; n < 5; {
		select {
		case <-results: // at a 3 s interval, only retries come this fast
			n++
		case <-deadline:
			t.Fatalf("%d probes, want retries after retry_interval", n)
		}
	}
	if s := m.Snapshot()[0]; s.State != StateUnknown || s.Fails != 0 {
		t.Errorf("after inconclusive probes: %s with %d fails, want unknown with none", s.State, s.Fails)
	}
	cancel()
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
}
