package probe

import (
	"sync"
	"testing"
	"time"
)

// sipStepClock advances one second on every reading.
type sipStepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *sipStepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

func TestSIPUsesInjectedClock(t *testing.T) {
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := &sipStepClock{now: base}
	srv := startSIPResponder(t, "tcp", nil, func(c *sipCall) { c.Reply(200, "OK") })
	opts := DefaultOptions()
	opts.DegradedLatency = time.Second
	r := probeWithin(NewSIP(SIPConfig{Clock: clock}), sipTestTarget(t, sipURI("", srv.Port, "tcp"), opts), 10*time.Second)
	if !r.Start.Equal(base.Add(time.Second)) {
		t.Errorf("Start = %s, want the clock's first reading %s", r.Start, base.Add(time.Second))
	}
	if r.Outcome != Degraded || r.Class != ClassLatency {
		t.Errorf("got %s/%s after %s, want degraded/latency by the fake clock", r.Outcome, r.Class, r.Duration)
	}
	for _, ph := range r.Phases {
		if ph.Duration <= 0 || ph.Duration%time.Second != 0 {
			t.Errorf("phase %s took %s, want whole fake seconds", ph.Name, ph.Duration)
		}
	}
	if !hasPhase(r, "connect") || !hasPhase(r, "response") {
		t.Errorf("phases %+v", r.Phases)
	}
}
