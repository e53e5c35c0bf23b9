package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outpost-status/outpost/internal/testpeer"
	"github.com/outpost-status/outpost/notify"
	"github.com/outpost-status/outpost/store"
)

// TestEndToEndAlertmanager runs the real Prometheus and Alertmanager
// (Debian's prometheus and prometheus-alertmanager) on loopback against
// the outpost binary: a rule fires on a metric the test serves,
// Alertmanager posts to outpost with a bearer token from a file, the
// component fed only by alerts goes to the route's impact and a draft
// opens (the operators' message names the alert and its summary, the
// draft's text does not); the rule stops firing, the resolved
// notification brings the component back and the engine proposes the
// resolution (or closes the unpublished draft).
func TestEndToEndAlertmanager(t *testing.T) {
	promBin := testpeer.Require(t, "prometheus", "prometheus")
	amBin := testpeer.Require(t, "prometheus-alertmanager", "prometheus-alertmanager")
	var failing atomic.Int32
	metricsSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "# TYPE test_failing gauge\ntest_failing %d\n", failing.Load())
	}))
	t.Cleanup(metricsSrv.Close)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "hello") }))
	t.Cleanup(target.Close)
	var ops hookLog
	opsSrv := ops.server(t)

	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "alerts.token")
	writeFile(t, tokenFile, "e2e-alerts-token-0123456789\n")
	configPath := writeConfig(t, dir, target.URL+"/")
	appendFile(t, configPath, fmt.Sprintf(`  - name: Billing
notify:
  - {name: ops, type: webhook, audience: operators, url: "%s/hook"}
alerts:
  token_file: %q
  ttl: 1m
  routes:
    - {match: {service: other}, component: web}
    - {match: {service: billing}, match_re: {severity: "page|critical"}, component: billing, impact: major}
`, opsSrv.URL, tokenFile))
	d := startDaemon(t, configPath)
	d.waitState("web/home", "up")

	amAddr, promAddr := freeAddr(t), freeAddr(t)
	amConfig := filepath.Join(dir, "alertmanager.yml")
	writeFile(t, amConfig, fmt.Sprintf(`route:
  receiver: outpost
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 30s
receivers:
  - name: outpost
    webhook_configs:
      - url: "http://%s/api/alerts/alertmanager"
        send_resolved: true
        http_config:
          authorization:
            credentials_file: %q
`, d.addr, tokenFile))
	startPeer(t, "alertmanager", amBin, "--config.file="+amConfig, "--storage.path="+filepath.Join(dir, "am"),
		"--web.listen-address="+amAddr, "--cluster.listen-address=")
	writeFile(t, filepath.Join(dir, "rules.yml"), `groups:
  - name: outpost-e2e
    interval: 1s
    rules:
      - alert: BillingDown
        expr: test_failing == 1
        for: 0s
        labels: {service: billing, severity: page}
        annotations: {summary: "invoices cannot be created"}
`)
	promConfig := filepath.Join(dir, "prometheus.yml")
	writeFile(t, promConfig, fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [%q]
alerting:
  alertmanagers: [{static_configs: [{targets: ["%s"]}]}]
scrape_configs:
  - job_name: e2e
    static_configs: [{targets: ["%s"]}]
`, filepath.Join(dir, "rules.yml"), amAddr, strings.TrimPrefix(metricsSrv.URL, "http://")))
	startPeer(t, "prometheus", promBin, "--config.file="+promConfig, "--storage.tsdb.path="+filepath.Join(dir, "prom"),
		"--web.listen-address="+promAddr, "--rules.alert.resend-delay=1s")

	failing.Store(1)
	waitComponent(t, d, "billing", "major_outage")
	msgs, _ := ops.wait(t, 1, d)
	var draft notify.WebhookBody
	if err := json.Unmarshal([]byte(msgs[0]), &draft); err != nil {
		t.Fatal(err)
	}
	if draft.Event != "draft_opened" || !strings.Contains(draft.Text, "From alert BillingDown: invoices cannot be created") {
		t.Errorf("operators' draft message = %s", msgs[0])
	}
	if st := componentStatus(t, d, "web"); st != "operational" {
		t.Errorf("web %s: the first route did not match, nothing else may", st)
	}

	failing.Store(0)
	waitComponent(t, d, "billing", "operational")
	d.stop()
	incs := storedIncidents(t, dir)
	if len(incs) != 1 {
		t.Fatalf("%d incidents, want 1: %+v", len(incs), incs)
	}
	inc := incs[0]
	if inc.Alert == nil || inc.Alert.Name != "BillingDown" || inc.Alert.Summary != "invoices cannot be created" {
		t.Errorf("draft's alert %+v", inc.Alert)
	}
	if strings.Contains(inc.Name+inc.Body, "invoices cannot") {
		t.Errorf("the alert's summary is in the draft's public text: %q / %q", inc.Name, inc.Body)
	}
	if !resolutionProposed(inc) {
		t.Errorf("no resolution after the alert resolved: %+v", inc)
	}
}

// resolutionProposed: the engine drafted a resolved update, or (for a
// draft nobody published) closed it.
func resolutionProposed(inc store.Incident) bool {
	if inc.State == store.IncidentResolved {
		return true
	}
	for _, u := range inc.Updates {
		if u.Draft && u.Status == store.StatusResolved {
			return true
		}
	}
	return false
}

// startPeer runs a peer program until the test ends.
func startPeer(t *testing.T, name, bin string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	logPath := filepath.Join(t.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		logFile.Close()
		if t.Failed() {
			out, _ := os.ReadFile(logPath)
			t.Logf("%s log:\n%s", name, tail(string(out), 4000))
		}
	})
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, content string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
}

// componentStatus reads a component's status from components.json.
func componentStatus(t *testing.T, d *daemonProc, id string) string {
	t.Helper()
	body, _ := d.get("/api/v2/components.json")
	var doc struct {
		Components []struct{ ID, Name, Status string } `json:"components"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("components.json: %v\n%s", err, body)
	}
	for _, c := range doc.Components {
		if c.ID == id || strings.EqualFold(c.Name, id) {
			return c.Status
		}
	}
	return ""
}

// waitComponent polls until component id has status; Prometheus,
// Alertmanager and outpost each take a second or two.
func waitComponent(t *testing.T, d *daemonProc, id, status string) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		st := componentStatus(t, d, id)
		if st == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("component %s is %q, never %s\nlogs:\n%s", id, st, status, d.drainLogs())
		}
		time.Sleep(100 * time.Millisecond) // polling interval of a deadline-bounded wait
	}
}
