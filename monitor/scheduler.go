package monitor

import (
	"container/heap"
	"context"
	"hash/fnv"
	"sync"
	"time"
)

// scheduler runs checks at deadlines kept in a min-heap: one goroutine
// decides what is due, a fixed pool of workers probes. Deadlines advance by
// whole intervals from the first one, so schedules do not drift; a check
// whose last probe failed is retried after its retry interval instead.
type scheduler struct {
	m     *Monitor
	clock Clock
	queue dueQueue
}

type dueEntry struct {
	due time.Time
	idx int
}

type completion struct {
	entry  dueEntry
	passed bool
}

func newScheduler(m *Monitor, clock Clock) *scheduler {
	return &scheduler{m: m, clock: clock}
}

// startOffset spreads checks over their interval, deterministically per key
// so a restart keeps the same phase and no two checks need to collide.
func startOffset(key string, interval time.Duration) time.Duration {
	if interval <= 0 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	return time.Duration(h.Sum64() % uint64(interval))
}

func (s *scheduler) run(ctx context.Context) error {
	checks := s.m.checks
	start := s.clock.Now()
	for i, c := range checks {
		heap.Push(&s.queue, dueEntry{due: start.Add(startOffset(c.Key, c.Interval)), idx: i})
	}
	workers := min(s.m.opts.Concurrency, max(len(checks), 1))
	jobs := make(chan dueEntry, workers)
	done := make(chan completion, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range jobs {
				r := s.m.probeOnce(ctx, e.idx)
				done <- completion{entry: e, passed: r.Outcome.Passed()}
			}
		}()
	}
	timer := s.clock.NewTimer(time.Hour)
	defer timer.Stop()
	inflight := 0
	for {
		now := s.clock.Now()
		for s.queue.Len() > 0 && inflight < workers && !s.queue[0].due.After(now) {
			e := heap.Pop(&s.queue).(dueEntry)
			if o := s.m.opts.Observer; o != nil {
				o.ObserveSchedulerLag(now.Sub(e.due))
			}
			inflight++
			jobs <- e
		}
		wait := time.Hour
		if s.queue.Len() > 0 && inflight < workers {
			wait = max(s.queue[0].due.Sub(now), 0)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			close(jobs)
			go func() { wg.Wait(); close(done) }()
			for range done { // drain probes in flight; their results are recorded
			}
			return nil
		case c := <-done:
			inflight--
			heap.Push(&s.queue, s.next(c))
		case <-timer.C():
		}
	}
}

// next computes the following deadline of a completed probe.
func (s *scheduler) next(c completion) dueEntry {
	check := s.m.checks[c.entry.idx]
	now := s.clock.Now()
	if !c.passed && check.RetryInterval > 0 {
		return dueEntry{due: now.Add(check.RetryInterval), idx: c.entry.idx}
	}
	due := c.entry.due.Add(check.Interval)
	if !due.After(now) {
		// Missed slots (overload, suspend) are skipped, not replayed.
		missed := now.Sub(due)/check.Interval + 1
		due = due.Add(missed * check.Interval)
	}
	return dueEntry{due: due, idx: c.entry.idx}
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
