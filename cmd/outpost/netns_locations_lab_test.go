package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outpost-status/outpost/notify"
)

// Timing of the three-location lab: short, so the whole test takes
// about a minute. locDetectBound is the contract of SPEC §5 and §17:
// interval + (fail_after-1)·retry_interval + timeout + confirm.timeout.
const (
	locInterval      = time.Second
	locRetry         = 500 * time.Millisecond
	locTimeout       = 500 * time.Millisecond
	locFailAfter     = 3
	locConfirmWait   = time.Second
	locDetectBound   = locInterval + (locFailAfter-1)*locRetry + locTimeout + locConfirmWait
	locPeerToken     = "netns-peer-token-0123456789abcdef"
	locTargetAddr    = "10.234.0.1:8080"
	locReceiverIP    = "10.232.0.254"
	locRunsEnv       = "OUTPOST_CONFIRM_RUNS" // runs of case (b) for the median; default 1
	locBinaryEnv     = "OUTPOST_NETNS_BIN"    // an outpost binary to run instead of the race build (figures)
	locPublisherName = "fra"
)

// locLab is three outposts in three network namespaces (fra the
// publisher, ams and par confirmers) and a target namespace. Each
// outpost reaches the target (10.234.0.1) through its own veth pair, so
// one location's path can be cut alone; the outposts reach each other
// and the test's webhook receiver over a bridge in a fourth namespace,
// to which the test's own namespace is joined by one veth.
type locLab struct {
	t      *testing.T
	ip     string
	id     string
	hub    string
	tgt    string
	ns     map[string]string // location → namespace
	link   map[string]string // location → its interface towards the target
	addr   map[string]string // location → its peer API address
	gw     map[string]string // location → the target namespace's end of its link
	target *exec.Cmd
	hooks  *locHooks
	d      map[string]*daemonProc
	dir    string
}

var locOrder = []string{"fra", "ams", "par"}

func newLocLab(t *testing.T) *locLab {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("the three-location test needs root under CI=true (network namespaces)")
		}
		t.Skip("network namespaces need root")
	}
	ip, err := exec.LookPath("ip")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("no ip command (iproute2): .ci/run installs it")
		}
		t.Skip("no ip command (iproute2)")
	}
	id := strconv.Itoa(os.Getpid() % 1000000)
	l := &locLab{t: t, ip: ip, id: id, hub: "olhub" + id, tgt: "oltgt" + id, ns: map[string]string{}, link: map[string]string{},
		addr: map[string]string{}, gw: map[string]string{}, d: map[string]*daemonProc{}, dir: t.TempDir()}
	if out, err := exec.Command(ip, "netns", "add", l.hub).CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("ip netns add: %v: %s", err, out)
		}
		t.Skipf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command(ip, "netns", "del", l.hub).Run() })
	l.run("netns", "add", l.tgt)
	t.Cleanup(func() { _ = exec.Command(ip, "netns", "del", l.tgt).Run() })
	l.run("-n", l.hub, "link", "add", "name", "olbr", "type", "bridge")
	l.run("-n", l.hub, "link", "set", "olbr", "up")
	l.run("-n", l.tgt, "link", "set", "lo", "up")
	l.run("-n", l.tgt, "addr", "add", "10.234.0.1/32", "dev", "lo")
	root := "olr" + id // the test's end of its veth to the bridge
	t.Cleanup(func() { _ = exec.Command(ip, "link", "del", root).Run() })
	l.run("link", "add", root, "type", "veth", "peer", "name", "olrh"+id, "netns", l.hub)
	l.run("-n", l.hub, "link", "set", "olrh"+id, "master", "olbr", "up")
	l.run("addr", "add", locReceiverIP+"/24", "dev", root)
	l.run("link", "set", root, "up")
	for i, loc := range locOrder {
		n := strconv.Itoa(i + 1)
		ns := "ol" + loc + id
		l.ns[loc], l.link[loc], l.addr[loc], l.gw[loc] = ns, "olt"+n+id, "10.232.0."+n+":8080", "10.233."+n+".2"
		l.run("netns", "add", ns)
		t.Cleanup(func() { _ = exec.Command(ip, "netns", "del", ns).Run() })
		for _, args := range [][]string{
			{"link", "add", "olb" + n + id, "netns", ns, "type", "veth", "peer", "name", "olh" + n + id, "netns", l.hub},
			{"-n", l.hub, "link", "set", "olh" + n + id, "master", "olbr", "up"},
			{"-n", ns, "addr", "add", "10.232.0." + n + "/24", "dev", "olb" + n + id},
			{"-n", ns, "link", "set", "olb" + n + id, "up"},
			{"-n", ns, "link", "set", "lo", "up"},
			{"link", "add", l.link[loc], "netns", ns, "type", "veth", "peer", "name", "olo" + n + id, "netns", l.tgt},
			{"-n", ns, "addr", "add", "10.233." + n + ".1/30", "dev", l.link[loc]},
			{"-n", l.tgt, "addr", "add", "10.233." + n + ".2/30", "dev", "olo" + n + id},
			{"-n", ns, "link", "set", l.link[loc], "up"},
			{"-n", l.tgt, "link", "set", "olo" + n + id, "up"},
			{"-n", ns, "route", "add", "10.234.0.1/32", "via", "10.233." + n + ".2"},
		} {
			l.run(args...)
		}
	}
	if err := os.WriteFile(filepath.Join(l.dir, "peer.token"), []byte(locPeerToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	l.hooks = newLocHooks(t)
	return l
}

func (l *locLab) run(args ...string) {
	l.t.Helper()
	if out, err := exec.Command(l.ip, args...).CombinedOutput(); err != nil {
		l.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// startTarget runs the HTTP target in its namespace until stopTarget.
func (l *locLab) startTarget() {
	l.t.Helper()
	cmd := exec.Command(l.ip, "netns", "exec", l.tgt, os.Args[0])
	cmd.Env = append(os.Environ(), netnsServeEnv+"="+locTargetAddr)
	out, err := cmd.StdoutPipe()
	if err != nil {
		l.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		l.t.Fatal(err)
	}
	l.target = cmd
	l.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "READY" {
		l.t.Fatalf("target did not start: %q %v", line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
}

// stopTarget kills the target: connections are refused from then on.
func (l *locLab) stopTarget() {
	l.t.Helper()
	_ = l.target.Process.Kill()
	_ = l.target.Wait()
}

// config is the configuration of location loc: the same checks at every
// location; location, role and peers differ.
func (l *locLab) config(loc, fallback string) string {
	l.t.Helper()
	role := "confirmer"
	if loc == locPublisherName {
		role = "publisher"
	}
	token := filepath.Join(l.dir, "peer.token")
	var peers strings.Builder
	for _, p := range locOrder {
		if p != loc {
			fmt.Fprintf(&peers, "  - {id: %s, url: \"http://%s\", token_file: %q}\n", p, l.addr[p], token)
		}
	}
	cfg := fmt.Sprintf(`listen: %q
data_dir: %q
log: {format: json, level: info}
store: {flush_interval: 100ms}
page: {url: "https://status.example.com"}
location: {id: %s}
role: %s
peers:
%speer_api: {token_file: %q}
confirm: {quorum: 2, timeout: %s, fallback: %s}
defaults: {interval: %s, timeout: %s, retry_interval: %s, fail_after: %d, recover_after: 2}
notify:
  - {name: ops, type: webhook, audience: operators, url: "%s/hook/%s"}
components:
  - name: Web
    checks:
      - name: Home
        target: "http://%s/"
        expect: {body_contains: "hello"}
`, l.addr[loc], filepath.Join(l.dir, loc), loc, role, peers.String(), token, locConfirmWait, fallback,
		locInterval, locTimeout, locRetry, locFailAfter, l.hooks.url, loc, locTargetAddr)
	path := filepath.Join(l.dir, loc+".yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		l.t.Fatal(err)
	}
	return path
}

func (l *locLab) binary() string {
	if b := os.Getenv(locBinaryEnv); b != "" {
		return b
	}
	return outpostBin
}

func (l *locLab) start(loc string) *daemonProc {
	l.t.Helper()
	d := startDaemonCmd(l.t, exec.Command(l.ip, "netns", "exec", l.ns[loc], l.binary(), "run", "-config", l.config(loc, "local")))
	l.d[loc] = d
	return d
}

// cut takes loc's link to the target down (up again with mend, which
// restores the route the kernel dropped with the link).
func (l *locLab) cut(loc string) { l.run("-n", l.ns[loc], "link", "set", l.link[loc], "down") }

func (l *locLab) mend(loc string) {
	l.run("-n", l.ns[loc], "link", "set", l.link[loc], "up")
	l.run("-n", l.ns[loc], "route", "replace", "10.234.0.1/32", "via", l.gw[loc])
}

// waitLastOutcome polls loc's checks.json until its last result of
// web/home has outcome.
func (l *locLab) waitLastOutcome(loc, outcome string) {
	l.t.Helper()
	d := l.d[loc]
	deadline := time.Now().Add(20 * time.Second)
	for {
		body, _ := d.get("/api/v1/checks.json")
		var doc checksDoc
		if err := json.Unmarshal([]byte(body), &doc); err == nil && len(doc.Checks) == 1 &&
			doc.Checks[0].LastResult != nil && doc.Checks[0].LastResult.Outcome == outcome {
			return
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("%s never saw outcome %s: %s", loc, outcome, body)
		}
		time.Sleep(50 * time.Millisecond) // polling interval of a deadline-bounded wait
	}
}

// incidents returns how many incidents the publisher holds (drafts included).
func (l *locLab) incidents() int {
	l.t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+l.d[locPublisherName].addr+"/api/admin/incidents?state=all", nil)
	if err != nil {
		l.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e2eToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct{ Incidents []json.RawMessage }
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		l.t.Fatalf("incidents: %v", err)
	}
	return len(doc.Incidents)
}

// quiet asserts for d that the publisher opens no incident and keeps
// web/home up.
func (l *locLab) quiet(d time.Duration, why string) {
	l.t.Helper()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if n := l.incidents(); n != 0 {
			l.t.Fatalf("%s: the publisher opened %d incidents\n%s", why, n, l.d[locPublisherName].drainLogs())
		}
		body, _ := l.d[locPublisherName].get("/api/v1/checks.json")
		var doc checksDoc
		if err := json.Unmarshal([]byte(body), &doc); err != nil || len(doc.Checks) != 1 || doc.Checks[0].State != "up" {
			l.t.Fatalf("%s: the publisher's check left up (%v): %s", why, err, body)
		}
		time.Sleep(100 * time.Millisecond) // polling interval of a fixed observation window
	}
}

// locHooks is the operators' webhook receiver, in the test's namespace,
// reachable from every outpost over the bridge.
type locHooks struct {
	url  string
	mu   sync.Mutex
	msgs []locHook
}

type locHook struct {
	From string // the location whose channel sent it (the URL path)
	notify.WebhookBody
}

func newLocHooks(t *testing.T) *locHooks {
	t.Helper()
	ln, err := net.Listen("tcp", locReceiverIP+":0")
	if err != nil {
		t.Fatal(err)
	}
	h := &locHooks{url: "http://" + ln.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b notify.WebhookBody
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&b); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.msgs = append(h.msgs, locHook{From: strings.TrimPrefix(r.URL.Path, "/hook/"), WebhookBody: b})
		h.mu.Unlock()
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return h
}

// wait returns the first message for which match holds, waiting up to 20 s.
func (h *locHooks) wait(t *testing.T, what string, match func(locHook) bool) locHook {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		h.mu.Lock()
		i := slices.IndexFunc(h.msgs, match)
		var m locHook
		if i >= 0 {
			m = h.msgs[i]
		}
		all := slices.Clone(h.msgs)
		h.mu.Unlock()
		if i >= 0 {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("no operators' message %s; got %+v", what, all)
		}
		time.Sleep(50 * time.Millisecond) // polling interval of a deadline-bounded wait
	}
}

func (h *locHooks) count(match func(locHook) bool) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, m := range h.msgs {
		if match(m) {
			n++
		}
	}
	return n
}

// procCPU is the CPU time of process pid, all threads, in nanoseconds.
func procCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		t.Fatalf("no schedstat for %d: %v", pid, err)
	}
	var sum time.Duration
	for _, f := range tasks {
		raw, err := os.ReadFile(f)
		if err != nil {
			continue // a thread that ended meanwhile
		}
		ns, _ := strconv.ParseInt(strings.Fields(string(raw))[0], 10, 64)
		sum += time.Duration(ns)
	}
	return sum
}

// countingConn counts the bytes a connection carries.
type countingConn struct {
	net.Conn
	wrote, read *atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.wrote.Add(int64(n))
	return n, err
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}
