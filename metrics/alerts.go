package metrics

import "github.com/prometheus/client_golang/prometheus"

// AlertCounters count what the Alertmanager receiver saw
// (admin.AlertObserver; main connects them).
type AlertCounters struct {
	received  *prometheus.CounterVec
	unmatched prometheus.Counter
	truncated prometheus.Counter
}

// NewAlertCounters registers the outpost_alerts_* counters on reg, with
// both statuses pre-created.
func NewAlertCounters(reg prometheus.Registerer) (*AlertCounters, error) {
	c := &AlertCounters{
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outpost_alerts_received_total", Help: "Alerts received from Alertmanager or Grafana, by status (firing, resolved).",
		}, []string{"status"}),
		unmatched: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "outpost_alerts_unmatched_total", Help: "Received alerts that matched no alerts.routes entry.",
		}),
		truncated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "outpost_alerts_truncated_total", Help: "Alerts Alertmanager left out of notifications (truncatedAlerts, max_alerts).",
		}),
	}
	for _, s := range []string{"firing", "resolved"} {
		c.received.WithLabelValues(s)
	}
	for _, col := range []prometheus.Collector{c.received, c.unmatched, c.truncated} {
		if err := reg.Register(col); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// AlertReceived counts one alert of a notification.
func (c *AlertCounters) AlertReceived(status string) {
	if status != "firing" && status != "resolved" {
		return // a bounded label set
	}
	c.received.WithLabelValues(status).Inc()
}

// AlertUnmatched counts an alert no route took.
func (c *AlertCounters) AlertUnmatched() { c.unmatched.Inc() }

// AlertsTruncated counts alerts Alertmanager left out.
func (c *AlertCounters) AlertsTruncated(n int) { c.truncated.Add(float64(max(n, 0))) }
