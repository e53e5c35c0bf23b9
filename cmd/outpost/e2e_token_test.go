package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGHUPRotatesTheAdminToken writes a new admin.token_file and sends
// SIGHUP: the old token stops working on the API at once, and the review
// console session opened with it ends.
func TestSIGHUPRotatesTheAdminToken(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "hello from the target")
	}))
	defer target.Close()
	dir := t.TempDir()
	configPath := writeConfig(t, dir, target.URL+"/")
	tokenPath := filepath.Join(dir, "admin.token")
	const oldToken, newToken = "old-token-0123456789abcdef", "new-token-0123456789abcdef"
	if err := os.WriteFile(tokenPath, []byte(oldToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _ := os.ReadFile(configPath)
	cfg = append(cfg, fmt.Sprintf("admin: {token_file: %q}\n", tokenPath)...)
	if err := os.WriteFile(configPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, configPath, "OUTPOST_ADMIN_TOKEN=") // the file, not the environment
	base := "http://" + d.addr
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path, bearer, cookie string, form url.Values) *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(context.Background(), method, base+path, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", base)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: "outpost_session", Value: cookie})
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := do("POST", "/admin/login", "", "", url.Values{"token": {oldToken}, "name": {"e2e"}})
	var session string
	for _, c := range resp.Cookies() {
		if c.Name == "outpost_session" {
			session = c.Value
		}
	}
	if resp.StatusCode != http.StatusSeeOther || session == "" {
		t.Fatalf("console login: status %d, session %q", resp.StatusCode, session)
	}
	if resp := do("GET", "/admin/", "", session, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("overview with the session: status %d", resp.StatusCode)
	}

	if err := os.WriteFile(tokenPath, []byte(newToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for do("GET", "/api/admin/audit", newToken, "", nil).StatusCode != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatalf("the new token never worked after SIGHUP\n%s", d.drainLogs())
		}
		time.Sleep(50 * time.Millisecond) // polling interval of a deadline-bounded wait
	}
	if resp := do("GET", "/api/admin/audit", oldToken, "", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("API with the old token after SIGHUP: status %d, want 401", resp.StatusCode)
	}
	resp = do("GET", "/admin/", "", session, nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/login") {
		t.Errorf("console session of the old token after SIGHUP: status %d Location %q, want 303 to the login",
			resp.StatusCode, resp.Header.Get("Location"))
	}
	d.stop()
}
