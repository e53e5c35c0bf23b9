package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/notify"
	"github.com/outpost-status/outpost/notify/notifytest"
	"github.com/outpost-status/outpost/store"
)

// A reload adds, keeps or removes notification channels without a
// restart: a new channel delivers at once, an invalid one is refused and
// the running one kept, and removing every channel stops delivery (the
// messages wait in the outbox).
func TestNotifyHubReload(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r.Header.Get("Idempotency-Key") + " " + string(b[:min(len(b), 20)])
	}))
	defer srv.Close()
	reg := prometheus.NewRegistry()
	nm, err := notify.NewMetrics(reg, nil, db.Pending)
	if err != nil {
		t.Fatal(err)
	}
	hub := &notifyHub{db: db, log: slog.New(slog.DiscardHandler), metrics: nm}
	ctx := t.Context()
	none := &config.Config{}
	hub.start(ctx, none, nil)
	defer hub.stopDispatcher()
	if msgs := hub.Messages(incident.Notice{Event: incident.EventDraftOpened}); msgs != nil {
		t.Errorf("messages without channels: %v", msgs)
	}

	ops := &config.Config{Notify: []config.Notify{{Name: "ops", Type: "webhook", Audience: "operators", URL: srv.URL,
		RateLimit: 60, RateBurst: 10, Timeout: config.Duration(5 * time.Second)}}}
	if err := hub.reload(ctx, ops); err != nil {
		t.Fatal(err)
	}
	enqueue := func(key string) {
		t.Helper()
		m := notifytest.Message(key)
		m.Channel = "ops"
		if err := db.Enqueue([]store.OutboxMessage{m}); err != nil {
			t.Fatal(err)
		}
	}
	// delivered waits for key at the receiver and then for the outbox to
	// have marked it sent.
	delivered := func(key string) {
		t.Helper()
		select {
		case r := <-got:
			if r[:len(key)] != key {
				t.Errorf("delivered %q, want key %s", r, key)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s not delivered", key)
		}
		eventually(t, key+" marked sent", func() bool { pending, _ := db.Pending(); return pending["ops"] == 0 })
	}
	enqueue("k1")
	delivered("k1")
	eventually(t, "sent_total{ops} 1", func() bool { return sentTotal(t, reg, "ops") == 1 })

	bad := &config.Config{Notify: []config.Notify{{Name: "pager", Type: "pager"}}}
	if err := hub.reload(ctx, bad); err == nil {
		t.Fatal("an unknown channel type was accepted")
	}
	enqueue("k2")
	delivered("k2")

	// start waits for the old dispatcher to stop, and the new one has no
	// channel: nothing can send k3.
	hub.start(ctx, none, nil)
	enqueue("k3")
	if pending, _ := db.Pending(); pending["ops"] != 1 {
		t.Errorf("pending = %v, want ops: 1", pending)
	}
	if n, _ := testutil.GatherAndCount(reg, "outpost_notifications_sent_total"); n != 0 {
		t.Errorf("%d sent_total series after the channel was removed", n)
	}
	select {
	case r := <-got:
		t.Fatalf("delivered %q with no channel configured", r)
	default:
	}
}

// sentTotal reads outpost_notifications_sent_total of one channel.
func sentTotal(t *testing.T, reg *prometheus.Registry, channel string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "outpost_notifications_sent_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "channel" && l.GetValue() == channel {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return -1
}

// eventually polls cond until it holds, failing after 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
}
