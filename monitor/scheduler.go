package monitor

import (
	"container/heap"
	"context"
	"hash/fnv"
	"sync"
	"time"

	"github.com/outpost-status/outpost/probe"
)

// scheduler runs checks at deadlines kept in a min-heap: one goroutine
// decides what is due, a fixed pool of workers probes. Deadlines advance by
// whole intervals from the first one, so schedules do not drift; a check
// whose last probe failed is retried after its retry interval instead.
//
// A worker puts its check's next deadline into the heap itself and wakes
// the deciding goroutine only when that deadline comes before the one it
// sleeps for, or when it waits for a free worker. Sending every completion
// to it woke it (and, on an idle daemon, a second thread) once per probe
// for nothing: the next deadline of a check just probed is almost never
// the first.
type scheduler struct {
	m     *Monitor
	clock Clock

	mu        sync.Mutex // guards the rest
	queue     dueQueue
	scheduled map[string]bool // keys in the queue or in flight
	inflight  int
	// sleepsUntil is the deadline the deciding goroutine last planned to
	// sleep for; zero while every worker is busy (it waits for one).
	sleepsUntil time.Time
	poke        chan struct{} // wakes the deciding goroutine to plan again
}

type dueEntry struct {
	due   time.Time
	key   string
	slack time.Duration // how early it may start: see slackFor
}

type completion struct {
	entry  dueEntry
	check  Check
	passed bool
	ran    bool
}

// dispatchSlack lets probes due within this much of now start together
// with the ones due now. Waking up for every single deadline cost more
// than the probes themselves at thousands of checks (each wake-up is a
// timer, a thread and a context switch: 0.28 ms of CPU per HTTP probe
// before, 0.16 ms after); starting a probe a few milliseconds early
// changes nothing an operator can see.
const dispatchSlack = 10 * time.Millisecond

// slackFor is the dispatch slack of an entry that recurs every period:
// dispatchSlack, or a hundredth of a short period, so that test-sized
// intervals keep their shape.
func slackFor(period time.Duration) time.Duration { return min(dispatchSlack, period/100) }

func newScheduler(m *Monitor, clock Clock) *scheduler {
	return &scheduler{m: m, clock: clock, scheduled: map[string]bool{}, poke: make(chan struct{}, 1)}
}

// startOffset spreads checks over the first 90% of their interval,
// deterministically per key so a restart keeps the same phase and checks
// rarely collide; the last tenth leaves room for the probe itself, so
// every check has run within one interval of start-up.
func startOffset(key string, interval time.Duration) time.Duration {
	spread := interval * 9 / 10
	if spread <= 0 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	return time.Duration(h.Sum64() % uint64(spread))
}

// checkFor returns the current definition of check key.
func (m *Monitor) checkFor(key string) (Check, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e, ok := m.entries[key]
	if !ok {
		return Check{}, false
	}
	return e.check, true
}

// addNew schedules checks that are not scheduled yet (start-up, reload).
// The caller holds s.mu.
func (s *scheduler) addNew(now time.Time) {
	for _, c := range s.m.Snapshot() {
		if !s.scheduled[c.Key] && !c.Pushed() { // push checks wait for pushes (push.go)
			s.scheduled[c.Key] = true
			heap.Push(&s.queue, dueEntry{due: now.Add(startOffset(c.Key, c.Interval)), key: c.Key, slack: slackFor(c.Interval)})
		}
	}
}

func (s *scheduler) run(ctx context.Context) error {
	workers := s.m.opts.Concurrency
	jobs := make(chan dueEntry, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for e := range jobs {
				c, ok := s.m.checkFor(e.key)
				if !ok {
					s.complete(completion{entry: e})
					continue
				}
				r := s.m.probeOnce(ctx, c)
				s.complete(completion{entry: e, check: c, passed: r.Outcome.Passed(), ran: true})
			}
		})
	}
	timer := s.clock.NewTimer(time.Hour)
	defer timer.Stop()
	s.mu.Lock()
	s.addNew(s.clock.Now())
	s.mu.Unlock()
	for {
		now := s.clock.Now()
		s.mu.Lock()
		var start []dueEntry
		for s.inflight < workers {
			e, ok := s.popDue(now)
			if !ok {
				break
			}
			s.inflight++
			start = append(start, e)
		}
		wait := time.Hour
		s.sleepsUntil = time.Time{} // waits for a worker: every completion wakes it
		if s.inflight < workers {
			wait = s.untilDue(now)
			s.sleepsUntil = now.Add(wait)
		}
		s.mu.Unlock()
		for _, e := range start {
			if o := s.m.opts.Observer; o != nil {
				o.ObserveSchedulerLag(max(now.Sub(e.due), 0))
			}
			jobs <- e // never blocks: at most workers are in flight
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			close(jobs)
			wg.Wait() // probes in flight finish; their results are recorded
			return nil
		case <-s.poke:
		case <-s.m.reloaded:
			s.mu.Lock()
			s.addNew(s.clock.Now())
			s.mu.Unlock()
		case <-timer.C():
		}
	}
}

// complete files a finished probe: its check's next deadline goes into
// the heap, and the deciding goroutine is woken only if it must plan
// again (see scheduler).
func (s *scheduler) complete(c completion) {
	s.mu.Lock()
	s.inflight--
	wake := s.sleepsUntil.IsZero() // it waits for the worker this frees
	if next, ok := s.next(c); ok {
		heap.Push(&s.queue, next)
		wake = wake || next.due.Before(s.sleepsUntil)
	} else {
		delete(s.scheduled, c.entry.key)
	}
	s.mu.Unlock()
	if wake {
		select {
		case s.poke <- struct{}{}:
		default:
		}
	}
}

// popDue removes and returns the first entry if it may start at now: it is
// due, or due within its slack.
func (s *scheduler) popDue(now time.Time) (dueEntry, bool) {
	if s.queue.Len() == 0 || s.queue[0].due.After(now.Add(s.queue[0].slack)) {
		return dueEntry{}, false
	}
	return heap.Pop(&s.queue).(dueEntry), true
}

// untilDue is how long from now until the first deadline. Waking then,
// popDue starts every probe due in the slack after it as well.
func (s *scheduler) untilDue(now time.Time) time.Duration {
	if s.queue.Len() == 0 {
		return time.Hour
	}
	return max(s.queue[0].due.Sub(now), 0)
}

// probeOnce runs one probe of c and records its result. Probes get their
// own deadline from the check's timeout and are not cancelled by shutdown,
// so that SIGTERM drains rather than fails them. A probe of c already in
// flight for a peer's confirmation is joined (see probeShared).
func (m *Monitor) probeOnce(ctx context.Context, c Check) probe.Result {
	r := m.probeShared(ctx, c)
	m.record(ctx, c, r)
	return r
}

// next computes the following deadline of a completed probe; false when
// the check no longer exists.
func (s *scheduler) next(c completion) (dueEntry, bool) {
	check, ok := s.m.checkFor(c.entry.key)
	if !ok || check.Pushed() { // removed, or made a push check by a reload
		return dueEntry{}, false
	}
	now := s.clock.Now()
	if c.ran && !c.passed && check.RetryInterval > 0 {
		// Retries count from the failed probe's deadline, so a slow
		// failure (a timeout) does not stretch detection further.
		due := c.entry.due.Add(check.RetryInterval)
		if due.Before(now) {
			due = now
		}
		return dueEntry{due: due, key: c.entry.key, slack: slackFor(check.RetryInterval)}, true
	}
	due := c.entry.due.Add(check.Interval)
	if !due.After(now) {
		// Missed slots (overload, suspend) are skipped, not replayed.
		missed := now.Sub(due)/check.Interval + 1
		due = due.Add(missed * check.Interval)
	}
	return dueEntry{due: due, key: c.entry.key, slack: slackFor(check.Interval)}, true
}

// dueQueue is a min-heap of deadlines.
type dueQueue []dueEntry

func (q dueQueue) Len() int           { return len(q) }
func (q dueQueue) Less(i, j int) bool { return q[i].due.Before(q[j].due) }
func (q dueQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *dueQueue) Push(x any)        { *q = append(*q, x.(dueEntry)) }
func (q *dueQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}
