package main

import (
	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/store"
)

// locationsOf is what the monitor needs to decide with other locations
// (SPEC §17): who it is, the quorum, the timeout, the fallback, whether
// it is a confirmer, and where its operators' notes go. The client
// asking the peers comes later (Monitor.UsePeers, with the peer API).
// location, role, quorum and fallback take effect at the next start;
// peers and tokens are reloaded on SIGHUP (peers.go).
func locationsOf(cfg *config.Config, outbox monitor.Outbox) monitor.Locations {
	return monitor.Locations{ID: cfg.Location.ID, Name: cfg.Location.Name, Quorum: cfg.Confirm.Quorum,
		Timeout: cfg.Confirm.Timeout.D(), Fallback: cfg.Confirm.Fallback, Confirmer: cfg.Role == config.RoleConfirmer,
		Language: cfg.Page.Language, Outbox: outbox}
}

// forRole is the notifier of an outpost of role r: a confirmer sends
// operators' messages only (what it cannot reach, that it is blind),
// never a public one, whatever its channels say.
func forRole(r string, n incident.Notifier) incident.Notifier {
	if r != config.RoleConfirmer {
		return n
	}
	return operatorsOnly{n}
}

// operatorsOnly drops public events.
type operatorsOnly struct{ incident.Notifier }

func (o operatorsOnly) Messages(n incident.Notice) []store.OutboxMessage {
	if n.Event.Public() {
		return nil
	}
	return o.Notifier.Messages(n)
}
