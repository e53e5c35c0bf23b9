package monitor

import "time"

// Clock tells the time and makes timers; tests inject a fake.
type Clock interface {
	Now() time.Time
	// Monotonic reads a clock that only moves forward, at a steady rate,
	// and stands still while the machine is suspended (CLOCK_MONOTONIC);
	// only differences between two readings mean anything. When Now moved
	// by as much as Monotonic, time simply passed (however late a timer
	// fired); when they disagree, the wall clock was set or the machine
	// slept.
	Monotonic() time.Duration
	NewTimer(d time.Duration) Timer
}

// Timer is the part of *time.Timer the scheduler uses.
type Timer interface {
	C() <-chan time.Time
	Reset(d time.Duration)
	Stop()
}

// SystemClock is the real clock.
type SystemClock struct{}

var _ Clock = SystemClock{}

// monotonicOrigin is the origin of SystemClock.Monotonic: set once when
// the process starts and never changed.
var monotonicOrigin = time.Now()

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Monotonic returns the monotonic time since the process started (Go's
// monotonic reading, which is CLOCK_MONOTONIC on Linux).
func (SystemClock) Monotonic() time.Duration { return time.Since(monotonicOrigin) }

// NewTimer returns a real timer.
func (SystemClock) NewTimer(d time.Duration) Timer { return &realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r *realTimer) C() <-chan time.Time   { return r.t.C }
func (r *realTimer) Reset(d time.Duration) { r.t.Reset(d) }
func (r *realTimer) Stop()                 { r.t.Stop() }
