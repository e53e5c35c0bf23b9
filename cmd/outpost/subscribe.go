package main

import (
	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/notify"
	"github.com/outpost-status/outpost/publish"
	"github.com/outpost-status/outpost/store"
)

// subscribePages are the options of the public subscription pages: nil
// (the pages answer 404) unless subscriptions are enabled and page.url is
// set, without which no mail could carry a link (the subscriptions
// channel stays off then too; notifyHub logs why). The confirmation mail
// is notify's, for the configured channel's outbox; publish does not
// import notify.
func subscribePages(cfg *config.Config, db *store.DB) *publish.Subscriptions {
	s := cfg.Subscriptions
	if !s.Enabled || cfg.Page.URL == "" {
		return nil
	}
	r := notify.NewRenderer(cfg.Page)
	ttl := s.ConfirmTTL.D()
	return &publish.Subscriptions{Store: db, ConfirmTTL: ttl, PerClientPerHour: s.PerClientPerHour, ConsentText: s.ConsentText,
		Mail: func(sub store.Subscriber, token string) []store.OutboxMessage {
			return []store.OutboxMessage{r.Confirmation(s.Channel, sub, token, ttl)}
		}}
}
