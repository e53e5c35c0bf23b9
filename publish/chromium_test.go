package publish

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outpost-status/outpost/internal/testpeer"
)

// requirePeer returns the path of a real peer program; see testpeer.Require.
func requirePeer(t testing.TB, program, debianPackage string) string {
	t.Helper()
	return testpeer.Require(t, program, debianPackage)
}

// requestLog records every request a test server sees.
type requestLog struct {
	mu   sync.Mutex
	reqs []string
}

func (l *requestLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.reqs = append(l.reqs, r.Method+" "+r.Host+r.URL.RequestURI())
		l.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// take returns and clears the log.
func (l *requestLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.reqs
	l.reqs = nil
	return out
}

// chromium runs headless Chromium with every external name unresolvable,
// so any fetch that leaves the test server fails.
func chromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

func artifactDir(t *testing.T) string {
	dir := os.Getenv("OUTPOST_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestChromiumRendersStatusPage(t *testing.T) {
	bin := requirePeer(t, "chromium", "chromium")
	var log requestLog
	srv := httptest.NewServer(log.wrap(newStatusServer(t, pageOptions{}).Handler()))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	onlyPage := func(t *testing.T, path string) {
		t.Helper()
		reqs := log.take()
		if len(reqs) == 0 {
			t.Fatal("chromium made no request")
		}
		for _, r := range reqs {
			if r != "GET "+host+path {
				t.Errorf("unexpected request %q (only the page itself may be fetched)", r)
			}
		}
	}
	t.Run("dom", func(t *testing.T) {
		dom := string(chromium(t, bin, "--dump-dom", srv.URL+"/"))
		for _, want := range []string{"Telephony", "Website", "Telephony unavailable", "Partial system outage", "Major outage",
			"SBC upgrade"} {
			if !strings.Contains(dom, want) {
				t.Errorf("rendered page lacks %q", want)
			}
		}
		onlyPage(t, "/")
	})
	dir := artifactDir(t)
	shots := []struct {
		name, path, size string
		extra            []string
	}{
		{"desktop", "/", "1280,2000", nil},
		{"mobile", "/", "390,1800", nil},
		{"dark", "/", "1280,1400", []string{"--force-dark-mode", "--blink-settings=preferredColorScheme=0"}},
		{"incident", "/incidents/3/", "1280,1000", nil},
		{"history", "/history/", "1280,1000", nil},
	}
	for _, s := range shots {
		t.Run("screenshot "+s.name, func(t *testing.T) {
			file := filepath.Join(dir, "status-page-"+s.name+".png")
			args := append([]string{"--screenshot=" + file, "--window-size=" + s.size}, s.extra...)
			chromium(t, bin, append(args, srv.URL+s.path)...)
			data, err := os.ReadFile(file)
			if err != nil || !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) || len(data) < 10_000 {
				t.Fatalf("screenshot %s: %d bytes, %v", file, len(data), err)
			}
			t.Logf("screenshot: %s", file)
			onlyPage(t, s.path)
		})
	}
}
