package main

import (
	"context"
	"maps"
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
	own, other := startProcUse(d.pid), startProcUse(r.comparePID)
	arrived0, t0 := d.farm.arrived.Load(), time.Now()
	if err := sleep(ctx, r.duration); err != nil {
		return nil, err
	}
	arrived, elapsed := d.farm.arrived.Load()-arrived0, time.Since(t0).Seconds()
	perMinute := time.Minute.Seconds() / elapsed
	use := own.since(perMinute)
	line := map[string]any{
		"bench": "idle", "checks": r.checks, "interval_seconds": r.interval.Seconds(),
		"seconds": elapsed, "settle_seconds": idleSettle.Seconds(),
		"all_checks_probed_after_s": coverage,
		"probes_arrived":            arrived,
		"probes_expected":           float64(r.checks) * elapsed / r.interval.Seconds(),
		"peak_rss_mib":              float64(procPeakRSS(d.pid)) / (1 << 20),
		"rss_anon_mib":              float64(procStatus(d.pid, "RssAnon:")) / (1 << 20),
	}
	maps.Copy(line, use)
	if r.comparePID > 0 {
		line["compare_pid"] = r.comparePID
		for k, v := range other.since(perMinute) {
			line["compare_"+k] = v
		}
	}
	return line, nil
}

// procUse is what a process had used at the start of a measurement.
type procUse struct {
	pid                 int
	ticks, sched        float64
	voluntary, involunt int64
}

func startProcUse(pid int) procUse {
	if pid <= 0 {
		return procUse{}
	}
	u := procUse{pid: pid, ticks: procCPU(pid), sched: procSchedCPU(pid)}
	u.voluntary, u.involunt, _ = procCtxSwitches(pid)
	return u
}

// since is the use since start, scaled to a minute by perMinute.
func (u procUse) since(perMinute float64) map[string]any {
	vol, invol, threads := procCtxSwitches(u.pid)
	return map[string]any{
		// on-CPU time of the live threads in nanoseconds (schedstat): the
		// figure to compare.
		"cpu_seconds_per_minute": (procSchedCPU(u.pid) - u.sched) * perMinute,
		// utime+stime, in 10 ms ticks: coarse over a short run.
		"cpu_ticks_seconds_per_minute":         (procCPU(u.pid) - u.ticks) * perMinute,
		"voluntary_ctxt_switches_per_minute":   float64(vol-u.voluntary) * perMinute,
		"involuntary_ctxt_switches_per_minute": float64(invol-u.involunt) * perMinute,
		"threads":                              threads,
		"rss_mib":                              float64(procRSS(u.pid)) / (1 << 20),
	}
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
