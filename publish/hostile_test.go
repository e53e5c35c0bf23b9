package publish

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/store"
)

// serveReal serves s with the settings of Server.Serve on a loopback port
// and returns the address.
func serveReal(t testing.TB, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := s.HTTPServer()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return ln.Addr().String()
}

// newStoreServer reads availability and day bars from a real, empty
// store: the status fixture has none.
func newStoreServer(t *testing.T) *Server {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return NewServer(ServerOptions{Monitor: pageMonitor{testChecks(t)}, Incidents: db,
		Availability: AvailabilityOptions{History: db, Windows: []time.Duration{24 * time.Hour}, PartialWeight: 0.3},
		Page:         config.Page{Title: "Example", URL: "https://status.example.com", Language: "en"}})
}

// rawResponse is what a raw HTTP/1.1 exchange returned.
type rawResponse struct {
	status int
	header http.Header
	body   string
}

// rawRequest writes head (request line and headers, without the final
// blank line) and reads one response: clients that do not clean paths or
// cap queries are what this file tests, so no http.Client in between.
func rawRequest(t testing.TB, addr, head string) rawResponse {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, head+"Connection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading response to %q: %v", firstLine(head), err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\r\n")
	if len(line) > 120 {
		return line[:120] + "…"
	}
	return line
}

// TestHostileSlowHeaders sends a request head that never ends: the server
// closes the connection once ReadHeaderTimeout (5 s) has passed.
func TestHostileSlowHeaders(t *testing.T) {
	addr := serveReal(t, newStatusServer(t, pageOptions{}))
	tests := []struct {
		name    string
		dribble bool // send a byte every 200 ms instead of going silent
	}{
		{name: "silent after the request line"},
		{name: "dribbling header bytes", dribble: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			begin := time.Now()
			if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: status\r\nX-Slow: "); err != nil {
				t.Fatal(err)
			}
			closed := make(chan error, 1)
			go func() {
				_ = conn.SetReadDeadline(time.Now().Add(15 * time.Second))
				_, err := io.Copy(io.Discard, conn) // a 408 may come first; then EOF
				closed <- err
			}()
			tick := time.NewTicker(200 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case err := <-closed:
					took := time.Since(begin)
					if err != nil && !errors.Is(err, syscall.ECONNRESET) {
						t.Fatalf("connection not closed by the server: %v after %s", err, took)
					}
					if took < 4*time.Second || took > 10*time.Second {
						t.Errorf("closed after %s, want about the 5 s ReadHeaderTimeout", took)
					}
					return
				case <-tick.C:
					if tc.dribble {
						_, _ = conn.Write([]byte{'a'})
					}
				}
			}
		})
	}
}

// TestHostileIdleConnections opens 2,000 idle connections (and 200 that
// sent half a request head): the server still answers a normal client.
func TestHostileIdleConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("2,200 connections")
	}
	addr := serveReal(t, newStatusServer(t, pageOptions{}))
	const idle, partial = 2000, 200
	conns := make([]net.Conn, 0, idle+partial)
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for i := range idle + partial {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
		if i >= idle {
			if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: sta"); err != nil {
				t.Fatalf("connection %d: %v", i, err)
			}
		}
	}
	client := &http.Client{Timeout: 5 * time.Second}
	for _, path := range []string{"/healthz", "/", "/api/v2/summary.json"} {
		begin := time.Now()
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			t.Fatalf("GET %s with %d idle connections open: %v", path, len(conns), err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", path, resp.StatusCode)
		}
		t.Logf("GET %s with %d idle connections: %s", path, len(conns), time.Since(begin).Round(time.Millisecond))
	}
}

// TestHostilePaths asks for traversal and odd paths: 404, or a redirect
// to the cleaned same-site path; never a file from disk, never a draft.
func TestHostilePaths(t *testing.T) {
	addr := serveReal(t, newStatusServer(t, pageOptions{}))
	paths := []string{
		"/../../etc/passwd", "/..%2f..%2fetc%2fpasswd", "/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd",
		"/incidents/..%2f..", "/incidents/../../etc/passwd", "/incidents/..%2f..%2fetc%2fpasswd",
		"/incidents/4/..", "/incidents/04", "/incidents/+4", "/incidents/4%2f", "/incidents/-1",
		"/incidents/18446744073709551616", "/incidents/%00", "/incidents/4;x",
		"/badge/..%2f.svg", "/badge/..%2f..%2fetc%2fpasswd.svg", "/badge/%2e%2e.svg", "/badge/.svg", "/badge/web.svg%00",
		"/history/..%2f..%2fetc%2fpasswd", "/api/v1/components/..%2f..%2fetc/days.json",
		"/api/v2/..%2f..%2fetc%2fpasswd", "/api/v1/export.json/../../../etc/passwd",
		"/web/page.html", "/static/../page.go", "/page.go", "/.git/config", "/%ff%fe",
	}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			r := rawRequest(t, addr, "GET "+p+" HTTP/1.1\r\nHost: status\r\n")
			switch loc := r.header.Get("Location"); r.status {
			case http.StatusNotFound, http.StatusBadRequest:
			case http.StatusTemporaryRedirect, http.StatusMovedPermanently: // the router cleans the path
				if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.Contains(loc, "..") {
					t.Errorf("status %d to %q: not a clean same-site path", r.status, loc)
				}
			default:
				t.Errorf("status %d, want 404, 400 or a redirect to the clean path", r.status)
			}
			for _, leak := range []string{"root:", "package publish", "[core]", draftMarker} {
				if strings.Contains(r.body, leak) {
					t.Errorf("status %d: body contains %q", r.status, leak)
				}
			}
		})
	}
}

// TestHostileQueries sends oversized and odd query strings to every public
// route: a 1 MiB query is refused by the header limit (431) and a query
// just under it is served or rejected, never a 5xx.
func TestHostileQueries(t *testing.T) {
	addr := serveReal(t, newStatusServer(t, pageOptions{}))
	withStore := serveReal(t, newStoreServer(t)) // the status fixture has no availability history
	type route struct{ addr, path string }
	var routes []route
	for _, p := range append(publicPaths(), "/healthz", "/metrics") {
		routes = append(routes, route{addr, p})
	}
	for _, p := range []string{"/api/v1/availability.json", "/api/v1/components/web/days.json"} {
		routes = append(routes, route{withStore, p})
	}
	big := strings.Repeat("a", 1<<20)
	near := strings.Repeat("b", 60<<10)
	queries := []struct {
		name  string
		query string
		want  func(int) bool
	}{
		{"1 MiB value", "window=" + big, func(s int) bool { return s == http.StatusRequestHeaderFieldsTooLarge }},
		{"60 KiB value", "days=" + near + "&window=" + near[:100], func(s int) bool { return s < 500 }},
		{"many parameters", strings.Repeat("type=uptime&", 4000), func(s int) bool { return s < 500 }},
		{"odd values", "days=-1&window=99999999999d&type=%00&limit=-5&state=%ff", func(s int) bool { return s < 500 }},
	}
	for _, q := range queries {
		for _, rt := range routes {
			t.Run(q.name+rt.path, func(t *testing.T) {
				sep := "?"
				if strings.Contains(rt.path, "?") {
					sep = "&"
				}
				r := rawRequest(t, rt.addr, "GET "+rt.path+sep+q.query+" HTTP/1.1\r\nHost: status\r\n")
				if !q.want(r.status) {
					t.Errorf("status %d", r.status)
				}
				if strings.Contains(r.body, draftMarker) {
					t.Errorf("draft text in the answer")
				}
			})
		}
	}
}

// TestHostileNoSSRF requests every public route with URLs pointing at a
// canary listener in every parameter and header a fetcher might follow:
// the canary must see no connection. (admin.TestHostileAdminNoSSRF puts
// such URLs into incidents.)
func TestHostileNoSSRF(t *testing.T) {
	canary, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer canary.Close()
	target := "http://" + canary.Addr().String() + "/"
	accepted := make(chan net.Conn, 1024)
	go func() {
		for {
			c, err := canary.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	addr := serveReal(t, newStatusServer(t, pageOptions{url: "https://status.example.com"}))
	storeAddr := serveReal(t, newStoreServer(t))
	esc := url.QueryEscape(target)
	query := strings.Join([]string{"url=" + esc, "callback=" + esc, "redirect=" + esc, "next=" + esc,
		"feed=" + esc, "src=" + esc, "webhook=" + esc, "image=" + esc}, "&")
	headers := "Referer: " + target + "\r\nOrigin: " + target + "\r\nX-Forwarded-Host: " + canary.Addr().String() +
		"\r\nForwarded: host=" + canary.Addr().String() + "\r\n"
	type route struct{ addr, path string }
	var routes []route
	for _, p := range append(publicPaths(), "/healthz", "/metrics") {
		routes = append(routes, route{addr, p})
	}
	for _, p := range []string{"/", "/api/v1/availability.json", "/api/v1/components/web/days.json", "/api/v2/summary.json"} {
		routes = append(routes, route{storeAddr, p})
	}
	for _, rt := range routes {
		sep := "?"
		if strings.Contains(rt.path, "?") {
			sep = "&"
		}
		r := rawRequest(t, rt.addr, "GET "+rt.path+sep+query+" HTTP/1.1\r\nHost: "+canary.Addr().String()+"\r\n"+headers)
		if r.status >= 500 {
			t.Errorf("%s: status %d", rt.path, r.status)
		}
	}
	// A sentinel connection of our own: everything the server dialled
	// before it is accepted first.
	sentinel, err := net.Dial("tcp", canary.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer sentinel.Close()
	first := <-accepted
	defer first.Close()
	if first.RemoteAddr().String() != sentinel.LocalAddr().String() {
		t.Errorf("the canary was contacted by %s before the sentinel", first.RemoteAddr())
	}
}
