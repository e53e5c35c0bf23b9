package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/outpost-status/outpost/monitor"
)

// ConfirmationSource counts the monitor's peer confirmations by result;
// *monitor.Monitor implements it.
type ConfirmationSource interface {
	Confirmations() map[string]uint64
}

var descConfirmations = prometheus.NewDesc("outpost_confirmations_total",
	"Questions to the other locations before a check changed to or from down (SPEC §17), by result: "+
		"confirmed (they agreed), refuted (they did not: the check kept its state), fallback (nobody answered).",
	[]string{"result"}, nil)

// confirmationCollector exports outpost_confirmations_total, read at
// scrape time; every result is present from the start, at 0.
type confirmationCollector struct{ src ConfirmationSource }

// NewConfirmationCollector exports outpost_confirmations_total{result}.
func NewConfirmationCollector(src ConfirmationSource) prometheus.Collector {
	return confirmationCollector{src: src}
}

func (c confirmationCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descConfirmations }

func (c confirmationCollector) Collect(ch chan<- prometheus.Metric) {
	counts := c.src.Confirmations()
	for _, r := range monitor.ConfirmResults {
		ch <- prometheus.MustNewConstMetric(descConfirmations, prometheus.CounterValue, float64(counts[r]), r)
	}
}
