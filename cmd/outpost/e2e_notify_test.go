package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outpost-status/outpost/notify"
)

// hookLog records what a test receiver got.
type hookLog struct {
	mu      sync.Mutex
	bodies  []string
	headers []http.Header
}

func (h *hookLog) server(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.bodies = append(h.bodies, string(body))
		h.headers = append(h.headers, r.Header.Clone())
		h.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return srv
}

// wait returns the first n bodies and headers once they arrived.
func (h *hookLog) wait(t *testing.T, n int, d *daemonProc) ([]string, []http.Header) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		h.mu.Lock()
		if len(h.bodies) >= n {
			defer h.mu.Unlock()
			return h.bodies[:n], h.headers[:n]
		}
		h.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("receiver got fewer than %d messages\n%s", n, d.drainLogs())
		}
		time.Sleep(20 * time.Millisecond) // polling interval of a deadline-bounded wait
	}
}

// TestEndToEndNotifications runs the binary with an operators' webhook
// and a public Slack-compatible channel: an outage tells operators (signed,
// with the publish command); publishing tells the public.
func TestEndToEndNotifications(t *testing.T) {
	const secret = "e2e-hook-secret"
	t.Setenv("E2E_HOOK_SECRET", secret)
	var ops, chat hookLog
	opsSrv, chatSrv := ops.server(t), chat.server(t)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "hello") }))
	dir := t.TempDir()
	configPath := writeConfig(t, dir, target.URL+"/")
	extra := fmt.Sprintf(`page: {url: "https://status.example.com"}
notify:
  - {name: ops, type: webhook, audience: operators, url: "%s/hook", secret_env: E2E_HOOK_SECRET}
  - {name: chat, type: slack, audience: public, url: "%s/hooks/T0/B0/x"}
`, opsSrv.URL, chatSrv.URL)
	f, err := os.OpenFile(configPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(extra); err != nil {
		t.Fatal(err)
	}
	f.Close()

	d := startDaemon(t, configPath)
	d.waitState("web/home", "up")
	target.Close()
	d.waitState("web/home", "down")
	bodies, headers := ops.wait(t, 1, d)
	if err := notify.Verify([]byte(secret), headers[0].Get(notify.HeaderTimestamp), headers[0].Get(notify.HeaderSignature),
		[]byte(bodies[0]), time.Now(), time.Minute); err != nil {
		t.Errorf("operators' webhook signature: %v", err)
	}
	var draft notify.WebhookBody
	if err := json.Unmarshal([]byte(bodies[0]), &draft); err != nil {
		t.Fatal(err)
	}
	if draft.Event != "draft_opened" || draft.Audience != "operators" || !strings.Contains(draft.Text, "outpost incident publish 1") ||
		!strings.Contains(draft.Text, "https://status.example.com/admin/incidents/1\n") ||
		draft.URL != "https://status.example.com/admin/incidents/1" || headers[0].Get(notify.HeaderIdempotencyKey) != draft.ID {
		t.Errorf("draft notification = %s", bodies[0])
	}
	cmd := exec.Command(outpostBin, "incident", "publish", "1")
	cmd.Env = append(os.Environ(), "OUTPOST_SERVER=http://"+d.addr, "OUTPOST_TOKEN="+e2eToken, "USER=e2e")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	public, _ := chat.wait(t, 1, d)
	var msg map[string]string
	if err := json.Unmarshal([]byte(public[0]), &msg); err != nil || !strings.HasPrefix(msg["text"], "*Web unavailable*\nInvestigating: ") ||
		!strings.Contains(msg["text"], "https://status.example.com/incidents/1") {
		t.Errorf("public message = %s (%v)", public[0], err)
	}
	metrics, _ := d.get("/metrics")
	for _, want := range []string{
		`outpost_notifications_sent_total{channel="ops"} 1`,
		`outpost_notifications_sent_total{channel="chat"} 1`,
		`outpost_notifications_pending{channel="ops"} 0`,
		`outpost_notifications_failed_total{channel="chat",reason="rejected"} 0`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	promtoolCheck(t, metrics)
	d.stop()
	ops.mu.Lock()
	chat.mu.Lock()
	defer ops.mu.Unlock()
	defer chat.mu.Unlock()
	if len(chat.bodies) != 1 || len(ops.bodies) != 1 {
		t.Errorf("ops got %d, chat %d messages; want one each", len(ops.bodies), len(chat.bodies))
	}
}
