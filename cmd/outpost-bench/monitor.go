package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/probe"
	"github.com/outpost-status/outpost/store"
)

// lagRecorder keeps every scheduler lag sample.
type lagRecorder struct {
	mu   sync.Mutex
	lags []time.Duration
	n    int
}

func (l *lagRecorder) ObserveProbe(monitor.Check, probe.Result) {
	l.mu.Lock()
	l.n++
	l.mu.Unlock()
}

func (l *lagRecorder) ObserveInconclusive(monitor.Check) {}

func (l *lagRecorder) ObserveSchedulerLag(d time.Duration) {
	l.mu.Lock()
	l.lags = append(l.lags, d)
	l.mu.Unlock()
}

func (l *lagRecorder) quantiles() (p50, p99, worst time.Duration, probes int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := slices.Clone(l.lags)
	slices.Sort(s)
	if len(s) == 0 {
		return 0, 0, 0, l.n
	}
	return s[len(s)/2], s[len(s)*99/100], s[len(s)-1], l.n
}

// benchScheduler runs n HTTP checks at interval against a loopback farm
// for d and reports scheduler lag.
func benchScheduler(ctx context.Context, n, targets int, interval, d time.Duration) (map[string]any, error) {
	urls, arrived, stop, err := farm(targets)
	if err != nil {
		return nil, err
	}
	defer stop()
	var spec monitor.Spec
	comp := monitor.Component{ID: "bench", Name: "Bench"}
	for i := range n {
		t, err := probe.ParseTarget(urls[i%len(urls)])
		if err != nil {
			return nil, err
		}
		key := fmt.Sprintf("bench/c%05d", i)
		spec.Checks = append(spec.Checks, monitor.Check{Key: key, ID: key[6:], Component: "bench", Target: t,
			Interval: interval, Timeout: 5 * time.Second, RetryInterval: 5 * time.Second,
			Thresholds: monitor.Thresholds{FailAfter: 3, RecoverAfter: 2}})
		comp.Checks = append(comp.Checks, key)
	}
	spec.Components = []monitor.Component{comp}
	rec := &lagRecorder{}
	m := monitor.New(spec, monitor.Options{Prober: probe.NewHTTP(probe.HTTPConfig{}), Observer: rec})
	cpu0 := cpuSeconds()
	runCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	if err := m.Run(runCtx); err != nil {
		return nil, err
	}
	elapsed := time.Since(start).Seconds()
	p50, p99, worst, probes := rec.quantiles()
	return map[string]any{"bench": "scheduler", "checks": n, "interval_seconds": interval.Seconds(),
		"seconds": elapsed, "probes": probes, "arrived": arrived.Load(),
		"configured_probes_per_second": float64(n) / interval.Seconds(),
		"probes_per_second":            float64(arrived.Load()) / elapsed,
		"lag_p50_ms":                   ms(p50), "lag_p99_ms": ms(p99), "lag_max_ms": ms(worst),
		"cpu_seconds": cpuSeconds() - cpu0, "peak_rss_bytes": peakRSS()}, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// benchDetection measures, with default thresholds and timers, the time
// from a target failing to its component's status changing and the draft
// incident existing. Each of n components has one check whose target is
// stopped at the same moment, so their phases differ.
func benchDetection(ctx context.Context, n int, dir string) (map[string]any, error) {
	db, err := store.Open(filepath.Join(dir, store.FileName), store.Options{})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var spec monitor.Spec
	var servers []*http.Server
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), ReadHeaderTimeout: time.Second}
		go func() { _ = srv.Serve(ln) }()
		servers = append(servers, srv)
		t, _ := probe.ParseTarget("http://" + ln.Addr().String() + "/")
		id := fmt.Sprintf("svc%d", i)
		key := id + "/home"
		// SPEC defaults: interval 30s, timeout 10s, retry 5s, fail_after 3, recover_after 2.
		spec.Checks = append(spec.Checks, monitor.Check{Key: key, ID: "home", Component: id, Target: t,
			Interval: 30 * time.Second, Timeout: 10 * time.Second, RetryInterval: 5 * time.Second,
			Thresholds: monitor.Thresholds{FailAfter: 3, RecoverAfter: 2}, Fingerprint: "bench"})
		spec.Components = append(spec.Components, monitor.Component{ID: id, Name: id, Checks: []string{key}})
	}
	// group_window 0 so every component gets (and is measured by) its own draft.
	incidents := incident.New(db, incident.Options{Settings: incident.Settings{Language: "en", GroupWindow: 0, RemindAfter: 30 * time.Minute}})
	m := monitor.New(spec, monitor.Options{Prober: probe.NewHTTP(probe.HTTPConfig{}), Incidents: incidents})
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = m.Run(runCtx) }()
	if err := waitAll(ctx, m, n, monitor.Operational, 2*time.Minute); err != nil {
		return nil, err
	}
	failed := time.Now()
	for _, s := range servers {
		_ = s.Close()
	}
	statusAt := map[string]time.Duration{}
	draftAt := map[string]time.Duration{}
	deadline := time.Now().Add(3 * time.Minute)
	for len(draftAt) < n && time.Now().Before(deadline) {
		for _, c := range m.Components() {
			if _, seen := statusAt[c.ID]; !seen && c.Status == monitor.MajorOutage {
				statusAt[c.ID] = time.Since(failed)
			}
		}
		incs, _ := db.Incidents(nil)
		for _, inc := range incs {
			if _, seen := draftAt[inc.Components[0]]; !seen {
				draftAt[inc.Components[0]] = time.Since(failed)
			}
		}
		time.Sleep(20 * time.Millisecond) // sampling period of the measurement
	}
	var st, dr []time.Duration
	for id := range draftAt {
		st, dr = append(st, statusAt[id]), append(dr, draftAt[id])
	}
	slices.Sort(st)
	slices.Sort(dr)
	if len(dr) == 0 {
		return nil, fmt.Errorf("no draft within 3 minutes")
	}
	return map[string]any{"bench": "detection", "components": n, "detected": len(dr),
		"bound_seconds":       30 + 2*5 + 10,
		"status_change_min_s": st[0].Seconds(), "status_change_max_s": st[len(st)-1].Seconds(),
		"draft_min_s": dr[0].Seconds(), "draft_max_s": dr[len(dr)-1].Seconds(),
		"note": "target stopped (connection refused); defaults interval 30s, retry 5s, fail_after 3, timeout 10s"}, nil
}

func waitAll(ctx context.Context, m *monitor.Monitor, n int, want monitor.ComponentStatus, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		ok := 0
		for _, c := range m.Components() {
			if c.Status == want {
				ok++
			}
		}
		allUp := ok == n
		for _, s := range m.Snapshot() {
			allUp = allUp && s.State == monitor.StateUp
		}
		if allUp {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("components not %s within %s", want, limit)
}
