package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// loadWarmup is how long the load process requests before it measures:
// connections are open and the daemon has served each document.
const loadWarmup = 2 * time.Second

// loadEvent is a line the load process prints when it starts measuring
// ("measuring") and when it stops ("end"), so that the crowd process can
// measure the daemon over the same window.
type loadEvent struct {
	Event string `json:"event"`
}

// docFigures is what the load process reports per document.
type docFigures struct {
	Requests    int64   `json:"requests"` // answered, whatever the status
	PerSecond   float64 `json:"requests_per_second"`
	P50Ms       float64 `json:"p50_ms"` // latency of 200 and 304 answers, -1 without any
	P99Ms       float64 `json:"p99_ms"`
	MaxMs       float64 `json:"max_ms"`
	Status200   int64   `json:"status_200"`
	Status304   int64   `json:"status_304"`
	Status503   int64   `json:"status_503"`
	StatusOther int64   `json:"status_other"`
	Errors      int64   `json:"errors"` // no answer (connection error, timeout)
	Bytes       int64   `json:"bytes"`  // body bytes as sent, compressed or not
	Gzip        int64   `json:"gzip"`   // answers with Content-Encoding: gzip
}

// loadResult is the load process's last line.
type loadResult struct {
	Bench     string                 `json:"bench"`
	Clients   int                    `json:"clients"`
	Seconds   float64                `json:"seconds"`
	Docs      map[string]*docFigures `json:"docs"`
	PerSecond float64                `json:"requests_per_second"`
	CPUCores  float64                `json:"cpu_cores"` // of the load process itself
}

// docTally is one client's count for one document.
type docTally struct {
	fig  docFigures
	lats []time.Duration // of 200 and 304 answers
}

// load runs clients goroutines, each looping GET requests over paths of
// base (starting at a different path) on keep-alive connections, with
// Accept-Encoding: gzip so that bodies are counted as sent. It requests
// for loadWarmup, then measures for d: out gets a "measuring" event, an
// "end" event and a loadResult.
func load(ctx context.Context, out io.Writer, base string, paths []string, clients int, d time.Duration) error {
	if len(paths) == 0 || clients < 1 {
		return fmt.Errorf("load: no paths or no clients")
	}
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, IdleConnTimeout: time.Minute, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	from := time.Now().Add(loadWarmup)
	ctx, cancel := context.WithDeadline(ctx, from.Add(d))
	defer cancel()
	tallies := make([]map[string]*docTally, clients)
	var wg sync.WaitGroup
	for w := range clients {
		tallies[w] = map[string]*docTally{}
		wg.Go(func() { loadClient(ctx, client, base, paths, w, from, tallies[w]) })
	}
	enc := json.NewEncoder(out)
	warm := time.NewTimer(time.Until(from))
	select {
	case <-ctx.Done():
		warm.Stop()
	case <-warm.C:
	}
	cpu0 := cpuSeconds()
	_ = enc.Encode(loadEvent{"measuring"})
	<-ctx.Done() // the deadline, or the caller's end
	_ = enc.Encode(loadEvent{"end"})
	elapsed := time.Since(from).Seconds()
	cpu := cpuSeconds() - cpu0
	wg.Wait()
	res := loadResult{Bench: "load", Clients: clients, Seconds: elapsed, Docs: map[string]*docFigures{}, CPUCores: cpu / elapsed}
	for _, p := range paths {
		fig := mergeTallies(tallies, p)
		fig.PerSecond = float64(fig.Requests) / elapsed
		res.PerSecond += fig.PerSecond
		res.Docs[p] = fig
	}
	return enc.Encode(res)
}

// loadClient requests until ctx ends, counting into tally what started at
// or after from and ended before ctx did.
func loadClient(ctx context.Context, client *http.Client, base string, paths []string, w int, from time.Time, tally map[string]*docTally) {
	for i := w; ctx.Err() == nil; i++ {
		path := paths[i%len(paths)]
		start := time.Now()
		status, n, gz, err := loadGet(ctx, client, base+path)
		took := time.Since(start)
		if ctx.Err() != nil || start.Before(from) {
			continue // cut off at the end, or warming up
		}
		t := tally[path]
		if t == nil {
			t = &docTally{}
			tally[path] = t
		}
		if err != nil {
			t.fig.Errors++
			continue
		}
		t.fig.Requests++
		t.fig.Bytes += n
		if gz {
			t.fig.Gzip++
		}
		switch status {
		case http.StatusOK:
			t.fig.Status200++
		case http.StatusNotModified:
			t.fig.Status304++
		case http.StatusServiceUnavailable:
			t.fig.Status503++
		default:
			t.fig.StatusOther++
		}
		if status == http.StatusOK || status == http.StatusNotModified {
			t.lats = append(t.lats, took)
		}
	}
}

// loadGet requests url and reads the whole body; n counts its bytes.
func loadGet(ctx context.Context, client *http.Client, url string) (status int, n int64, gzip bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, 0, false, err
	}
	// Set explicitly, the transport leaves the body compressed.
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, false, err
	}
	defer resp.Body.Close()
	n, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, n, resp.Header.Get("Content-Encoding") == "gzip", err
}

// mergeTallies adds up every client's tally for path.
func mergeTallies(tallies []map[string]*docTally, path string) *docFigures {
	var fig docFigures
	var lats []time.Duration
	for _, m := range tallies {
		t := m[path]
		if t == nil {
			continue
		}
		f := t.fig
		fig.Requests += f.Requests
		fig.Status200 += f.Status200
		fig.Status304 += f.Status304
		fig.Status503 += f.Status503
		fig.StatusOther += f.StatusOther
		fig.Errors += f.Errors
		fig.Bytes += f.Bytes
		fig.Gzip += f.Gzip
		lats = append(lats, t.lats...)
	}
	fig.P50Ms, fig.P99Ms, fig.MaxMs = -1, -1, -1
	if len(lats) > 0 {
		slices.Sort(lats)
		fig.P50Ms, fig.P99Ms, fig.MaxMs = ms(lats[len(lats)/2]), ms(lats[len(lats)*99/100]), ms(lats[len(lats)-1])
	}
	return &fig
}

// loadProcess runs this binary again in load mode, so that the load's CPU
// is neither the daemon's nor ours. It calls onEvent for each event line
// as it comes and returns the result line.
func loadProcess(ctx context.Context, base string, paths []string, clients int, d time.Duration, onEvent func(string)) (*loadResult, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	// Bounded even if the load process hangs: warm-up, load, and time to
	// finish the requests in flight and report.
	ctx, cancel := context.WithTimeout(ctx, loadWarmup+d+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, self, "-mode", "load", "-url", base, "-paths", strings.Join(paths, ","),
		"-clients", strconv.Itoa(clients), "-duration", d.String())
	cmd.SysProcAttr = childAttr()
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	var res *loadResult
	dec := json.NewDecoder(stdout)
	for {
		var line struct {
			loadEvent
			loadResult
		}
		if err := dec.Decode(&line); err != nil {
			break // EOF, or the process died: Wait says which
		}
		if line.Event != "" {
			onEvent(line.Event)
			continue
		}
		res = &line.loadResult
	}
	_, _ = io.Copy(io.Discard, stdout) // whatever is left, so that it cannot block
	if err := cmd.Wait(); err != nil {
		if ctx.Err() != nil {
			err = ctx.Err() // we killed it: interrupted, or past its time
		}
		return nil, fmt.Errorf("load process: %w", err)
	}
	if res == nil || res.Docs == nil {
		return nil, fmt.Errorf("load process printed no result")
	}
	return res, nil
}
