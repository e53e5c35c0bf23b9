package metrics

import (
	"github.com/outpost-status/outpost/store"
	"github.com/prometheus/client_golang/prometheus"
)

// SubscriberSource counts email subscribers; *store.DB implements it.
type SubscriberSource interface {
	SubscriberCounts() (confirmed, unconfirmed int, err error)
}

var _ SubscriberSource = (*store.DB)(nil)

var descSubscribers = prometheus.NewDesc("outpost_subscribers",
	"Email subscribers by state: confirmed, or waiting for the confirmation link (deleted after subscriptions.confirm_ttl).",
	[]string{"state"}, nil)

// subscriberCollector reads the counts at scrape time, so removals and
// expiries show without a stale series.
type subscriberCollector struct{ src SubscriberSource }

// NewSubscriberCollector exports outpost_subscribers{state="confirmed"|
// "unconfirmed"}, both always present.
func NewSubscriberCollector(src SubscriberSource) prometheus.Collector {
	return subscriberCollector{src: src}
}

func (c subscriberCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descSubscribers }

func (c subscriberCollector) Collect(ch chan<- prometheus.Metric) {
	confirmed, unconfirmed, err := c.src.SubscriberCounts()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descSubscribers, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(descSubscribers, prometheus.GaugeValue, float64(confirmed), "confirmed")
	ch <- prometheus.MustNewConstMetric(descSubscribers, prometheus.GaugeValue, float64(unconfirmed), "unconfirmed")
}
