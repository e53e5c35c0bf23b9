package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outpost-status/outpost/probe"
)

// bareClient is the yardstick for the daemon's CPU per HTTP probe: a plain
// net/http client doing the same work per request (fresh connection, status
// and body checked) at the same rate, and nothing else. It runs in its own
// process so that its CPU is not mixed with the target farm's.
//
// With viaProber it uses outpost's HTTP prober instead of the bare client,
// which separates the prober's cost from the rest of the daemon's.
func bareClient(ctx context.Context, url string, rate float64, d time.Duration, viaProber bool) (map[string]any, error) {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, MaxIdleConnsPerHost: -1}, Timeout: 5 * time.Second}
	get := func() bool { return bareGet(ctx, client, url) }
	if viaProber {
		target, err := probe.ParseTarget(url)
		if err != nil {
			return nil, err
		}
		target.Options.Expect.BodyContains = "Welcome"
		p := probe.NewHTTP(probe.HTTPConfig{})
		get = func() bool {
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			return p.Probe(pctx, target).Outcome == probe.Up
		}
	}
	var sent, failed atomic.Int64
	var wg sync.WaitGroup
	// Requests are started in small batches every 10 ms, like a scheduler
	// whose checks are spread evenly over the interval.
	const slot = 10 * time.Millisecond
	perSlot := rate * slot.Seconds()
	tick := time.NewTicker(slot)
	defer tick.Stop()
	cpu0, start := cpuSeconds(), time.Now()
	owed := 0.0
	for time.Since(start) < d && ctx.Err() == nil {
		<-tick.C
		owed += perSlot
		for ; owed >= 1; owed-- {
			sent.Add(1)
			wg.Go(func() {
				if !get() {
					failed.Add(1)
				}
			})
		}
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	cpu := cpuSeconds() - cpu0
	return map[string]any{
		"bench": "bare_client", "via_prober": viaProber, "rate": rate, "seconds": elapsed, "requests": sent.Load(), "failed": failed.Load(),
		"cpu_seconds": cpu, "cpu_ms_per_request": 1000 * cpu / float64(max(sent.Load(), 1)),
	}, nil
}

func bareGet(ctx context.Context, client *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return err == nil && resp.StatusCode == http.StatusOK && bytes.Contains(body, []byte("Welcome"))
}

// runBareClient runs this binary again in bare-client mode against url and
// returns its CPU milliseconds per request.
func runBareClient(ctx context.Context, url string, rate float64, d time.Duration) (float64, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	out, err := exec.CommandContext(ctx, self, "-mode", "bare-client", "-url", url,
		"-rate", strconv.FormatFloat(rate, 'f', -1, 64), "-duration", d.String()).Output()
	if err != nil {
		return 0, fmt.Errorf("bare client: %w", err)
	}
	var line struct {
		CPUMsPerRequest *float64 `json:"cpu_ms_per_request"`
	}
	if err := json.Unmarshal(out, &line); err != nil || line.CPUMsPerRequest == nil {
		return 0, fmt.Errorf("bare client printed no figure: %s", out)
	}
	return *line.CPUMsPerRequest, nil
}
