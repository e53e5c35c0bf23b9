package store

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// ResultWriter persists a batch of results; *DB satisfies it.
type ResultWriter interface {
	WriteResults(rs []Result) error
}

var _ ResultWriter = (*DB)(nil)

// WriterOptions configure a Writer.
type WriterOptions struct {
	FlushInterval time.Duration // default 1 s
	// MaxPending bounds results held in memory while writes fail; beyond
	// it the oldest are dropped (and counted). Default 200,000.
	MaxPending int
	// MaxBatch bounds one transaction. Default 20,000.
	MaxBatch int
	Logger   *slog.Logger
}

// WriterStats are counters for metrics.
type WriterStats struct {
	Written uint64 // results committed
	// Logged results are in the result log, waiting for their commit:
	// a kill loses none of them (Written+Logged survive it).
	Logged      uint64
	LoggedTotal uint64 // results ever appended to the result log
	Failures    uint64 // failed flush attempts
	Dropped     uint64 // results dropped: MaxPending exceeded, or invalid
	Pending     int    // results waiting for the next flush
}

// Writer batches probe results and writes them at most FlushInterval
// after they arrive, so that probing never waits for the disk. When a write fails
// (disk full, I/O error) the batch stays queued and is retried on the next
// flush; probing goes on.
type Writer struct {
	dst  BatchWriter
	opts WriterOptions
	log  *slog.Logger

	mu      sync.Mutex
	pending []Result
	removed uint64 // results ever taken off the front of pending
	lastErr string
	// transitions wait for the next flush, in order (see AddTransitions).
	transitions []Transition
	// beat is a heartbeat waiting for the next flush; zero: none.
	beat time.Time
	// logged is how many results at the front of pending are in the
	// result log, waiting for a commit; logSeq is the log's last record
	// and logSince when the first record since the last commit was
	// written (zero: nothing waits in the log).
	logged   int
	logSeq   uint64
	logSince time.Time
	// budget paces flushes (see Run); idle is true while Run waits with
	// no flush planned, when Add may append to the log itself.
	budget *flushBudget
	idle   bool
	// kick tells Run that something was queued.
	kick chan struct{}

	flushMu  sync.Mutex // one flush at a time
	written  atomic.Uint64
	failures atomic.Uint64
	dropped  atomic.Uint64

	loggedTotal atomic.Uint64 // results ever appended to the log

	invalidLogged atomic.Bool
}

// NewWriter returns a Writer for dst; start it with Run.
func NewWriter(dst ResultWriter, o WriterOptions) *Writer {
	if o.FlushInterval <= 0 {
		o.FlushInterval = time.Second
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 200_000
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 20_000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	bw, ok := dst.(BatchWriter)
	if !ok {
		bw = splitBatch{dst}
	}
	return &Writer{dst: bw, opts: o, log: o.Logger, kick: make(chan struct{}, 1),
		budget: newFlushBudget(o.FlushInterval, time.Now())}
}

// wake tells Run that something waits to be written.
func (w *Writer) wake() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Add queues r for the next flush. It never blocks.
// A result the store cannot hold (no check key, time before 1970) is
// dropped and counted at once, so that it cannot block the queue.
func (w *Writer) Add(r Result) {
	if !validResult(r) {
		w.dropped.Add(1)
		if !w.invalidLogged.Swap(true) {
			w.log.Error("invalid result dropped; further ones are only counted", "check", r.Check,
				"err", fmt.Errorf("store: %w: result at %s", ErrInvalid, r.Time))
		}
		return
	}
	w.mu.Lock()
	w.pending = append(w.pending, r)
	if over := len(w.pending) - w.opts.MaxPending; over > 0 {
		w.pending = append(w.pending[:0], w.pending[over:]...)
		w.removed += uint64(over)
		w.logged = max(w.logged-over, 0)
		w.dropped.Add(uint64(over))
	}
	inline := w.idle
	w.mu.Unlock()
	if inline && w.logInline() {
		return
	}
	w.wake()
}

// logInline appends what is queued to the result log on the caller's
// goroutine, when Run is idle, the budget allows a flush and the log can
// take it, and reports whether Run need not wake for it. Handing each
// result of an idle daemon to Run woke a second thread for a write(2):
// a wake-up costs this process more than the write. Run still wakes when
// the record starts a new log period (it plans the commit) or fails.
func (w *Writer) logInline() bool {
	lg, ok := w.dst.(batchLogger)
	if !ok || !w.flushMu.TryLock() {
		return false
	}
	defer w.flushMu.Unlock()
	now := time.Now()
	w.mu.Lock()
	b, fits := w.takeForLogLocked()
	ok = w.idle && w.budget.wait(now) == 0 && fits && !b.empty()
	if ok {
		w.budget.spend(now)
	}
	newPeriod := w.logSince.IsZero()
	w.mu.Unlock()
	return ok && w.appendLog(lg, b) == nil && !newPeriod
}

// Run writes what is queued at most FlushInterval after it was queued,
// until ctx ends, then commits everything and returns the error of that
// final flush. It sleeps while nothing is queued: a ticker here woke an
// idle daemon every second for nothing (0.013 CPU-seconds a minute, most
// of the idle cost of a small configuration).
//
// Flushes are paced by a budget of flushBurst flushes, refilled at one per
// FlushInterval: something queued while the budget lasts is written at
// once, and once it is spent what follows waits for the next refill. Under
// load that is one transaction per interval with everything since, as
// before; an idle daemon, whose results come seconds apart, writes each
// while the thread that probed it is still awake, instead of waking again
// up to a second later for it. A quiet flush goes to the result log, and
// the log's results are committed within logCommitEvery (resultlog.go).
func (w *Writer) Run(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	// A first flush after start-up writes anything queued before Run.
	flushAt := time.Now().Add(w.opts.FlushInterval)
	var commitAt time.Time // when the log's results are due; zero: none wait
	for {
		next := earliest(flushAt, commitAt)
		if next.IsZero() {
			timer.Stop()
		} else {
			timer.Reset(time.Until(next))
		}
		w.setIdle(flushAt.IsZero())
		select {
		case <-ctx.Done():
			w.setIdle(false)
			return w.Flush()
		case <-w.kick:
			if !flushAt.IsZero() {
				continue // the planned flush takes it
			}
			w.setIdle(false)
			commitAt = w.commitDue() // Add may have logged inline
			w.mu.Lock()
			wait := w.budget.wait(time.Now())
			w.mu.Unlock()
			if wait > 0 {
				flushAt = time.Now().Add(wait)
				continue
			}
		case <-timer.C:
			if time.Now().Before(next) {
				continue
			}
			w.setIdle(false)
		}
		now := time.Now()
		w.mu.Lock()
		w.budget.spend(now)
		w.mu.Unlock()
		_ = w.step(!commitAt.IsZero() && !now.Before(commitAt)) // logged and counted inside
		flushAt, commitAt = time.Time{}, w.commitDue()
		if w.unwritten() {
			// A failed write stays queued: retry after another interval.
			flushAt = now.Add(w.opts.FlushInterval)
		}
	}
}

func (w *Writer) setIdle(idle bool) {
	w.mu.Lock()
	w.idle = idle
	w.mu.Unlock()
}

// earliest is the earlier of two deadlines; zero is none.
func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}

// flushBurst is how many flushes may follow each other at once before
// the writer waits a FlushInterval between them.
const flushBurst = 3

// flushBudget is a token bucket of flushes: flushBurst at most, one more
// every interval.
type flushBudget struct {
	every  time.Duration
	tokens float64
	at     time.Time
}

func newFlushBudget(every time.Duration, now time.Time) *flushBudget {
	return &flushBudget{every: every, tokens: flushBurst, at: now}
}

func (b *flushBudget) refill(now time.Time) {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(flushBurst, b.tokens+float64(d)/float64(b.every))
	}
	b.at = now
}

// wait is how long until a flush may start; zero: now.
func (b *flushBudget) wait(now time.Time) time.Duration {
	b.refill(now)
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) * float64(b.every))
}

// spend takes one flush from the budget (a timer's flush may overdraw it
// a little; that only delays the next).
func (b *flushBudget) spend(now time.Time) {
	b.refill(now)
	b.tokens--
}

// unwritten reports whether something queued is neither in the log nor
// committed.
func (w *Writer) unwritten() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending) > w.logged || len(w.transitions) > 0 || !w.beat.IsZero()
}

// commitDue is when the log's results must be committed; zero when none
// wait there.
func (w *Writer) commitDue() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.logSince.IsZero() {
		return time.Time{}
	}
	return w.logSince.Add(logCommitEvery)
}

// Flush commits everything queued, the log's results included.
func (w *Writer) Flush() error { return w.step(true) }

// batchLogger is implemented by *DB (resultlog.go).
type batchLogger interface {
	LogBatch(b Batch) (uint64, error)
}

// step writes what is queued: to the result log when it is little and
// holds no transitions and commit is false, else in transactions of at
// most MaxBatch results, the last of which carries the transitions and
// the heartbeat, so that a flush is one commit.
func (w *Writer) step(commit bool) error {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	if lg, ok := w.dst.(batchLogger); ok && !commit {
		b, fits := w.takeForLog()
		switch {
		case fits && b.empty():
			return nil // all in the log already; its commit comes on time
		case fits && w.appendLog(lg, b) == nil:
			return nil
		}
		// Too much for the log, or the log failed (disk full?): commit.
	}
	for {
		b, head := w.take()
		if b.empty() {
			return nil
		}
		if err := w.dst.WriteBatch(b); err != nil {
			w.failures.Add(1)
			w.logError(err)
			w.putBack(b)
			return err
		}
		w.done(b, head)
	}
}

// takeForLog returns what the log is to take (results not yet logged and
// the heartbeat; maybe nothing); fits is false when a commit is needed
// instead: transitions are queued, or more than logMaxResults results.
func (w *Writer) takeForLog() (b Batch, fits bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.takeForLogLocked()
}

func (w *Writer) takeForLogLocked() (b Batch, fits bool) {
	if len(w.transitions) > 0 || len(w.pending) > logMaxResults {
		return Batch{}, false
	}
	return Batch{Results: slices.Clone(w.pending[w.logged:]), Heartbeat: w.beat}, true
}

// appendLog writes b to the log and marks it logged.
func (w *Writer) appendLog(lg batchLogger, b Batch) error {
	seq, err := lg.LogBatch(b)
	if err != nil {
		w.failures.Add(1)
		w.logError(err)
		return err
	}
	w.mu.Lock()
	w.logged += len(b.Results)
	w.logSeq = seq
	if w.logSince.IsZero() {
		w.logSince = time.Now()
	}
	if w.beat.Equal(b.Heartbeat) {
		w.beat = time.Time{}
	}
	recovered := w.lastErr != ""
	w.lastErr = ""
	w.mu.Unlock()
	w.loggedTotal.Add(uint64(len(b.Results)))
	if recovered {
		w.log.Info("store writes recovered", "results", len(b.Results))
	}
	return nil
}

// take returns the next batch to commit: up to MaxBatch results (and
// always every result in the log, so that its position can move past
// them) and, when they are the last queued, the transitions and
// heartbeat too; head is the count of results removed before it (see
// done).
func (w *Writer) take() (b Batch, head uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := max(min(len(w.pending), w.opts.MaxBatch), w.logged)
	b.Results = slices.Clone(w.pending[:n])
	if n == len(w.pending) {
		b.Transitions, w.transitions = w.transitions, nil
		b.Heartbeat, w.beat = w.beat, time.Time{}
	}
	if !w.logSince.IsZero() {
		b.LogSeq = w.logSeq
	}
	return b, w.removed
}

// putBack queues again what a failed write took: its transitions in front
// of any queued since, its heartbeat unless a later one was queued. (Its
// results never left the queue.)
func (w *Writer) putBack(b Batch) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(b.Transitions) > 0 {
		w.transitions = append(b.Transitions, w.transitions...)
		if over := len(w.transitions) - w.opts.MaxPending; over > 0 {
			w.transitions = append(w.transitions[:0], w.transitions[over:]...)
			w.dropped.Add(uint64(over))
		}
	}
	if b.Heartbeat.After(w.beat) {
		w.beat = b.Heartbeat
	}
}

// done takes a committed batch's results off the queue.
func (w *Writer) done(b Batch, head uint64) {
	n := len(b.Results)
	w.mu.Lock()
	w.written.Add(uint64(n)) // under mu, so that Stats sees it with logged
	// Add may have dropped from the front meanwhile: take off only what
	// is still there of the batch.
	left := n - int(min(w.removed-head, uint64(n)))
	w.pending = w.pending[min(left, len(w.pending)):]
	w.removed += uint64(left)
	w.logged = max(w.logged-left, 0)
	if b.LogSeq != 0 && b.LogSeq == w.logSeq {
		w.logSince = time.Time{}
	}
	if len(w.pending) == 0 {
		w.pending = nil
	}
	recovered := w.lastErr != ""
	w.lastErr = ""
	w.mu.Unlock()
	if recovered {
		w.log.Info("store writes recovered", "results", n)
	}
}

// heartbeatWriter and transitionWriter are what splitBatch looks for.
type heartbeatWriter interface {
	Heartbeat(t time.Time) error
}

type transitionWriter interface {
	RecordTransitions(ts []Transition) error
}

// AddHeartbeat queues a heartbeat for the next flush (a later one
// replaces it), so that the monitor never waits for the disk sync of one.
func (w *Writer) AddHeartbeat(t time.Time) {
	w.mu.Lock()
	if t.After(w.beat) {
		w.beat = t
	}
	w.mu.Unlock()
	w.wake()
}

// AddTransitions queues state transitions for the next flush, so that a
// state change never waits for the disk. They are written in order, after
// the results of the same flush; while writes fail they stay queued (up to
// MaxPending, then the oldest are dropped and counted). An invalid one
// (which the monitor does not make) is dropped, counted and logged here,
// so that it cannot block the queue.
func (w *Writer) AddTransitions(ts []Transition) {
	valid := ts[:0:0]
	for _, t := range ts {
		if err := validTransition(t); err != nil {
			w.dropped.Add(1)
			w.log.Error("invalid transition dropped", "err", err)
			continue
		}
		valid = append(valid, t)
	}
	w.mu.Lock()
	w.transitions = append(w.transitions, valid...)
	if over := len(w.transitions) - w.opts.MaxPending; over > 0 {
		w.transitions = append(w.transitions[:0], w.transitions[over:]...)
		w.dropped.Add(uint64(over))
	}
	w.mu.Unlock()
	w.wake()
}

// logError logs a write error only when it differs from the last one.
func (w *Writer) logError(err error) {
	w.mu.Lock()
	changed := err.Error() != w.lastErr
	w.lastErr = err.Error()
	pending := len(w.pending)
	w.mu.Unlock()
	if changed {
		w.log.Error("store write failed; results stay queued and are retried", "err", err, "pending", pending)
	}
}

// Stats returns the writer's counters.
func (w *Writer) Stats() WriterStats {
	w.mu.Lock()
	pending, logged, written := len(w.pending), w.logged, w.written.Load()
	w.mu.Unlock()
	return WriterStats{Written: written, Logged: uint64(logged), LoggedTotal: w.loggedTotal.Load(),
		Failures: w.failures.Load(), Dropped: w.dropped.Load(), Pending: pending}
}

// BufferedHistory is the monitor's view of the store with transitions
// written through the Writer's batches instead of one transaction each.
type BufferedHistory struct {
	*DB
	Writer *Writer
}

// RecordTransitions queues ts; it never fails.
func (b BufferedHistory) RecordTransitions(ts []Transition) error {
	b.Writer.AddTransitions(ts)
	return nil
}

// Heartbeat queues t for the next batch; it never fails. The monitor
// records a heartbeat while it holds its evaluation lock, which must not
// wait for a disk sync.
func (b BufferedHistory) Heartbeat(t time.Time) error {
	b.Writer.AddHeartbeat(t)
	return nil
}
