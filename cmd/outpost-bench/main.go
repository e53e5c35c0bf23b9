// Command outpost-bench measures outpost against a target farm on loopback
// and prints one JSON line per measurement.
//
// Modes (-mode):
//   - probes: the HTTP prober in process, and store ingest.
//   - scheduler: the monitor in process, scheduler lag.
//   - detection: time from a target failing to its draft incident.
//   - daemon: the real binary against a loopback farm, measured from
//     outside (probes where they arrive, CPU and RSS from /proc, lag from
//     /metrics, API and page latency), next to a bare net/http client doing
//     the same requests at the same rate as the yardstick for CPU per probe.
//   - crowd: the real binary probing -checks while -clients load its public
//     documents (-docs page, summary or mix) from another process: requests
//     and latency per document, the daemon's CPU and memory, scheduler lag,
//     late probes at the farm and false alarms in its log.
//   - idle: the real binary with a small configuration and no requests:
//     CPU seconds and context switches per minute, RSS, all from /proc.
//   - fanout: one public event to -subscribers email subscribers through
//     the real subscriptions channel in process, to a loopback SMTP sink:
//     enqueue time and transactions, delivery time, mails/s, CPU, RSS.
//
// bare-client and load are the helper processes of daemon and crowd.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/outpost-status/outpost/probe"
	"github.com/outpost-status/outpost/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("outpost-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	targets := fs.Int("targets", 20, "loopback HTTP targets")
	concurrency := fs.Int("concurrency", 64, "probes in flight")
	duration := fs.Duration("duration", 5*time.Second, "length of the measured run (crowd: of the load, default 20s; idle: default 60s)")
	results := fs.Int("results", 200_000, "results written in the store ingest run")
	mode := fs.String("mode", "probes", "what to measure: probes (HTTP probes and store ingest), scheduler, detection, daemon (the real binary), crowd (the daemon under many clients), idle (the daemon at rest), fanout (one event to -subscribers email subscribers); bare-client and load are the helper processes of daemon and crowd")
	checks := fs.Int("checks", 1000, "checks in the scheduler, daemon and crowd runs (idle: default 10)")
	interval := fs.Duration("interval", 10*time.Second, "check interval in the scheduler, daemon and crowd runs (idle: default 30s)")
	clients := fs.Int("clients", 256, "crowd and load modes: concurrent clients, each on its own keep-alive connection")
	docs := fs.String("docs", "page", "crowd mode: documents to load: page (/), summary (/api/v2/summary.json) or mix (every public document)")
	paths := fs.String("paths", "", "load mode: comma-separated paths to request from -url")
	components := fs.Int("components", 5, "components in the detection run")
	bin := fs.String("outpost", "", "daemon, crowd and idle modes: outpost binary (default: go build ./cmd/outpost)")
	kinds := fs.String("kinds", "http", "daemon mode: target kinds cycled over checks (http,tcp,dns,sip)")
	behave := fs.String("behaviour", behaveOK, "daemon mode: targets are ok, slow, failing or silent")
	profile := fs.String("cpuprofile", "", "daemon mode: CPU profile of the daemon's steady probing to `FILE` (the run then stops after that phase); crowd and idle modes: of the daemon's whole run (a heap profile goes to FILE.heap in all three); bare-client mode: of the client")
	url := fs.String("url", "", "bare-client mode: URL to fetch; load mode: base URL")
	rate := fs.Float64("rate", 1000, "bare-client mode: requests per second")
	viaProber := fs.Bool("prober", false, "bare-client mode: use outpost's HTTP prober instead of a bare net/http client")
	seedDays := fs.Int("seed-days", 0, "daemon mode: start on a store with this many days of history (writes then land in full pages, as on a long-running server)")
	subscribers := fs.Int("subscribers", 10000, "fanout mode: confirmed subscribers")
	comparePID := fs.Int("compare-pid", 0, "idle mode: also measure this `PID` over the same window (another monitor doing the same work, e.g. Gatus with 10 endpoints at 30s)")
	bare := fs.Bool("bare", true, "daemon mode: also measure a bare net/http client at the same rate (HTTP only)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	enc := json.NewEncoder(stdout)
	switch *mode {
	case "scheduler":
		line, err := benchScheduler(ctx, *checks, *targets, *interval, *duration)
		if err != nil {
			fmt.Fprintf(stderr, "outpost-bench: scheduler: %v\n", err)
			return 1
		}
		_ = enc.Encode(line)
		return 0
	case "fanout":
		line, err := benchFanOut(ctx, *subscribers)
		if err != nil {
			fmt.Fprintf(stderr, "outpost-bench: fanout: %v\n", err)
			return 1
		}
		_ = enc.Encode(line)
		return 0
	case "detection":
		dir, err := os.MkdirTemp("", "outpost-detect-")
		if err != nil {
			fmt.Fprintf(stderr, "outpost-bench: %v\n", err)
			return 1
		}
		defer os.RemoveAll(dir)
		line, err := benchDetection(ctx, *components, dir)
		if err != nil {
			fmt.Fprintf(stderr, "outpost-bench: detection: %v\n", err)
			return 1
		}
		_ = enc.Encode(line)
		return 0
	case "daemon", "crowd", "idle":
		path, cleanup, err := outpostBinary(*bin)
		if err != nil {
			fmt.Fprintf(stderr, "outpost-bench: %v\n", err)
			return 1
		}
		defer cleanup()
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		r := daemonRun{bin: path, checks: *checks, interval: *interval, duration: *duration,
			kinds: strings.Split(*kinds, ","), behave: *behave, cpuProfile: *profile, bare: *bare, seedDays: *seedDays, comparePID: *comparePID}
		var line map[string]any
		switch *mode {
		case "daemon":
			line, err = benchDaemon(ctx, r)
		case "crowd":
			r.duration = flagOr(set["duration"], r.duration, 20*time.Second)
			line, err = benchCrowd(ctx, crowdRun{daemonRun: r, clients: *clients, docs: *docs})
		case "idle":
			r.checks = flagOr(set["checks"], r.checks, 10)
			r.interval = flagOr(set["interval"], r.interval, 30*time.Second)
			r.duration = flagOr(set["duration"], r.duration, time.Minute)
			line, err = benchIdle(ctx, r)
		}
		if err != nil {
			fmt.Fprintf(stderr, "outpost-bench: %s: %v\n", *mode, err)
			return 1
		}
		_ = enc.Encode(line)
		return 0
	case "load":
		if *paths == "" {
			fmt.Fprintf(stderr, "outpost-bench: load mode needs -paths\n")
			return 2
		}
		if err := load(ctx, stdout, *url, strings.Split(*paths, ","), *clients, *duration); err != nil {
			fmt.Fprintf(stderr, "outpost-bench: %v\n", err)
			return 1
		}
		return 0
	case "bare-client":
		if *profile != "" {
			f, err := os.Create(*profile)
			if err != nil {
				fmt.Fprintf(stderr, "outpost-bench: %v\n", err)
				return 1
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				fmt.Fprintf(stderr, "outpost-bench: %v\n", err)
				return 1
			}
			defer pprof.StopCPUProfile()
		}
		line, err := bareClient(ctx, *url, *rate, *duration, *viaProber)
		if err != nil {
			fmt.Fprintf(stderr, "outpost-bench: bare client: %v\n", err)
			return 1
		}
		_ = enc.Encode(line)
		return 0
	case "probes":
	default:
		fmt.Fprintf(stderr, "outpost-bench: unknown -mode %q\n", *mode)
		return 2
	}
	line, err := benchHTTP(ctx, *targets, *concurrency, *duration)
	if err != nil {
		fmt.Fprintf(stderr, "outpost-bench: http: %v\n", err)
		return 1
	}
	_ = enc.Encode(line)
	line, err = benchIngest(*results)
	if err != nil {
		fmt.Fprintf(stderr, "outpost-bench: ingest: %v\n", err)
		return 1
	}
	_ = enc.Encode(line)
	return 0
}

// flagOr is the flag's value when it was set, else the mode's default.
func flagOr[T any](set bool, value, modeDefault T) T {
	if set {
		return value
	}
	return modeDefault
}

// farm serves n loopback HTTP targets and counts requests that arrive.
func farm(n int) ([]string, *atomic.Int64, func(), error) {
	var arrived atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		arrived.Add(1)
		_, _ = io.WriteString(w, "Welcome")
	})
	var urls []string
	var servers []*http.Server
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, nil, err
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		servers = append(servers, srv)
		urls = append(urls, "http://"+ln.Addr().String()+"/")
	}
	stop := func() {
		for _, s := range servers {
			_ = s.Close()
		}
	}
	return urls, &arrived, stop, nil
}

func benchHTTP(ctx context.Context, n, concurrency int, d time.Duration) (map[string]any, error) {
	urls, arrived, stop, err := farm(n)
	if err != nil {
		return nil, err
	}
	defer stop()
	var tgs []probe.Target
	for _, u := range urls {
		t, err := probe.ParseTarget(u)
		if err != nil {
			return nil, err
		}
		t.Options.Expect.BodyContains = "Welcome"
		tgs = append(tgs, t)
	}
	p := probe.NewHTTP(probe.HTTPConfig{})
	cpu0 := cpuSeconds()
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var sent, failed atomic.Int64
	var wg sync.WaitGroup
	for w := range concurrency {
		wg.Go(func() {
			for i := w; ctx.Err() == nil; i += concurrency {
				pctx, pcancel := context.WithTimeout(context.Background(), 5*time.Second)
				r := p.Probe(pctx, tgs[i%len(tgs)])
				pcancel()
				sent.Add(1)
				if r.Outcome != probe.Up {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	cpu := cpuSeconds() - cpu0
	return map[string]any{
		"bench": "http_probes", "targets": n, "concurrency": concurrency, "seconds": elapsed,
		"probes": sent.Load(), "failed": failed.Load(), "arrived": arrived.Load(),
		"probes_per_second": float64(arrived.Load()) / elapsed,
		"cpu_seconds":       cpu, "cpu_ms_per_probe": 1000 * cpu / float64(max(sent.Load(), 1)),
		"peak_rss_bytes": peakRSS(),
		"note":           "CPU includes the in-process target farm",
	}, nil
}

// tempStore opens a store in a new temporary directory; done closes it
// and removes the directory.
func tempStore() (db *store.DB, done func(), err error) {
	dir, err := os.MkdirTemp("", "outpost-bench-")
	if err != nil {
		return nil, nil, err
	}
	db, err = store.Open(filepath.Join(dir, store.FileName), store.Options{})
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return db, func() { db.Close(); os.RemoveAll(dir) }, nil
}

func benchIngest(n int) (map[string]any, error) {
	db, done, err := tempStore()
	if err != nil {
		return nil, err
	}
	defer done()
	w := store.NewWriter(db, store.WriterOptions{})
	base := time.Now()
	start := time.Now()
	for i := range n {
		w.Add(store.Result{Check: fmt.Sprintf("c/%d", i%1000), Time: base.Add(time.Duration(i/1000) * 30 * time.Second),
			Duration: 12 * time.Millisecond, Outcome: store.OutcomeUp, Code: 200})
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	elapsed := time.Since(start).Seconds()
	size, _ := db.Size()
	return map[string]any{"bench": "store_ingest", "results": n, "seconds": elapsed,
		"results_per_second": float64(n) / elapsed, "file_bytes": size}, nil
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func peakRSS() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Maxrss * 1024
}
