package admin

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/probe"
)

const pushToken = "0123456789abcdef0123456789abcdef"

// fakeReceiver has one push check, backup/nightly, and keeps the pushes.
type fakeReceiver struct {
	mu     sync.Mutex
	pushes []monitor.Push
}

func (f *fakeReceiver) PushToken(key string) (config.Secret, bool) {
	if key != "backup/nightly" {
		return "", false
	}
	return pushToken, true
}

func (f *fakeReceiver) Push(_ context.Context, key string, p monitor.Push) (monitor.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pushes = append(f.pushes, p)
	if p.Down {
		return monitor.StateDown, nil
	}
	return monitor.StateUp, nil
}

func (f *fakeReceiver) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.pushes)
}

// countPushes counts results like outpost_pushes_total.
type countPushes struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *countPushes) ObservePush(result string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[result]++
}

func (c *countPushes) get(result string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[result]
}

type pushFixture struct {
	api     *PushAPI
	recv    *fakeReceiver
	counter *countPushes
	mu      sync.Mutex
	now     time.Time
}

func newPushFixture(recv PushReceiver) *pushFixture {
	f := &pushFixture{recv: &fakeReceiver{}, counter: &countPushes{}, now: time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)}
	if recv == nil {
		recv = f.recv
	}
	f.api = NewPushAPI(PushOptions{Receiver: recv, Counter: f.counter, Now: func() time.Time {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.now
	}})
	return f
}

func (f *pushFixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// do sends one request and returns the answer and its JSON.
func (f *pushFixture) do(t *testing.T, method, target, token string, body io.Reader) (*http.Response, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(method, target, body)
	r.RemoteAddr = "192.0.2.7:40000"
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	f.api.Handler().ServeHTTP(w, r)
	res := w.Result()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %v", method, target, err)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	return res, out
}

func TestPushAccepted(t *testing.T) {
	f := newPushFixture(nil)
	res, out := f.do(t, http.MethodPost, "/api/v1/push/backup/nightly?msg=12%20GB%20saved&duration=93.5", pushToken, nil)
	if res.StatusCode != http.StatusOK || out["ok"] != true || out["state"] != "up" {
		t.Fatalf("POST: %d %v", res.StatusCode, out)
	}
	res, out = f.do(t, http.MethodGet, "/api/v1/push/backup/nightly?status=down&msg=disk+full&duration=2m", pushToken, nil)
	if res.StatusCode != http.StatusOK || out["state"] != "down" {
		t.Fatalf("GET: %d %v", res.StatusCode, out)
	}
	res, _ = f.do(t, http.MethodPost, "/api/v1/push/backup/nightly", pushToken, strings.NewReader("some ignored body"))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST with a small body: %d", res.StatusCode)
	}
	want := []monitor.Push{{Message: "12 GB saved", Duration: 93500 * time.Millisecond},
		{Down: true, Message: "disk full", Duration: 2 * time.Minute}, {}}
	if len(f.recv.pushes) != 3 {
		t.Fatalf("pushes %+v", f.recv.pushes)
	}
	for i, p := range f.recv.pushes {
		if p != want[i] {
			t.Errorf("push %d = %+v, want %+v", i, p, want[i])
		}
	}
	if n := f.counter.get(PushAccepted); n != 3 {
		t.Errorf("accepted counted %d times", n)
	}
}

// TestPushWrongToken: a wrong or missing token and an unknown check get
// the same 401, so the checks cannot be enumerated without a token.
func TestPushWrongToken(t *testing.T) {
	f := newPushFixture(nil)
	cases := []struct{ name, path, header string }{
		{"wrong token", "/api/v1/push/backup/nightly", "Bearer " + strings.Repeat("x", len(pushToken))},
		{"no header", "/api/v1/push/backup/nightly", ""},
		{"basic auth", "/api/v1/push/backup/nightly", "Basic " + pushToken},
		{"token prefix", "/api/v1/push/backup/nightly", "Bearer " + pushToken[:16]},
		{"unknown check", "/api/v1/push/backup/weekly", "Bearer " + pushToken},
		{"probed check", "/api/v1/push/web/home", "Bearer " + pushToken},
	}
	var first map[string]any
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, tc.path, nil)
			r.RemoteAddr = "192.0.2.8:1"
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			w := httptest.NewRecorder()
			f.api.Handler().ServeHTTP(w, r)
			var out map[string]any
			_ = json.NewDecoder(w.Body).Decode(&out)
			if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") == "" {
				t.Fatalf("%d %v", w.Code, out)
			}
			if first == nil {
				first = out
			} else if out["error"] != first["error"] {
				t.Errorf("answer %v differs from %v", out, first)
			}
		})
	}
	if f.recv.count() != 0 || f.counter.get(PushUnauthorized) != len(cases) {
		t.Errorf("pushes %d, unauthorized counted %d", f.recv.count(), f.counter.get(PushUnauthorized))
	}
}

// TestPushFailedAttemptsAreLimited: after 10 failures a minute a client
// gets 429 even with the right token, until the minute is over.
func TestPushFailedAttemptsAreLimited(t *testing.T) {
	f := newPushFixture(nil)
	for range authFailureLimit {
		if res, _ := f.do(t, http.MethodPost, "/api/v1/push/backup/nightly", "wrong-wrong-wrong-wrong", nil); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure answered %d", res.StatusCode)
		}
	}
	res, _ := f.do(t, http.MethodPost, "/api/v1/push/backup/nightly", pushToken, nil)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "60" {
		t.Fatalf("after 10 failures: %d Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	f.advance(time.Minute)
	if res, _ := f.do(t, http.MethodPost, "/api/v1/push/backup/nightly", pushToken, nil); res.StatusCode != http.StatusOK {
		t.Errorf("a minute later: %d", res.StatusCode)
	}
}

// TestPushTokenInURLIsRefused: whatever looks like a credential in the
// query is refused before the token is checked, and nothing is recorded.
func TestPushTokenInURLIsRefused(t *testing.T) {
	f := newPushFixture(nil)
	for _, q := range []string{"token=" + pushToken, "access_token=" + pushToken, "api_key=x", "Authorization=Bearer+x",
		"msg=" + pushToken, "msg=" + url.QueryEscape("Bearer "+pushToken), "secret=x&status=up", pushToken} {
		t.Run(q, func(t *testing.T) {
			res, out := f.do(t, http.MethodPost, "/api/v1/push/backup/nightly?"+q, pushToken, nil)
			msg, _ := out["error"].(string)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(msg, "Authorization: Bearer TOKEN") {
				t.Errorf("%d %q", res.StatusCode, msg)
			}
		})
	}
	if f.recv.count() != 0 || f.counter.get(PushRejected) == 0 {
		t.Errorf("%d pushes recorded, %d rejected", f.recv.count(), f.counter.get(PushRejected))
	}
}

// TestPushRateLimit: five pushes at once, then one a second.
func TestPushRateLimit(t *testing.T) {
	f := newPushFixture(nil)
	for i := range pushBurst {
		if res, _ := f.do(t, http.MethodPost, "/api/v1/push/backup/nightly", pushToken, nil); res.StatusCode != http.StatusOK {
			t.Fatalf("push %d: %d", i, res.StatusCode)
		}
	}
	res, _ := f.do(t, http.MethodPost, "/api/v1/push/backup/nightly", pushToken, nil)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "1" {
		t.Fatalf("over the burst: %d Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	f.advance(time.Second)
	if res, _ := f.do(t, http.MethodPost, "/api/v1/push/backup/nightly", pushToken, nil); res.StatusCode != http.StatusOK {
		t.Errorf("a second later: %d", res.StatusCode)
	}
	if f.recv.count() != pushBurst+1 {
		t.Errorf("%d pushes recorded", f.recv.count())
	}
}

// TestPushHostileInput: every malformed push is refused with a message
// saying what is wrong, and nothing is recorded.
func TestPushHostileInput(t *testing.T) {
	cases := []struct {
		name, method, target string
		body                 io.Reader
		status               int
		says                 string
	}{
		{"huge query", "POST", "/api/v1/push/backup/nightly?msg=" + strings.Repeat("a", 3000), nil, 414, "2048 bytes"},
		{"huge body", "POST", "/api/v1/push/backup/nightly", strings.NewReader(strings.Repeat("a", 5000)), 413, "4096 bytes"},
		{"negative duration", "POST", "/api/v1/push/backup/nightly?duration=-1s", nil, 400, "duration"},
		{"negative seconds", "POST", "/api/v1/push/backup/nightly?duration=-5", nil, 400, "duration"},
		{"duration too long", "POST", "/api/v1/push/backup/nightly?duration=800h", nil, 400, "31 days"},
		{"seconds too many", "POST", "/api/v1/push/backup/nightly?duration=1e99", nil, 400, "duration"},
		{"duration NaN", "POST", "/api/v1/push/backup/nightly?duration=NaN", nil, 400, "duration"},
		{"duration words", "POST", "/api/v1/push/backup/nightly?duration=ten+minutes", nil, 400, "duration"},
		{"duration two dots", "POST", "/api/v1/push/backup/nightly?duration=1.2.3", nil, 400, "duration"},
		{"duration empty", "POST", "/api/v1/push/backup/nightly?duration=", nil, 400, "duration"},
		{"unknown status", "POST", "/api/v1/push/backup/nightly?status=ok", nil, 400, "not up or down"},
		{"status in capitals", "POST", "/api/v1/push/backup/nightly?status=UP", nil, 400, "not up or down"},
		{"unknown parameter", "POST", "/api/v1/push/backup/nightly?state=up", nil, 400, "use status, msg, duration"},
		{"parameter twice", "POST", "/api/v1/push/backup/nightly?status=up&status=down", nil, 400, "twice"},
		{"semicolons", "POST", "/api/v1/push/backup/nightly?status=up;msg=x", nil, 400, "not ;"},
		{"bad escape", "POST", "/api/v1/push/backup/nightly?msg=%zz", nil, 400, "badly escaped"},
		{"PUT", "PUT", "/api/v1/push/backup/nightly", nil, 405, "POST"},
		{"component only", "POST", "/api/v1/push/backup", nil, 404, "COMPONENT/CHECK"},
		{"extra segment", "POST", "/api/v1/push/backup/nightly/" + pushToken, nil, 404, "COMPONENT/CHECK"},
		{"trailing slash", "POST", "/api/v1/push/backup/nightly/", nil, 404, "COMPONENT/CHECK"},
		{"upper case id", "POST", "/api/v1/push/Backup/nightly", nil, 404, "COMPONENT/CHECK"},
		{"dot segment", "POST", "/api/v1/push/backup/..", nil, 404, "COMPONENT/CHECK"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newPushFixture(nil)
			res, out := f.do(t, tc.method, tc.target, pushToken, tc.body)
			msg, _ := out["error"].(string)
			if res.StatusCode != tc.status || !strings.Contains(msg, tc.says) {
				t.Errorf("%d %q, want %d saying %q", res.StatusCode, msg, tc.status, tc.says)
			}
			if len(msg) > 300 {
				t.Errorf("the error echoes too much: %d bytes", len(msg))
			}
			if f.recv.count() != 0 || f.counter.get(PushRejected) != 1 {
				t.Errorf("%d pushes recorded, %d rejected", f.recv.count(), f.counter.get(PushRejected))
			}
		})
	}
}

// TestPushThroughTheMonitor: a push reaches a real monitor's check, its
// message cleaned of control characters.
func TestPushThroughTheMonitor(t *testing.T) {
	tg, err := probe.ParseTarget("push:")
	if err != nil {
		t.Fatal(err)
	}
	c := monitor.Check{Key: "backup/nightly", ID: "nightly", Component: "backup", Target: tg, Interval: time.Hour,
		RetryInterval: time.Minute, Thresholds: monitor.Thresholds{FailAfter: 1, RecoverAfter: 1}, PushToken: pushToken, Fingerprint: "x"}
	noop := probe.ProberFunc(func(context.Context, probe.Target) probe.Result { return probe.Result{Outcome: probe.Up} })
	mon := monitor.New(monitor.Spec{Checks: []monitor.Check{c},
		Components: []monitor.Component{{ID: "backup", Name: "Backups", Checks: []string{c.Key}}}}, monitor.Options{Prober: noop})
	f := newPushFixture(mon)
	res, out := f.do(t, http.MethodPost, "/api/v1/push/backup/nightly?status=down&msg="+url.QueryEscape("failed:\n\x1b[31mdisk\x00full"), pushToken, nil)
	if res.StatusCode != http.StatusOK || out["state"] != "down" {
		t.Fatalf("%d %v", res.StatusCode, out)
	}
	last := mon.Snapshot()[0].Last
	if last == nil || last.Message != "failed: [31mdisk full" || last.Class != probe.ClassPushed {
		t.Errorf("last result %+v", last)
	}
}

func FuzzParsePushQuery(f *testing.F) {
	for _, s := range []string{"", "status=up", "status=down&msg=disk+full&duration=1m30s", "duration=12.5",
		"msg=%zz", "a=b=c&&", "duration=1e3", "status=up;msg=x", "msg=\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := parsePushQuery(raw)
		if err != nil {
			if len(err.Error()) > 250 {
				t.Fatalf("error too long: %d bytes", len(err.Error()))
			}
			return
		}
		if p.Duration < 0 || p.Duration > maxPushDuration {
			t.Fatalf("duration %s accepted from %q", p.Duration, raw)
		}
		tokenInQuery(raw, pushToken) // must not panic
	})
}
