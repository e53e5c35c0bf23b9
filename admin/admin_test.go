package admin

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/probe"
	"github.com/outpost-status/outpost/publish"
	"github.com/outpost-status/outpost/store"
)

const testToken = "0123456789abcdef0123456789abcdef"

// testPage is the public page the admin API's incidents link to.
var testPage = config.Page{Title: "Example", URL: "https://status.example.com", Language: "en"}

// newAdminServer serves the admin API beside the public site, as the
// daemon does, for a real monitor (not running) on a real store.
func newAdminServer(t *testing.T, token string) (*httptest.Server, *monitor.Monitor) {
	t.Helper()
	s, mon := newAdminPublish(t, token)
	return serve(t, s), mon
}

// serve serves s on a loopback port with the settings of
// publish.Server.Serve (timeouts, header limit).
func serve(t testing.TB, s *publish.Server) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = s.HTTPServer()
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// newAdminPublish builds the Server of newAdminServer without serving it.
func newAdminPublish(t testing.TB, token string) (*publish.Server, *monitor.Monitor) {
	t.Helper()
	return newAdminPublishOn(openStore(t), token)
}

// openStore opens a store in a temporary directory until the test ends.
func openStore(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newAdminPublishOn builds the Server of newAdminServer on an open store.
func newAdminPublishOn(db *store.DB, token string) (*publish.Server, *monitor.Monitor) {
	mon, incidents := testMonitor(db)
	return mountAdmin(db, mon, incidents, token), mon
}

// testMonitor is a monitor (not running) of one check of one component,
// web, and its incident engine, on db.
func testMonitor(db *store.DB) (*monitor.Monitor, *incident.Engine) {
	tg, _ := probe.ParseTarget("tcp://127.0.0.1:1")
	spec := monitor.Spec{
		Checks:     []monitor.Check{{Key: "web/home", ID: "home", Component: "web", Target: tg, Interval: time.Minute, Timeout: time.Second}},
		Components: []monitor.Component{{ID: "web", Name: "Website", Checks: []string{"web/home"}}},
	}
	incidents := incident.New(db, incident.Options{Settings: incident.Settings{Language: "en", GroupWindow: 5 * time.Minute}})
	return monitor.New(spec, monitor.Options{Prober: probe.NotImplemented{}, Incidents: incidents, MaintenanceStore: db}), incidents
}

// mountAdmin serves the admin API and the review console on db, mon and
// incidents beside the public site, as cmd/outpost wires them.
func mountAdmin(db *store.DB, mon *monitor.Monitor, incidents *incident.Engine, token string) *publish.Server {
	api := New(Options{Incidents: incidents, Monitor: mon, Store: db, Token: token, Present: publish.NewPresenter(testPage, mon), Page: testPage})
	return publish.NewServer(publish.ServerOptions{Monitor: mon, Incidents: db,
		Routes:       map[string]http.Handler{"/api/admin/": api.Handler(), "/admin/": api.ConsoleHandler()},
		Availability: publish.AvailabilityOptions{History: db, Windows: []time.Duration{24 * time.Hour}, PartialWeight: 0.3},
		Page:         testPage})
}

// call sends a request as alice and decodes the JSON answer.
func call(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	status, data := do(t, method, url, token, body)
	var out map[string]any
	_ = json.Unmarshal([]byte(data), &out)
	return status, out
}

// do sends a request as alice, with token as the bearer token unless it
// is empty, and returns the status and body.
func do(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("X-Outpost-User", "alice")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func TestAdminAuth(t *testing.T) {
	srv, _ := newAdminServer(t, testToken)
	off, _ := newAdminServer(t, "")
	tests := []struct {
		name   string
		url    string
		token  string
		status int
	}{
		{"no token", srv.URL, "", http.StatusUnauthorized},
		{"wrong token", srv.URL, "wrong-token-wrong-token", http.StatusUnauthorized},
		{"right token", srv.URL, testToken, http.StatusOK},
		{"admin off", off.URL, testToken, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, "GET", tt.url+"/api/admin/incidents", tt.token, "")
			if status != tt.status {
				t.Fatalf("status %d, want %d (%v)", status, tt.status, body)
			}
			if status != http.StatusOK && body["error"] == nil {
				t.Errorf("error response without JSON error: %v", body)
			}
		})
	}
	t.Run("failed attempts are rate limited", func(t *testing.T) {
		limited, _ := newAdminServer(t, testToken)
		for range authFailureLimit {
			call(t, "GET", limited.URL+"/api/admin/audit", "guess", "")
		}
		if status, _ := call(t, "GET", limited.URL+"/api/admin/audit", testToken, ""); status != http.StatusTooManyRequests {
			t.Errorf("after %d failures: status %d, want 429", authFailureLimit, status)
		}
	})
}

// draftMarker is draft text that must never reach a public document.
const draftMarker = "SECRET-DRAFT-7f3a9"

func TestAdminIncidentLifecycle(t *testing.T) {
	srv, _ := newAdminServer(t, testToken)
	base := srv.URL + "/api/admin/incidents"
	status, created := call(t, "POST", base, testToken,
		`{"name": "`+draftMarker+` outage", "body": "`+draftMarker+` details", "impact": "major", "components": ["web"]}`)
	if status != http.StatusCreated || created["state"] != "draft" {
		t.Fatalf("create: %d %v", status, created)
	}
	id := created["id"].(string)
	assertDraftOnlyUnderAdmin(t, srv.URL, id, draftMarker) // every public document, and the console without a session
	steps := []struct {
		name, method, path, body string
		status                   int
		state                    string
	}{
		{"unknown field", "PATCH", "/" + id, `{"title": "x"}`, 400, ""},
		{"bad impact", "PATCH", "/" + id, `{"impact": "apocalyptic"}`, 400, ""},
		{"unknown component", "PATCH", "/" + id, `{"components": ["nope"]}`, 400, ""},
		{"edit", "PATCH", "/" + id, `{"name": "Website unavailable"}`, 200, "draft"},
		{"update before publish", "POST", "/" + id + "/updates", `{"status": "identified", "body": "x"}`, 409, ""},
		{"publish", "POST", "/" + id + "/publish", `{"status": "investigating"}`, 200, "published"},
		{"publish twice", "POST", "/" + id + "/publish", ``, 409, ""},
		{"update", "POST", "/" + id + "/updates", `{"status": "monitoring", "body": "A fix is in place."}`, 200, "published"},
		{"resolve", "POST", "/" + id + "/resolve", `{"body": "Working again."}`, 200, "resolved"},
		{"discard resolved", "POST", "/" + id + "/discard", ``, 409, ""},
		{"missing incident", "GET", "/999", ``, 404, ""},
		{"bad id", "GET", "/abc", ``, 404, ""},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			status, out := call(t, st.method, base+st.path, testToken, st.body)
			if status != st.status {
				t.Fatalf("status %d, want %d: %v", status, st.status, out)
			}
			if st.state != "" && out["state"] != st.state {
				t.Errorf("state %v, want %s", out["state"], st.state)
			}
		})
	}
	_, body := do(t, "GET", srv.URL+"/api/v2/incidents.json", "", "")
	if !strings.Contains(body, "Website unavailable") || !strings.Contains(body, "A fix is in place.") {
		t.Errorf("published incident missing from incidents.json: %s", body)
	}
	status, audit := call(t, "GET", srv.URL+"/api/admin/audit", testToken, "")
	entries, _ := audit["audit"].([]any)
	if status != 200 || len(entries) != 5 || !strings.Contains(toJSON(entries[0]), "admin:alice") {
		t.Errorf("audit: %d %v", status, audit)
	}
}

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestAdminListAndLimits(t *testing.T) {
	srv, _ := newAdminServer(t, testToken)
	base := srv.URL + "/api/admin/incidents"
	call(t, "POST", base, testToken, `{"name": "A", "components": ["web"]}`)
	_, b := call(t, "POST", base, testToken, `{"name": "B", "components": ["web"], "publish": true}`)
	call(t, "POST", base+"/"+b["id"].(string)+"/resolve", testToken, ``)
	for state, want := range map[string]int{"": 1, "all": 2, "draft": 1, "resolved": 1, "published": 0, "discarded": 0} {
		_, out := call(t, "GET", base+"?state="+state, testToken, "")
		if got := len(out["incidents"].([]any)); got != want {
			t.Errorf("state=%q: %d incidents, want %d", state, got, want)
		}
	}
	if status, _ := call(t, "GET", base+"?state=bogus", testToken, ""); status != 400 {
		t.Errorf("bad state: %d", status)
	}
	huge := `{"name": "` + strings.Repeat("x", maxAdminBody) + `"}`
	if status, out := call(t, "POST", base, testToken, huge); status != 400 {
		t.Errorf("oversized body: %d %v", status, out)
	}
}

func TestAdminMaintenance(t *testing.T) {
	srv, mon := newAdminServer(t, testToken)
	base := srv.URL + "/api/admin/maintenances"
	start := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	end := time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339)
	status, m := call(t, "POST", base, testToken, `{"components": ["web"], "start": "`+start+`", "end": "`+end+`", "title": "CMS upgrade"}`)
	if status != http.StatusCreated || m["status"] != "scheduled" {
		t.Fatalf("add: %d %v", status, m)
	}
	if len(mon.Maintenance()) != 1 {
		t.Fatal("window not applied")
	}
	_, body := do(t, "GET", srv.URL+"/api/v2/scheduled-maintenances/upcoming.json", "", "")
	if !strings.Contains(body, "CMS upgrade") {
		t.Errorf("upcoming.json lacks the window: %s", body)
	}
	if status, _ := call(t, "POST", base, testToken, `{"components": ["web"], "start": "`+end+`", "end": "`+start+`", "title": "x"}`); status != 400 {
		t.Errorf("end before start: %d", status)
	}
	if status, _ := call(t, "DELETE", base+"/"+m["id"].(string), testToken, ""); status != http.StatusNoContent {
		t.Errorf("delete: %d", status)
	}
	if status, _ := call(t, "DELETE", base+"/"+m["id"].(string), testToken, ""); status != http.StatusNotFound {
		t.Errorf("delete twice: %d", status)
	}
}

// unlistable is a store whose incidents cannot be listed, as when a
// stored incident no longer decodes.
type unlistable struct{ *store.DB }

var errUnlistable = errors.New("incident 7: unknown format version 9")

func (unlistable) Incidents(func(store.Incident) bool) ([]store.Incident, error) {
	return nil, errUnlistable
}

// TestAdminRoutesReadOnlyWhatTheyNeed mounts the admin API beside the
// public site on a store whose incidents cannot be listed: the public
// pages fail, and so does the admin list, with a JSON error and the
// cause in the log; every other admin route still answers, a backup
// included.
func TestAdminRoutesReadOnlyWhatTheyNeed(t *testing.T) {
	db := openStore(t)
	mon, incidents := testMonitor(db)
	var logs strings.Builder
	broken := unlistable{db}
	api := New(Options{Incidents: incidents, Monitor: mon, Store: broken, Token: testToken, Present: publish.NewPresenter(testPage, mon),
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	site := publish.NewServer(publish.ServerOptions{Monitor: mon, Incidents: broken, Page: testPage,
		Routes: map[string]http.Handler{"/api/admin/": api.Handler()}})
	serve := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		w := httptest.NewRecorder()
		site.Handler().ServeHTTP(w, req) // in this goroutine: logs is read below
		return w
	}
	if w := serve(http.MethodPost, "/api/admin/incidents", `{"name":"x","components":["web"],"publish":true}`); w.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	if w := serve(http.MethodGet, "/api/v2/incidents.json", ""); w.Code != http.StatusInternalServerError {
		t.Fatalf("the public incidents.json: %d, want 500 (the fixture is broken)", w.Code)
	}
	tests := []struct {
		name, method, path, body string
		status                   int
	}{
		{"backup", http.MethodGet, "/api/admin/backup", "", http.StatusOK},
		{"audit", http.MethodGet, "/api/admin/audit", "", http.StatusOK},
		{"maintenances", http.MethodGet, "/api/admin/maintenances", "", http.StatusOK},
		{"one incident", http.MethodGet, "/api/admin/incidents/1", "", http.StatusOK},
		{"an update", http.MethodPost, "/api/admin/incidents/1/updates", `{"status":"identified","body":"b"}`, http.StatusOK},
		{"the list", http.MethodGet, "/api/admin/incidents?state=all", "", http.StatusInternalServerError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logs.Reset()
			w := serve(tc.method, tc.path, tc.body)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if tc.status == http.StatusOK {
				return
			}
			var out struct{ Error string }
			if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || !strings.Contains(out.Error, "see the outpost log") {
				t.Errorf("answer %q: want a JSON error that points to the log", w.Body)
			}
			if !strings.Contains(logs.String(), "read incidents: "+errUnlistable.Error()) {
				t.Errorf("log %q does not say what failed", logs.String())
			}
		})
	}
	backup := filepath.Join(t.TempDir(), store.FileName)
	if err := os.WriteFile(backup, serve(http.MethodGet, "/api/admin/backup", "").Body.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	copied, err := store.Open(backup, store.Options{})
	if err != nil {
		t.Fatalf("the backup does not open: %v", err)
	}
	defer copied.Close()
	if inc, err := copied.Incident(1); err != nil || inc.Name != "x" {
		t.Errorf("incident 1 in the backup: %+v %v", inc, err)
	}
}
