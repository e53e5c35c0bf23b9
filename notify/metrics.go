package notify

import (
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics count deliveries per channel; the pending gauge is read from
// the outbox at scrape time.
type Metrics struct {
	sent        *prometheus.CounterVec
	failed      *prometheus.CounterVec
	subscribers *prometheus.CounterVec
	pending     *pendingCollector
}

var _ Observer = (*Metrics)(nil)

var descPending = prometheus.NewDesc("outpost_notifications_pending",
	"Notifications waiting in the outbox, by channel.", []string{"channel"}, nil)

// NewMetrics registers the notification metrics on reg, with series for
// every channel in channels; pending (typically store.DB.Pending) feeds
// outpost_notifications_pending.
func NewMetrics(reg prometheus.Registerer, channels []string, pending func() (map[string]int, error)) (*Metrics, error) {
	m := &Metrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outpost_notifications_sent_total", Help: "Notifications delivered, by channel.",
		}, []string{"channel"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outpost_notifications_failed_total",
			Help: "Failed delivery attempts, by channel and reason; reason rejected is final (the message was dropped), the others are retried.",
		}, []string{"channel", "reason"}),
		subscribers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outpost_subscriber_messages_total",
			Help: "Subscriber messages by result: queued by the fan-out, sent, skipped (the subscriber left first), failed (rejected for good).",
		}, []string{"result"}),
	}
	for _, r := range SubscriberResults {
		m.subscribers.WithLabelValues(string(r))
	}
	m.pending = &pendingCollector{pending: pending}
	for _, c := range []prometheus.Collector{m.sent, m.failed, m.subscribers, m.pending} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	m.SetChannels(channels)
	return m, nil
}

// SetChannels follows a reload: series of new channels exist at 0 at once,
// those of removed channels go.
func (m *Metrics) SetChannels(channels []string) {
	old := m.pending.set(channels)
	for _, ch := range old {
		if !slices.Contains(channels, ch) {
			m.sent.DeleteLabelValues(ch)
			m.failed.DeletePartialMatch(prometheus.Labels{"channel": ch})
		}
	}
	for _, ch := range channels {
		m.sent.WithLabelValues(ch)
		for _, r := range Reasons {
			m.failed.WithLabelValues(ch, string(r))
		}
	}
}

// Sent implements Observer.
func (m *Metrics) Sent(channel string) { m.sent.WithLabelValues(channel).Inc() }

// Failed implements Observer.
func (m *Metrics) Failed(channel string, reason Reason) {
	m.failed.WithLabelValues(channel, string(reason)).Inc()
}

// Subscribers implements Observer.
func (m *Metrics) Subscribers(result SubscriberResult, n int) {
	m.subscribers.WithLabelValues(string(result)).Add(float64(n))
}

type pendingCollector struct {
	mu       sync.Mutex
	channels []string
	pending  func() (map[string]int, error)
}

// set replaces the configured channels and returns the previous ones.
func (c *pendingCollector) set(channels []string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.channels
	c.channels = slices.Clone(channels)
	return old
}

func (c *pendingCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descPending }

// Collect reports every configured channel (0 when empty) and any channel
// left in the outbox by an earlier configuration.
func (c *pendingCollector) Collect(ch chan<- prometheus.Metric) {
	counts, err := c.pending()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descPending, err)
		return
	}
	c.mu.Lock()
	channels := c.channels
	c.mu.Unlock()
	for _, name := range channels {
		ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(counts[name]), name)
		delete(counts, name)
	}
	for name, n := range counts {
		ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(n), name)
	}
}
