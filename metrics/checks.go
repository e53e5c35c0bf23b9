package metrics

import (
	"math"
	"slices"
	"sync"
	"sync/atomic"

	dto "github.com/prometheus/client_model/go"

	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/probe"
)

// Per-check metrics are most of what a scrape returns: with 10,000 checks
// they are about 110,000 samples. Built as one prometheus.Metric per sample
// and gathered by the registry, each scrape made 86 MB of short-lived
// objects in 1.6 million allocations (label pairs, hash entries, created
// timestamps), and the CounterVec and HistogramVec behind them kept 40 MB
// alive. Here the live counts are a small struct per check; a scrape
// builds each family directly as protobuf messages in a few large slices,
// sharing every label pair and 0/1 value it can, and the handler in
// handler.go writes it before building the next.

// probeBuckets are the upper bounds of outpost_probe_duration_seconds.
var probeBuckets = [...]float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10}

// probeOutcomes are the values of the result label of outpost_probes_total.
var probeOutcomes = [...]probe.Outcome{probe.Up, probe.Degraded, probe.Down}

// probeStats counts one check's probes. The duration buckets are not
// cumulative; the last one is +Inf. The count is the sum of the buckets,
// so a scrape never sees a bucket above the count.
type probeStats struct {
	results [len(probeOutcomes)]atomic.Uint64
	buckets [len(probeBuckets) + 1]atomic.Uint64
	sumBits atomic.Uint64 // float64 seconds
}

func (s *probeStats) observe(r probe.Result) {
	for i, o := range probeOutcomes {
		if r.Outcome == o {
			s.results[i].Add(1)
			break
		}
	}
	secs := r.Duration.Seconds()
	i, _ := slices.BinarySearch(probeBuckets[:], secs) // first bound >= secs
	s.buckets[i].Add(1)
	for {
		old := s.sumBits.Load()
		if s.sumBits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+secs)) {
			return
		}
	}
}

// checkStats holds probeStats by check key.
type checkStats struct {
	mu    sync.RWMutex
	byKey map[string]*probeStats
}

func (c *checkStats) get(key string) *probeStats {
	c.mu.RLock()
	s := c.byKey[key]
	c.mu.RUnlock()
	if s != nil {
		return s
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s = c.byKey[key]; s == nil {
		s = &probeStats{}
		c.byKey[key] = s
	}
	return s
}

// lookup returns the stats of every check in checks (nil where none was
// observed yet) and forgets checks that are gone, so that no series
// outlives its check.
func (c *checkStats) lookup(checks []monitor.CheckStatus) []*probeStats {
	out := make([]*probeStats, len(checks))
	found := 0
	c.mu.RLock()
	for i, s := range checks {
		if out[i] = c.byKey[s.Key]; out[i] != nil {
			found++
		}
	}
	stale := len(c.byKey) > found // keys are unique, so the rest are gone
	c.mu.RUnlock()
	if stale {
		current := make(map[string]bool, len(checks))
		for _, s := range checks {
			current[s.Key] = true
		}
		c.mu.Lock()
		for key := range c.byKey {
			if !current[key] {
				delete(c.byKey, key)
			}
		}
		c.mu.Unlock()
	}
	return out
}

// family describes one per-check family; build makes it from the checks
// and their stats (nil where a check has none yet).
type family struct {
	name, help string
	typ        dto.MetricType
	build      func(f family, checks []monitor.CheckStatus, stats []*probeStats) *dto.MetricFamily
}

// checkFamilies are built one per call so that a scrape holds one family
// at a time. A builder returns nil for a family without samples, which is
// not valid exposition.
var checkFamilies = []family{
	{"outpost_check_up", "1 if the check is up or degraded, 0 if down; absent while unknown.", dto.MetricType_GAUGE, buildCheckUp},
	{"outpost_check_state", "Current state of the check, one-hot.", dto.MetricType_GAUGE, buildCheckState},
	{"outpost_check_info", "Check metadata; the target is redacted.", dto.MetricType_GAUGE, buildCheckInfo},
	{"outpost_tls_cert_expiry_timestamp_seconds", "Earliest certificate expiry seen by the last probe.", dto.MetricType_GAUGE, buildCertExpiry},
	{"outpost_probes_total", "Probes run, by check and result (up, degraded, down).", dto.MetricType_COUNTER, buildProbes},
	{"outpost_probe_duration_seconds", "Duration of probes, by check.", dto.MetricType_HISTOGRAM, buildProbeSeconds},
}

// familyBuilder builds one family out of slabs. It owns the label names
// and the 0 and 1 values its samples point to: encoders never modify the
// messages they are given, so one instance serves every sample.
type familyBuilder struct {
	f       family
	metrics *slab[dto.Metric]
	pairs   *slab[dto.LabelPair]
	labels  *slab[*dto.LabelPair]
	out     []*dto.Metric

	labelCheck, labelComponent, labelState string
	labelResult, labelTarget, labelType    string
	zero, one                              float64
	gaugeZero, gaugeOne                    dto.Gauge
}

// newFamilyBuilder sizes the slabs for checks checks with perCheck
// samples of extra labels beyond check and component each, and own
// pairs label pairs per check of its own beyond those two.
func newFamilyBuilder(f family, checks, perCheck, extra, own int) *familyBuilder {
	b := &familyBuilder{f: f,
		metrics:    newSlab[dto.Metric](checks * perCheck),
		pairs:      newSlab[dto.LabelPair](checks * (2 + own)),
		labels:     newSlab[*dto.LabelPair](checks * perCheck * (2 + extra)),
		out:        make([]*dto.Metric, 0, checks*perCheck),
		labelCheck: "check", labelComponent: "component", labelState: "state",
		labelResult: "result", labelTarget: "target", labelType: "type",
		zero: 0, one: 1,
	}
	b.gaugeZero.Value, b.gaugeOne.Value = &b.zero, &b.one
	return b
}

// pair returns a label pair of the family's own.
func (b *familyBuilder) pair(name, value *string) *dto.LabelPair {
	p := b.pairs.next()
	p.Name, p.Value = name, value
	return p
}

// checkPairs returns the check and component label pairs of s.
func (b *familyBuilder) checkPairs(s *monitor.CheckStatus) (check, comp *dto.LabelPair) {
	return b.pair(&b.labelCheck, &s.ID), b.pair(&b.labelComponent, &s.Component)
}

// add appends a sample labelled check, comp and extra (whose names sort
// after "component").
func (b *familyBuilder) add(check, comp *dto.LabelPair, extra ...*dto.LabelPair) *dto.Metric {
	lp := b.labels.take(2 + len(extra))
	lp[0], lp[1] = check, comp
	copy(lp[2:], extra)
	m := b.metrics.next()
	m.Label = lp
	b.out = append(b.out, m)
	return m
}

func (b *familyBuilder) gauge(on bool) *dto.Gauge {
	if on {
		return &b.gaugeOne
	}
	return &b.gaugeZero
}

func (b *familyBuilder) family() *dto.MetricFamily {
	if len(b.out) == 0 {
		return nil
	}
	return &dto.MetricFamily{Name: &b.f.name, Help: &b.f.help, Type: b.f.typ.Enum(), Metric: b.out}
}

func buildCheckUp(f family, checks []monitor.CheckStatus, _ []*probeStats) *dto.MetricFamily {
	b := newFamilyBuilder(f, len(checks), 1, 0, 0)
	for i := range checks {
		s := &checks[i]
		if s.State == monitor.StateUnknown {
			continue
		}
		check, comp := b.checkPairs(s)
		b.add(check, comp).Gauge = b.gauge(s.State != monitor.StateDown)
	}
	return b.family()
}

func buildCheckState(f family, checks []monitor.CheckStatus, _ []*probeStats) *dto.MetricFamily {
	b := newFamilyBuilder(f, len(checks), len(monitor.States), 1, 0)
	states := make([]*dto.LabelPair, len(monitor.States))
	for i, st := range monitor.States {
		states[i] = &dto.LabelPair{Name: &b.labelState, Value: new(string(st))}
	}
	for i := range checks {
		s := &checks[i]
		check, comp := b.checkPairs(s)
		for j, st := range monitor.States {
			b.add(check, comp, states[j]).Gauge = b.gauge(s.State == st)
		}
	}
	return b.family()
}

func buildCheckInfo(f family, checks []monitor.CheckStatus, _ []*probeStats) *dto.MetricFamily {
	b := newFamilyBuilder(f, len(checks), 1, 2, 2)
	types := map[string]*string{}
	for i := range checks {
		s := &checks[i]
		check, comp := b.checkPairs(s)
		typ := s.Target.Scheme()
		if types[typ] == nil {
			types[typ] = &typ
		}
		b.add(check, comp, b.pair(&b.labelTarget, &s.Target.Redacted), b.pair(&b.labelType, types[typ])).Gauge = &b.gaugeOne
	}
	return b.family()
}

func buildCertExpiry(f family, checks []monitor.CheckStatus, _ []*probeStats) *dto.MetricFamily {
	b := newFamilyBuilder(f, len(checks), 1, 0, 0)
	gauges, values := newSlab[dto.Gauge](len(checks)), newSlab[float64](len(checks))
	for i := range checks {
		s := &checks[i]
		if s.Last == nil || s.Last.Details.CertExpiry.IsZero() {
			continue
		}
		v, g := values.next(), gauges.next()
		*v = float64(s.Last.Details.CertExpiry.Unix())
		g.Value = v
		check, comp := b.checkPairs(s)
		b.add(check, comp).Gauge = g
	}
	return b.family()
}

func buildProbes(f family, checks []monitor.CheckStatus, stats []*probeStats) *dto.MetricFamily {
	const n = len(probeOutcomes)
	b := newFamilyBuilder(f, len(checks), n, 1, 0)
	var results [n]*dto.LabelPair
	for i, o := range probeOutcomes {
		results[i] = &dto.LabelPair{Name: &b.labelResult, Value: new(string(o))}
	}
	counters, values := newSlab[dto.Counter](len(checks)*n), newSlab[float64](len(checks)*n)
	var none probeStats // zeros, so rates exist before the first failure
	for i := range checks {
		st := stats[i]
		if st == nil {
			st = &none
		}
		check, comp := b.checkPairs(&checks[i])
		for j := range n {
			v, c := values.next(), counters.next()
			*v = float64(st.results[j].Load())
			c.Value = v
			b.add(check, comp, results[j]).Counter = c
		}
	}
	return b.family()
}

func buildProbeSeconds(f family, checks []monitor.CheckStatus, stats []*probeStats) *dto.MetricFamily {
	const n = len(probeBuckets)
	b := newFamilyBuilder(f, len(checks), 1, 0, 0)
	hists := newSlab[dto.Histogram](len(checks))
	buckets, bucketPtrs := newSlab[dto.Bucket](len(checks)*n), newSlab[*dto.Bucket](len(checks)*n)
	counts, sums := newSlab[uint64](len(checks)*(n+1)), newSlab[float64](len(checks))
	bounds := probeBuckets // the family points into this copy
	var none probeStats
	for i := range checks {
		st := stats[i]
		if st == nil {
			st = &none
		}
		h := hists.next()
		h.Bucket = bucketPtrs.take(n)
		var cumulative uint64
		for j := range n {
			cumulative += st.buckets[j].Load()
			c, bk := counts.next(), buckets.next()
			*c = cumulative
			bk.CumulativeCount, bk.UpperBound = c, &bounds[j]
			h.Bucket[j] = bk
		}
		total, sum := counts.next(), sums.next()
		*total = cumulative + st.buckets[n].Load()
		*sum = math.Float64frombits(st.sumBits.Load())
		h.SampleCount, h.SampleSum = total, sum
		check, comp := b.checkPairs(&checks[i])
		b.add(check, comp).Histogram = h
	}
	return b.family()
}

// slab hands out items of a slice allocated once, so a scrape makes a
// few large allocations instead of one per message.
type slab[T any] struct{ items []T }

func newSlab[T any](n int) *slab[T] { return &slab[T]{items: make([]T, 0, n)} }

func (s *slab[T]) next() *T {
	s.items = s.items[:len(s.items)+1]
	return &s.items[len(s.items)-1]
}

// take returns n consecutive items.
func (s *slab[T]) take(n int) []T {
	s.items = s.items[:len(s.items)+n]
	return s.items[len(s.items)-n : len(s.items) : len(s.items)]
}
