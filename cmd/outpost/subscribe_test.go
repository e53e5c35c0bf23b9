package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/store"
)

func TestSubscribePagesWiring(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := &config.Config{Page: config.Page{Title: "Example", URL: "https://status.example.com", Language: "en"},
		Subscriptions: config.Subscriptions{Enabled: true, Channel: "news", ConfirmTTL: config.Duration(48 * time.Hour),
			PerClientPerHour: 5, ConsentText: "Yes."}}
	p := subscribePages(cfg, db)
	if p == nil || p.ConfirmTTL != 48*time.Hour || p.PerClientPerHour != 5 || p.ConsentText != "Yes." {
		t.Fatalf("pages = %+v", p)
	}
	_, mailed, err := db.AddSubscriber(store.SignUp{Email: "ada@example.com", Consent: store.Consent{Time: time.Now()}}, p.Mail)
	if err != nil || !mailed {
		t.Fatalf("sign-up: %v %v", mailed, err)
	}
	msgs, _ := db.Outbox("news", 0)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "https://status.example.com/subscribe/confirm?token=") || msgs[0].Subscriber == 0 {
		t.Errorf("confirmation mail = %+v", msgs)
	}
	for name, c := range map[string]*config.Config{
		"disabled":    {Page: cfg.Page, Subscriptions: config.Subscriptions{Channel: "news"}},
		"no page.url": {Page: config.Page{Title: "Example"}, Subscriptions: cfg.Subscriptions},
	} {
		if p := subscribePages(c, db); p != nil {
			t.Errorf("%s: pages are on", name)
		}
	}
}
