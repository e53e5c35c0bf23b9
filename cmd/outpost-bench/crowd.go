package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/outpost-status/outpost/config"
)

// crowdRun is an outage crowd: the daemon probing checks (HTTP, ok
// targets) while clients load its public documents from another process.
type crowdRun struct {
	daemonRun
	clients int
	docs    string // page, summary or mix
}

// crowdPaths are the documents -docs names; component is the id badges
// and daily figures are asked for.
func crowdPaths(docs, component string) ([]string, error) {
	switch docs {
	case "page":
		return []string{"/"}, nil
	case "summary":
		return []string{"/api/v2/summary.json"}, nil
	case "mix":
		paths := []string{"/", "/history", "/history.atom", "/history.rss", "/badge/" + component + ".svg"}
		for _, doc := range []string{"summary", "status", "components", "incidents", "incidents/unresolved",
			"scheduled-maintenances", "scheduled-maintenances/upcoming", "scheduled-maintenances/active"} {
			paths = append(paths, "/api/v2/"+doc+".json")
		}
		return append(paths, "/api/v1/checks.json", "/api/v1/availability.json",
			"/api/v1/components/"+component+"/days.json"), nil
	}
	return nil, fmt.Errorf("unknown -docs %q (use page, summary or mix)", docs)
}

// crowdWindow is the daemon as seen at the start and at the end of the
// measured load.
type crowdWindow struct {
	t0, t1       time.Time
	cpu0, cpu1   float64
	lag0, lag1   []bucket
	fail0, fail1 float64
	log0, log1   logTally
}

// benchCrowd waits until the daemon has probed every check once, then
// loads it from a load process and measures the daemon over the load's
// measured window: CPU, memory, scheduler lag, probes at the farm and
// what its log says.
func benchCrowd(ctx context.Context, r crowdRun) (map[string]any, error) {
	paths, err := crowdPaths(r.docs, config.Slug("Service 0")) // as writeConfig names it
	if err != nil {
		return nil, err
	}
	var logs logCounter
	r.kinds, r.behave, r.onLog, r.arrivals = []string{"http"}, behaveOK, logs.add, true
	d, coverage, err := r.launchSteady(ctx)
	if err != nil {
		return nil, err
	}
	defer d.close()
	var w crowdWindow
	mark := func() (time.Time, float64, []bucket, float64, logTally) {
		t, cpu := time.Now(), procCPU(d.pid)
		metrics := metricLines(d.base, lagBucketMetric, probesMetric) // one scrape: it may be slow under load
		return t, cpu, lagBuckets(metrics), probesNotUp(metrics), logs.snapshot()
	}
	res, err := loadProcess(ctx, d.base, paths, r.clients, r.duration, func(event string) {
		switch event {
		case "measuring":
			w.t0, w.cpu0, w.lag0, w.fail0, w.log0 = mark()
		case "end":
			w.t1, w.cpu1, w.lag1, w.fail1, w.log1 = mark()
		}
	})
	if err != nil {
		return nil, err
	}
	if w.t0.IsZero() || w.t1.IsZero() {
		return nil, fmt.Errorf("the load process did not say when it measured")
	}
	seconds := w.t1.Sub(w.t0).Seconds()
	line := map[string]any{
		"bench": "crowd", "checks": r.checks, "interval_seconds": r.interval.Seconds(),
		"clients": r.clients, "docs": r.docs, "duration_seconds": r.duration.Seconds(), "seconds": seconds,
		"warmup_seconds":            loadWarmup.Seconds(),
		"all_checks_probed_after_s": coverage,
		"per_doc":                   res.Docs,
		"load_cpu_cores":            res.CPUCores,
		"daemon_cpu_cores":          (w.cpu1 - w.cpu0) / seconds,
		"peak_rss_mib":              float64(procPeakRSS(d.pid)) / (1 << 20),
		"rss_end_mib":               float64(procRSS(d.pid)) / (1 << 20),
		"log":                       w.log1.minus(w.log0),
	}
	addLoadTotals(line, res)
	w.addSchedule(line, d.farm.arrivalTimes(), r.checks, r.interval)
	// A failure in the load phase may show as a state change only after
	// fail_after retries: this counts until the end of the run.
	all := logs.snapshot()
	line["log_whole_run"] = all
	line["false_state_changes"] = all.FalseCheckChanges + all.FalseComponentChanges
	return line, nil
}

// addLoadTotals adds the load's figures over all documents to line.
func addLoadTotals(line map[string]any, res *loadResult) {
	var ok, answered, answered503, errs int64
	for _, f := range res.Docs {
		ok += f.Status200 + f.Status304
		answered += f.Requests
		answered503 += f.Status503
		errs += f.Errors
	}
	line["requests_per_second"] = float64(answered) / res.Seconds
	line["ok_requests_per_second"] = float64(ok) / res.Seconds
	line["responses_503"], line["errors"] = answered503, errs
}

// addSchedule adds to line how the daemon kept its schedule in the
// window: scheduler lag and failed probes from its /metrics, probes as
// they arrived at the farm.
func (w crowdWindow) addSchedule(line map[string]any, arrivals map[string][]time.Time, checks int, interval time.Duration) {
	// The lag figures are upper bounds of histogram buckets (bucket
	// resolution: 0.5, 1, 2, 5, 10, 20, 50, 100, 250 ms …) from the
	// observations between the two scrapes; -1 is beyond the last finite
	// bucket, or a scrape failed.
	lag := bucketsSince(w.lag1, w.lag0)
	line["lag_p50_le_ms"] = leMs(bucketQuantile(lag, 0.5))
	line["lag_p99_le_ms"] = leMs(bucketQuantile(lag, 0.99))
	line["lag_max_le_ms"] = leMs(bucketQuantile(lag, 1))
	line["lag_observations"], line["probes_not_up"] = -1.0, -1.0
	if len(lag) > 0 { // both scrapes answered
		line["lag_observations"] = lag[len(lag)-1].count
		// Failed probes are what false state changes come from.
		line["probes_not_up"] = w.fail1 - w.fail0
	}
	seconds := w.t1.Sub(w.t0).Seconds()
	tl := probeTimeliness(arrivals, w.t0, w.t1, interval)
	line["probes_arrived"], line["probes_expected"] = tl.arrived, float64(checks)*seconds/interval.Seconds()
	line["probes_late"], line["probe_gap_p99_ms"] = tl.late, ms(tl.gapP99)
}

func leMs(le float64) float64 {
	if le < 0 {
		return -1
	}
	return le * 1000
}

const probesMetric = "outpost_probes_total"

// probesNotUp sums, from exposition lines, the daemon's probes whose
// result was not up.
func probesNotUp(lines []string) float64 {
	n := 0.0
	for _, l := range lines {
		if f := strings.Fields(l); len(f) == 2 && strings.HasPrefix(f[0], probesMetric+"{") && !strings.Contains(f[0], `result="up"`) {
			var v float64
			_, _ = fmt.Sscan(f[1], &v)
			n += v
		}
	}
	return n
}

// timeliness is how probes arrived at the farm in a window.
type timeliness struct {
	arrived, late int
	gapP99        time.Duration
}

// probeTimeliness takes, per check, the gaps between consecutive probes
// whose later probe arrived in [from, to]. A gap over 1.1 × interval is a
// late probe, and so is a check still waiting at to for longer than that.
func probeTimeliness(arrivals map[string][]time.Time, from, to time.Time, interval time.Duration) timeliness {
	var tl timeliness
	limit := interval + interval/10
	var gaps []time.Duration
	for _, ts := range arrivals {
		last := time.Time{}
		for i, t := range ts {
			if t.After(to) {
				break
			}
			last = t
			if t.Before(from) {
				continue
			}
			tl.arrived++
			if i > 0 {
				gaps = append(gaps, t.Sub(ts[i-1]))
			}
		}
		if !last.IsZero() && to.Sub(last) > limit {
			tl.late++
		}
	}
	for _, g := range gaps {
		if g > limit {
			tl.late++
		}
	}
	if len(gaps) > 0 {
		slices.Sort(gaps)
		tl.gapP99 = gaps[len(gaps)*99/100]
	}
	return tl
}

// logTally counts the daemon's log lines that speak of false alarms (all
// targets are ok) and of a late scheduler.
type logTally struct {
	FalseCheckChanges     int `json:"false_check_changes"`     // "check state changed" to other than up
	FalseComponentChanges int `json:"false_component_changes"` // "component status changed" to other than operational
	TimeJumps             int `json:"time_jumps"`
	LateTicks             int `json:"late_ticks"` // any message with the word "late"
}

func (t logTally) minus(u logTally) logTally {
	return logTally{t.FalseCheckChanges - u.FalseCheckChanges, t.FalseComponentChanges - u.FalseComponentChanges,
		t.TimeJumps - u.TimeJumps, t.LateTicks - u.LateTicks}
}

// logCounter tallies JSON log lines as the daemon writes them.
type logCounter struct {
	mu sync.Mutex
	t  logTally
}

func (c *logCounter) add(line []byte) {
	var rec struct {
		Msg string `json:"msg"`
		To  any    `json:"to"`
	}
	if json.Unmarshal(line, &rec) != nil {
		return
	}
	to := fmt.Sprint(rec.To)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case rec.Msg == "check state changed" && to != "up":
		c.t.FalseCheckChanges++
	case rec.Msg == "component status changed" && to != "operational":
		c.t.FalseComponentChanges++
	case rec.Msg == "time jumped; marking the gap as unknown":
		c.t.TimeJumps++
	}
	// A word, so that "template" or "related" do not count.
	if slices.Contains(strings.FieldsFunc(strings.ToLower(rec.Msg), func(r rune) bool { return !unicode.IsLetter(r) }), "late") {
		c.t.LateTicks++
	}
}

func (c *logCounter) snapshot() logTally {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}
