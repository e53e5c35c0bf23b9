package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// socialLog records the posts a fake Mastodon instance and a fake Bluesky
// PDS got.
type socialLog struct {
	mu       sync.Mutex
	statuses []map[string]any
	keys     []string
	records  []map[string]any
}

func (s *socialLog) servers(t *testing.T, token, password string) (mastodon, pds *httptest.Server) {
	mastodon = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch {
		case r.URL.Path == "/api/v2/instance":
			_, _ = io.WriteString(w, `{"configuration":{"statuses":{"max_characters":500,"characters_reserved_per_url":23}}}`)
		case r.URL.Path == "/api/v1/statuses" && r.Header.Get("Authorization") == "Bearer "+token:
			var st map[string]any
			_ = json.Unmarshal(body, &st)
			s.mu.Lock()
			s.statuses, s.keys = append(s.statuses, st), append(s.keys, r.Header.Get("Idempotency-Key"))
			s.mu.Unlock()
			_, _ = io.WriteString(w, `{"id":"1"}`)
		default:
			http.Error(w, `{"error":"no"}`, http.StatusUnauthorized)
		}
	}))
	pds = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch {
		case r.URL.Path == "/xrpc/com.atproto.server.createSession" && strings.Contains(string(body), `"password":"`+password+`"`):
			_, _ = io.WriteString(w, `{"accessJwt":"e2e-access","refreshJwt":"e2e-refresh","handle":"status.example.com","did":"did:plc:e2e"}`)
		case r.URL.Path == "/xrpc/com.atproto.repo.createRecord" && r.Header.Get("Authorization") == "Bearer e2e-access":
			var rec map[string]any
			_ = json.Unmarshal(body, &rec)
			s.mu.Lock()
			s.records = append(s.records, rec)
			s.mu.Unlock()
			_, _ = io.WriteString(w, `{"uri":"at://did:plc:e2e/app.bsky.feed.post/x","cid":"bafy"}`)
		default:
			http.Error(w, `{"error":"AuthenticationRequired"}`, http.StatusUnauthorized)
		}
	}))
	t.Cleanup(mastodon.Close)
	t.Cleanup(pds.Close)
	return mastodon, pds
}

// wait returns once both networks got a post.
func (s *socialLog) wait(t *testing.T, d *daemonProc) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s.mu.Lock()
		n, m := len(s.statuses), len(s.records)
		s.mu.Unlock()
		if n >= 1 && m >= 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d statuses and %d records, want one each\n%s", n, m, d.drainLogs())
		}
		time.Sleep(20 * time.Millisecond) // polling interval of a deadline-bounded wait
	}
}

// TestEndToEndSocialPosts runs the binary with a mastodon channel (token
// from the environment) and a bluesky channel (app password from a file):
// publishing an incident posts it to both, with the incident's link, and
// neither secret reaches the log.
func TestEndToEndSocialPosts(t *testing.T) {
	const token, password = "e2e-mastodon-token-0042", "e2e-app-password-0042"
	var social socialLog
	mastodon, pds := social.servers(t, token, password)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "hello") }))
	dir := t.TempDir()
	passwordFile := filepath.Join(dir, "bluesky.app-password")
	if err := os.WriteFile(passwordFile, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	configPath := writeConfig(t, dir, target.URL+"/")
	extra := fmt.Sprintf(`page: {url: "https://status.example.com", language: de}
notify:
  - {name: toots, type: mastodon, url: "%s", token_env: E2E_MASTODON_TOKEN}
  - {name: skeets, type: bluesky, url: "%s", identifier: status.example.com, app_password_file: %q}
`, mastodon.URL, pds.URL, passwordFile)
	f, err := os.OpenFile(configPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(extra); err != nil {
		t.Fatal(err)
	}
	f.Close()

	d := startDaemon(t, configPath, "E2E_MASTODON_TOKEN="+token)
	d.waitState("web/home", "up")
	target.Close()
	d.waitState("web/home", "down")
	cmd := exec.Command(outpostBin, "incident", "publish", "1")
	cmd.Env = append(os.Environ(), "OUTPOST_SERVER=http://"+d.addr, "OUTPOST_TOKEN="+e2eToken, "USER=e2e")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	social.wait(t, d)
	d.stop()
	logs := d.drainLogs()
	social.mu.Lock()
	defer social.mu.Unlock()
	const link = "https://status.example.com/incidents/1"
	st := social.statuses[0]
	if text, _ := st["status"].(string); !strings.HasPrefix(text, "Wird untersucht\nWeb nicht verfügbar\n\n") || !strings.HasSuffix(text, "\n\n"+link) ||
		st["visibility"] != "public" || st["language"] != "de" || !strings.HasSuffix(social.keys[0], "-published") {
		t.Errorf("mastodon status %v with Idempotency-Key %q", st, social.keys[0])
	}
	rec, _ := social.records[0]["record"].(map[string]any)
	text, _ := rec["text"].(string)
	facets, _ := json.Marshal(rec["facets"])
	wantFacet := fmt.Sprintf(`[{"features":[{"$type":"app.bsky.richtext.facet#link","uri":%q}],"index":{"byteEnd":%d,"byteStart":%d}}]`,
		link, len(text), len(text)-len(link))
	if !strings.HasSuffix(text, "\n\n"+link) || string(facets) != wantFacet || social.records[0]["repo"] != "did:plc:e2e" {
		t.Errorf("bluesky record %v\nfacets %s\n want %s", social.records[0], facets, wantFacet)
	}
	for _, secret := range []string{token, password, "e2e-access", "e2e-refresh"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log reveals %q", secret)
		}
	}
}
