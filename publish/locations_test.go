package publish

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/monitor"
)

// locatedChecks is a monitor with peers: it knows each location's verdict.
type locatedChecks struct{ fakeChecks }

func (locatedChecks) LocationVerdicts(key string) []monitor.LocationVerdict {
	if key != "web/home" {
		return nil
	}
	at := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	return []monitor.LocationVerdict{{ID: "fra", Name: "Frankfurt", State: monitor.StateDown, Time: at},
		{ID: "ams", Name: "Amsterdam", State: monitor.StateUp, Time: at},
		{ID: "par", Name: "par", State: monitor.StateUnknown, Time: at, Error: "no answer within 5s"}}
}

// TestChecksJSONLocations: on a publisher with peers, checks.json lists
// each location's last verdict under each check; without, no field.
func TestChecksJSONLocations(t *testing.T) {
	srv := httptest.NewServer(NewServer(ServerOptions{Monitor: locatedChecks{testChecks(t)}}).Handler())
	defer srv.Close()
	_, body := get(t, srv.URL+"/api/v1/checks.json")
	var doc struct {
		Checks []struct {
			Key       string `json:"key"`
			Locations []struct {
				ID, Name, State, Time, Error string
			} `json:"locations"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	locs := doc.Checks[0].Locations
	if len(locs) != 3 || locs[0].ID != "fra" || locs[0].State != "down" || locs[1].State != "up" ||
		locs[0].Time != "2026-11-24T03:00:00Z" || locs[2].Error == "" {
		t.Errorf("locations of web/home = %+v\n%s", locs, body)
	}
	if doc.Checks[1].Locations != nil {
		t.Errorf("a check without verdicts lists %+v", doc.Checks[1].Locations)
	}
	_, plain := get(t, newTestServer(t).URL+"/api/v1/checks.json")
	if strings.Contains(plain, `"locations"`) {
		t.Errorf("checks.json without peers has a locations field: %s", plain)
	}
}

// TestConfirmerServesNoPublicStatus: a confirmer's server answers
// checks.json, /metrics and /healthz, but no page or Statuspage
// document: only the publisher shows customers a status.
func TestConfirmerServesNoPublicStatus(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "outpost_blind 0\n") })
	srv := httptest.NewServer(NewServer(ServerOptions{Monitor: testChecks(t), Metrics: metrics, Confirmer: true}).Handler())
	defer srv.Close()
	for path, want := range map[string]int{
		"/api/v1/checks.json": 200, "/metrics": 200, "/healthz": 200,
		"/": 404, "/api/v2/summary.json": 404, "/api/v2/components.json": 404, "/history": 404,
		"/history.atom": 404, "/badge/web.svg": 404, "/api/v1/availability.json": 404,
	} {
		if resp, _ := get(t, srv.URL+path); resp.StatusCode != want {
			t.Errorf("GET %s on a confirmer: %d, want %d", path, resp.StatusCode, want)
		}
	}
}
