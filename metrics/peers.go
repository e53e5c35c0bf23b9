package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/outpost-status/outpost/monitor"
)

// PeerSource reports the peers' health; *monitor.PeerClient implements it.
type PeerSource interface {
	PeerStatus() []monitor.PeerStatus
}

var _ PeerSource = (*monitor.PeerClient)(nil)

var descPeerUp = prometheus.NewDesc("outpost_peer_up",
	"1 when the peer's last answer to a confirmation request was good (SPEC §17), else 0; 0 before the first.",
	[]string{"peer"}, nil)

// peerCollector reads the peers' health at scrape time, so a reload
// that removes a peer leaves no stale series.
type peerCollector struct{ src PeerSource }

// NewPeerCollector exports outpost_peer_up{peer} for every configured peer.
func NewPeerCollector(src PeerSource) prometheus.Collector { return &peerCollector{src: src} }

func (c *peerCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descPeerUp }

func (c *peerCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.src.PeerStatus() {
		ch <- prometheus.MustNewConstMetric(descPeerUp, prometheus.GaugeValue, oneHot(p.Up), p.Peer)
	}
}
