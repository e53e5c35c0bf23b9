package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/outpost-status/outpost/monitor"
)

// TestPeerAPIOfTheDaemon: an outpost with peer_api answers its peers on
// its listener (checks, a fresh confirmation; unknown keys unknown),
// exports outpost_peer_up for its own peers, and SIGHUP retires the old
// peer token for a new peer_api.token_file.
func TestPeerAPIOfTheDaemon(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "hello from the target")
	}))
	defer target.Close()
	dir := t.TempDir()
	configPath := writeConfig(t, dir, target.URL+"/")
	const oldToken, newToken = "old-peer-token-0123456789", "new-peer-token-0123456789"
	apiToken := filepath.Join(dir, "peer-api.token")
	peerToken := filepath.Join(dir, "peer-par.token")
	for path, tok := range map[string]string{apiToken: oldToken, peerToken: "par-token-0123456789abcdef"} {
		if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, _ := os.ReadFile(configPath)
	cfg = fmt.Appendf(cfg, "location: {id: ams, name: Amsterdam}\nrole: confirmer\npeer_api: {token_file: %q}\n"+
		"peers: [{id: par, url: \"http://127.0.0.1:9\", token_file: %q}]\n", apiToken, peerToken)
	if err := os.WriteFile(configPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, configPath)
	base := "http://" + d.addr
	call := func(method, path, token, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := call("GET", monitor.PeerChecksPath, oldToken, ""); code != http.StatusOK || body != `{"location":"ams","checks":["web/home"]}`+"\n" {
		t.Fatalf("checks: %d %s", code, body)
	}
	code, body := call("POST", monitor.PeerConfirmPath, oldToken, `{"keys":["web/home","web/`+target.URL+`"]}`)
	var ans monitor.PeerConfirmAnswer
	if err := json.Unmarshal([]byte(body), &ans); err != nil || code != http.StatusOK {
		t.Fatalf("confirm: %d %s", code, body)
	}
	if v := ans.Results["web/home"]; ans.Location != "ams" || v.State != monitor.StateUp || time.Since(v.Time) > time.Minute {
		t.Errorf("confirm: %s, want a fresh up for web/home", body)
	}
	if v := ans.Results["web/"+target.URL]; v.State != monitor.StateUnknown || v.Class != monitor.PeerClassUnknownCheck {
		t.Errorf("confirm of an unknown key: %+v", v)
	}
	if metrics, _ := d.get("/metrics"); !strings.Contains(metrics, `outpost_peer_up{peer="par"} 0`) {
		t.Errorf("/metrics lacks outpost_peer_up for par")
	}

	if err := os.WriteFile(apiToken, []byte(newToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if code, _ := call("GET", monitor.PeerChecksPath, newToken, ""); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new peer token never worked after SIGHUP\n%s", d.drainLogs())
		}
		time.Sleep(50 * time.Millisecond) // polling interval of a deadline-bounded wait
	}
	if code, _ := call("GET", monitor.PeerChecksPath, oldToken, ""); code != http.StatusUnauthorized {
		t.Errorf("the old peer token after SIGHUP: status %d, want 401", code)
	}
	d.stop()
}
