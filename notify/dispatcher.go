package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/store"
)

// Outbox is the persisted queue; *store.DB implements it.
type Outbox interface {
	Outbox(channel string, limit int) ([]store.OutboxMessage, error)
	MarkSent(channel string, seq uint64, key string, at time.Time) error
	MarkFailed(channel string, seq uint64, key string, at time.Time, reason string, audit store.AuditEntry) error
	Reschedule(channel string, seq uint64, attempts int, next time.Time, lastErr string) error
	PruneSent(cut time.Time, limit int) (int, error)
	// Release moves held messages (escalations) that are due into the
	// queue and returns when the next one is.
	Release(channel string, now time.Time) (time.Time, error)
}

var _ Outbox = (*store.DB)(nil)

// Observer counts deliveries; *Metrics implements it.
type Observer interface {
	Sent(channel string)
	Failed(channel string, reason Reason)
	// Subscribers counts n subscriber messages with result.
	Subscribers(result SubscriberResult, n int)
}

// DispatcherOptions configure NewDispatcher.
type DispatcherOptions struct {
	Clock    monitor.Clock // default monitor.SystemClock
	Logger   *slog.Logger
	Observer Observer // nil: no metrics
	// Poll is how often an idle channel looks at its outbox without a
	// wake-up. Default 1 s.
	Poll time.Duration
	// FirstBackoff doubles per failed attempt up to MaxBackoff
	// (defaults 1 s and 10 min); Jitter returns a number in [0, 1)
	// (default math/rand/v2.Float64).
	FirstBackoff, MaxBackoff time.Duration
	Jitter                   func() float64
	// KeepSent is how long a delivered key is remembered (and so not
	// enqueued again). Default 30 days.
	KeepSent time.Duration
	// FanOut is where the subscriptions channel (Channel.Subscribers)
	// turns fan-out jobs into copies; nil: the channel does no fan-out.
	FanOut FanOutStore
	// FanOutChunk is how many subscribers one fan-out step visits (one
	// store transaction); default FanOutChunk.
	FanOutChunk int
}

// Dispatcher delivers each channel's outbox in order, in a goroutine per
// channel, so a slow receiver delays neither probing nor other channels.
type Dispatcher struct {
	db      Outbox
	o       DispatcherOptions
	workers []*worker
}

// NewDispatcher returns a dispatcher for channels; start it with Run.
func NewDispatcher(db Outbox, channels []Channel, o DispatcherOptions) *Dispatcher {
	if o.Clock == nil {
		o.Clock = monitor.SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.FirstBackoff <= 0 {
		o.FirstBackoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Minute
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	if o.KeepSent <= 0 {
		o.KeepSent = 30 * 24 * time.Hour
	}
	if o.FanOutChunk <= 0 {
		o.FanOutChunk = FanOutChunk
	}
	d := &Dispatcher{db: db, o: o}
	for _, ch := range channels {
		d.workers = append(d.workers, &worker{ch: ch, db: db, o: o, log: o.Logger.With("channel", ch.Name),
			limit: newBucket(ch.RatePerMinute, ch.Burst, o.Clock.Now()), wake: make(chan struct{}, 1)})
	}
	return d
}

// Wake tells every channel to look at its outbox now. It never blocks;
// connect it to store.DB.OnEnqueue.
func (d *Dispatcher) Wake() {
	for _, w := range d.workers {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// Run delivers until ctx ends. A send in flight when ctx ends is
// abandoned and its message stays at the head of the outbox, to be sent
// again (with the same key) by the next Run.
func (d *Dispatcher) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, w := range d.workers {
		wg.Add(1)
		go func() { defer wg.Done(); w.run(ctx) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); d.pruneLoop(ctx) }()
	wg.Wait()
	return nil
}

// pruneLoop forgets delivered keys after KeepSent, hourly.
func (d *Dispatcher) pruneLoop(ctx context.Context) {
	for {
		for {
			n, err := d.db.PruneSent(d.o.Clock.Now().Add(-d.o.KeepSent), 1000)
			if err != nil {
				d.o.Logger.Warn("notify: pruning sent marks failed; retrying in an hour", "err", err)
			}
			if err != nil || n < 1000 || ctx.Err() != nil {
				break
			}
		}
		t := d.o.Clock.NewTimer(time.Hour)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

// maxRetryAfter bounds a receiver's request to wait (Error.RetryAfter),
// so a wrong or hostile reset time cannot stall a channel for long.
const maxRetryAfter = 6 * time.Hour

// worker delivers one channel's outbox.
type worker struct {
	ch      Channel
	db      Outbox
	o       DispatcherOptions
	log     *slog.Logger
	limit   *bucket
	wake    chan struct{}
	lastErr string
}

func (w *worker) run(ctx context.Context) {
	for ctx.Err() == nil {
		wait := w.step(ctx)
		if wait <= 0 || ctx.Err() != nil {
			continue
		}
		t := w.o.Clock.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-t.C():
		case <-w.wake:
		}
		t.Stop()
	}
}

// step releases the held messages that are due, runs one step of a
// subscriber fan-out (the subscriptions channel), delivers the head of
// the outbox if it is due and the rate limit allows, and returns how long
// to wait before the next step: nothing while a fan-out goes on.
func (w *worker) step(ctx context.Context) time.Duration {
	now := w.o.Clock.Now()
	held, err := w.db.Release(w.ch.Name, now)
	if err != nil {
		w.logChange("notify: releasing held messages failed; retrying", err)
	}
	fanning := w.fanOut(now)
	wait := w.deliver(ctx, now)
	if fanning {
		return 0 // the next chunk at once: it waits for nothing
	}
	if untilHeld := held.Sub(now); !held.IsZero() && untilHeld < wait {
		return max(untilHeld, time.Nanosecond)
	}
	return wait
}

// deliver is step's delivery of the head of the outbox.
func (w *worker) deliver(ctx context.Context, now time.Time) time.Duration {
	head, err := w.db.Outbox(w.ch.Name, 1)
	if err != nil {
		w.logChange("notify: reading the outbox failed; retrying", err)
		return w.o.Poll
	}
	if len(head) == 0 {
		return w.o.Poll
	}
	m := head[0]
	if wait := m.NextAttempt.Sub(now); wait > 0 {
		return wait
	}
	if sk, ok := w.ch.Sender.(Skipper); ok {
		why, err := sk.Skip(m)
		if err != nil {
			w.logChange("notify: checking a message before sending failed; retrying", err, "key", m.Key)
			return w.o.Poll
		}
		if why != "" {
			return w.skip(m, why)
		}
	}
	if wait := w.limit.wait(now); wait > 0 {
		return wait
	}
	w.limit.take(now)
	retry, err := w.ch.Sender.Send(ctx, m)
	if ctx.Err() != nil {
		return 0 // shutting down: the message stays as it is
	}
	if err == nil {
		return w.sent(m)
	}
	reason := ReasonOf(err)
	if w.o.Observer != nil {
		w.o.Observer.Failed(w.ch.Name, reason)
	}
	if !retry {
		return w.drop(m, reason, err)
	}
	return w.reschedule(m, err)
}

func (w *worker) sent(m store.OutboxMessage) time.Duration {
	if err := w.db.MarkSent(w.ch.Name, m.Seq, m.Key, w.o.Clock.Now()); err != nil {
		// Delivered but not recorded: it will be sent again, same key.
		w.log.Error("notify: message delivered but not marked sent; it will be sent again", "key", m.Key, "err", err)
		return w.o.Poll
	}
	if w.o.Observer != nil {
		w.o.Observer.Sent(w.ch.Name)
		if m.Subscriber != 0 {
			w.o.Observer.Subscribers(SubscriberSent, 1)
		}
	}
	if w.lastErr != "" {
		w.log.Info("notify: channel delivers again", "key", m.Key, "attempts", m.Attempts+1)
		w.lastErr = ""
	}
	return 0
}

func (w *worker) reschedule(m store.OutboxMessage, sendErr error) time.Duration {
	attempts := m.Attempts + 1
	wait := backoff(attempts, w.o.FirstBackoff, w.o.MaxBackoff, w.o.Jitter())
	if e := (*Error)(nil); errors.As(sendErr, &e) && e.RetryAfter > wait {
		wait = min(e.RetryAfter, maxRetryAfter) // sooner would only spend the receiver's limit again
	}
	w.logChange("notify: delivery failed; retrying with backoff", sendErr, "key", m.Key, "attempts", attempts, "retry_in", wait)
	if err := w.db.Reschedule(w.ch.Name, m.Seq, attempts, w.o.Clock.Now().Add(wait), sendErr.Error()); err != nil {
		w.log.Error("notify: recording a failed attempt failed", "key", m.Key, "err", err)
	}
	return wait
}

// drop records a final failure: the message leaves the outbox with a
// failure mark and an audit entry, so the channel moves on.
func (w *worker) drop(m store.OutboxMessage, reason Reason, sendErr error) time.Duration {
	w.log.Error("notify: receiver rejected a message; dropped", "key", m.Key, "reason", reason, "err", sendErr)
	if w.o.Observer != nil && m.Subscriber != 0 {
		w.o.Observer.Subscribers(SubscriberFailed, 1)
	}
	audit := store.AuditEntry{At: w.o.Clock.Now(), Actor: "notify", Action: "notify-failed", Incident: m.IncidentID,
		Detail: fmt.Sprintf("channel %s dropped %s after %d attempts: %v", w.ch.Name, m.Key, m.Attempts+1, sendErr)}
	if err := w.db.MarkFailed(w.ch.Name, m.Seq, m.Key, w.o.Clock.Now(), sendErr.Error(), audit); err != nil {
		w.log.Error("notify: dropping a rejected message failed", "key", m.Key, "err", err)
		return w.o.Poll
	}
	return 0
}

// fanOut runs one step of the channel's subscriber fan-out, if it is the
// subscriptions channel, and reports whether more steps wait. A failed
// step is retried at the next step, after the poll interval.
func (w *worker) fanOut(now time.Time) bool {
	if !w.ch.Subscribers || w.o.FanOut == nil {
		return false
	}
	n, more, err := w.o.FanOut.FanOutStep(w.ch.Name, w.o.FanOutChunk, subscriberCopy, now)
	if err != nil {
		w.logChange("notify: subscriber fan-out failed; retrying", err)
		return false
	}
	if n > 0 && w.o.Observer != nil {
		w.o.Observer.Subscribers(SubscriberQueued, n)
	}
	return more
}

// skip takes a message that is no longer to be sent (its subscriber
// left) out of the queue without sending it or taking a token.
func (w *worker) skip(m store.OutboxMessage, why string) time.Duration {
	if err := w.db.MarkSent(w.ch.Name, m.Seq, m.Key, w.o.Clock.Now()); err != nil {
		w.log.Error("notify: removing a message that is no longer to be sent failed", "key", m.Key, "err", err)
		return w.o.Poll
	}
	w.log.Debug("notify: message not sent", "key", m.Key, "why", why)
	if w.o.Observer != nil && m.Subscriber != 0 {
		w.o.Observer.Subscribers(SubscriberSkipped, 1)
	}
	return 0
}

// logChange logs err at Warn when it differs from the last one.
func (w *worker) logChange(msg string, err error, attrs ...any) {
	if err.Error() == w.lastErr {
		return
	}
	w.lastErr = err.Error()
	w.log.Warn(msg, append(attrs, "err", err)...)
}
