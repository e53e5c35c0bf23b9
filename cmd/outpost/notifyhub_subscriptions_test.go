package main

import (
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/notify"
	"github.com/outpost-status/outpost/store"
)

// subscriptions.channel makes that email channel the subscriptions
// channel: a public event then also enqueues its fan-out job there. With
// subscriptions off, or without page.url for the links, it does not.
func TestNotifyHubWiresTheSubscriptionsChannel(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	nm, err := notify.NewMetrics(prometheus.NewRegistry(), nil, db.Pending)
	if err != nil {
		t.Fatal(err)
	}
	hub := &notifyHub{db: db, log: slog.New(slog.DiscardHandler), metrics: nm}
	defer hub.stopDispatcher()
	now := time.Now()
	notice := incident.Notice{Event: incident.EventIncidentPublished, At: now, Incident: store.Incident{ID: 1, Name: "Down",
		State: store.IncidentPublished, Status: store.StatusInvestigating, CreatedAt: now, PublishedAt: now}}
	cfg := func(enabled bool, url string) *config.Config {
		return &config.Config{Page: config.Page{Title: "Example", URL: url, Language: "en"},
			Notify: []config.Notify{{Name: "news", Type: "email", Audience: "public", SMTP: "127.0.0.1:1",
				From: "status@example.com", To: []string{"list@example.com"}}},
			Subscriptions: config.Subscriptions{Enabled: enabled, Channel: "news"}}
	}
	for _, tt := range []struct {
		name string
		cfg  *config.Config
		jobs int
	}{
		{"enabled", cfg(true, "https://status.example.com"), 1},
		{"disabled", cfg(false, "https://status.example.com"), 0},
		{"no page url", cfg(true, ""), 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := hub.reload(t.Context(), tt.cfg); err != nil {
				t.Fatal(err)
			}
			jobs := 0
			for _, m := range hub.Messages(notice) {
				if m.FanOut && m.Channel == "news" && m.Key == notify.FanOutKey("inc-1-"+strconv.FormatInt(now.Unix(), 10)+"-published") {
					jobs++
				}
			}
			if jobs != tt.jobs {
				t.Errorf("%d fan-out jobs, want %d", jobs, tt.jobs)
			}
		})
	}
}
