package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	Written  uint64 // results committed
	Failures uint64 // failed flush attempts
	Dropped  uint64 // results dropped: MaxPending exceeded, or invalid
	Pending  int    // results waiting for the next flush
}

// Writer batches probe results and writes them at most FlushInterval
// after they arrive, so that probing never waits for the disk. When a write fails
// (disk full, I/O error) the batch stays queued and is retried on the next
// flush; probing goes on.
type Writer struct {
	dst  ResultWriter
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
	// kick tells Run that something was queued.
	kick chan struct{}

	flushMu  sync.Mutex // one flush at a time
	written  atomic.Uint64
	failures atomic.Uint64
	dropped  atomic.Uint64

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
	return &Writer{dst: dst, opts: o, log: o.Logger, kick: make(chan struct{}, 1)}
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
		w.dropped.Add(uint64(over))
	}
	w.mu.Unlock()
	w.wake()
}

// Run writes what is queued at most FlushInterval after it was queued,
// until ctx ends, then flushes once more and returns the error of that
// final flush. It sleeps while nothing is queued: a ticker here woke an
// idle daemon every second for nothing (0.013 CPU-seconds a minute, most
// of the idle cost of a small configuration).
//
// The first thing queued after a quiet FlushInterval is written at once,
// and what follows within the interval waits for the next flush: the
// batches are as large as before under load (at most one flush per
// interval), but an idle daemon writes a result while the thread that
// probed is still awake instead of waking once more a second later for
// it (a wake-up costs this idle process more than the commit itself).
func (w *Writer) Run(ctx context.Context) error {
	timer := time.NewTimer(w.opts.FlushInterval)
	defer timer.Stop()
	armed := true // a first flush after start-up writes anything queued before Run
	var last time.Time
	flush := func() {
		last = time.Now()
		_ = w.Flush() // logged and counted inside
		if w.queued() {
			// A failed write stays queued: retry after another interval.
			timer.Reset(w.opts.FlushInterval)
			armed = true
		}
	}
	for {
		select {
		case <-ctx.Done():
			return w.Flush()
		case <-w.kick:
			if armed {
				continue
			}
			if wait := w.opts.FlushInterval - time.Since(last); wait > 0 {
				timer.Reset(wait)
				armed = true
				continue
			}
			flush()
		case <-timer.C:
			armed = false
			flush()
		}
	}
}

// queued reports whether results or transitions wait to be written.
func (w *Writer) queued() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending) > 0 || len(w.transitions) > 0 || !w.beat.IsZero()
}

// Flush writes everything queued, in transactions of at most MaxBatch.
func (w *Writer) Flush() error {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	if err := w.flushResults(); err != nil {
		return err
	}
	if err := w.flushTransitions(); err != nil {
		return err
	}
	return w.flushHeartbeat()
}

// heartbeatWriter is implemented by *DB.
type heartbeatWriter interface {
	Heartbeat(t time.Time) error
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

func (w *Writer) flushHeartbeat() error {
	hw, ok := w.dst.(heartbeatWriter)
	w.mu.Lock()
	beat := w.beat
	w.mu.Unlock()
	if beat.IsZero() || !ok {
		return nil
	}
	if err := hw.Heartbeat(beat); err != nil {
		w.failures.Add(1)
		w.logError(err)
		return err // kept: written by the next flush
	}
	w.mu.Lock()
	if w.beat.Equal(beat) {
		w.beat = time.Time{}
	}
	w.mu.Unlock()
	return nil
}

// transitionWriter is implemented by *DB.
type transitionWriter interface {
	RecordTransitions(ts []Transition) error
}

// AddTransitions queues state transitions for the next flush, so that a
// state change never waits for the disk. They are written in order, after
// the results of the same flush; while writes fail they stay queued (up to
// MaxPending, then the oldest are dropped and counted).
func (w *Writer) AddTransitions(ts []Transition) {
	w.mu.Lock()
	w.transitions = append(w.transitions, ts...)
	if over := len(w.transitions) - w.opts.MaxPending; over > 0 {
		w.transitions = append(w.transitions[:0], w.transitions[over:]...)
		w.dropped.Add(uint64(over))
	}
	w.mu.Unlock()
	w.wake()
}

func (w *Writer) flushTransitions() error {
	tw, ok := w.dst.(transitionWriter)
	w.mu.Lock()
	ts := w.transitions
	w.transitions = nil
	w.mu.Unlock()
	if len(ts) == 0 || !ok {
		return nil
	}
	if err := tw.RecordTransitions(ts); err != nil {
		w.failures.Add(1)
		w.logError(err)
		if errors.Is(err, ErrInvalid) {
			// A malformed transition would block the queue for ever.
			w.dropped.Add(uint64(len(ts)))
			return err
		}
		w.mu.Lock()
		w.transitions = append(ts, w.transitions...)
		w.mu.Unlock()
		return err
	}
	return nil
}

func (w *Writer) flushResults() error {
	for {
		w.mu.Lock()
		n := min(len(w.pending), w.opts.MaxBatch)
		batch := make([]Result, n)
		copy(batch, w.pending[:n])
		head := w.removed
		w.mu.Unlock()
		if n == 0 {
			return nil
		}
		if err := w.dst.WriteResults(batch); err != nil {
			w.failures.Add(1)
			w.logError(err)
			return err
		}
		w.written.Add(uint64(n))
		w.mu.Lock()
		// Add may have dropped from the front meanwhile: take off only
		// what is still there of the batch.
		left := n - int(min(w.removed-head, uint64(n)))
		w.pending = w.pending[min(left, len(w.pending)):]
		w.removed += uint64(left)
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
	pending := len(w.pending)
	w.mu.Unlock()
	return WriterStats{Written: w.written.Load(), Failures: w.failures.Load(), Dropped: w.dropped.Load(), Pending: pending}
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
