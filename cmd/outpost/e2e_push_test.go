package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestEndToEndPushCheck runs the binary with a push check (interval 1s,
// retry_interval 500ms, fail_after 2) and a "cron job" pushing as the
// README's crontab line does: while it pushes the check stays up well
// past its grace; a wrong token is a 401 and a token in the URL a 400;
// when it stops, the check goes down after the threshold and a draft
// opens for its component; pushes bring it back; a new token file and
// SIGHUP retire the old token and keep the check's state.
func TestEndToEndPushCheck(t *testing.T) {
	dir := t.TempDir()
	tokenPath := filepath.Join(dir, "push-backup.token")
	const token, newToken = "push-token-0123456789abcdef", "push-token-fedcba9876543210"
	if err := os.WriteFile(tokenPath, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`listen: "127.0.0.1:0"
data_dir: %q
log: {format: json, level: info}
store: {flush_interval: 100ms}
components:
  - name: Backup
    checks:
      - {name: Nightly, target: "push:", interval: 1s, retry_interval: 500ms, fail_after: 2, recover_after: 1, token_file: %q}
`, filepath.Join(dir, "data"), tokenPath)
	configPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(configPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, configPath)
	push := func(method, query, tok string) int {
		t.Helper()
		req, err := http.NewRequest(method, "http://"+d.addr+"/api/v1/push/backup/nightly"+query, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	// The cron job: curl -fsS -X POST -H "Authorization: Bearer $(cat FILE)" URL?msg=ok, every second.
	ctx, stopCron := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	cronToken := token
	wg.Go(func() {
		tick := time.NewTicker(time.Second) // within the push rate limit of one a second
		defer tick.Stop()
		for {
			if code := push(http.MethodPost, "?msg=ok", cronToken); code != http.StatusOK {
				t.Errorf("the cron job's push answered %d", code)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
	d.waitState("backup/nightly", "up")
	until := time.Now().Add(3 * time.Second) // twice interval + retry_interval
	for time.Now().Before(until) {
		if st := d.checkStateNow("backup/nightly"); st != "up" {
			t.Fatalf("while the job pushes the check is %s", st)
		}
		time.Sleep(100 * time.Millisecond) // sampling the state while time passes
	}
	if code := push(http.MethodPost, "", "wrong-token-0123456789abcdef"); code != http.StatusUnauthorized {
		t.Errorf("a wrong token: %d, want 401", code)
	}
	if code := push(http.MethodGet, "?token="+token, token); code != http.StatusBadRequest {
		t.Errorf("a token in the URL: %d, want 400", code)
	}
	if code := push(http.MethodGet, "?status=up&msg=from+a+GET", token); code != http.StatusOK {
		t.Errorf("a GET push: %d, want 200", code)
	}

	stopCron()
	wg.Wait()
	stopped := time.Now()
	d.waitState("backup/nightly", "down")
	if took := time.Since(stopped); took < 2*time.Second {
		t.Errorf("down %s after the last push, before the threshold (1.5s + 1s)", took)
	}
	draft := d.waitDraftFor("backup")
	if !strings.Contains(draft, "Backup") {
		t.Errorf("draft %s", draft)
	}
	body, _ := d.get("/api/v1/checks.json")
	if !strings.Contains(body, `"class":"missed"`) || !strings.Contains(body, "no push within") {
		t.Errorf("checks.json does not say the push was missed:\n%s", body)
	}

	if code := push(http.MethodPost, "?msg=back", token); code != http.StatusOK {
		t.Fatalf("push after the outage: %d", code)
	}
	d.waitState("backup/nightly", "up")
	metrics, _ := d.get("/metrics")
	for _, want := range []string{`outpost_pushes_total{result="accepted"}`, `outpost_pushes_total{result="unauthorized"} 1`,
		`outpost_pushes_total{result="rejected"} 1`, `outpost_check_up{check="nightly",component="backup"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s:\n%s", want, linesContaining(metrics, "push")+"\n"+linesContaining(metrics, "nightly"))
		}
	}

	if err := os.WriteFile(tokenPath, []byte(newToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	d.waitLog("configuration reloaded")
	if code := push(http.MethodPost, "", token); code != http.StatusUnauthorized {
		t.Errorf("the old token after SIGHUP: %d, want 401", code)
	}
	if code := push(http.MethodPost, "", newToken); code != http.StatusOK {
		t.Errorf("the new token after SIGHUP: %d, want 200", code)
	}
	if st := d.checkStateNow("backup/nightly"); st != "up" {
		t.Errorf("after the reload the check is %s, want up (kept)", st)
	}
	d.stop()
}

// checkStateNow reads the state of check key from checks.json.
func (d *daemonProc) checkStateNow(key string) string {
	d.t.Helper()
	body, _ := d.get("/api/v1/checks.json")
	var doc checksDoc
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		d.t.Fatalf("checks.json: %v\n%s", err, body)
	}
	for _, c := range doc.Checks {
		if c.Key == key {
			return c.State
		}
	}
	d.t.Fatalf("no check %s in checks.json:\n%s", key, body)
	return ""
}

// waitDraftFor polls the admin API until a draft covers component and
// returns it as JSON.
func (d *daemonProc) waitDraftFor(component string) string {
	d.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		req, err := http.NewRequest(http.MethodGet, "http://"+d.addr+"/api/admin/incidents?state=draft", nil)
		if err != nil {
			d.t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+e2eToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			d.t.Fatal(err)
		}
		var doc struct {
			Incidents []json.RawMessage `json:"incidents"`
		}
		err = json.NewDecoder(resp.Body).Decode(&doc)
		resp.Body.Close()
		if err != nil {
			d.t.Fatal(err)
		}
		for _, inc := range doc.Incidents {
			if strings.Contains(string(inc), `"id":"`+component+`"`) || strings.Contains(string(inc), `"`+component+`"`) {
				return string(inc)
			}
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("no draft for %s\n%s", component, d.drainLogs())
		}
		time.Sleep(50 * time.Millisecond) // polling interval of a deadline-bounded wait
	}
}

// linesContaining returns the lines of s that contain sub.
func linesContaining(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
