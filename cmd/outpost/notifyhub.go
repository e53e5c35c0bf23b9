package main

import (
	"context"
	"log/slog"
	"slices"
	"sync"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/notify"
	"github.com/outpost-status/outpost/store"
)

// notifyHub owns the notification set-up of the running configuration: the
// channels, the dispatcher delivering their outboxes and the notifier the
// monitor enqueues through. A reload swaps all three without restarting
// the monitor, so adding a channel in the middle of an outage does not
// reset every check's state.
type notifyHub struct {
	db      *store.DB
	log     *slog.Logger
	metrics *notify.Metrics

	mu       sync.RWMutex
	notifier incident.Notifier  // nil: no channels
	stop     context.CancelFunc // of the running dispatcher
	done     chan error
}

var _ incident.Notifier = (*notifyHub)(nil)

// Messages implements incident.Notifier with the current channels.
func (h *notifyHub) Messages(n incident.Notice) []store.OutboxMessage {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.notifier == nil {
		return nil
	}
	return h.notifier.Messages(n)
}

// start runs a dispatcher for channels under ctx, replacing (and first
// stopping) the one running. A send in flight when the old one stops
// stays at the head of its outbox and is sent again with the same key.
func (h *notifyHub) start(ctx context.Context, cfg *config.Config, channels []notify.Channel) {
	h.stopDispatcher()
	names := make([]string, len(channels))
	for i, ch := range channels {
		names[i] = ch.Name
	}
	channels = h.subscriptions(cfg, channels)
	d := notify.NewDispatcher(h.db, channels, notify.DispatcherOptions{Logger: h.log, Observer: h.metrics, FanOut: h.db})
	var notifier incident.Notifier
	if len(channels) > 0 {
		notifier = notify.NewNotifier(notify.NewRenderer(cfg.Page), channels)
	}
	dctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	h.mu.Lock()
	h.notifier, h.stop, h.done = notifier, stop, done
	h.mu.Unlock()
	h.metrics.SetChannels(names)
	h.db.OnEnqueue(d.Wake)
	go func() { done <- d.Run(dctx) }()
	h.warnOrphans(names)
	d.Wake() // messages enqueued while no dispatcher ran
}

// subscriptions makes the channel named by subscriptions.channel the
// subscriptions channel when subscriptions are enabled. A channel that
// cannot be one (no page.url for the links) leaves subscriber mails off,
// with an error in the log: the channel itself still delivers.
func (h *notifyHub) subscriptions(cfg *config.Config, channels []notify.Channel) []notify.Channel {
	if !cfg.Subscriptions.Enabled {
		return channels
	}
	with, err := notify.WithSubscribers(channels, cfg.Subscriptions.Channel, cfg.Page, h.db)
	if err != nil {
		h.log.Error("subscriber mails are off; fix the configuration and reload", "err", err)
		return channels
	}
	return with
}

// stopDispatcher stops the running dispatcher, if any, and waits for it.
func (h *notifyHub) stopDispatcher() error {
	h.mu.Lock()
	stop, done := h.stop, h.done
	h.stop, h.done = nil, nil
	h.mu.Unlock()
	if stop == nil {
		return nil
	}
	stop()
	return <-done
}

// warnOrphans logs pending messages of channels that are not configured.
func (h *notifyHub) warnOrphans(names []string) {
	pending, err := h.db.Pending()
	if err != nil {
		return
	}
	for name, n := range pending {
		if !slices.Contains(names, name) {
			h.log.Warn("notification channel is no longer configured; its pending messages are kept, not sent",
				"channel", name, "pending", n)
		}
	}
}

// reload follows a changed notify section: new channels take over at
// once. Invalid channels are refused and the running ones kept.
func (h *notifyHub) reload(ctx context.Context, cfg *config.Config) error {
	channels, err := notify.ChannelsFromConfig(cfg.Notify, notify.ChannelOptions{})
	if err != nil {
		return err
	}
	h.start(ctx, cfg, channels)
	h.log.Info("notification channels reloaded", "channels", len(channels))
	return nil
}
