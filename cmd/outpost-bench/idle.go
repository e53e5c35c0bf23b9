package main

import (
	"context"
	"time"
)

// idleSettle is how long an idle run waits, after every check has been
// probed once, before it measures.
const idleSettle = 20 * time.Second

// benchIdle measures the daemon's cost at rest: a small configuration
// (HTTP checks, ok targets), no requests of ours at all, everything read
// from /proc. CPU and context switches are scaled to a minute.
func benchIdle(ctx context.Context, r daemonRun) (map[string]any, error) {
	r.kinds, r.behave = []string{"http"}, behaveOK
	d, coverage, err := r.launchSteady(ctx)
	if err != nil {
		return nil, err
	}
	defer d.close()
	if err := sleep(ctx, idleSettle); err != nil {
		return nil, err
	}
	cpu0, arrived0, t0 := procCPU(d.pid), d.farm.arrived.Load(), time.Now()
	vol0, invol0, _ := procCtxSwitches(d.pid)
	if err := sleep(ctx, r.duration); err != nil {
		return nil, err
	}
	cpu, arrived, elapsed := procCPU(d.pid)-cpu0, d.farm.arrived.Load()-arrived0, time.Since(t0).Seconds()
	vol1, invol1, threads := procCtxSwitches(d.pid)
	perMinute := time.Minute.Seconds() / elapsed
	line := map[string]any{
		"bench": "idle", "checks": r.checks, "interval_seconds": r.interval.Seconds(),
		"seconds": elapsed, "settle_seconds": idleSettle.Seconds(),
		"all_checks_probed_after_s": coverage,
		"probes_arrived":            arrived,
		"probes_expected":           float64(r.checks) * elapsed / r.interval.Seconds(),
		// utime+stime count in 10 ms ticks: over a short run a figure
		// this small is coarse.
		"cpu_seconds_per_minute":               cpu * perMinute,
		"voluntary_ctxt_switches_per_minute":   float64(vol1-vol0) * perMinute,
		"involuntary_ctxt_switches_per_minute": float64(invol1-invol0) * perMinute,
		"threads":                              threads,
		"rss_mib":                              float64(procRSS(d.pid)) / (1 << 20),
		"peak_rss_mib":                         float64(procPeakRSS(d.pid)) / (1 << 20),
		"rss_anon_mib":                         float64(procStatus(d.pid, "RssAnon:")) / (1 << 20),
	}
	return line, nil
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
