package admin

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestHostileHugeAdminBodies sends bodies far over the 64 KiB admin cap:
// the answer is 400 (or 401 without the token) long before the body has
// been sent, and the server stops reading.
func TestHostileHugeAdminBodies(t *testing.T) {
	srv, _ := newAdminServer(t, testToken)
	addr := srv.Listener.Addr().String()
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

// TestHostileAdminQueries sends oversized and odd values of the admin
// API's query parameters: each is answered with its exact status, never a
// 5xx, and the shared listener's header limit covers the admin routes.
func TestHostileAdminQueries(t *testing.T) {
	srv, _ := newAdminServer(t, testToken)
	tests := []struct {
		name, path string
		status     int
	}{
		{"1 MiB limit: over the header limit", "/api/admin/audit?limit=" + strings.Repeat("9", 1<<20), http.StatusRequestHeaderFieldsTooLarge},
		{"60 KiB state", "/api/admin/incidents?state=" + strings.Repeat("b", 60<<10), http.StatusBadRequest},
		{"state not UTF-8", "/api/admin/incidents?state=%ff", http.StatusBadRequest},
		{"state NUL", "/api/admin/incidents?state=%00", http.StatusBadRequest},
		{"4,000 states, the first counts", "/api/admin/incidents?" + strings.Repeat("state=all&", 4000), http.StatusOK},
		{"negative limit", "/api/admin/audit?limit=-5", http.StatusBadRequest},
		{"limit past int64", "/api/admin/audit?limit=99999999999999999999", http.StatusBadRequest},
		{"limit over the cap", "/api/admin/audit?limit=10001", http.StatusBadRequest},
		{"parameters nobody reads", "/api/admin/maintenances?days=-1&window=99999999999d&type=%00", http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if status, body := do(t, http.MethodGet, srv.URL+tc.path, testToken, ""); status != tc.status {
				t.Errorf("status %d, want %d: %.200s", status, tc.status, body)
			}
		})
	}
}

// TestHostileTokenGuessing guesses admin tokens: after the limit every
// request is 429 with Retry-After, the right token included.
func TestHostileTokenGuessing(t *testing.T) {
	srv, _ := newAdminServer(t, testToken)
	guesses := []string{ // Authorization headers; "": none
		"Bearer guess",
		"Bearer " + testToken[:len(testToken)-1], // a prefix
		"Bearer " + testToken + "x",              // an extension
		"Bearer " + strings.ToUpper(testToken),   // case
		"bearer " + testToken,                    // scheme case
		"Basic " + testToken,                     // other scheme
		"Bearer  " + testToken,                   // extra space
		"Bearer " + strings.Repeat("A", 60<<10),  // huge
		"", "Bearer",
	}
	if len(guesses) != authFailureLimit {
		t.Fatalf("%d guesses, want the limit %d", len(guesses), authFailureLimit)
	}
	send := func(method, path, authorization string) *http.Response {
		req, err := http.NewRequest(method, srv.URL+path, http.NoBody)
		if err != nil {
			t.Fatal(err)
		}
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for i, g := range guesses {
		if resp := send(http.MethodGet, "/api/admin/incidents", g); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("guess %d %.40q: status %d, want 401", i, g, resp.StatusCode)
		}
	}
	tests := []struct {
		name, method, path, authorization string
	}{
		{"another guess", http.MethodGet, "/api/admin/audit", "Bearer guess-again"},
		{"the right token", http.MethodGet, "/api/admin/audit", "Bearer " + testToken},
		{"the right token on a write", http.MethodPost, "/api/admin/incidents/1/publish", "Bearer " + testToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := send(tc.method, tc.path, tc.authorization)
			if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
				t.Errorf("status %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
			}
		})
	}
}

// TestHostileAdminNoSSRF creates and publishes an incident with URLs
// pointing at a canary listener in its body, the query and the headers,
// then reads the public documents that show it: the canary must see no
// connection.
func TestHostileAdminNoSSRF(t *testing.T) {
	canary, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer canary.Close()
	target := "http://" + canary.Addr().String() + "/"
	srv, _ := newAdminServer(t, testToken)
	body := `{"name":"x","body":"` + target + `","impact":"minor","components":["web"],"publish":true}`
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/admin/incidents?url="+url.QueryEscape(target), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Referer", target)
	req.Header.Set("Origin", target)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Errorf("admin create with a URL in the body: status %d", resp.StatusCode)
	}
	for _, path := range []string{"/", "/incidents/1", "/history.atom", "/api/v2/incidents.json"} {
		if status, _ := do(t, http.MethodGet, srv.URL+path, "", ""); status != http.StatusOK {
			t.Errorf("%s: status %d", path, status)
		}
	}
	// The canary accepts in arrival order: a connection the server made
	// would come before this one of our own.
	ours, err := net.Dial("tcp", canary.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer ours.Close()
	first, err := canary.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if first.RemoteAddr().String() != ours.LocalAddr().String() {
		t.Errorf("the canary was contacted by %s before our own connection", first.RemoteAddr())
	}
}
