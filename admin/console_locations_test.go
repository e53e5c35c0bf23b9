package admin

import (
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/monitor"
)

// located is the console's monitor with two peers: ams answers, par
// never did.
type located struct{ *monitor.Monitor }

func (located) PeerStatus() []monitor.PeerStatus {
	return []monitor.PeerStatus{{Peer: "ams", Up: true, LastAnswer: time.Date(2026, 12, 2, 2, 59, 0, 0, time.UTC)},
		{Peer: "par"}}
}

func (located) LocationVerdicts(key string) []monitor.LocationVerdict {
	return []monitor.LocationVerdict{{ID: "fra", State: monitor.StateDown}, {ID: "ams", State: monitor.StateUp}}
}

// TestConsoleOverviewShowsLocations: with peers the overview lists them
// with their last answer and each location's verdict beside each check;
// without, it shows neither.
func TestConsoleOverviewShowsLocations(t *testing.T) {
	e := newConsoleEnv(t, testPage)
	id, _ := e.login(t, "alice")
	plain := e.send(t, req{method: "GET", path: "/admin/", cookie: id}).body
	if strings.Contains(plain, `id="locations"`) || strings.Contains(plain, "Locations:") {
		t.Errorf("an outpost without peers shows locations:\n%s", plain)
	}
	e.api.opts.Monitor = located{e.mon}
	page := e.send(t, req{method: "GET", path: "/admin/", cookie: id}).body
	for _, want := range []string{
		`<h2 id="locations">Locations</h2>`,
		`<td data-label="Location">ams</td><td data-label="State" class="state-up">answers</td><td data-label="Last answer">Dec 2, 2026, 02:59 UTC</td>`,
		`<td data-label="Location">par</td><td data-label="State" class="state-down">does not answer</td><td data-label="Last answer">never</td>`,
		`Locations: fra <span class="state-down">down</span> · ams <span class="state-up">up</span>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(page[strings.Index(page, `id="locations"`):])
	}
}
