package monitor

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// Delay sums the parts of the recorded waits that lie within the span.
func TestSamplerSumsWaitsWithinASpan(t *testing.T) {
	ms := time.Millisecond
	s := newSchedSampler()
	for _, w := range []wait{{10 * ms, 20 * ms}, {30 * ms, 50 * ms}, {60 * ms, 61 * ms}} {
		s.waits[s.n] = w
		s.n++
	}
	cases := []struct {
		name     string
		from, to time.Duration
		want     time.Duration
	}{
		{"covering all", 0, 100 * ms, 31 * ms},
		{"cutting two", 15 * ms, 55 * ms, 25 * ms},
		{"between waits", 51 * ms, 59 * ms, 0},
		{"inside one", 35 * ms, 40 * ms, 5 * ms},
		{"before all", 0, 5 * ms, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.Delay(s.origin.Add(tc.from), s.origin.Add(tc.to)); got != tc.want {
				t.Errorf("Delay = %s, want %s", got, tc.want)
			}
		})
	}
}

// A wait still going on counts up to now; only the last sampleRing waits
// are kept.
func TestSamplerCountsTheWaitGoingOnAndForgetsOldOnes(t *testing.T) {
	s := newSchedSampler()
	s.origin = time.Now().Add(-time.Second)
	s.pending, s.sentAt = true, 900*time.Millisecond
	if got := s.Delay(s.origin.Add(950*time.Millisecond), time.Now()); got < 50*time.Millisecond {
		t.Errorf("a wait going on for 100 ms counted %s, want at least 50ms of it", got)
	}
	s = newSchedSampler()
	for i := range 2 * sampleRing {
		from := time.Duration(2*i) * time.Millisecond
		s.waits[s.n%sampleRing] = wait{from, from + time.Millisecond}
		s.n++
	}
	if got, want := s.Delay(s.origin, s.origin.Add(time.Hour)), sampleRing*time.Millisecond; got != want {
		t.Errorf("Delay over everything = %s, want the last %d waits, %s", got, sampleRing, want)
	}
}

// With probes in flight and more runnable goroutines than CPUs, the real
// sampler sees waits; with none in flight its timer is off.
func TestSamplerSeesStarvation(t *testing.T) {
	s := newSchedSampler()
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
	defer s.stop()
	if s.timer.Stop() {
		t.Error("the sampler's timer runs with no probe in flight")
	}
	s.ProbeStarted()
	defer s.ProbeEnded()
	start := time.Now()
	var done atomic.Bool
	defer done.Store(true)
	for range 8 * runtime.GOMAXPROCS(0) {
		go func() {
			for x := 0; !done.Load(); x++ { // runnable until the test ends
			}
		}()
	}
	deadline := start.Add(20 * time.Second)
	for s.Delay(start, time.Now()) < 20*time.Millisecond {
		if time.Now().After(deadline) {
			t.Fatalf("no wait for a CPU seen in %s of starvation", time.Since(start))
		}
		runtime.Gosched()
	}
}
