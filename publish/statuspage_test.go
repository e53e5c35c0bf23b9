package publish

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/store"
)

var update = flag.Bool("update", false, "rewrite golden files")

var testNow = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// pageMonitor is a fixed monitor state for public documents.
type pageMonitor struct{ fakeChecks }

func (pageMonitor) Components() []monitor.ComponentState {
	since := testNow.Add(-20 * time.Minute)
	return []monitor.ComponentState{
		{Component: monitor.Component{ID: "telephony", Name: "Telephony", Description: "Calls and SIP trunks"},
			Status: monitor.MajorOutage, Since: since, Position: 1},
		{Component: monitor.Component{ID: "web", Name: "Website"}, Status: monitor.Operational,
			Since: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Position: 2},
	}
}

// Snapshot agrees with Components: telephony's only check is down (the
// shared fixture leaves it unknown, which would show "No data").
func (m pageMonitor) Snapshot() []monitor.CheckStatus {
	out := slices.Clone(m.fakeChecks)
	for i := range out {
		if out[i].Component == "telephony" {
			out[i].State = monitor.StateDown
		}
	}
	return out
}

func (pageMonitor) Maintenance() []monitor.MaintenanceWindow {
	return []monitor.MaintenanceWindow{
		{ID: "sbc", Components: []string{"telephony"}, Start: testNow.Add(24 * time.Hour), End: testNow.Add(26 * time.Hour),
			Title: "SBC upgrade", Body: "Calls may drop briefly."},
		{ID: "old", Components: []string{"web"}, Start: testNow.Add(-48 * time.Hour), End: testNow.Add(-47 * time.Hour), Title: "CMS update"},
	}
}

const draftMarker = "SECRET-DRAFT-7f3a9"

// testIncidents has one of every kind; only published text may be public.
func testIncidents() fakeIncidents {
	t := func(min int) time.Time { return testNow.Add(time.Duration(min) * time.Minute) }
	return fakeIncidents{
		{ID: 4, State: store.IncidentDraft, Name: draftMarker + " title", Body: draftMarker + " body", Impact: "major",
			Components: []string{"web"}, StartedAt: t(-5), CreatedAt: t(-5)},
		{ID: 3, State: store.IncidentPublished, Status: store.StatusIdentified, Name: "Telephony unavailable", Impact: "major",
			Components: []string{"telephony"}, StartedAt: t(-22), CreatedAt: t(-20), PublishedAt: t(-18), RecoveredAt: t(-1),
			Updates: []store.IncidentUpdate{
				{ID: 1, Status: store.StatusInvestigating, Body: "Calls may fail to connect.", CreatedAt: t(-18)},
				{ID: 2, Status: store.StatusIdentified, Body: "We found the cause.", CreatedAt: t(-10)},
				{ID: 3, Status: store.StatusResolved, Body: draftMarker + " proposal", Draft: true, CreatedAt: t(-1)},
			}},
		{ID: 2, State: store.IncidentDiscarded, Name: draftMarker + " discarded", Components: []string{"web"}, CreatedAt: t(-600)},
		{ID: 1, State: store.IncidentResolved, Status: store.StatusResolved, Name: "Website slow", Impact: "minor",
			Components: []string{"web"}, StartedAt: t(-3000), CreatedAt: t(-3000), PublishedAt: t(-2990), ResolvedAt: t(-2900),
			Updates: []store.IncidentUpdate{
				{ID: 1, Status: store.StatusInvestigating, Body: "Pages load slowly.", CreatedAt: t(-2990)},
				{ID: 2, Status: store.StatusMonitoring, Body: "A fix is in place.", CreatedAt: t(-2950)},
				{ID: 3, Status: store.StatusResolved, Body: "All good again.", CreatedAt: t(-2900)},
			}},
	}
}

func newPageServer(t *testing.T) *httptest.Server {
	t.Helper()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewServer(ServerOptions{Monitor: pageMonitor{testChecks(t)}, Incidents: testIncidents(),
		Now:  func() time.Time { return testNow },
		Page: config.Page{Title: "Example Status", URL: "https://status.example.com", Language: "en", Location: berlin}}).Handler())
	t.Cleanup(srv.Close)
	return srv
}

var statuspageDocs = []string{"summary.json", "status.json", "components.json", "incidents.json",
	"incidents/unresolved.json", "scheduled-maintenances.json", "scheduled-maintenances/upcoming.json",
	"scheduled-maintenances/active.json"}

func TestStatuspageGolden(t *testing.T) {
	srv := newPageServer(t)
	for _, doc := range statuspageDocs {
		t.Run(doc, func(t *testing.T) {
			resp, body := get(t, srv.URL+"/api/v2/"+doc)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" ||
				resp.Header.Get("Access-Control-Allow-Origin") != "*" {
				t.Fatalf("status %d headers %v", resp.StatusCode, resp.Header)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, []byte(body), "", "  "); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", strings.ReplaceAll(doc, "/", "_"))
			if *update {
				if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./publish -run Golden -update)", err)
			}
			if !bytes.Equal(pretty.Bytes(), want) {
				t.Errorf("%s differs from %s:\n%s", doc, golden, pretty.String())
			}
		})
	}
}

// Statuspage's key sets; strict clients reject any other key.
var (
	pageKeys        = []string{"id", "name", "url", "time_zone", "updated_at"}
	componentKeys   = []string{"id", "name", "status", "created_at", "updated_at", "position", "description", "showcase", "start_date", "group_id", "page_id", "group", "only_show_if_degraded"}
	incidentKeys    = []string{"id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact", "shortlink", "started_at", "page_id", "incident_updates", "components"}
	updateKeys      = []string{"id", "status", "body", "incident_id", "created_at", "updated_at", "display_at", "affected_components", "deliver_notifications", "custom_tweet", "tweet_id"}
	maintenanceKeys = append(append([]string{}, incidentKeys...), "scheduled_for", "scheduled_until")
)

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func sameKeys(t *testing.T, what string, obj any, want []string) {
	t.Helper()
	m, ok := obj.(map[string]any)
	if !ok {
		t.Fatalf("%s is not an object: %v", what, obj)
	}
	w := append([]string{}, want...)
	sort.Strings(w)
	if got := keysOf(m); !reflect.DeepEqual(got, w) {
		t.Errorf("%s keys = %v, want %v", what, got, w)
	}
}

func TestStatuspageExactKeys(t *testing.T) {
	srv := newPageServer(t)
	for _, doc := range statuspageDocs {
		t.Run(doc, func(t *testing.T) {
			_, body := get(t, srv.URL+"/api/v2/"+doc)
			var top map[string]any
			if err := json.Unmarshal([]byte(body), &top); err != nil {
				t.Fatal(err)
			}
			sameKeys(t, "page", top["page"], pageKeys)
			for key, val := range top {
				list, _ := val.([]any)
				for _, item := range list {
					switch key {
					case "components":
						sameKeys(t, "component", item, componentKeys)
					case "incidents":
						sameKeys(t, "incident", item, incidentKeys)
						checkNested(t, item)
					case "scheduled_maintenances":
						sameKeys(t, "maintenance", item, maintenanceKeys)
						checkNested(t, item)
					}
				}
			}
		})
	}
}

func checkNested(t *testing.T, item any) {
	t.Helper()
	m := item.(map[string]any)
	for _, u := range m["incident_updates"].([]any) {
		sameKeys(t, "incident update", u, updateKeys)
	}
	for _, c := range m["components"].([]any) {
		sameKeys(t, "incident component", c, componentKeys)
	}
}

func TestStatuspageHEADAndDraftsNeverLeak(t *testing.T) {
	srv := newPageServer(t)
	req, _ := http.NewRequest(http.MethodHead, srv.URL+"/api/v2/components.json", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("HEAD components.json: %v %v", resp, err)
	}
	for _, doc := range statuspageDocs {
		if _, body := get(t, srv.URL+"/api/v2/"+doc); strings.Contains(body, draftMarker) {
			t.Errorf("%s leaks draft text", doc)
		}
	}
}
