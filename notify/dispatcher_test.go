package notify

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/outpost-status/outpost/store"
)

var dispT0 = time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)

func openDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func enqueue(t *testing.T, db *store.DB, channel string, keys ...string) {
	t.Helper()
	var msgs []store.OutboxMessage
	for _, k := range keys {
		msgs = append(msgs, store.OutboxMessage{Key: k, Channel: channel, Event: "incident_updated", Subject: "s", Text: k, CreatedAt: dispT0})
	}
	if err := db.Enqueue(msgs); err != nil {
		t.Fatal(err)
	}
}

// receiver records the idempotency keys it accepted with the (fake)
// time; answer decides the status of each request.
type receiver struct {
	mu       sync.Mutex
	accepted []string
	at       []time.Time
	attempts []string
	answer   func(key string) int
	now      func() time.Time
	url      string
}

func newReceiver(t *testing.T, now func() time.Time, answer func(key string) int) *receiver {
	r := &receiver{answer: answer, now: now}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		key := req.Header.Get(HeaderIdempotencyKey)
		r.mu.Lock()
		r.attempts = append(r.attempts, key)
		code := http.StatusOK
		if r.answer != nil {
			code = r.answer(key)
		}
		if code < 300 {
			r.accepted = append(r.accepted, key)
			r.at = append(r.at, r.now())
		}
		r.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL + "/hook"
	return r
}

func (r *receiver) keys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.accepted)
}

func webhookChannel(t *testing.T, name, url string, perMinute, burst int) Channel {
	t.Helper()
	s, err := NewWebhook(WebhookOptions{URL: url, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return Channel{Name: name, Type: "webhook", Audience: AudiencePublic, Sender: s, RatePerMinute: perMinute, Burst: burst}
}

// drive steps worker w with the fake clock until done or limit passes.
func drive(t *testing.T, clock *fakeClock, w *worker, limit time.Time, done func() bool) {
	t.Helper()
	for !done() {
		if clock.Now().After(limit) {
			t.Fatalf("not done by %s", limit.Sub(dispT0))
		}
		if wait := w.step(t.Context()); wait > 0 {
			clock.Advance(wait)
		}
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempts int
		jitter   float64
		want     time.Duration
	}{
		{1, 0.5, time.Second},
		{2, 0.5, 2 * time.Second},
		{5, 0.5, 16 * time.Second},
		{10, 0.5, 512 * time.Second},
		{11, 0.5, 10 * time.Minute},
		{1000, 0.5, 10 * time.Minute},
		{1, 0, 800 * time.Millisecond},
		{1, 0.999, 1199600 * time.Microsecond},
		{20, 0, 8 * time.Minute},
		{20, 0.999, 10 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("attempt %d jitter %g", tt.attempts, tt.jitter), func(t *testing.T) {
			if got := backoff(tt.attempts, time.Second, 10*time.Minute, tt.jitter); got != tt.want {
				t.Errorf("backoff = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestTokenBucket(t *testing.T) {
	b := newBucket(30, 10, dispT0)
	now := dispT0
	var sent []time.Duration
	for len(sent) < 14 {
		if w := b.wait(now); w > 0 {
			now = now.Add(w)
			continue
		}
		b.take(now)
		sent = append(sent, now.Sub(dispT0))
	}
	want := []time.Duration{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 * time.Second, 4 * time.Second, 6 * time.Second, 8 * time.Second}
	if !slices.Equal(sent, want) {
		t.Errorf("send times %v, want burst of 10 then one every 2 s", sent)
	}
}

// TestReceiverDownTenMinutes: a receiver answers 503 for ten minutes
// while messages keep coming; afterwards it gets every one of them, in
// order, once, and only the head was tried meanwhile.
func TestReceiverDownTenMinutes(t *testing.T) {
	clock := newFakeClock(dispT0)
	up := dispT0.Add(10 * time.Minute)
	r := newReceiver(t, clock.Now, func(string) int {
		if clock.Now().Before(up) {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	db := openDB(t)
	reg := prometheus.NewRegistry()
	metrics, err := NewMetrics(reg, []string{"hook"}, db.Pending)
	if err != nil {
		t.Fatal(err)
	}
	d := NewDispatcher(db, []Channel{webhookChannel(t, "hook", r.url, 30, 10)},
		DispatcherOptions{Clock: clock, Observer: metrics, Jitter: func() float64 { return 0.5 }})
	w := d.workers[0]
	var want []string
	for i := range 3 {
		want = append(want, fmt.Sprintf("k%02d", i))
	}
	enqueue(t, db, "hook", want...)
	// Messages keep arriving during the outage.
	for minute := 1; minute < 10; minute += 3 {
		drive(t, clock, w, dispT0.Add(time.Duration(minute)*time.Minute), func() bool { return !clock.Now().Before(dispT0.Add(time.Duration(minute) * time.Minute)) })
		k := fmt.Sprintf("k%02d", len(want))
		enqueue(t, db, "hook", k)
		want = append(want, k)
	}
	drive(t, clock, w, up.Add(11*time.Minute), func() bool { return len(r.keys()) == len(want) })
	if got := r.keys(); !slices.Equal(got, want) {
		t.Fatalf("delivered %q, want %q", got, want)
	}
	if first := r.at[0]; first.Before(up) || first.After(up.Add(10*time.Minute)) {
		t.Errorf("first delivery at +%s, want within the 10 min backoff cap after the receiver came back", first.Sub(dispT0))
	}
	failed := 0
	for _, k := range r.attempts[:len(r.attempts)-len(want)] {
		if k != "k00" {
			t.Errorf("while down, %s was tried before the head", k)
		}
		failed++
	}
	if got := testutil.ToFloat64(metrics.failed.WithLabelValues("hook", string(ReasonServer))); int(got) != failed || failed < 8 {
		t.Errorf("failed_total{server_error} = %v, want %d (≥ 8 attempts in 10 min)", got, failed)
	}
	if got := testutil.ToFloat64(metrics.sent.WithLabelValues("hook")); int(got) != len(want) {
		t.Errorf("sent_total = %v, want %d", got, len(want))
	}
	t.Logf("receiver down 10 min: %d failed attempts of the head, first delivery at +%s, all %d delivered in order by +%s",
		failed, r.at[0].Sub(dispT0), len(want), r.at[len(r.at)-1].Sub(dispT0))
}

func TestRateLimitPerChannel(t *testing.T) {
	clock := newFakeClock(dispT0)
	r := newReceiver(t, clock.Now, nil)
	db := openDB(t)
	d := NewDispatcher(db, []Channel{webhookChannel(t, "hook", r.url, 30, 10)}, DispatcherOptions{Clock: clock})
	var keys []string
	for i := range 14 {
		keys = append(keys, fmt.Sprintf("k%02d", i))
	}
	enqueue(t, db, "hook", keys...)
	drive(t, clock, d.workers[0], dispT0.Add(time.Minute), func() bool { return len(r.keys()) == len(keys) })
	for i, at := range r.at {
		want := dispT0.Add(time.Duration(max(0, i-9)) * 2 * time.Second)
		if !at.Equal(want) {
			t.Errorf("message %d delivered at +%s, want +%s", i, at.Sub(dispT0), want.Sub(dispT0))
		}
	}
}

func TestRejectedMessageIsDroppedAndAudited(t *testing.T) {
	clock := newFakeClock(dispT0)
	r := newReceiver(t, clock.Now, func(key string) int {
		if key == "bad" {
			return http.StatusUnprocessableEntity
		}
		return http.StatusOK
	})
	db := openDB(t)
	reg := prometheus.NewRegistry()
	metrics, err := NewMetrics(reg, []string{"hook"}, db.Pending)
	if err != nil {
		t.Fatal(err)
	}
	d := NewDispatcher(db, []Channel{webhookChannel(t, "hook", r.url, 30, 10)}, DispatcherOptions{Clock: clock, Observer: metrics})
	enqueue(t, db, "hook", "a", "bad", "c")
	drive(t, clock, d.workers[0], dispT0.Add(time.Minute), func() bool { return len(r.keys()) == 2 })
	if got := r.keys(); !slices.Equal(got, []string{"a", "c"}) || !slices.Equal(r.attempts, []string{"a", "bad", "c"}) {
		t.Errorf("accepted %q after attempts %q", got, r.attempts)
	}
	audit, _ := db.Audit(1)
	if len(audit) != 1 || audit[0].Action != "notify-failed" || !strings.Contains(audit[0].Detail, "channel hook dropped bad") {
		t.Errorf("audit = %+v", audit)
	}
	if err := db.Enqueue([]store.OutboxMessage{{Key: "bad", Channel: "hook", CreatedAt: dispT0}}); err != nil {
		t.Fatal(err)
	}
	if p, _ := db.Pending(); len(p) != 0 {
		t.Errorf("a dropped key was enqueued again: %v", p)
	}
	want := `
# HELP outpost_notifications_pending Notifications waiting in the outbox, by channel.
# TYPE outpost_notifications_pending gauge
outpost_notifications_pending{channel="hook"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "outpost_notifications_pending"); err != nil {
		t.Error(err)
	}
	if got := testutil.ToFloat64(metrics.failed.WithLabelValues("hook", string(ReasonRejected))); got != 1 {
		t.Errorf("failed_total{rejected} = %v", got)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("metric lint: %v %v", problems, err)
	}
}

// TestWakeAndSlowReceiver runs real goroutines: a fresh enqueue is sent
// at once (no poll), a hanging receiver holds up neither another
// channel nor incident writes, and Run returns when ctx ends.
func TestWakeAndSlowReceiver(t *testing.T) {
	db := openDB(t)
	fast := newReceiver(t, time.Now, nil)
	hung := make(chan struct{}, 1)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body) // then the server notices the client going away
		select {
		case hung <- struct{}{}:
		default:
		}
		<-req.Context().Done()
	}))
	t.Cleanup(slow.Close)
	slowCh := webhookChannel(t, "slow", slow.URL, 600, 10)
	slowCh.Sender.(*Webhook).post.timeout = time.Hour
	d := NewDispatcher(db, []Channel{slowCh, webhookChannel(t, "fast", fast.url, 600, 10)},
		DispatcherOptions{Poll: time.Hour})
	db.OnEnqueue(d.Wake)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	enqueue(t, db, "slow", "s1")
	<-hung
	start := time.Now()
	if _, err := db.CreateIncidentWith(store.Incident{Name: "x"}, store.AuditEntry{}, func(store.Incident) []store.OutboxMessage {
		return []store.OutboxMessage{{Key: "f1", Channel: "fast", CreatedAt: dispT0}}
	}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("an incident write took %s while a receiver hangs", took)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(fast.keys()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := fast.keys(); !slices.Equal(got, []string{"f1"}) {
		t.Errorf("fast channel got %q within 5 s, want f1 (woken, not polled)", got)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after ctx ended")
	}
	if head, _ := db.Outbox("slow", 0); len(head) != 1 || head[0].Attempts != 0 {
		t.Errorf("abandoned send changed the message: %+v", head)
	}
}
