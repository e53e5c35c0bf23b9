package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/store"
)

// netnsServeEnv, when set to an address, makes the test binary an HTTP
// target serving "hello" there (started inside the target namespace).
const netnsServeEnv = "OUTPOST_TEST_NETNS_SERVE"

func serveNetnsTarget(addr string) int {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("READY")
	err = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "hello from the namespace")
	}))
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// netnsLab is two fresh network namespaces: the monitor's, joined to the
// target's by a veth pair (10.231.0.1 ↔ .2), and to the test's own
// namespace by a management veth (10.231.1.1 ↔ .2) that stays up.
type netnsLab struct {
	t        *testing.T
	ip       string
	mon, tgt string
	data     string // the monitor's interface towards the target
}

func newNetnsLab(t *testing.T) *netnsLab {
	t.Helper()
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("network namespaces need Linux and root")
	}
	ip, err := exec.LookPath("ip")
	if err != nil {
		t.Skip("no ip command (iproute2)")
	}
	id := strconv.Itoa(os.Getpid())
	l := &netnsLab{t: t, ip: ip, mon: "opmon" + id, tgt: "optgt" + id, data: "opd" + id}
	if out, err := exec.Command(ip, "netns", "add", l.mon).CombinedOutput(); err != nil {
		t.Skipf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command(ip, "netns", "del", l.mon).Run() })
	l.run("netns", "add", l.tgt)
	t.Cleanup(func() { _ = exec.Command(ip, "netns", "del", l.tgt).Run() })
	mgmt := "opr" + id
	t.Cleanup(func() { _ = exec.Command(ip, "link", "del", mgmt).Run() })
	for _, args := range [][]string{
		{"link", "add", l.data, "netns", l.mon, "type", "veth", "peer", "name", "opt" + id, "netns", l.tgt},
		{"link", "add", mgmt, "type", "veth", "peer", "name", "opa" + id, "netns", l.mon},
		{"-n", l.mon, "addr", "add", "10.231.0.1/30", "dev", l.data},
		{"-n", l.tgt, "addr", "add", "10.231.0.2/30", "dev", "opt" + id},
		{"addr", "add", "10.231.1.1/30", "dev", mgmt},
		{"-n", l.mon, "addr", "add", "10.231.1.2/30", "dev", "opa" + id},
		{"-n", l.mon, "link", "set", "lo", "up"},
		{"-n", l.tgt, "link", "set", "lo", "up"},
		{"-n", l.mon, "link", "set", l.data, "up"},
		{"-n", l.tgt, "link", "set", "opt" + id, "up"},
		{"link", "set", mgmt, "up"},
		{"-n", l.mon, "link", "set", "opa" + id, "up"},
	} {
		l.run(args...)
	}
	return l
}

func (l *netnsLab) run(args ...string) {
	l.t.Helper()
	if out, err := exec.Command(l.ip, args...).CombinedOutput(); err != nil {
		l.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// startTarget runs the HTTP target at 10.231.0.2:8080 in the target namespace.
func (l *netnsLab) startTarget() {
	l.t.Helper()
	cmd := exec.Command(l.ip, "netns", "exec", l.tgt, os.Args[0])
	cmd.Env = append(os.Environ(), netnsServeEnv+"=10.231.0.2:8080")
	out, err := cmd.StdoutPipe()
	if err != nil {
		l.t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	ready := make(chan bool, 1)
	go func() {
		line, err := bufio.NewReader(out).ReadString('\n')
		ready <- err == nil && strings.TrimSpace(line) == "READY"
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case ok := <-ready:
		if !ok {
			l.t.Fatal("target in the namespace did not start")
		}
	case <-time.After(20 * time.Second):
		l.t.Fatal("target in the namespace did not start within 20 s")
	}
}

// waitMetric polls /metrics until line appears.
func (d *daemonProc) waitMetric(line string) {
	d.t.Helper()
	tick := time.NewTicker(100 * time.Millisecond) // polling interval of a deadline-bounded wait
	defer tick.Stop()
	deadline := time.After(20 * time.Second)
	for {
		body, _ := d.get("/metrics")
		if strings.Contains(body, "\n"+line+"\n") {
			return
		}
		select {
		case <-deadline:
			d.t.Fatalf("metric %q never appeared\nlogs:\n%s", line, d.drainLogs())
		case <-tick.C:
		}
	}
}

// TestNetnsBlind runs outpost in its own network namespace and takes its
// interface down: it must go blind, open no incident and record the time
// as unknown, then see again when the link comes back.
func TestNetnsBlind(t *testing.T) {
	l := newNetnsLab(t)
	l.startTarget()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`listen: "10.231.1.2:0"
data_dir: %q
log: {format: json, level: info}
store: {flush_interval: 100ms}
defaults: {interval: 300ms, timeout: 200ms, retry_interval: 100ms, fail_after: 3, recover_after: 2}
self_check:
  targets: ["tcp://10.231.0.2:8080"]
components:
  - name: Web
    checks:
      - name: Home
        target: "http://10.231.0.2:8080/"
        expect: {body_contains: "hello"}
`, filepath.Join(dir, "data"))
	configPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(configPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemonCmd(t, exec.Command(l.ip, "netns", "exec", l.mon, outpostBin, "run", "-config", configPath))
	d.waitState("web/home", "up")
	d.waitMetric("outpost_blind 0")

	down := time.Now()
	l.run("-n", l.mon, "link", "set", l.data, "down")
	d.waitMetric("outpost_blind 1")
	d.waitState("web/home", "unknown")
	// Long enough for fail_after failures and the incident engine to act
	// had the monitor not known it was blind.
	observe := time.NewTimer(3 * time.Second)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for waiting := true; waiting; {
		select {
		case <-observe.C:
			waiting = false
		case <-tick.C:
			if body, _ := d.get("/metrics"); !strings.Contains(body, "\noutpost_blind 1\n") {
				t.Fatalf("no longer blind while the link is down\n%s", d.drainLogs())
			}
		}
	}
	l.run("-n", l.mon, "link", "set", l.data, "up")
	up := time.Now()
	d.waitMetric("outpost_blind 0")
	d.waitState("web/home", "up")
	d.stop()

	if incs := storedIncidents(t, dir); len(incs) != 0 {
		t.Errorf("losing the network opened %d incidents: %+v", len(incs), incs)
	}
	db, err := store.Open(filepath.Join(dir, "data", store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ivs, err := db.Intervals(store.CheckSubject("web/home"), down.Add(-time.Minute), up.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var unknown, downtime time.Duration
	for _, iv := range ivs {
		end := iv.End
		if end.IsZero() {
			end = time.Now()
		}
		switch iv.State {
		case store.StateUnknown:
			unknown += end.Sub(iv.Start)
		case store.StateDown:
			downtime += end.Sub(iv.Start)
		}
	}
	t.Logf("link down for %s: recorded %s unknown, %s down", up.Sub(down).Round(time.Millisecond), unknown, downtime)
	if unknown < time.Second {
		t.Errorf("only %s recorded as unknown for a %s outage of the monitor's own link", unknown, up.Sub(down))
	}
	if downtime > time.Second {
		t.Errorf("%s recorded as down while the monitor was blind", downtime)
	}
}
