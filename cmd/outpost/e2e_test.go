package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/outpost-status/outpost/internal/testpeer"
	"github.com/outpost-status/outpost/store"
)

// outpostBin is built once by TestMain so end-to-end tests run the real
// binary: real signals, real process exit, real file locks.
var outpostBin string

func TestMain(m *testing.M) {
	if addr := os.Getenv(netnsServeEnv); addr != "" { // a target inside a network namespace
		os.Exit(serveNetnsTarget(addr))
	}
	dir, err := os.MkdirTemp("", "outpost-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	outpostBin = filepath.Join(dir, "outpost")
	build := exec.Command("go", "build", "-race", "-o", outpostBin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building outpost: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const e2eToken = "e2e-admin-token-0123456789"

// daemonProc is a running `outpost run`.
type daemonProc struct {
	t    *testing.T
	cmd  *exec.Cmd
	addr string
	logs chan string
	done chan error
}

func startDaemon(t *testing.T, configPath string, env ...string) *daemonProc {
	t.Helper()
	return startDaemonCmd(t, exec.Command(outpostBin, "run", "-config", configPath), env...)
}

// startDaemonCmd starts cmd, an `outpost run` possibly behind a wrapper
// such as `ip netns exec`, and waits until it listens.
func startDaemonCmd(t *testing.T, cmd *exec.Cmd, env ...string) *daemonProc {
	t.Helper()
	cmd.Env = append(append(os.Environ(), "OUTPOST_ADMIN_TOKEN="+e2eToken), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &daemonProc{t: t, cmd: cmd, logs: make(chan string, 1000), done: make(chan error, 1)}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "http server listening" {
				addrc <- rec.Addr
			}
			select {
			case d.logs <- line:
			default:
			}
		}
		d.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	select {
	case d.addr = <-addrc:
	case err := <-d.done:
		t.Fatalf("daemon exited before listening: %v\n%s", err, d.drainLogs())
	case <-time.After(30 * time.Second):
		t.Fatalf("daemon did not start listening\n%s", d.drainLogs())
	}
	return d
}

func (d *daemonProc) drainLogs() string {
	var b strings.Builder
	for {
		select {
		case l := <-d.logs:
			b.WriteString(l + "\n")
		default:
			return b.String()
		}
	}
}

// stop sends SIGTERM and expects a clean exit.
func (d *daemonProc) stop() {
	d.t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		d.t.Fatal(err)
	}
	select {
	case err := <-d.done:
		if err != nil {
			d.t.Fatalf("daemon exit after SIGTERM: %v\n%s", err, d.drainLogs())
		}
	case <-time.After(20 * time.Second):
		d.t.Fatalf("daemon did not stop after SIGTERM\n%s", d.drainLogs())
	}
}

type checksDoc struct {
	Checks []struct {
		Key        string `json:"key"`
		State      string `json:"state"`
		Target     string `json:"target"`
		LastResult *struct {
			Outcome string `json:"outcome"`
			Class   string `json:"class"`
		} `json:"last_result"`
	} `json:"checks"`
}

func (d *daemonProc) get(path string) (string, http.Header) {
	d.t.Helper()
	resp, err := http.Get("http://" + d.addr + path)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		d.t.Fatalf("GET %s: %d %v\n%s", path, resp.StatusCode, err, body)
	}
	return string(body), resp.Header
}

// waitState polls checks.json until check key reaches state.
func (d *daemonProc) waitState(key, state string) checksDoc {
	d.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		body, _ := d.get("/api/v1/checks.json")
		var doc checksDoc
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			d.t.Fatalf("checks.json: %v\n%s", err, body)
		}
		for _, c := range doc.Checks {
			if c.Key == key && c.State == state {
				return doc
			}
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("check %s never reached %s; last checks.json:\n%s\nlogs:\n%s", key, state, body, d.drainLogs())
		}
		time.Sleep(50 * time.Millisecond) // polling interval of a deadline-bounded wait
	}
}

func writeConfig(t *testing.T, dir, target string) string {
	t.Helper()
	cfg := fmt.Sprintf(`listen: "127.0.0.1:0"
data_dir: %q
log: {format: json, level: info}
store: {flush_interval: 100ms}
defaults: {interval: 300ms, timeout: 200ms, retry_interval: 100ms, fail_after: 3, recover_after: 2}
components:
  - name: Web
    checks:
      - name: Home
        target: "%s"
        expect: {body_contains: "hello"}
`, filepath.Join(dir, "data"), target)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestEndToEnd(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "hello from the target")
	}))
	dir := t.TempDir()
	configPath := writeConfig(t, dir, target.URL+"/")

	notify := listenNotify(t)
	d := startDaemon(t, configPath, "NOTIFY_SOCKET="+notify.LocalAddr().String())
	if msg := readNotify(t, notify); !strings.Contains(msg, "READY=1") {
		t.Errorf("sd_notify message = %q, want READY=1", msg)
	}
	doc := d.waitState("web/home", "up")
	if doc.Checks[0].Target != target.URL+"/" {
		t.Errorf("target in checks.json = %q", doc.Checks[0].Target)
	}
	body, hdr := d.get("/api/v1/checks.json")
	if hdr.Get("Access-Control-Allow-Origin") != "*" || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Errorf("checks.json headers: %v", hdr)
	}
	_ = body

	t.Run("second process on the same data fails fast", func(t *testing.T) {
		start := time.Now()
		out, err := exec.Command(outpostBin, "run", "-config", configPath).CombinedOutput()
		if err == nil {
			t.Fatalf("second daemon started:\n%s", out)
		}
		if !strings.Contains(string(out), "locked by another process") || !strings.Contains(string(out), "outpost.db") {
			t.Errorf("second daemon message does not explain the lock:\n%s", out)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("second daemon took %s to fail", d)
		}
	})

	target.Close() // connections are now refused
	d.waitState("web/home", "down")
	// The engine writes the draft after the check's state is visible:
	// wait for it rather than race it.
	metrics := d.waitMetrics(`outpost_incidents{state="draft"} 1`)
	for _, want := range []string{
		`outpost_check_up{check="home",component="web"} 0`,
		`outpost_probes_total{check="home",component="web",result="down"}`,
		`outpost_probe_duration_seconds_bucket{check="home",component="web"`,
		`outpost_build_info{`,
		`go_goroutines `,
		`process_resident_memory_bytes `,
		`outpost_store_results_written_total `,
		`outpost_component_status{component="web",status="major_outage"} 1`,
		`outpost_incidents{state="draft"} 1`,
		`outpost_blind 0`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	promtoolCheck(t, metrics)
	d.stop()

	first := storedResults(t, dir)
	downs := 0
	for _, r := range first {
		if r.Outcome == store.OutcomeDown {
			downs++
			if r.Class != "refused" {
				t.Errorf("down result class = %q, want refused", r.Class)
			}
		}
	}
	if downs < 3 || len(first) == downs {
		t.Fatalf("stored %d results with %d down; want ups and at least fail_after (3) downs", len(first), downs)
	}

	incs := storedIncidents(t, dir)
	if len(incs) != 1 || incs[0].State != store.IncidentDraft || incs[0].Components[0] != "web" || incs[0].Name != "Web unavailable" {
		t.Fatalf("incidents after the outage: %+v", incs)
	}

	d2 := startDaemon(t, configPath)
	d2.waitState("web/home", "down")
	t.Run("SIGHUP reloads the configuration", func(t *testing.T) {
		extra := writeConfig(t, t.TempDir(), target.URL+"/")
		data, _ := os.ReadFile(extra)
		data = append(data, []byte("      - {name: Second, target: \"tcp://127.0.0.1:1\"}\n")...)
		data = []byte(strings.Replace(string(data), filepath.Join(filepath.Dir(extra), "data"), filepath.Join(dir, "data"), 1))
		if err := os.WriteFile(configPath, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := d2.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		d2.waitState("web/second", "down")
		d2.waitState("web/home", "down") // kept its state
		if err := os.WriteFile(configPath, []byte("components: nonsense\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := d2.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		d2.waitLog("configuration reload rejected")
		d2.waitState("web/second", "down") // the running configuration stays
	})
	t.Run("incident CLI over the admin API", func(t *testing.T) {
		cli := func(args ...string) string {
			t.Helper()
			cmd := exec.Command(outpostBin, append([]string{"incident"}, args...)...)
			cmd.Env = append(os.Environ(), "OUTPOST_SERVER=http://"+d2.addr, "OUTPOST_TOKEN="+e2eToken, "USER=e2e")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("outpost incident %v: %v\n%s", args, err, out)
			}
			return string(out)
		}
		if out := cli("list"); !strings.Contains(out, "draft") || !strings.Contains(out, "Web unavailable") {
			t.Fatalf("list:\n%s", out)
		}
		summary, _ := d2.get("/api/v2/summary.json")
		if strings.Contains(summary, "Web unavailable") {
			t.Fatal("draft visible in summary.json before publication")
		}
		cli("edit", "1", "-title", "Website unavailable")
		if out := cli("publish", "1"); !strings.Contains(out, "published") {
			t.Fatalf("publish:\n%s", out)
		}
		summary, _ = d2.get("/api/v2/summary.json")
		if !strings.Contains(summary, "Website unavailable") || !strings.Contains(summary, `"indicator":"critical"`) {
			t.Errorf("summary.json after publishing:\n%s", summary)
		}
		cli("update", "1", "-status", "identified", "-body", "We know what is wrong.")
		if out := cli("show", "1"); !strings.Contains(out, "We know what is wrong.") {
			t.Errorf("show:\n%s", out)
		}
		avail, _ := d2.get("/api/v1/availability.json")
		if !strings.Contains(avail, `"24h"`) || !strings.Contains(avail, `"key":"web/home"`) {
			t.Errorf("availability.json:\n%s", avail)
		}
	})
	t.Run("hot backup while running", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "copy.db")
		cmd := exec.Command(outpostBin, "backup", "-db", filepath.Join(dir, "data", store.FileName), "-out", out)
		cmd.Env = append(os.Environ(), "OUTPOST_SERVER=http://"+d2.addr, "OUTPOST_TOKEN="+e2eToken)
		if msg, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(msg), "hot copy") {
			t.Fatalf("backup: %v\n%s", err, msg)
		}
		db, err := store.Open(out, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if rs, _ := db.Results("web/home", time.Unix(0, 0), time.Now().Add(time.Hour), 0); len(rs) == 0 {
			t.Error("hot copy holds no results")
		}
	})
	d2.stop()
	if incs := storedIncidents(t, dir); len(incs) != 1 {
		t.Errorf("restart mid-incident: %d incidents, want the one draft", len(incs))
	}
	second := storedResults(t, dir)
	if len(second) <= len(first) || !second[0].Time.Equal(first[0].Time) {
		t.Errorf("after restart: %d results (first at %v), before: %d (first at %v)",
			len(second), second[0].Time, len(first), first[0].Time)
	}
}

// listenNotify stands in for systemd's notification socket.
func listenNotify(t *testing.T) *net.UnixConn {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func readNotify(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("no sd_notify message: %v", err)
	}
	return string(buf[:n])
}

func storedIncidents(t *testing.T, dir string) []store.Incident {
	t.Helper()
	db, err := store.Open(filepath.Join(dir, "data", store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	incs, err := db.Incidents(nil)
	if err != nil {
		t.Fatal(err)
	}
	return incs
}

// waitLog waits for a log line containing s.
// waitMetrics polls /metrics until it holds want, and returns it.
func (d *daemonProc) waitMetrics(want string) string {
	d.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		metrics, _ := d.get("/metrics")
		if strings.Contains(metrics, want) || time.Now().After(deadline) {
			return metrics
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (d *daemonProc) waitLog(s string) {
	d.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case l := <-d.logs:
			if strings.Contains(l, s) {
				return
			}
		case <-deadline:
			d.t.Fatalf("no log line containing %q", s)
		}
	}
}

func storedResults(t *testing.T, dir string) []store.Result {
	t.Helper()
	db, err := store.Open(filepath.Join(dir, "data", store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rs, err := db.Results("web/home", time.Unix(0, 0), time.Now().Add(time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) == 0 {
		t.Fatal("no results stored")
	}
	return rs
}

// promtoolCheck runs `promtool check metrics` on an exposition. promtool
// comes from Debian's prometheus package; CI installs it.
func promtoolCheck(t *testing.T, exposition string) {
	t.Helper()
	cmd := exec.Command(testpeer.Require(t, "promtool", "prometheus"), "check", "metrics")
	cmd.Stdin = strings.NewReader(exposition)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
