package admin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outpost-status/outpost/monitor"
)

const alertToken = "0123456789abcdef-alerts"

// fakeRouter routes alerts whose label route=yes.
type fakeRouter struct {
	mu  sync.Mutex
	got []monitor.Alert
}

func (f *fakeRouter) Alerts(alerts []monitor.Alert) []monitor.AlertOutcome {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, alerts...)
	out := make([]monitor.AlertOutcome, len(alerts))
	for i, a := range alerts {
		if a.Labels["route"] != "yes" {
			out[i] = monitor.AlertUnmatched
		}
	}
	return out
}

type countingObserver struct {
	mu                           sync.Mutex
	received                     map[string]int
	unmatched, truncated, rounds int
}

func (c *countingObserver) AlertReceived(s string) { c.mu.Lock(); c.received[s]++; c.mu.Unlock() }
func (c *countingObserver) AlertUnmatched()        { c.mu.Lock(); c.unmatched++; c.mu.Unlock() }
func (c *countingObserver) AlertsTruncated(n int)  { c.mu.Lock(); c.truncated += n; c.mu.Unlock() }

func newAlertServer(t *testing.T) (*httptest.Server, *fakeRouter, *countingObserver) {
	t.Helper()
	router, obs := &fakeRouter{}, &countingObserver{received: map[string]int{}}
	rcv := NewAlertReceiver(AlertOptions{Router: router, Observer: obs, Token: alertToken})
	mux := http.NewServeMux()
	mux.Handle("/api/alerts/", rcv.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, router, obs
}

func postAlerts(t *testing.T, srv *httptest.Server, token string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+AlertsPath, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// amBody is an Alertmanager webhook body (version 4) with n alerts.
func amBody(n int, status string, extra string) []byte {
	var alerts []string
	for i := range n {
		alerts = append(alerts, fmt.Sprintf(`{"status":%q,"labels":{"alertname":"A%d","route":"yes"},"annotations":{"summary":"s%d"},`+
			`"startsAt":"2026-12-01T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://p/graph","fingerprint":"fp%d"}`, status, i, i, i))
	}
	return []byte(`{"version":"4","groupKey":"{}:{}","truncatedAlerts":0,"status":"` + status + `","receiver":"outpost",` +
		`"groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am"` + extra + `,"alerts":[` + strings.Join(alerts, ",") + `]}`)
}

func TestAlertReceiverAccepts(t *testing.T) {
	srv, router, obs := newAlertServer(t)
	code, body := postAlerts(t, srv, alertToken, amBody(2, "firing", `,"futureField":{"x":[1,2]}`))
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	if len(router.got) != 2 || router.got[0].Fingerprint != "fp0" || !router.got[0].Firing || router.got[1].Summary != "s1" ||
		router.got[0].Name != "A0" || !router.got[0].StartsAt.Equal(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("decoded %+v", router.got)
	}
	if obs.received["firing"] != 2 {
		t.Errorf("counted %v", obs.received)
	}
}

// TestAlertReceiverGrafana: Grafana's webhook contact point (version 1
// with an orgId and fields of its own) is read like Alertmanager's.
func TestAlertReceiverGrafana(t *testing.T) {
	srv, router, _ := newAlertServer(t)
	body := `{"receiver":"outpost","status":"resolved","orgId":1,"alerts":[{"status":"resolved","labels":{"alertname":"High CPU","route":"yes"},` +
		`"annotations":{"summary":"cpu"},"startsAt":"2026-12-01T09:51:03.157076+02:00","endsAt":"2026-12-01T10:00:00Z","generatorURL":"",` +
		`"fingerprint":"c6eadffa33fcdf37","silenceURL":"","dashboardURL":"","panelURL":"","values":{"B":44.2}}],` +
		`"groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://g/","version":"1","groupKey":"{}",` +
		`"truncatedAlerts":0,"title":"[RESOLVED]","state":"ok","message":"m"}`
	if code, msg := postAlerts(t, srv, alertToken, []byte(body)); code != http.StatusOK {
		t.Fatalf("%d %s", code, msg)
	}
	if len(router.got) != 1 || router.got[0].Firing || router.got[0].Fingerprint != "c6eadffa33fcdf37" {
		t.Fatalf("decoded %+v", router.got)
	}
}

func TestAlertReceiverUnmatchedAndTruncated(t *testing.T) {
	srv, _, obs := newAlertServer(t)
	body := bytes.Replace(amBody(3, "firing", ""), []byte(`"route":"yes"},"annotations":{"summary":"s1"}`), []byte(`"route":"no"},"annotations":{"summary":"s1"}`), 1)
	body = bytes.Replace(body, []byte(`"truncatedAlerts":0`), []byte(`"truncatedAlerts":7`), 1)
	code, msg := postAlerts(t, srv, alertToken, body)
	if code != http.StatusOK || !strings.Contains(msg, `"unmatched":1`) {
		t.Fatalf("%d %s", code, msg)
	}
	if obs.unmatched != 1 || obs.truncated != 7 {
		t.Errorf("unmatched %d truncated %d", obs.unmatched, obs.truncated)
	}
}

func TestAlertReceiverAuth(t *testing.T) {
	srv, router, _ := newAlertServer(t)
	if code, _ := postAlerts(t, srv, "", amBody(1, "firing", "")); code != http.StatusUnauthorized {
		t.Errorf("no token: %d", code)
	}
	for range authFailureLimit {
		postAlerts(t, srv, "wrong-token-wrong-token", amBody(1, "firing", ""))
	}
	if code, _ := postAlerts(t, srv, alertToken, amBody(1, "firing", "")); code != http.StatusTooManyRequests {
		t.Errorf("after %d failures: %d, want 429", authFailureLimit, code)
	}
	if len(router.got) != 0 {
		t.Errorf("alerts routed without a valid token")
	}
	off := NewAlertReceiver(AlertOptions{Router: router})
	rec := httptest.NewRecorder()
	off.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, AlertsPath, strings.NewReader("{}")))
	if rec.Code != http.StatusNotFound {
		t.Errorf("receiver without token: %d, want 404", rec.Code)
	}
}

// TestAlertReceiverHostile: oversized, deep, flooding and malformed
// bodies get a clear 4xx, and nothing reaches the router.
func TestAlertReceiverHostile(t *testing.T) {
	srv, router, _ := newAlertServer(t)
	huge := append([]byte(`{"version":"4","alerts":[],"x":"`), bytes.Repeat([]byte("a"), maxAlertBody+10)...)
	huge = append(huge, `"}`...)
	deep := []byte(`{"version":"4","alerts":[],"x":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`)
	longValue := bytes.Replace(amBody(1, "firing", ""), []byte(`"s0"`), []byte(`"`+strings.Repeat("x", maxAnnotationValue+1)+`"`), 1)
	for _, tc := range []struct {
		name string
		body []byte
		code int
		want string
	}{
		{"huge", huge, http.StatusRequestEntityTooLarge, "body larger than"},
		{"deep", deep, http.StatusBadRequest, "nested deeper"},
		{"10000 alerts", amBody(10000, "firing", ""), http.StatusRequestEntityTooLarge, "max_alerts"},
		{"1001 alerts", amBody(maxAlertsPerRequest+1, "firing", ""), http.StatusRequestEntityTooLarge, "max_alerts"},
		{"empty", nil, http.StatusBadRequest, "empty body"},
		{"not json", []byte("<xml/>"), http.StatusBadRequest, "not Alertmanager's webhook JSON"},
		{"no version", []byte(`{"alerts":[]}`), http.StatusBadRequest, "version missing"},
		{"version 3", bytes.Replace(amBody(1, "firing", ""), []byte(`"version":"4"`), []byte(`"version":"3"`), 1), http.StatusBadRequest, `version "3"`},
		{"no alerts", []byte(`{"version":"4"}`), http.StatusBadRequest, "alerts missing"},
		{"bad status", amBody(1, "burning", ""), http.StatusBadRequest, `alerts[0]: status "burning"`},
		{"no fingerprint", bytes.Replace(amBody(1, "firing", ""), []byte(`"fingerprint":"fp0"`), []byte(`"fingerprint":""`), 1), http.StatusBadRequest, "fingerprint missing"},
		{"long annotation", longValue, http.StatusBadRequest, "annotations"},
		{"wrong types", []byte(`{"version":"4","alerts":[{"status":1}]}`), http.StatusBadRequest, "not Alertmanager's webhook JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := postAlerts(t, srv, alertToken, tc.body)
			var e struct{ Error string }
			if json.Unmarshal([]byte(msg), &e) != nil || e.Error == "" {
				t.Fatalf("answer is not a JSON error: %d %s", code, clip(msg, 200))
			}
			if code != tc.code || !strings.Contains(e.Error, tc.want) {
				t.Fatalf("got %d %s\nwant %d containing %q", code, clip(e.Error, 300), tc.code, tc.want)
			}
		})
	}
	if len(router.got) != 0 {
		t.Errorf("%d alerts routed from hostile bodies", len(router.got))
	}
}

// FuzzDecodeNotification: any body is either refused with an error or
// yields alerts within the limits, never a panic.
func FuzzDecodeNotification(f *testing.F) {
	f.Add(amBody(2, "firing", ""))
	f.Add(amBody(1, "resolved", `,"orgId":1`))
	f.Add([]byte(`{"version":"1","orgId":1,"alerts":[]}`))
	f.Add([]byte(`{"version":"4","alerts":[{"status":"firing","fingerprint":"x","labels":{"a":"\"]}"}}]}`))
	f.Add([]byte(`[[[[{}]]]]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := decodeNotification(body)
		if err != nil {
			return
		}
		if len(n.alerts) > maxAlertsPerRequest || n.truncated < 0 {
			t.Fatalf("limits broken: %d alerts, truncated %d", len(n.alerts), n.truncated)
		}
		for _, a := range n.alerts {
			if a.Fingerprint == "" || len(a.Labels) > maxLabels {
				t.Fatalf("unchecked alert %+v", a)
			}
		}
	})
}
