package publish

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/store"
)

func TestAvailabilityJSON(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// web: up 3 h, down 1 h until now; telephony: no data at all.
	start := testNow.Add(-4 * time.Hour)
	err = db.RecordTransitions([]store.Transition{
		{Subject: store.ComponentSubject("web"), State: store.StateUp, At: start},
		{Subject: store.ComponentSubject("web"), State: store.StateDown, At: start.Add(3 * time.Hour)},
	})
	if err != nil {
		t.Fatal(err)
	}
	avail := AvailabilityOptions{History: db, Windows: []time.Duration{24 * time.Hour, 7 * 24 * time.Hour}, PartialWeight: 0.3}
	srv := newServerWith(t, ServerOptions{Monitor: pageMonitor{testChecks(t)}, Availability: avail})
	_, body := get(t, srv.URL+"/api/v1/availability.json")
	var doc struct {
		Windows    []string `json:"windows"`
		Components []struct {
			ID      string                `json:"id"`
			Windows map[string]windowJSON `json:"windows"`
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if strings.Join(doc.Windows, ",") != "24h,7d" {
		t.Errorf("windows = %v", doc.Windows)
	}
	web := doc.Components[1].Windows["24h"]
	if web.Availability == nil || *web.Availability != 0.75 || *web.UptimePercentage != 75 ||
		web.Seconds.Down != 3600 || web.Seconds.Up != 3*3600 || web.Seconds.Unknown != 20*3600 {
		t.Errorf("web 1d = %+v", web)
	}
	if tel := doc.Components[0].Windows["24h"]; tel.Availability != nil || tel.UptimePercentage != nil {
		t.Errorf("telephony without data = %+v, want null availability", tel)
	}
	_, days := get(t, srv.URL+"/api/v1/components/web/days.json?days=3")
	if !strings.Contains(days, `"days":[`) || strings.Count(days, `"date"`) != 3 {
		t.Errorf("days.json = %s", days)
	}
	for _, bad := range []string{"?days=0", "?days=401", "?days=x"} {
		if resp, _ := get(t, srv.URL+"/api/v1/components/web/days.json"+bad); resp.StatusCode != 400 {
			t.Errorf("days.json%s: %d", bad, resp.StatusCode)
		}
	}
	if resp, _ := get(t, srv.URL+"/api/v1/components/nope/days.json"); resp.StatusCode != 404 {
		t.Errorf("unknown component: %d", resp.StatusCode)
	}
}

// newServerWith serves o with the test defaults filled in.
func newServerWith(t *testing.T, o ServerOptions) *httptestServer {
	t.Helper()
	if o.Now == nil {
		o.Now = func() time.Time { return testNow }
	}
	srv := newHTTPTest(NewServer(o))
	t.Cleanup(srv.Close)
	return srv
}

// A narrow screen shows the last 30 day bars, so the uptime under them is
// over those 30 days, not over the 90 the wide page shows.
func TestUptimeMatchesTheBarsShown(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := testNow.Add(-80 * 24 * time.Hour)
	err = db.RecordTransitions([]store.Transition{
		{Subject: store.ComponentSubject("web"), State: store.StateDown, At: start},
		{Subject: store.ComponentSubject("web"), State: store.StateUp, At: start.Add(8 * 24 * time.Hour)},
	})
	if err != nil {
		t.Fatal(err)
	}
	bars := &historyBars{opts: AvailabilityOptions{History: db, PartialWeight: 0.3}}
	_, ups, err := bars.componentsDays([]string{"web"}, barDays, testNow)
	if err != nil {
		t.Fatal(err)
	}
	all, narrow := ups["web"].all.ratio, ups["web"].narrow.ratio
	if all == nil || narrow == nil || *all > 0.91 || *all < 0.89 || *narrow != 1 {
		t.Errorf("uptime over 90 days %v, over 30 days %v; want 0.9 and 1", deref(all), deref(narrow))
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
