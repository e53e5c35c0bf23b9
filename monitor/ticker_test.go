package monitor

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outpost-status/outpost/probe"
	"github.com/outpost-status/outpost/store"
)

// lagObserver keeps the scheduler lags it is told.
type lagObserver struct {
	mu   sync.Mutex
	lags []time.Duration
}

func (o *lagObserver) ObserveProbe(Check, probe.Result) {}

func (o *lagObserver) ObserveInconclusive(Check) {}

func (o *lagObserver) ObserveSchedulerLag(d time.Duration) {
	o.mu.Lock()
	o.lags = append(o.lags, d)
	o.mu.Unlock()
}

func (o *lagObserver) max() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	var m time.Duration
	for _, d := range o.lags {
		m = max(m, d)
	}
	return m
}

// syncBuffer is a log destination shared with the tick loop.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runTicks runs the tick loop until the test ends.
func (h *harness) runTicks() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.m.tickLoop(ctx) }()
	h.t.Cleanup(func() { cancel(); <-done })
}

// unknownSince returns the transitions to unknown recorded after t.
func (h *fakeHistory) unknownSince(t time.Time) []store.Transition {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []store.Transition
	for _, tr := range h.ts {
		if tr.State == store.StateUnknown && tr.At.After(t) {
			out = append(out, tr)
		}
	}
	return out
}

func passAll(h *harness) {
	for _, key := range []string{"web/home", "telephony/sip-udp", "telephony/sip-tls"} {
		h.pass(key, 2)
	}
}

// A tick that fires 8 s late while both clocks agree is only late: it is
// logged and observed as scheduler lag, and nothing is unknown.
func TestLateTickIsNotAGap(t *testing.T) {
	h := newHarness(t, testSpec("en", false))
	obs, logs := &lagObserver{}, &syncBuffer{}
	h.observer, h.logger = obs, slog.New(slog.NewTextHandler(logs, nil))
	h.restart()
	passAll(h)
	watched := h.clock.Now()
	h.runTicks()
	// The heartbeat is overdue after the passes: the loop ticks at once,
	// then sleeps for a TickInterval.
	h.clock.waitArmed(t, h.clock.Monotonic()+defaultTickInterval)
	h.clock.Advance(defaultTickInterval + 8*time.Second)
	h.clock.waitArmed(t, h.clock.Monotonic()+defaultTickInterval)
	if got := obs.max(); got != 8*time.Second {
		t.Errorf("scheduler lag observed %s, want 8s", got)
	}
	if u := h.hist.unknownSince(watched); len(u) != 0 {
		t.Errorf("a late tick recorded unknown time: %+v", u)
	}
	if n := len(h.incidents()); n != 0 {
		t.Errorf("a late tick opened %d incidents", n)
	}
	out := logs.String()
	if !strings.Contains(out, `msg="tick ran late" late=8s`) || strings.Contains(out, "time jumped") {
		t.Errorf("log:\n%s", out)
	}
	if !h.hist.heartbeat.Equal(h.clock.Now()) {
		t.Errorf("heartbeat at %s, want the late tick's %s", h.hist.heartbeat, h.clock.Now())
	}
}

// While the machine sleeps the monotonic clock stands still: after a
// suspend of an hour the tick finds the wall clock an hour ahead and the
// gap is unknown, from the last time the monitor looked.
func TestSuspendIsUnknown(t *testing.T) {
	h := newHarness(t, testSpec("en", false))
	passAll(h)
	h.runTicks()
	h.clock.waitArmed(t, h.clock.Monotonic()+defaultTickInterval)
	lastLook := h.clock.Now()
	h.clock.Jump(time.Hour) // suspended
	h.clock.Advance(defaultTickInterval)
	h.clock.waitArmed(t, h.clock.Monotonic()+defaultTickInterval)
	for _, subj := range []store.Subject{store.CheckSubject("web/home"), store.ComponentSubject("web")} {
		if st, _ := h.hist.stateAt(subj, lastLook.Add(time.Minute)); st != store.StateUnknown {
			t.Errorf("%s during the suspend: %v, want unknown", subj, st)
		}
		if st, _ := h.hist.stateAt(subj, h.clock.Now()); st != store.StateUp {
			t.Errorf("%s after the suspend: %v, want up again", subj, st)
		}
	}
}

// A probe result is a look at the clocks too: a jump is seen at the first
// result after it, not only at the next tick.
func TestJumpSeenByAProbeResult(t *testing.T) {
	h := newHarness(t, testSpec("en", false))
	passAll(h)
	lastLook := h.clock.Now().Add(-30 * time.Second) // pass moves on after each probe
	h.clock.Jump(2 * time.Hour)
	h.pass("web/home", 1)
	u := h.hist.unknownSince(lastLook.Add(-time.Nanosecond))
	if len(u) != 5 || !u[0].At.Equal(lastLook) {
		t.Errorf("unknown after a jump seen by a probe: %+v, want 3 checks and 2 components from %s", u, lastLook)
	}
	if st, _ := h.hist.stateAt(store.ComponentSubject("telephony"), h.clock.Now()); st != store.StateUp {
		t.Errorf("telephony after the jump: %v, want up again", st)
	}
}
