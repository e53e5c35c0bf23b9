package publish

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
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

// TestHostileHugeAdminBodies sends bodies far over the 64 KiB admin cap:
// the answer is 400 (or 401 without the token) long before the body has
// been sent, and the server stops reading.
func TestHostileHugeAdminBodies(t *testing.T) {
	s, _ := newAdminPublish(t, testToken)
	addr := serveReal(t, s)
	const claimed = 1 << 30
	tests := []struct {
		name   string
		token  string
		head   string
		status int
	}{
		{name: "json larger than the cap", token: testToken, status: http.StatusBadRequest,
			head: fmt.Sprintf("POST /api/admin/incidents HTTP/1.1\r\nContent-Length: %d\r\n", claimed)},
		{name: "chunked and endless", token: testToken, status: http.StatusBadRequest,
			head: "POST /api/admin/incidents HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"},
		{name: "patch larger than the cap", token: testToken, status: http.StatusBadRequest,
			head: fmt.Sprintf("PATCH /api/admin/incidents/1 HTTP/1.1\r\nContent-Length: %d\r\n", claimed)},
		{name: "without a token", status: http.StatusUnauthorized,
			head: fmt.Sprintf("POST /api/admin/incidents HTTP/1.1\r\nContent-Length: %d\r\n", claimed)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
			head := tc.head + "Host: status\r\nContent-Type: application/json\r\n"
			if tc.token != "" {
				head += "Authorization: Bearer " + tc.token + "\r\n"
			}
			if _, err := io.WriteString(conn, head+"\r\n"); err != nil {
				t.Fatal(err)
			}
			chunked := strings.Contains(tc.head, "chunked")
			var sent atomic.Int64
			var wg sync.WaitGroup
			wg.Go(func() { // writes until the server stops reading and closes
				block := []byte(`{"name":"` + strings.Repeat("a", 32<<10))
				if chunked {
					block = fmt.Appendf(nil, "%x\r\n%s\r\n", len(block), block)
				}
				for sent.Load() < claimed {
					n, err := conn.Write(block)
					sent.Add(int64(n))
					if err != nil {
						return
					}
				}
			})
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no response: %v (sent %d bytes)", err, sent.Load())
			}
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status %d (%s), want %d", resp.StatusCode, body, tc.status)
			}
			conn.Close() // unblocks the writer if the server is still reading
			wg.Wait()
			if n := sent.Load(); n > 32<<20 {
				t.Errorf("client sent %d MiB before the server gave up", n>>20)
			}
			t.Logf("status %d after %d KiB sent", resp.StatusCode, sent.Load()>>10)
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
	admin, _ := newAdminPublish(t, testToken)
	withStore := serveReal(t, admin) // the status fixture has no availability history
	type route struct{ addr, path string }
	var routes []route
	for _, p := range append(publicPaths(), "/healthz", "/metrics") {
		routes = append(routes, route{addr, p})
	}
	for _, p := range []string{"/api/v1/availability.json", "/api/v1/components/web/days.json", "/api/admin/incidents"} {
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
				r := rawRequest(t, rt.addr, "GET "+rt.path+sep+q.query+" HTTP/1.1\r\nHost: status\r\n"+
					"Authorization: Bearer "+testToken+"\r\n")
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

// TestHostileTokenGuessing guesses admin tokens: after the limit every
// request is 429 with Retry-After, the right token included.
func TestHostileTokenGuessing(t *testing.T) {
	s, _ := newAdminPublish(t, testToken)
	addr := serveReal(t, s)
	guesses := []string{
		"Authorization: Bearer guess\r\n",
		"Authorization: Bearer " + testToken[:len(testToken)-1] + "\r\n", // a prefix
		"Authorization: Bearer " + testToken + "x\r\n",                   // an extension
		"Authorization: Bearer " + strings.ToUpper(testToken) + "\r\n",   // case
		"Authorization: bearer " + testToken + "\r\n",                    // scheme case
		"Authorization: Basic " + testToken + "\r\n",                     // other scheme
		"Authorization: Bearer  " + testToken + "\r\n",                   // extra space
		"Authorization: Bearer " + strings.Repeat("A", 60<<10) + "\r\n",  // huge
		"", "Authorization: Bearer\r\n",
	}
	if len(guesses) != authFailureLimit {
		t.Fatalf("%d guesses, want the limit %d", len(guesses), authFailureLimit)
	}
	for i, g := range guesses {
		r := rawRequest(t, addr, "GET /api/admin/incidents HTTP/1.1\r\nHost: status\r\n"+g)
		if r.status != http.StatusUnauthorized {
			t.Errorf("guess %d %q: status %d, want 401", i, firstLine(g), r.status)
		}
	}
	tests := []struct {
		name, request string
	}{
		{"another guess", "GET /api/admin/audit HTTP/1.1\r\nAuthorization: Bearer guess-again\r\n"},
		{"the right token", "GET /api/admin/audit HTTP/1.1\r\nAuthorization: Bearer " + testToken + "\r\n"},
		{"the right token on a write", "POST /api/admin/incidents/1/publish HTTP/1.1\r\nAuthorization: Bearer " + testToken + "\r\nContent-Length: 0\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rawRequest(t, addr, tc.request+"Host: status\r\n")
			if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
				t.Errorf("status %d, Retry-After %q; want 429 with Retry-After", r.status, r.header.Get("Retry-After"))
			}
		})
	}
}

// TestHostileNoSSRF requests every public route with URLs pointing at a
// canary listener in every parameter and header a fetcher might follow:
// the canary must see no connection.
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
	admin, _ := newAdminPublish(t, testToken)
	adminAddr := serveReal(t, admin)
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
		routes = append(routes, route{adminAddr, p})
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
	// The admin API takes bodies; a URL in one must not be fetched either.
	body := `{"name":"x","body":"` + target + `","impact":"minor","components":["web"]}`
	req, err := http.NewRequest(http.MethodPost, "http://"+adminAddr+"/api/admin/incidents?url="+esc, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Referer", target)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Errorf("admin create with a URL in the body: status %d", resp.StatusCode)
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
