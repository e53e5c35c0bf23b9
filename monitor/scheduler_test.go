package monitor

import (
	"container/heap"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outpost-status/outpost/probe"
	"github.com/outpost-status/outpost/store"
)

type sinkFunc func(store.Result)

func (f sinkFunc) Add(r store.Result) { f(r) }

func TestSchedulerProbesAndThresholds(t *testing.T) {
	var mu sync.Mutex
	failing := false
	prober := probe.ProberFunc(func(ctx context.Context, tg probe.Target) probe.Result {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("probe context has no deadline")
		}
		mu.Lock()
		defer mu.Unlock()
		if failing {
			return probe.Result{Start: time.Now(), Outcome: probe.Down, Class: probe.ClassRefused}
		}
		return probe.Result{Start: time.Now(), Outcome: probe.Up}
	})
	results := make(chan store.Result, 100)
	target, _ := probe.ParseTarget("tcp://127.0.0.1:1")
	checks := []Check{{Key: "c/a", ID: "a", Component: "c", Target: target, Interval: 20 * time.Millisecond,
		Timeout: 10 * time.Millisecond, RetryInterval: 5 * time.Millisecond, Thresholds: Thresholds{FailAfter: 3, RecoverAfter: 2}}}
	m := New(specOf(checks...), Options{Prober: prober, Sink: sinkFunc(func(r store.Result) { results <- r })})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error)
	go func() { stopped <- m.Run(ctx) }()

	waitState := func(want State) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case <-results:
				if m.Snapshot()[0].State == want {
					return
				}
			case <-deadline:
				t.Fatalf("state is %s, want %s", m.Snapshot()[0].State, want)
			}
		}
	}
	waitState(StateUp)
	mu.Lock()
	failing = true
	mu.Unlock()
	waitState(StateDown)
	if s := m.Snapshot()[0]; s.Fails < 3 || s.Last.Class != probe.ClassRefused {
		t.Errorf("down after %d fails, last %+v", s.Fails, s.Last)
	}
	mu.Lock()
	failing = false
	mu.Unlock()
	waitState(StateUp)
	cancel()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestSchedulerBoundsConcurrency(t *testing.T) {
	const limit = 3
	var mu sync.Mutex
	inflight, peak, total := 0, 0, 0
	release := make(chan struct{})
	started := make(chan struct{}, 100)
	prober := probe.ProberFunc(func(ctx context.Context, _ probe.Target) probe.Result {
		mu.Lock()
		inflight++
		total++
		peak = max(peak, inflight)
		mu.Unlock()
		started <- struct{}{}
		<-release
		mu.Lock()
		inflight--
		mu.Unlock()
		return probe.Result{Outcome: probe.Up}
	})
	target, _ := probe.ParseTarget("tcp://127.0.0.1:1")
	var checks []Check
	for i := range 10 {
		checks = append(checks, Check{Key: "c/" + string(rune('a'+i)), Target: target, Interval: time.Millisecond,
			Timeout: time.Second, Thresholds: Thresholds{FailAfter: 1, RecoverAfter: 1}})
	}
	m := New(specOf(checks...), Options{Prober: prober, Concurrency: limit})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error)
	go func() { stopped <- m.Run(ctx) }()
	for range limit {
		<-started
	}
	select {
	case <-started:
		t.Fatal("more than Concurrency probes started")
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	close(release)
	<-stopped
	if peak != limit {
		t.Errorf("peak concurrency %d, want %d", peak, limit)
	}
}

// One wake-up starts every probe due within the slack after it, and none
// later: thousands of checks cost a wake-up per 10 ms, not per deadline.
func TestSchedulerBatchesDeadlinesWithinSlack(t *testing.T) {
	base := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	s := newScheduler(nil, nil)
	for i, offset := range []time.Duration{0, 4 * time.Millisecond, 10 * time.Millisecond, 11 * time.Millisecond, 40 * time.Millisecond} {
		heap.Push(&s.queue, dueEntry{due: base.Add(offset), key: string(rune('a' + i)), slack: slackFor(10 * time.Second)})
	}
	if d := s.untilDue(base.Add(-time.Second)); d != time.Second {
		t.Errorf("untilDue = %s, want the first deadline", d)
	}
	var started []string
	for {
		e, ok := s.popDue(base)
		if !ok {
			break
		}
		started = append(started, e.key)
	}
	if got := strings.Join(started, ""); got != "abc" {
		t.Errorf("started %q at the first deadline, want abc (within 10 ms)", got)
	}
	if d := s.untilDue(base); d != 11*time.Millisecond {
		t.Errorf("then untilDue = %s, want 11ms", d)
	}
	// A test-sized interval keeps its shape: 20 ms gets 0.2 ms of slack.
	if got := slackFor(20 * time.Millisecond); got != 200*time.Microsecond {
		t.Errorf("slackFor(20ms) = %s", got)
	}
}

// A finished probe files its check's next deadline itself; the deciding
// goroutine is woken only when that deadline comes before the one it
// sleeps for, or when it waits for a free worker.
func TestCompletionWakesTheSchedulerOnlyWhenItMust(t *testing.T) {
	target, _ := probe.ParseTarget("tcp://127.0.0.1:1")
	checks := []Check{{Key: "c/a", ID: "a", Component: "c", Target: target, Interval: 30 * time.Second,
		Timeout: time.Second, RetryInterval: 5 * time.Second, Thresholds: Thresholds{FailAfter: 3, RecoverAfter: 2}}}
	clock := &fakeClock{now: time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)}
	m := New(specOf(checks...), Options{Clock: clock})
	s := newScheduler(m, clock)
	const workers = 4
	now := clock.Now()
	poked := func() bool {
		select {
		case <-s.poke:
			return true
		default:
			return false
		}
	}
	entry := dueEntry{due: now, key: "c/a", slack: slackFor(30 * time.Second)}

	s.inflight, s.sleepsUntil = 1, now.Add(3*time.Second) // another check is due in 3 s
	s.complete(completion{entry: entry, check: checks[0], passed: true, ran: true})
	if poked() {
		t.Error("a next deadline 30 s away woke the scheduler sleeping for one 3 s away")
	}
	if s.queue.Len() != 1 || !s.queue[0].due.Equal(now.Add(30*time.Second)) {
		t.Errorf("queue %+v, want the next deadline in 30 s", s.queue)
	}

	heap.Pop(&s.queue)
	s.inflight, s.sleepsUntil = 1, now.Add(10*time.Second)
	s.complete(completion{entry: entry, check: checks[0], passed: false, ran: true})
	if !poked() {
		t.Error("a retry due in 5 s did not wake the scheduler sleeping for 10 s")
	}

	heap.Pop(&s.queue)
	s.inflight, s.sleepsUntil = workers, time.Time{} // every worker busy
	s.complete(completion{entry: entry, check: checks[0], passed: true, ran: true})
	if !poked() {
		t.Error("a free worker did not wake the scheduler waiting for one")
	}
	if s.inflight != workers-1 {
		t.Errorf("inflight %d, want %d", s.inflight, workers-1)
	}
}
