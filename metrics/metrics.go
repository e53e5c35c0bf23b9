// Package metrics exports outpost's Prometheus metrics: the probe counts
// and scheduler lag the monitor reports as its monitor.Observer, live
// check and component state read at scrape time, availability windows,
// the store's writer and the build, and serves them on /metrics.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/probe"
	"github.com/outpost-status/outpost/store"
)

// CheckSource gives the live state of every check and component;
// *monitor.Monitor implements it.
type CheckSource interface {
	Snapshot() []monitor.CheckStatus
	Components() []monitor.ComponentState
	Blind() bool
}

// IncidentSource lists incidents; *store.DB implements it.
type IncidentSource interface {
	Incidents(keep func(store.Incident) bool) ([]store.Incident, error)
}

// BuildInfo describes the running binary.
type BuildInfo struct {
	Version, Revision, GoVersion string
}

// Metrics are outpost's Prometheus metrics. Probe counts and durations
// are fed by the monitor through the monitor.Observer methods and kept per
// check in a compact form (see checks.go); live state is read from
// the CheckSource at scrape time, so no series outlives its check.
type Metrics struct {
	stats        *checkStats
	lag          prometheus.Histogram
	inconclusive prometheus.Counter
}

var _ monitor.Observer = (*Metrics)(nil)

// Options configure New.
type Options struct {
	// StoreStats and StoreSize feed the outpost_store_* metrics
	// (typically store.Writer.Stats and store.DB.Size); while either is
	// nil there are none.
	StoreStats func() store.WriterStats
	StoreSize  func() (int64, error)
	Build      BuildInfo
}

// New registers outpost's scheduler, build and store metrics and
// the Go and process collectors on reg (never the global default
// registry). The per-check families are added by Handler, live component
// state by NewStateCollector.
func New(reg prometheus.Registerer, o Options) (*Metrics, error) {
	m := &Metrics{
		stats: &checkStats{byKey: map[string]*probeStats{}},
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "outpost_scheduler_lag_seconds", Help: "Delay between a probe's deadline and its start.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 5},
		}),
		inconclusive: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "outpost_probes_inconclusive_total",
			Help: "Probe results taken while outpost itself was starved of CPU; they count toward no check state.",
		}),
	}
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "outpost_build_info", Help: "Build information; the value is always 1.",
	}, []string{"version", "revision", "goversion"})
	build.WithLabelValues(o.Build.Version, o.Build.Revision, o.Build.GoVersion).Set(1)
	cs := []prometheus.Collector{m.lag, m.inconclusive, build,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	}
	if o.StoreStats != nil && o.StoreSize != nil {
		cs = append(cs, &storeCollector{stats: o.StoreStats, size: o.StoreSize})
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// ObserveProbe implements monitor.Observer.
func (m *Metrics) ObserveProbe(c monitor.Check, r probe.Result) { m.stats.get(c.Key).observe(r) }

// ObserveInconclusive implements monitor.Observer.
func (m *Metrics) ObserveInconclusive(monitor.Check) { m.inconclusive.Inc() }

// ObserveSchedulerLag implements monitor.Observer.
func (m *Metrics) ObserveSchedulerLag(lag time.Duration) { m.lag.Observe(lag.Seconds()) }

var (
	descComponentStatus = prometheus.NewDesc("outpost_component_status",
		"Current Statuspage status of the component, one-hot.", []string{"component", "status"}, nil)
	descBlind = prometheus.NewDesc("outpost_blind",
		"1 while every self-check target fails: the monitor cannot see and records unknown time.", nil, nil)
	descIncidents = prometheus.NewDesc("outpost_incidents",
		"Incidents by lifecycle state.", []string{"state"}, nil)
)

// incidentStates are the lifecycle states exported by outpost_incidents.
var incidentStates = []string{store.IncidentDraft, store.IncidentPublished, store.IncidentResolved, store.IncidentDiscarded}

// stateCollector reads live state at scrape time.
type stateCollector struct {
	src       CheckSource
	incidents IncidentSource
}

// NewStateCollector exports live state read at scrape time:
// outpost_component_status, outpost_blind and (when incidents is not nil)
// outpost_incidents. Per-check state comes from Metrics.Handler.
func NewStateCollector(src CheckSource, incidents IncidentSource) prometheus.Collector {
	return &stateCollector{src: src, incidents: incidents}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descComponentStatus
	ch <- descBlind
	ch <- descIncidents
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	for _, comp := range c.src.Components() {
		for _, st := range monitor.ComponentStatuses {
			ch <- prometheus.MustNewConstMetric(descComponentStatus, prometheus.GaugeValue, oneHot(comp.Status == st), comp.ID, string(st))
		}
	}
	ch <- prometheus.MustNewConstMetric(descBlind, prometheus.GaugeValue, oneHot(c.src.Blind()))
	if c.incidents == nil {
		return
	}
	incs, err := c.incidents.Incidents(nil)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descIncidents, err)
		return
	}
	counts := map[string]int{}
	for _, inc := range incs {
		counts[inc.State]++
	}
	for _, st := range incidentStates {
		ch <- prometheus.MustNewConstMetric(descIncidents, prometheus.GaugeValue, float64(counts[st]), st)
	}
}

func oneHot(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

var (
	descStoreWritten = prometheus.NewDesc("outpost_store_results_written_total", "Probe results committed to the database.", nil, nil)
	descStoreFails   = prometheus.NewDesc("outpost_store_write_errors_total", "Failed database flushes (retried).", nil, nil)
	descStoreDropped = prometheus.NewDesc("outpost_store_results_dropped_total", "Results dropped because writes failed for too long.", nil, nil)
	descStorePending = prometheus.NewDesc("outpost_store_pending_results", "Results waiting to be written.", nil, nil)
	descStoreLogged  = prometheus.NewDesc("outpost_store_logged_results", "Results in the result log (safe from a kill), waiting for their commit within 30 s.", nil, nil)
	descStoreSize    = prometheus.NewDesc("outpost_store_file_size_bytes", "Size of outpost.db.", nil, nil)
)

type storeCollector struct {
	stats func() store.WriterStats
	size  func() (int64, error)
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descStoreWritten, descStoreFails, descStoreDropped, descStorePending, descStoreLogged, descStoreSize} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	ch <- prometheus.MustNewConstMetric(descStoreWritten, prometheus.CounterValue, float64(st.Written))
	ch <- prometheus.MustNewConstMetric(descStoreFails, prometheus.CounterValue, float64(st.Failures))
	ch <- prometheus.MustNewConstMetric(descStoreDropped, prometheus.CounterValue, float64(st.Dropped))
	ch <- prometheus.MustNewConstMetric(descStorePending, prometheus.GaugeValue, float64(uint64(st.Pending)-min(st.Logged, uint64(st.Pending))))
	ch <- prometheus.MustNewConstMetric(descStoreLogged, prometheus.GaugeValue, float64(st.Logged))
	if size, err := c.size(); err == nil {
		ch <- prometheus.MustNewConstMetric(descStoreSize, prometheus.GaugeValue, float64(size))
	} else {
		ch <- prometheus.NewInvalidMetric(descStoreSize, err)
	}
}

var descAvailability = prometheus.NewDesc("outpost_availability_ratio",
	"Availability of the component over the window: 1 - (down + partial_weight * partial) / known time, "+
		"where known time leaves out maintenance and unknown time; absent while nothing is known. "+
		"Per-check values are in /api/v1/availability.json.",
	[]string{"component", "window"}, nil)

// WindowSource computes availability over windows ending at now;
// *store.DB implements it.
type WindowSource interface {
	Windows(subjects []store.Subject, windows []time.Duration, now time.Time, partialWeight float64) (map[store.Subject][]store.Window, error)
}

// AvailabilityOptions configure NewAvailabilityCollector.
type AvailabilityOptions struct {
	History       WindowSource
	Windows       []time.Duration
	PartialWeight float64
}

// availabilityCollector computes every window at scrape time from the
// store's intervals and rollups.
type availabilityCollector struct {
	src  CheckSource
	opts AvailabilityOptions
	now  func() time.Time
}

// NewAvailabilityCollector exports outpost_availability_ratio for every
// component. Checks are left out on purpose: with thousands of checks,
// five windows each would dominate every scrape; their values are in
// /api/v1/availability.json.
func NewAvailabilityCollector(src CheckSource, o AvailabilityOptions, now func() time.Time) prometheus.Collector {
	if now == nil {
		now = time.Now
	}
	return &availabilityCollector{src: src, opts: o, now: now}
}

func (c *availabilityCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descAvailability }

func (c *availabilityCollector) Collect(ch chan<- prometheus.Metric) {
	comps := c.src.Components()
	subjects := make([]store.Subject, len(comps))
	for i, comp := range comps {
		subjects[i] = store.ComponentSubject(comp.ID)
	}
	res, err := c.opts.History.Windows(subjects, c.opts.Windows, c.now(), c.opts.PartialWeight)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descAvailability, err)
		return
	}
	for i, s := range subjects {
		for _, w := range res[s] {
			if w.Ratio != nil {
				ch <- prometheus.MustNewConstMetric(descAvailability, prometheus.GaugeValue, *w.Ratio,
					comps[i].ID, store.WindowLabel(w.Duration))
			}
		}
	}
}
