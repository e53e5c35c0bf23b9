package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestNetnsThreeLocations runs a publisher (fra) and two confirmers
// (ams, par) in their own network namespaces, each with its own path to
// one HTTP target: (a) ams's path cut: no incident, the operators hear
// that ams cannot reach it; (d) the publisher's own path cut: no
// incident, the operators hear that fra cannot; (b) the target stopped:
// the incident opens within interval + (fail_after-1)·retry_interval +
// timeout + confirm.timeout; (c) both peers down: the publisher falls
// back to its own verdict and says so.
func TestNetnsThreeLocations(t *testing.T) {
	l := newLocLab(t)
	l.startTarget()
	for _, loc := range locOrder {
		l.start(loc)
	}
	for _, loc := range locOrder {
		l.d[loc].waitState("web/home", "up")
	}

	t.Log("(a) ams cannot reach the target")
	l.cut("ams")
	msg := l.hooks.wait(t, "from ams about itself", func(m locHook) bool { return m.From == "ams" && m.Event == "location" })
	if !strings.Contains(msg.Text, "ams cannot reach Home (http://10.234.0.1:8080/); fra and par can.") || msg.Audience != "operators" {
		t.Errorf("ams's message = %+v", msg)
	}
	l.quiet(2*locInterval, "only ams's path is cut")
	if n := l.hooks.count(func(m locHook) bool { return m.From == "ams" && m.Event == "location" }); n != 1 {
		t.Errorf("%d messages from ams for one episode, want 1", n)
	}
	l.mend("ams")
	l.waitLastOutcome("ams", "up")

	t.Log("(d) the publisher cannot reach the target")
	l.cut("fra")
	msg = l.hooks.wait(t, "from fra about itself", func(m locHook) bool { return m.From == "fra" && m.Event == "location" })
	if !strings.Contains(msg.Text, "fra cannot reach Home (http://10.234.0.1:8080/); ams and par can.") {
		t.Errorf("fra's message = %+v", msg)
	}
	l.quiet(2*locInterval, "only the publisher's path is cut")
	l.mend("fra")
	l.waitLastOutcome("fra", "up")
	if n := l.hooks.count(func(m locHook) bool { return m.From != "fra" && m.Event == "draft_opened" }); n != 0 {
		t.Errorf("a confirmer sent %d drafts", n)
	}

	t.Log("(b) the target stops")
	runs := 1
	if s := os.Getenv(locRunsEnv); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			runs = n
		}
	}
	var took, waited []time.Duration
	for run := range runs {
		stopped := time.Now()
		l.stopTarget()
		if run == 0 {
			for l.incidents() == 0 {
				if time.Since(stopped) > 20*time.Second {
					t.Fatalf("no incident 20 s after the target stopped\n%s", l.d[locPublisherName].drainLogs())
				}
				time.Sleep(20 * time.Millisecond) // polling interval of a deadline-bounded wait
			}
		} else {
			l.d[locPublisherName].waitState("web/home", "down")
		}
		took = append(took, time.Since(stopped))
		waited = append(waited, confirmationWait(l.d[locPublisherName]))
		l.startTarget()
		l.d[locPublisherName].waitState("web/home", "up")
	}
	sorted := slices.Sorted(slices.Values(took))
	median := sorted[len(sorted)/2]
	t.Logf("detection with confirmation: median %s of %d runs (min %s, max %s), bound %s", median.Round(time.Millisecond),
		runs, sorted[0].Round(time.Millisecond), sorted[len(sorted)-1].Round(time.Millisecond), locDetectBound)
	slices.Sort(waited)
	t.Logf("the publisher waited for its peers' answers: median %s (max %s)", waited[len(waited)/2].Round(10*time.Microsecond), waited[len(waited)-1].Round(10*time.Microsecond))
	if took[0] > locDetectBound {
		t.Errorf("the incident opened %s after the target stopped, more than %s", took[0], locDetectBound)
	}
	doc := checksWithLocations(t, l.d[locPublisherName])
	if len(doc) != 3 || doc[0].ID != "fra" {
		t.Errorf("checks.json locations on the publisher = %+v", doc)
	}
	metrics, _ := l.d[locPublisherName].get("/metrics")
	if !strings.Contains(metrics, `outpost_confirmations_total{result="confirmed"}`) || strings.Contains(metrics, `outpost_confirmations_total{result="confirmed"} 0`) {
		t.Errorf("the publisher counts no confirmed confirmation")
	}
	promtoolCheck(t, metrics)
	l.confirmCost()

	t.Log("(c) the peers are down")
	l.d["ams"].stop()
	l.d["par"].stop()
	l.stopTarget()
	msg = l.hooks.wait(t, "about the fallback", func(m locHook) bool {
		return m.From == "fra" && m.Event == "location" && strings.Contains(m.Text, "no other location answered")
	})
	if !strings.Contains(msg.Text, "fra cannot reach Home (http://10.234.0.1:8080/), and no other location answered (ams and par).") ||
		!strings.Contains(msg.Text, "confirm.fallback: local") {
		t.Errorf("fallback message = %+v", msg)
	}
	l.d[locPublisherName].waitState("web/home", "down")
	l.d[locPublisherName].stop()
}

// confirmationWait is how long the publisher waited for the answers
// that took web/home down, from its log.
func confirmationWait(d *daemonProc) time.Duration {
	d.t.Helper()
	for _, line := range strings.Split(d.drainLogs(), "\n") {
		var rec struct {
			Msg, Result, To string
			Waited          time.Duration
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "confirmation" && rec.Result == "confirmed" && rec.To == "down" {
			return rec.Waited
		}
	}
	d.t.Fatal("the publisher logged no confirmation that took the check down")
	return 0
}

// checksWithLocations reads the publisher's per-location verdicts of web/home.
func checksWithLocations(t *testing.T, d *daemonProc) []struct{ ID, State string } {
	t.Helper()
	body, _ := d.get("/api/v1/checks.json")
	var doc struct {
		Checks []struct {
			Locations []struct{ ID, State string } `json:"locations"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || len(doc.Checks) != 1 {
		t.Fatalf("checks.json: %v %s", err, body)
	}
	return doc.Checks[0].Locations
}

// confirmCost measures what one confirmation costs the answering
// location: the CPU time of the ams process (all its threads, from
// /proc/PID/task/*/schedstat) over confirmCostRuns requests from the
// test's namespace, as the publisher sends them, less its CPU time in an
// idle window as long, and the bytes of request and answer on the wire.
// The requests are paced below the peer API's rate limit (10/s).
func (l *locLab) confirmCost() {
	l.t.Helper()
	const runs, pace = 60, 110 * time.Millisecond
	pid := l.d["ams"].cmd.Process.Pid // ip netns exec execs the outpost: same pid
	var wrote, read atomic.Int64
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: c, wrote: &wrote, read: &read}, nil
	}}}
	defer client.CloseIdleConnections()
	body := []byte(`{"keys":["web/home"]}`)
	send := func() {
		req, err := http.NewRequest(http.MethodPost, "http://"+l.addr["ams"]+"/api/peer/v1/confirm", bytes.NewReader(body))
		if err != nil {
			l.t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+locPeerToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			l.t.Fatal(err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(answer), `"web/home"`) {
			l.t.Fatalf("confirm: %d %s", resp.StatusCode, answer)
		}
	}
	send() // the connection is open, as the publisher's would be
	wrote.Store(0)
	read.Store(0)
	idle0 := procCPU(l.t, pid)
	time.Sleep(runs * pace) // the idle window the baseline is measured over
	idle := procCPU(l.t, pid) - idle0
	tick := time.NewTicker(pace)
	defer tick.Stop()
	busy0 := procCPU(l.t, pid)
	for range runs {
		send()
		<-tick.C
	}
	busy := procCPU(l.t, pid) - busy0
	l.t.Logf("cost per confirmation at the answering location (%d requests, one key, keep-alive http): CPU %s (%s busy, %s idle over the same time), request %d B, answer %d B on the wire",
		runs, ((busy - idle) / runs).Round(time.Microsecond), busy.Round(time.Millisecond), idle.Round(time.Millisecond),
		wrote.Load()/runs, read.Load()/runs)
}
