package metrics

import (
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/outpost-status/outpost/internal/accept"
)

// metricsHandler serves /metrics. promhttp gathers every family before it
// writes the first byte, which at 10,000 checks means holding 110,000
// samples at once; this handler writes the registry's families and then
// builds and writes the per-check ones one family at a time, so a scrape
// lifts the heap by the largest family only. Negotiation and encoding are
// expfmt's, as in promhttp: the text format, protobuf for clients that
// ask for it, and gzip (at its fastest level: a scrape is compressed
// every 15 s, and loopback or LAN bandwidth is cheap).
type metricsHandler struct {
	base  prometheus.Gatherer
	src   CheckSource
	stats *checkStats
	log   *slog.Logger
	zips  sync.Pool
}

// Handler returns the /metrics handler: base's families (the registry
// New registered on, plus anything else registered there) and the
// per-check families of src's checks. Like promhttp it honours name[]
// query parameters, and a family that fails to gather is logged and left
// out rather than failing the scrape.
func (m *Metrics) Handler(base prometheus.Gatherer, src CheckSource, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &metricsHandler{base: base, src: src, stats: m.stats, log: log}
	h.zips.New = func() any { zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed); return zw }
	return h
}

func (h *metricsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	names := r.URL.Query()["name[]"]
	wanted := func(name string) bool { return len(names) == 0 || slices.Contains(names, name) }
	mfs, err := h.base.Gather()
	if err != nil {
		h.log.Error("gathering metrics; serving the rest", "err", err)
	}
	format := expfmt.Negotiate(r.Header)
	w.Header().Set("Content-Type", string(format))
	w.Header().Add("Vary", "Accept-Encoding")
	var out io.Writer = w
	if accept.Gzip(r.Header.Get("Accept-Encoding")) {
		w.Header().Set("Content-Encoding", "gzip")
		zw := h.zips.Get().(*gzip.Writer)
		zw.Reset(w)
		defer func() {
			if err := zw.Close(); err != nil {
				h.log.Debug("writing metrics", "err", err)
			}
			h.zips.Put(zw)
		}()
		out = zw
	}
	enc := expfmt.NewEncoder(out, format)
	write := func(mf *dto.MetricFamily) bool {
		if mf == nil || !wanted(mf.GetName()) {
			return true
		}
		if err := enc.Encode(mf); err != nil {
			h.log.Debug("writing metrics; the scraper went away", "err", err)
			return false
		}
		return true
	}
	for _, mf := range mfs {
		if !write(mf) {
			return
		}
	}
	checks := h.src.Snapshot()
	stats := h.stats.lookup(checks)
	for _, f := range checkFamilies {
		if wanted(f.name) && !write(f.build(f, checks, stats)) {
			return
		}
	}
	if c, ok := enc.(expfmt.Closer); ok {
		if err := c.Close(); err != nil {
			h.log.Debug("writing metrics", "err", err)
		}
	}
}
