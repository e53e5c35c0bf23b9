package main

import (
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/outpost-status/outpost/admin"
	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/metrics"
	"github.com/outpost-status/outpost/monitor"
)

// peering is this outpost among several (SPEC §17): the client that asks
// the peers, and the peer API that answers them.
type peering struct {
	client *monitor.PeerClient
	api    *admin.PeerAPI
	log    *slog.Logger
}

// newPeering builds the peer client (with outpost_peer_up) and the peer
// API for mon. Without peers the client asks nobody; without
// peer_api.token_file the API answers 404.
func newPeering(cfg *config.Config, mon *monitor.Monitor, reg prometheus.Registerer, log *slog.Logger) (*peering, error) {
	p := &peering{log: log,
		client: monitor.NewPeerClient(monitor.PeerClientOptions{Peers: monitor.PeersFromConfig(cfg), Timeout: cfg.Confirm.Timeout.D(), Logger: log}),
		api:    admin.NewPeerAPI(admin.PeerOptions{Prober: mon, Location: cfg.Location.ID, Token: cfg.PeerAPI.Token.Reveal(), Logger: log})}
	if err := reg.Register(metrics.NewPeerCollector(p.client)); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	p.logState(cfg)
	return p, nil
}

// reload takes the peers, their tokens and the peer API's token from a
// reloaded configuration; old tokens stop working at once.
func (p *peering) reload(cfg *config.Config) {
	p.client.SetPeers(monitor.PeersFromConfig(cfg), cfg.Confirm.Timeout.D())
	p.api.SetToken(cfg.PeerAPI.Token.Reveal())
	p.logState(cfg)
}

func (p *peering) logState(cfg *config.Config) {
	if len(cfg.Peers) == 0 && cfg.PeerAPI.Token == "" {
		return
	}
	p.log.Info("several locations", "location", cfg.Location.ID, "role", cfg.Role, "peers", len(cfg.Peers),
		"peer_api", cfg.PeerAPI.Token != "", "quorum", cfg.Confirm.Quorum, "confirm_timeout", cfg.Confirm.Timeout)
}
