package admin

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/publish"
	"github.com/outpost-status/outpost/store"
)

func TestConsoleOverviewShowsWhatWaits(t *testing.T) {
	e := newConsoleEnv(t, testPage)
	e.incidents.SetSettings(incident.Settings{Language: "en", GroupWindow: 5 * time.Minute,
		AutoPublishAfter: 2 * time.Hour, RemindAfter: time.Hour})
	create := func(name string, publish bool) store.Incident {
		t.Helper()
		inc, err := e.incidents.CreateIncident(store.Incident{Name: name, Body: name + " body", Impact: "major", Components: []string{"web"}},
			publish, "test")
		if err != nil {
			t.Fatal(err)
		}
		return inc
	}
	older := create("Older draft", false)
	stale := create("Stale incident", true)
	e.clock.Add(time.Hour)
	newer := create("Newer draft", false)
	e.clock.Add(50 * time.Minute)
	fresh := create("Fresh incident", true)
	e.clock.Add(25 * time.Minute) // the older draft is past auto_publish_after, the newer not; the stale one needs an update
	id, _ := e.login(t, "alice")
	page := e.send(t, req{method: "GET", path: "/admin/", cookie: id}).body

	first, second := strings.Index(page, "Older draft"), strings.Index(page, "Newer draft")
	if first < 0 || second < 0 || first > second {
		t.Errorf("drafts not listed oldest first (older at %d, newer at %d)", first, second)
	}
	for _, want := range []string{
		`href="/admin/incidents/` + strconv.FormatUint(older.ID, 10) + `"`,
		`href="/admin/incidents/` + strconv.FormatUint(newer.ID, 10) + `"`,
		"waiting for 2 h 15 min",                  // the older draft
		"about to be published automatically",     // older: past its 2 h
		"published automatically in",              // newer: not yet
		"no update for longer than 1 h: post one", // the stale incident
		"outpost can see: its self-checks pass.",
		"Website", "Home page", "no result yet",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	if n := strings.Count(page, `class="published overdue"`); n != 1 {
		t.Errorf("%d incidents marked overdue, want 1 (%d stale, %d fresh)", n, stale.ID, fresh.ID)
	}
	if !regexp.MustCompile(`Newer draft</a>\s*<span class="meta">[^<]*<strong class="auto">published automatically in 45 min`).MatchString(page) {
		t.Error("the newer draft's countdown is not 45 min")
	}
}

func TestConsoleMaintenanceSchedulesAndCancels(t *testing.T) {
	e := newConsoleEnv(t, testPage)
	id, csrf := e.login(t, "alice")
	a := e.send(t, req{method: "POST", path: "/admin/maintenance", cookie: id, origin: e.srv.URL, form: url.Values{
		"csrf": {csrf}, "components": {"web", "api"}, "start": {"2026-12-03T01:00"}, "end": {"2026-12-03T02:30:00"},
		"title": {"Database upgrade"}, "body": {"Short interruptions."}}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/admin/maintenance?done=scheduled" {
		t.Fatalf("schedule: status %d Location %q: %s", a.status, a.header.Get("Location"), a.body)
	}
	windows := e.mon.Maintenance()
	if len(windows) != 1 {
		t.Fatalf("windows %+v", windows)
	}
	w := windows[0]
	if !w.Start.Equal(time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC)) || !w.End.Equal(time.Date(2026, 12, 3, 2, 30, 0, 0, time.UTC)) {
		t.Errorf("window %s – %s, want the page time zone's 01:00 – 02:30", w.Start, w.End)
	}
	page := e.send(t, req{method: "GET", path: "/admin/maintenance?done=scheduled", cookie: id}).body
	for _, want := range []string{"Maintenance scheduled.", "Database upgrade", "Website and API", "/admin/maintenance/" + w.ID + "/cancel"} {
		if !strings.Contains(page, want) {
			t.Errorf("maintenance page lacks %q", want)
		}
	}
	a = e.send(t, req{method: "POST", path: "/admin/maintenance/" + w.ID + "/cancel", cookie: id, origin: e.srv.URL, form: url.Values{"csrf": {csrf}}})
	if a.status != http.StatusSeeOther || len(e.mon.Maintenance()) != 0 {
		t.Fatalf("cancel: status %d, windows left %d", a.status, len(e.mon.Maintenance()))
	}
	a = e.send(t, req{method: "POST", path: "/admin/maintenance/" + w.ID + "/cancel", cookie: id, origin: e.srv.URL, form: url.Values{"csrf": {csrf}}})
	if a.status != http.StatusNotFound {
		t.Errorf("cancel twice: status %d, want 404", a.status)
	}
	audit, err := e.db.Audit(0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, entry := range audit {
		if entry.Actor != "console:alice" {
			t.Errorf("audit actor %q, want console:alice", entry.Actor)
		}
		actions = append(actions, entry.Action)
	}
	if strings.Join(actions, ",") != "maintenance-delete,maintenance-add" {
		t.Errorf("audit actions %v", actions)
	}
}

func TestConsoleAuditPages(t *testing.T) {
	e := newConsoleEnv(t, testPage)
	for i := range 120 {
		if err := e.db.AppendAudit(store.AuditEntry{At: e.clock.Now(), Actor: "test", Action: "step-" + strconv.Itoa(i+1)}); err != nil {
			t.Fatal(err)
		}
	}
	id, _ := e.login(t, "alice")
	tests := []struct {
		path          string
		first, last   string
		rows          int
		older, newest bool
	}{
		{"/admin/audit", "step-120", "step-71", 50, true, false},
		{"/admin/audit?before=71", "step-70", "step-21", 50, true, true},
		{"/admin/audit?before=21", "step-20", "step-1", 20, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			page := e.send(t, req{method: "GET", path: tt.path, cookie: id}).body
			if n := strings.Count(page, `data-label="Action"`); n != tt.rows {
				t.Errorf("%d rows, want %d", n, tt.rows)
			}
			if !strings.Contains(page, ">"+tt.first+"<") || !strings.Contains(page, ">"+tt.last+"<") {
				t.Errorf("page does not run from %s to %s", tt.first, tt.last)
			}
			if got := strings.Contains(page, `rel="next"`); got != tt.older {
				t.Errorf("older link shown = %v, want %v", got, tt.older)
			}
			if got := strings.Contains(page, "Newest entries"); got != tt.newest {
				t.Errorf("newest link shown = %v, want %v", got, tt.newest)
			}
		})
	}
}

// assertDraftOnlyUnderAdmin checks that draft text (marker) appears under
// /api/admin/ and, with a session, /admin/, and nowhere else: not in any
// public document, the incident's public page, or the console without
// a session.
func assertDraftOnlyUnderAdmin(t *testing.T, base, id, marker string) {
	t.Helper()
	public := append(publish.ExportPaths([]string{"web"}, nil), "/incidents/"+id, "/history", "/history.atom", "/history.rss")
	for _, path := range public {
		if a := send(t, base, req{method: "GET", path: path}); strings.Contains(a.body, marker) {
			t.Errorf("draft leaks through %s", path)
		}
	}
	for _, path := range []string{"/admin/", "/admin/login?next=%2Fadmin%2Fincidents%2F" + id, "/admin/incidents/" + id, "/admin/audit"} {
		if a := send(t, base, req{method: "GET", path: path}); strings.Contains(a.body, marker) {
			t.Errorf("draft leaks through %s without a session", path)
		}
	}
	if _, body := do(t, "GET", base+"/api/admin/incidents/"+id, testToken, ""); !strings.Contains(body, marker) {
		t.Errorf("the admin API does not show the draft: %s", body)
	}
	session, _ := login(t, base, "alice")
	if a := send(t, base, req{method: "GET", path: "/admin/", cookie: session}); !strings.Contains(a.body, marker) {
		t.Errorf("the console's overview does not show the draft: %s", a.body)
	}
}
