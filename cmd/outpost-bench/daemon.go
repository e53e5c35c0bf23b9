package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outpost-status/outpost/store"
)

// daemonRun describes one run of the real daemon against the farm.
type daemonRun struct {
	bin      string
	checks   int
	interval time.Duration
	duration time.Duration
	kinds    []string // cycled over checks: http, tcp, dns, sip
	behave   string   // behaviour of every target: ok, slow, failing, silent
	// cpuProfile, if set, is passed to outpost run -cpuprofile (and
	// FILE.heap to -memprofile); daemon mode then stops after the steady
	// phase so that the profile shows probing only.
	cpuProfile string
	// bare also measures a bare net/http client at the same rate (HTTP
	// checks with ok targets only).
	bare bool
	// comparePID, idle mode: another process (another monitor given the
	// same work, started by hand) measured over the same window.
	comparePID int
	// seedDays fills the store with that many days of history first (one
	// result per check every 6 hours, with their daily rollups), so that
	// writes land in full pages as on a server that has run for a while
	// rather than in a fresh file's small inline buckets.
	seedDays int
	// onLog, if set, gets every log line of the daemon once it listens.
	onLog func([]byte)
	// arrivals keeps the time of every probe at the farm.
	arrivals bool
}

// writeConfig generates a configuration: components of 50 checks each.
func (r daemonRun) writeConfig(f *targetFarm, dir string) (string, error) {
	var b strings.Builder
	timeout := min(5*time.Second, r.interval)
	fmt.Fprintf(&b, "listen: \"127.0.0.1:0\"\ndata_dir: %q\nlog: {level: info, format: json}\n", filepath.Join(dir, "data"))
	fmt.Fprintf(&b, "page: {title: Bench}\ndefaults: {interval: %s, timeout: %s, retry_interval: %s, degraded_latency: 10s}\ncomponents:\n",
		r.interval, timeout, r.interval)
	suffix := ""
	if r.behave != behaveOK {
		suffix = "." + r.behave
	}
	for i := range r.checks {
		if i%50 == 0 {
			fmt.Fprintf(&b, "  - name: Service %d\n    checks:\n", i/50)
		}
		id := fmt.Sprintf("c%d%s", i, suffix)
		switch kind := r.kinds[i%len(r.kinds)]; kind {
		case "http":
			fmt.Fprintf(&b, "      - {name: c%d, target: %q, expect: {body_contains: Welcome}}\n", i, f.httpURL+"/"+id)
		case "tcp":
			fmt.Fprintf(&b, "      - {name: c%d, target: %q, send: \"%s\\n\", expect: {body_regex: \"^220\"}}\n", i, "tcp://"+f.tcpAddr, id)
		case "dns":
			fmt.Fprintf(&b, "      - {name: c%d, target: %q}\n", i, "dns://"+f.dnsAddr+"/"+id+".bench.test?type=A")
		case "sip":
			fmt.Fprintf(&b, "      - {name: c%d, target: %q}\n", i, "sip:"+id+"@"+f.sipAddr+";transport=udp")
		default:
			return "", fmt.Errorf("unknown kind %q (use http, tcp, dns, sip)", kind)
		}
	}
	path := filepath.Join(dir, "config.yaml")
	return path, os.WriteFile(path, []byte(b.String()), 0o600)
}

// benchDaemon runs the real outpost binary on a temp dir against the farm
// and measures it from outside: probes where they arrive, CPU and peak RSS
// of the process, scheduler lag from its metrics, API and page latency.
func benchDaemon(ctx context.Context, r daemonRun) (map[string]any, error) {
	d, err := r.launch(ctx)
	if err != nil {
		return nil, err
	}
	defer d.close()
	started := time.Now()
	farm, base, pid, seeded := d.farm, d.base, d.pid, d.seeded
	coverage := waitCoverage(farm, r.checks, started, 3*r.interval)

	// Phase 1: steady probing only, measured over whole intervals after the
	// first one (no requests of ours in the CPU window).
	// A scrape of 10,000 checks' metrics costs more CPU than a second of
	// probing: a profiled run leaves them out so the profile shows probing.
	profiling := r.cpuProfile != ""
	scrape := func(name string) float64 {
		if profiling {
			return -1
		}
		return metricValue(base, name)
	}
	written0 := scrape("outpost_store_results_written_total")
	cpu0, arrived0, t0 := procCPU(pid), farm.arrived.Load(), time.Now()
	if err := sleep(ctx, r.duration); err != nil {
		return nil, err
	}
	elapsed := time.Since(t0).Seconds()
	cpu := procCPU(pid) - cpu0
	probes := farm.arrived.Load() - arrived0
	written := scrape("outpost_store_results_written_total") - written0
	lag50, lag99 := -1.0, -1.0
	if !profiling {
		lag50, lag99 = lagQuantiles(base) // before our own load below
	}
	rssProbing, rssNow := procPeakRSS(pid), procRSS(pid)
	line := map[string]any{
		"bench": "daemon", "checks": r.checks, "kinds": strings.Join(r.kinds, ","), "behaviour": r.behave,
		"interval_seconds": r.interval.Seconds(), "seconds": elapsed,
		"configured_probes_per_second": float64(r.checks) / r.interval.Seconds(),
		"probes_per_second":            float64(probes) / elapsed,
		"all_checks_probed_after_s":    coverage,
		"cpu_seconds":                  cpu, "cpu_ms_per_probe": 1000 * cpu / float64(max(probes, 1)),
		"peak_rss_probing_mib": float64(rssProbing) / (1 << 20), "rss_after_probing_mib": float64(rssNow) / (1 << 20),
		// RSS counts the mapped pages of the database file too; they are
		// page cache the kernel can drop, not the daemon's own memory.
		"rss_anon_after_probing_mib": float64(procStatus(pid, "RssAnon:")) / (1 << 20),
		"rss_file_after_probing_mib": float64(procStatus(pid, "RssFile:")) / (1 << 20),
		"lag_p50_le_ms":              lag50 * 1000, "lag_p99_le_ms": lag99 * 1000,
		"store_writes_per_second": written / elapsed,
		"seeded_results":          seeded,
	}
	if profiling {
		d.stop()
		return line, nil
	}
	// Phase 2: latency of the public documents while probing goes on.
	summary, page := latencies(base, time.Now().Add(10*time.Second))
	// Phase 3: summary.json throughput, 16 clients for 5 s, while probing.
	rps := throughput(base+"/api/v2/summary.json", 16, 5*time.Second)
	line["peak_rss_mib"] = float64(procPeakRSS(pid)) / (1 << 20)
	// Where the memory is, from the Go runtime's own view.
	for key, metric := range map[string]string{"heap_inuse_mib": "go_memstats_heap_inuse_bytes",
		"stack_inuse_mib": "go_memstats_stack_inuse_bytes", "go_sys_mib": "go_memstats_sys_bytes"} {
		line[key] = metricValue(base, metric) / (1 << 20)
	}
	line["summary_json_p50_ms"], line["summary_json_p99_ms"] = summary[0], summary[1]
	line["summary_json_requests_per_second"] = rps
	line["status_page_p50_ms"], line["status_page_p99_ms"] = page[0], page[1]
	d.stop()
	// The yardstick runs after the daemon has stopped, so that the two do
	// not share the CPU.
	if r.bare && strings.Join(r.kinds, ",") == "http" && r.behave == behaveOK {
		bare, err := runBareClient(ctx, farm.httpURL+"/bare", float64(r.checks)/r.interval.Seconds(), r.duration)
		if err != nil {
			return nil, err
		}
		line["bare_client_cpu_ms_per_request"] = bare
		line["cpu_ratio_to_bare_client"] = 1000 * cpu / float64(max(probes, 1)) / bare
	}
	return line, nil
}

// waitCoverage returns the seconds from start until every check had its
// first probe, or -1 when that did not happen within limit.
func waitCoverage(f *targetFarm, n int, start time.Time, limit time.Duration) float64 {
	deadline := start.Add(limit)
	for time.Now().Before(deadline) {
		if count, last := f.firstHits(); count >= n {
			return last.Sub(start).Seconds()
		}
		time.Sleep(100 * time.Millisecond) // sampling period
	}
	return -1
}

// latencies samples summary.json and / until end; it returns p50 and p99
// in milliseconds for each.
func latencies(base string, end time.Time) (summary, page [2]float64) {
	var s, p []float64
	client := &http.Client{Timeout: 10 * time.Second}
	for time.Now().Before(end) {
		for path, into := range map[string]*[]float64{"/api/v2/summary.json": &s, "/": &p} {
			t := time.Now()
			if resp, err := client.Get(base + path); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				*into = append(*into, float64(time.Since(t))/float64(time.Millisecond))
			}
		}
		time.Sleep(250 * time.Millisecond) // sampling period
	}
	return quant(s), quant(p)
}

// throughput runs clients concurrent GET loops on url for d and returns
// successful requests per second.
func throughput(url string, clients int, d time.Duration) float64 {
	var ok atomic.Int64
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			c := &http.Client{Timeout: 10 * time.Second}
			for time.Now().Before(end) {
				resp, err := c.Get(url)
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ok.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return float64(ok.Load()) / d.Seconds()
}

func quant(v []float64) [2]float64 {
	if len(v) == 0 {
		return [2]float64{-1, -1}
	}
	slices.Sort(v)
	return [2]float64{v[len(v)/2], v[len(v)*99/100]}
}

// metricLines scrapes /metrics once and returns the exposition lines that
// start with one of prefixes (metric names).
func metricLines(base string, prefixes ...string) []string {
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Get(base + "/metrics")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK { // a 503 from a busy server, say
		return nil
	}
	var out []string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if hasPrefix(sc.Text(), prefixes) {
			out = append(out, sc.Text())
		}
	}
	return out
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func metricValue(base, name string) float64 {
	for _, l := range metricLines(base, name) {
		if f := strings.Fields(l); len(f) == 2 && f[0] == name {
			v, _ := strconv.ParseFloat(f[1], 64)
			return v
		}
	}
	return 0
}

// lagQuantiles reads upper bounds of the p50 and p99 scheduler lag from
// the histogram buckets.
func lagQuantiles(base string) (p50, p99 float64) {
	bs := lagBuckets(metricLines(base, lagBucketMetric))
	return bucketQuantile(bs, 0.5), bucketQuantile(bs, 0.99)
}

// bucket is a cumulative histogram bucket: count observations ≤ le, with
// le -1 standing for +Inf.
type bucket struct{ le, count float64 }

const lagBucketMetric = "outpost_scheduler_lag_seconds_bucket"

// lagBuckets picks the buckets of the scheduler lag histogram out of
// exposition lines.
func lagBuckets(lines []string) []bucket {
	var bs []bucket
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) != 2 || !strings.HasPrefix(f[0], lagBucketMetric+"{") {
			continue
		}
		le := strings.TrimSuffix(strings.TrimPrefix(f[0][strings.Index(f[0], "le=")+3:], `"`), `"}`)
		v, _ := strconv.ParseFloat(f[1], 64)
		bound, err := strconv.ParseFloat(le, 64)
		if err != nil {
			bound = -1 // +Inf
		}
		bs = append(bs, bucket{bound, v})
	}
	return bs
}

// bucketsSince returns the observations of after that came since before,
// two scrapes of the same histogram (nil if one of them failed).
func bucketsSince(after, before []bucket) []bucket {
	if len(after) != len(before) {
		return nil
	}
	d := make([]bucket, len(after))
	for i := range after {
		d[i] = bucket{after[i].le, after[i].count - before[i].count}
	}
	return d
}

// bucketQuantile returns the upper bound of the bucket that holds
// quantile q (1 for the maximum) of bs: a bound, at bucket resolution, not
// an observed value. It is -1 without observations or beyond the last
// finite bucket.
func bucketQuantile(bs []bucket, q float64) float64 {
	if len(bs) == 0 || bs[len(bs)-1].count == 0 {
		return -1
	}
	total := bs[len(bs)-1].count
	for _, b := range bs {
		if b.count >= q*total {
			return b.le
		}
	}
	return -1
}

// seed writes seedDays of history for every check the config names.
func (r daemonRun) seed(path string) (int, error) {
	db, err := store.Open(path, store.Options{})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	const every = 6 * time.Hour
	now := time.Now()
	n := 0
	var batch []store.Result
	for t := now.Add(-time.Duration(r.seedDays) * 24 * time.Hour); t.Before(now.Add(-time.Minute)); t = t.Add(every) {
		for i := range r.checks {
			key := fmt.Sprintf("service-%d/c%d", i/50, i)
			batch = append(batch, store.Result{Check: key, Time: t.Add(time.Duration(i) * time.Millisecond),
				Duration: 12 * time.Millisecond, Outcome: store.OutcomeUp, Code: 200})
		}
		if len(batch) >= 100_000 {
			if err := db.WriteResults(batch); err != nil {
				return n, err
			}
			n += len(batch)
			batch = batch[:0]
		}
	}
	if err := db.WriteResults(batch); err != nil {
		return n, err
	}
	return n + len(batch), nil
}
