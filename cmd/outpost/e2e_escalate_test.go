package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/outpost-status/outpost/notify"
)

// TestEndToEndEscalation runs the binary with a first operators' channel
// and a deputy (escalate_after: 1s): the draft of an outage nobody
// reviews reaches the first at once and the deputy as an escalation,
// both linking to the console.
func TestEndToEndEscalation(t *testing.T) {
	var ops, deputy hookLog
	opsSrv, deputySrv := ops.server(t), deputy.server(t)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "hello") }))
	dir := t.TempDir()
	configPath := writeConfig(t, dir, target.URL+"/")
	extra := fmt.Sprintf(`page: {url: "https://status.example.com"}
notify:
  - {name: ops, type: webhook, audience: operators, url: "%s/hook"}
  - {name: deputy, type: webhook, audience: operators, url: "%s/hook", escalate_after: 1s}
`, opsSrv.URL, deputySrv.URL)
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
	first, _ := ops.wait(t, 1, d)
	escalated, _ := deputy.wait(t, 1, d)
	var a, b notify.WebhookBody
	if err := json.Unmarshal([]byte(first[0]), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(escalated[0]), &b); err != nil {
		t.Fatal(err)
	}
	const console = "https://status.example.com/admin/incidents/1"
	if a.Event != "draft_opened" || a.URL != console || strings.HasPrefix(a.Subject, "Unreviewed") {
		t.Errorf("first person's message = %s", first[0])
	}
	if b.Event != "draft_opened" || b.ID != a.ID || b.URL != console || !strings.HasPrefix(b.Subject, "Unreviewed for 1s: draft incident #1 – ") ||
		!strings.Contains(b.Text, "outpost incident publish 1") || b.CreatedAt.Sub(a.CreatedAt) < 1e9 {
		t.Errorf("deputy's message = %s\n(first person's: %s)", escalated[0], first[0])
	}
}
