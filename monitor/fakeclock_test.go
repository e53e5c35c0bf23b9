package monitor

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeClock is moved by the test. Its timers fire when Advance reaches
// them; tests that drive record and tick directly start no loop, so no
// timer is ever made there.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	mono   time.Duration
	timers []*fakeTimer
	armed  chan struct{} // closed (and replaced) when a timer is armed
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Monotonic() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mono
}

// Advance lets d pass: both clocks move, and timers due by then fire.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.mono += d
	c.timers = slices.DeleteFunc(c.timers, func(t *fakeTimer) bool {
		if t.at > c.mono {
			return false
		}
		select {
		case t.c <- c.now:
		default:
		}
		return true
	})
}

// Jump sets the wall clock d away while the monotonic clock stays, as
// when someone sets the clock or the machine was suspended for d.
func (c *fakeClock) Jump(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// pending returns the monotonic readings at which armed timers fire.
func (c *fakeClock) pending() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]time.Duration, len(c.timers))
	for i, t := range c.timers {
		out[i] = t.at
	}
	return out
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{clock: c, c: make(chan time.Time, 1)}
	t.Reset(d)
	return t
}

// waitArmed waits until a timer is armed to fire at the monotonic
// reading at: the loop that owns it has done what it woke up for.
func (c *fakeClock) waitArmed(t *testing.T, at time.Duration) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		c.mu.Lock()
		found := slices.ContainsFunc(c.timers, func(x *fakeTimer) bool { return x.at == at })
		if c.armed == nil {
			c.armed = make(chan struct{})
		}
		armed := c.armed
		c.mu.Unlock()
		if found {
			return
		}
		select {
		case <-armed:
		case <-deadline:
			t.Fatalf("no timer armed for %s; armed: %v", at, c.pending())
		}
	}
}

// fakeTimer is armed at a monotonic reading, like a real timer.
type fakeTimer struct {
	clock *fakeClock
	at    time.Duration
	c     chan time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

// Reset re-arms the timer; a value not yet received is dropped, as with
// time.Timer since Go 1.23.
func (t *fakeTimer) Reset(d time.Duration) {
	t.Stop()
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	if d <= 0 {
		t.c <- c.now
		return
	}
	t.at = c.mono + d
	c.timers = append(c.timers, t)
	if c.armed != nil {
		close(c.armed)
		c.armed = nil
	}
}

func (t *fakeTimer) Stop() {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timers = slices.DeleteFunc(c.timers, func(x *fakeTimer) bool { return x == t })
	select {
	case <-t.c:
	default:
	}
}
