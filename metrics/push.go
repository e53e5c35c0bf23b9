package metrics

import "github.com/prometheus/client_golang/prometheus"

// PushCounter is outpost_pushes_total{result}: pushes to the push
// endpoint by what became of them. The endpoint (package admin) declares
// the interface it counts through; main connects the two.
type PushCounter struct {
	total *prometheus.CounterVec
}

// NewPushCounter registers outpost_pushes_total on reg with a series for
// each of results (pre-created, so that a rate over them exists before
// the first refusal).
func NewPushCounter(reg prometheus.Registerer, results []string) (*PushCounter, error) {
	c := &PushCounter{total: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "outpost_pushes_total",
		Help: "Pushes of push checks by result: accepted (recorded), unauthorized (no or a wrong token, or too many of those), rejected (refused for another reason).",
	}, []string{"result"})}
	for _, r := range results {
		c.total.WithLabelValues(r)
	}
	if err := reg.Register(c.total); err != nil {
		return nil, err
	}
	return c, nil
}

// ObservePush counts one push with its result.
func (c *PushCounter) ObservePush(result string) { c.total.WithLabelValues(result).Inc() }
