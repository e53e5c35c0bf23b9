package monitor

import (
	"fmt"
	"os"
	"sync"
	"time"
)

const (
	// samplePeriod is how often the sampler measures while probes are in
	// flight and the monitor has recently waited for a CPU.
	samplePeriod = 25 * time.Millisecond
	// calmPeriod is how often it measures while no wait was seen for
	// calmAfter. Probes of targets on the Internet take 20-500 ms: at
	// samplePeriod an idle monitor with ten of them paid up to twenty
	// samples (0.4 ms of CPU each) for every probe. The first sample of a
	// starvation comes up to calmPeriod late and measures the wait it
	// finds; at worst that much of a wait is missed, well below any
	// degraded_latency or timeout it is meant to excuse.
	calmPeriod = 250 * time.Millisecond
	calmAfter  = 10 * time.Second
	// sampleFloor: a shorter wait is the cost of any wake-up, not
	// starvation, and is not kept.
	sampleFloor = time.Millisecond
	// sampleRing is how many waits are kept: at least 51 s of continuous
	// starvation at samplePeriod, longer than the timeouts it judges.
	sampleRing = 2048
)

// schedSampler estimates how long a goroutine woken by the network waits
// for a CPU, which is exactly what a probe's timestamps cannot tell from
// the network's own time: the reply may have been in the socket for
// seconds while the probe's goroutine waited to run.
//
// While probes are in flight, every sample period it writes a byte into a
// pipe and notes when; a goroutine parked on the pipe's other end notes
// when it gets to read it. The reader is woken by the netpoller and queued
// for a CPU exactly as a probe reading its reply is, so each gap between
// write and read is one wait a probe would have had. Delay sums the waits
// overlapping a probe: the time during the probe in which a probe woken by
// its reply would have waited. It is an upper bound of the probe's own
// wait, which is the safe side here: it only ever excuses.
//
// Why not the alternatives (measured on this 2-core machine, 50 CPU-bound
// goroutines, probes of a loopback HTTP server that answers in 1 ms and
// took 2.2-4.4 s under that load):
//   - A plain timer's lateness saw 26-80 ms where probes waited seconds:
//     the runtime runs a goroutine woken by a timer next on its P, while
//     one woken by the netpoller queues behind everything runnable.
//   - runtime/metrics /sched/latencies is process-wide, sampled (1 in 8
//     transitions) and not placed in time: the worst bucket seen during a
//     probe (1.1-2.1 s) is one wait of some goroutine, not the probe's
//     several. Reading it costs 1.9 µs, twice per probe.
//
// The pipe sampler's sums were 1.2-3.7 s for those probes (54-100% of the
// inflation). It costs nothing while no probe is in flight. While probes
// are in flight it costs a write, a read and two wake-ups per sample: 0.4
// ms of CPU in an otherwise idle process on this machine (where a bare
// timer's wake-up costs 0.23 ms), less in a busy one, whose threads are
// awake anyway. So it samples every calmPeriod until it sees a wait, and
// every samplePeriod from then until calmAfter passes without one: a
// calm monitor's probes, shorter than calmPeriod, stop the timer before
// it fires.
//
// It measures the real scheduler with the real clock, on purpose: a fake
// clock cannot be starved. Tests of the monitor inject a DelayEstimator.
type schedSampler struct {
	origin time.Time

	mu       sync.Mutex
	inflight int
	timer    *time.Timer // runs send; armed while probes are in flight
	w        *os.File    // nil when not running
	done     chan struct{}
	pending  bool          // a byte is written and not yet read
	sentAt   time.Duration // since origin, when pending
	waits    [sampleRing]wait
	n        int // waits recorded, ever
}

// wait is one gap between a byte's write and its read, since origin.
type wait struct{ from, to time.Duration }

var _ DelayEstimator = (*schedSampler)(nil)

func newSchedSampler() *schedSampler { return &schedSampler{origin: time.Now()} }

// start opens the pipe and starts the reader.
func (s *schedSampler) start() error {
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("monitor: scheduling delay sampler: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w, s.done = w, make(chan struct{})
	s.timer = time.AfterFunc(s.periodLocked(), s.send)
	if s.inflight == 0 {
		s.timer.Stop()
	}
	go s.receive(r, s.done)
	return nil
}

// stop closes the pipe and waits for the reader to end.
func (s *schedSampler) stop() {
	s.mu.Lock()
	if s.w == nil {
		s.mu.Unlock()
		return
	}
	s.timer.Stop()
	s.w.Close()
	s.w = nil
	done := s.done
	s.mu.Unlock()
	<-done
}

// ProbeStarted implements DelayEstimator.
func (s *schedSampler) ProbeStarted() {
	s.mu.Lock()
	s.inflight++
	if s.inflight == 1 && s.w != nil {
		s.timer.Reset(s.periodLocked())
	}
	s.mu.Unlock()
}

// periodLocked is the time to the next sample: samplePeriod while the
// monitor waits or waited for a CPU within calmAfter, else calmPeriod.
// The caller holds mu.
func (s *schedSampler) periodLocked() time.Duration {
	if s.pending {
		return samplePeriod
	}
	if s.n > 0 && time.Since(s.origin)-s.waits[(s.n-1)%sampleRing].to < calmAfter {
		return samplePeriod
	}
	return calmPeriod
}

// ProbeEnded implements DelayEstimator.
func (s *schedSampler) ProbeEnded() {
	s.mu.Lock()
	s.inflight--
	if s.inflight == 0 && s.w != nil {
		s.timer.Stop()
	}
	s.mu.Unlock()
}

// send writes a byte unless the last one is still unread (that wait is
// still going on), and re-arms while probes are in flight.
func (s *schedSampler) send() {
	s.mu.Lock()
	if s.w == nil || s.inflight == 0 {
		s.mu.Unlock()
		return
	}
	s.timer.Reset(s.periodLocked())
	if s.pending {
		s.mu.Unlock()
		return
	}
	s.pending, s.sentAt = true, time.Since(s.origin)
	w := s.w
	s.mu.Unlock()
	_, _ = w.Write([]byte{1}) // fails only when stop closed the pipe
}

func (s *schedSampler) receive(r *os.File, done chan struct{}) {
	defer close(done)
	defer r.Close()
	buf := make([]byte, 16)
	for {
		if _, err := r.Read(buf); err != nil {
			return // stop closed the other end
		}
		now := time.Since(s.origin)
		s.mu.Lock()
		if s.pending && now-s.sentAt >= sampleFloor {
			s.waits[s.n%sampleRing] = wait{from: s.sentAt, to: now}
			s.n++
		}
		s.pending = false
		s.mu.Unlock()
	}
}

// Delay implements DelayEstimator: the waits overlapping [start, end],
// including one still going on.
func (s *schedSampler) Delay(start, end time.Time) time.Duration {
	a, b := start.Sub(s.origin), end.Sub(s.origin)
	s.mu.Lock()
	defer s.mu.Unlock()
	var sum time.Duration
	if now := time.Since(s.origin); s.pending && now-s.sentAt >= sampleFloor {
		sum += overlap(wait{s.sentAt, now}, a, b)
	}
	for i := s.n - 1; i >= max(0, s.n-sampleRing); i-- {
		w := s.waits[i%sampleRing]
		if w.to <= a {
			break // waits are in time order
		}
		sum += overlap(w, a, b)
	}
	return sum
}

// overlap is how much of w lies within [a, b].
func overlap(w wait, a, b time.Duration) time.Duration {
	return max(min(w.to, b)-max(w.from, a), 0)
}
