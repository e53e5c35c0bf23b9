package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/probe"
)

const peerTestToken = "peer-0123456789abcdef"

// fakePeerProber answers every key up and records what it was asked.
type fakePeerProber struct {
	mu    sync.Mutex
	asked [][]string
}

func (f *fakePeerProber) ProbeNow(_ context.Context, keys []string) map[string]monitor.PeerVerdict {
	f.mu.Lock()
	f.asked = append(f.asked, slices.Clone(keys))
	f.mu.Unlock()
	out := map[string]monitor.PeerVerdict{}
	for _, k := range keys {
		out[k] = monitor.PeerVerdict{State: monitor.StateUp, Time: time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC), Duration: 7 * time.Millisecond}
	}
	return out
}

func (f *fakePeerProber) CheckKeys() []string { return []string{"api/a", "web/home"} }

func (f *fakePeerProber) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.asked)
}

// fakeNow is a clock tests move by hand.
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeNow) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeNow) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func peerRequest(t testing.TB, h http.Handler, method, path, token, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestPeerAPIConfirm(t *testing.T) {
	fp := &fakePeerProber{}
	api := NewPeerAPI(PeerOptions{Prober: fp, Location: "ams", Token: peerTestToken})
	w := peerRequest(t, api.Handler(), http.MethodPost, monitor.PeerConfirmPath, peerTestToken, `{"keys":["web/home","web/home","api/a"]}`)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	want := `{"location":"ams","results":{"api/a":{"state":"up","time":"2026-12-01T03:00:00Z","duration_ms":7},` +
		`"web/home":{"state":"up","time":"2026-12-01T03:00:00Z","duration_ms":7}}}` + "\n"
	if w.Body.String() != want {
		t.Errorf("body\n%s\nwant\n%s", w.Body, want)
	}
	if got := fp.asked; len(got) != 1 || !slices.Equal(got[0], []string{"web/home", "api/a"}) {
		t.Errorf("asked %v, want the keys once each", got)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	w = peerRequest(t, api.Handler(), http.MethodGet, monitor.PeerChecksPath, peerTestToken, "")
	if w.Code != http.StatusOK || w.Body.String() != `{"location":"ams","checks":["api/a","web/home"]}`+"\n" {
		t.Errorf("checks: %d %s", w.Code, w.Body)
	}
}

func TestPeerAPIAuth(t *testing.T) {
	fp := &fakePeerProber{}
	clock := &fakeNow{t: time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)}
	api := NewPeerAPI(PeerOptions{Prober: fp, Location: "ams", Token: peerTestToken, Now: clock.Now})
	h := api.Handler()
	body := `{"keys":["web/home"]}`
	for _, tc := range []struct{ name, token string }{{"missing", ""}, {"wrong", "peer-0123456789abcdeX"}, {"admin-like", testToken}} {
		if w := peerRequest(t, h, http.MethodPost, monitor.PeerConfirmPath, tc.token, body); w.Code != http.StatusUnauthorized {
			t.Errorf("%s token: status %d, want 401", tc.name, w.Code)
		}
	}
	for range authFailureLimit - 3 {
		peerRequest(t, h, http.MethodPost, monitor.PeerConfirmPath, "nope", body)
	}
	if w := peerRequest(t, h, http.MethodPost, monitor.PeerConfirmPath, peerTestToken, body); w.Code != http.StatusTooManyRequests {
		t.Errorf("after %d failures the right token got %d, want 429", authFailureLimit, w.Code)
	}
	if fp.calls() != 0 {
		t.Errorf("probed %d times without authentication", fp.calls())
	}
	clock.Add(authWindow)
	if w := peerRequest(t, h, http.MethodPost, monitor.PeerConfirmPath, peerTestToken, body); w.Code != http.StatusOK {
		t.Errorf("after the window: status %d, want 200", w.Code)
	}
	api.SetToken("peer-new-token-0123456789")
	if w := peerRequest(t, h, http.MethodPost, monitor.PeerConfirmPath, peerTestToken, body); w.Code != http.StatusUnauthorized {
		t.Errorf("the old token after SetToken: status %d, want 401", w.Code)
	}
	api.SetToken("")
	if w := peerRequest(t, h, http.MethodPost, monitor.PeerConfirmPath, peerTestToken, body); w.Code != http.StatusNotFound ||
		!strings.Contains(w.Body.String(), "peer_api.token_file") {
		t.Errorf("without a token: %d %s, want 404 naming peer_api.token_file", w.Code, w.Body)
	}
}

func TestPeerAPIRateLimit(t *testing.T) {
	clock := &fakeNow{t: time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)}
	api := NewPeerAPI(PeerOptions{Prober: &fakePeerProber{}, Location: "ams", Token: peerTestToken, Now: clock.Now, Rate: 1, Burst: 3})
	h := api.Handler()
	for i := range 3 {
		if w := peerRequest(t, h, http.MethodGet, monitor.PeerChecksPath, peerTestToken, ""); w.Code != http.StatusOK {
			t.Fatalf("request %d: status %d", i, w.Code)
		}
	}
	w := peerRequest(t, h, http.MethodPost, monitor.PeerConfirmPath, peerTestToken, `{"keys":["web/home"]}`)
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" {
		t.Errorf("over the burst: %d, Retry-After %q; want 429 and 1", w.Code, w.Header().Get("Retry-After"))
	}
	clock.Add(time.Second)
	if w := peerRequest(t, h, http.MethodGet, monitor.PeerChecksPath, peerTestToken, ""); w.Code != http.StatusOK {
		t.Errorf("a second later: status %d", w.Code)
	}
}

func TestPeerAPIHostileBodies(t *testing.T) {
	fp := &fakePeerProber{}
	h := NewPeerAPI(PeerOptions{Prober: fp, Location: "ams", Token: peerTestToken, Burst: 1000}).Handler()
	many := make([]string, 10_000)
	for i := range many {
		many[i] = fmt.Sprintf("c/%d", i)
	}
	manyJSON, _ := json.Marshal(map[string][]string{"keys": many})
	tests := []struct {
		name, body string
		status     int
		want       string
	}{
		{"huge", `{"keys":["` + strings.Repeat("a", monitor.MaxPeerRequestBody) + `"]}`, http.StatusRequestEntityTooLarge, "larger than"},
		{"10,000 keys", string(manyJSON), http.StatusBadRequest, "at most 1000"},
		{"deep", `{"keys":` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + `}`, http.StatusBadRequest, "not a confirmation request"},
		{"not json", "keys=web/home", http.StatusBadRequest, "not a confirmation request"},
		{"empty body", "", http.StatusBadRequest, "empty body"},
		{"no keys", `{"keys":[]}`, http.StatusBadRequest, "keys is empty"},
		{"null", `null`, http.StatusBadRequest, "keys is empty"},
		{"unknown field", `{"keys":["web/home"],"target":"http://169.254.169.254/"}`, http.StatusBadRequest, "unknown field"},
		{"two objects", `{"keys":["web/home"]}{"keys":["x/y"]}`, http.StatusBadRequest, "one JSON object"},
		{"a number key", `{"keys":[1]}`, http.StatusBadRequest, "not a confirmation request"},
		{"long key", `{"keys":["` + strings.Repeat("k", 200) + `"]}`, http.StatusBadRequest, "3 to 127 bytes"},
		{"empty key", `{"keys":[""]}`, http.StatusBadRequest, "3 to 127 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := peerRequest(t, h, http.MethodPost, monitor.PeerConfirmPath, peerTestToken, tc.body)
			var e struct{ Error string }
			_ = json.Unmarshal(w.Body.Bytes(), &e)
			if w.Code != tc.status || !strings.Contains(e.Error, tc.want) {
				t.Errorf("status %d, error %q; want %d and %q", w.Code, e.Error, tc.status, tc.want)
			}
		})
	}
	if fp.calls() != 0 {
		t.Errorf("probed %d times for hostile bodies", fp.calls())
	}
	if w := peerRequest(t, h, http.MethodGet, monitor.PeerConfirmPath, peerTestToken, ""); w.Code != http.StatusNotFound ||
		!strings.Contains(w.Body.String(), "GET "+monitor.PeerConfirmPath) {
		t.Errorf("GET confirm: status %d %s, want 404 naming it", w.Code, w.Body)
	}
	if w := peerRequest(t, h, http.MethodGet, "/api/peer/v2/x", peerTestToken, ""); w.Code != http.StatusNotFound {
		t.Errorf("unknown path: status %d, want 404", w.Code)
	}
}

// TestPeerAPIProbesOnlyConfiguredChecks: a peer naming a URL, a host or
// another location's check makes this outpost probe nothing; a
// configured check is probed and its target sees one request.
func TestPeerAPIProbesOnlyConfiguredChecks(t *testing.T) {
	var victimHits, targetHits atomic.Int32
	victim := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { victimHits.Add(1) }))
	t.Cleanup(victim.Close)
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { targetHits.Add(1) }))
	t.Cleanup(target.Close)
	tg, err := probe.ParseTarget(target.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	check := monitor.Check{Key: "web/home", ID: "home", Name: "Home", Component: "web", Target: tg, Interval: time.Minute,
		Timeout: 5 * time.Second, RetryInterval: time.Second, Thresholds: monitor.Thresholds{FailAfter: 3, RecoverAfter: 2}, Fingerprint: "x"}
	mon := monitor.New(monitor.Spec{Checks: []monitor.Check{check}, Components: []monitor.Component{{ID: "web", Name: "Web", Checks: []string{"web/home"}}}},
		monitor.Options{Prober: probe.Set{probe.KindHTTP: probe.NewHTTP(probe.HTTPConfig{Clock: probe.SystemClock{}})}})
	srv := httptest.NewServer(NewPeerAPI(PeerOptions{Prober: mon, Location: "ams", Token: peerTestToken}).Handler())
	t.Cleanup(srv.Close)
	keys := []string{victim.URL, victim.URL + "/", strings.TrimPrefix(victim.URL, "http://"), "web/" + victim.URL, "shop/cart", "web/home"}
	body, _ := json.Marshal(map[string][]string{"keys": keys})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+monitor.PeerConfirmPath, strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+peerTestToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var ans monitor.PeerConfirmAnswer
	if err := json.Unmarshal(data, &ans); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, %s (%v)", resp.StatusCode, data, err)
	}
	for _, k := range keys[:5] {
		if v := ans.Results[k]; v.State != monitor.StateUnknown || v.Class != monitor.PeerClassUnknownCheck {
			t.Errorf("%s: %+v, want unknown/unknown_check", k, v)
		}
	}
	if v := ans.Results["web/home"]; v.State != monitor.StateUp {
		t.Errorf("web/home: %+v, want up", v)
	}
	if n := victimHits.Load(); n != 0 {
		t.Errorf("the victim saw %d requests, want none", n)
	}
	if n := targetHits.Load(); n != 1 {
		t.Errorf("the configured target saw %d requests, want 1", n)
	}
}
