package incident

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/store"
)

// harness drives an Engine as the monitor does, with component views the
// test sets and a clock it moves; incidents go to a real store.
type harness struct {
	t     *testing.T
	now   time.Time
	db    *store.DB
	e     *Engine
	views map[string]View
	blind bool
}

var testComponents = []Component{
	{ID: "telephony", Name: "Telephony", Description: "Calls and SIP trunks"},
	{ID: "web", Name: "Website"},
}

// testSettings are the settings of a test in language lang.
func testSettings(lang string) Settings {
	return Settings{Language: lang, GroupWindow: 5 * time.Minute, RemindAfter: 30 * time.Minute}
}

func newHarness(t *testing.T, s Settings, n Notifier) *harness {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := &harness{t: t, now: t0, db: db, views: map[string]View{}}
	h.e = New(db, Options{Settings: s, Components: testComponents, Notifier: n, Now: func() time.Time { return h.now }})
	if err := h.e.Load(h.now); err != nil {
		t.Fatal(err)
	}
	return h
}

// evaluate runs the engine on the current views.
func (h *harness) evaluate() {
	h.t.Helper()
	if err := h.e.Evaluate(h.now, h.views, h.blind); err != nil {
		h.t.Fatal(err)
	}
}

// fail reports component id in a partial or major outage since now (or
// since it started failing) and evaluates.
func (h *harness) fail(id string, major bool) {
	v := h.views[id]
	if !v.Failing {
		v.FirstFail = h.now
	}
	v.Failing, v.Major = true, major
	h.views[id] = v
	h.evaluate()
}

// recover reports component id operational and evaluates.
func (h *harness) recover(id string) {
	h.views[id] = View{}
	h.evaluate()
}

// wait lets d pass and evaluates, as the monitor's tick does.
func (h *harness) wait(d time.Duration) {
	h.now = h.now.Add(d)
	h.evaluate()
}

func (h *harness) incidents() []store.Incident {
	h.t.Helper()
	incs, err := h.db.Incidents(nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return incs
}

func (h *harness) only() store.Incident {
	h.t.Helper()
	incs := h.incidents()
	if len(incs) != 1 {
		h.t.Fatalf("got %d incidents, want 1: %+v", len(incs), incs)
	}
	return incs[0]
}

func TestOutageOpensOneDraftWorded(t *testing.T) {
	h := newHarness(t, testSettings("en"), nil)
	firstFail := h.now
	h.now = h.now.Add(10 * time.Second)
	h.views["telephony"] = View{Failing: true, FirstFail: firstFail}
	h.evaluate()
	inc := h.only()
	if inc.State != store.IncidentDraft || inc.Impact != "minor" || !inc.Auto || !inc.StartedAt.Equal(firstFail) {
		t.Errorf("draft = %+v (want started at first failure %v)", inc, firstFail)
	}
	if inc.Name != "Telephony partly disrupted" || !strings.Contains(inc.Body, "Calls and SIP trunks") {
		t.Errorf("text = %q / %q", inc.Name, inc.Body)
	}
	h.fail("telephony", true)
	if inc := h.only(); inc.Impact != "major" || inc.Name != "Telephony unavailable" {
		t.Errorf("after major: impact %s name %q", inc.Impact, inc.Name)
	}
	h.wait(time.Minute) // still failing: nothing more
	h.only()
}

func TestComponentsWithinGroupWindowShareIncident(t *testing.T) {
	h := newHarness(t, testSettings("de"), nil)
	h.fail("telephony", false)
	h.now = h.now.Add(2 * time.Minute)
	h.fail("web", true)
	inc := h.only()
	if len(inc.Components) != 2 || inc.Impact != "major" {
		t.Fatalf("components %v impact %s", inc.Components, inc.Impact)
	}
	if inc.Name != "Telephony und Website nicht verfügbar" {
		t.Errorf("German title = %q", inc.Name)
	}
}

func TestComponentsAfterGroupWindowGetOwnIncident(t *testing.T) {
	h := newHarness(t, testSettings("sv"), nil)
	h.fail("telephony", false)
	h.now = h.now.Add(6 * time.Minute)
	h.fail("web", true)
	if n := len(h.incidents()); n != 2 {
		t.Fatalf("got %d incidents, want 2", n)
	}
	if name := h.incidents()[0].Name; name != "Website är inte tillgängligt" {
		t.Errorf("Swedish title = %q", name)
	}
}

// While the monitor is blind nothing opens and no timer fires.
func TestBlindOpensNothingAndStopsTimers(t *testing.T) {
	s := testSettings("en")
	s.AutoPublishAfter = 2 * time.Minute
	h := newHarness(t, s, nil)
	h.blind = true
	h.fail("web", true)
	if n := len(h.incidents()); n != 0 {
		t.Fatalf("blind engine opened %d incidents", n)
	}
	h.blind = false
	h.evaluate()
	h.blind = true
	h.wait(3 * time.Minute)
	if inc := h.only(); inc.State != store.IncidentDraft {
		t.Fatalf("auto_publish_after fired while blind: %s", inc.State)
	}
	h.blind = false
	h.wait(0)
	if inc := h.only(); inc.State != store.IncidentPublished {
		t.Errorf("auto_publish_after after sight returned: %s", inc.State)
	}
}

func TestDraftRecoveredBeforePublicationIsKeptResolved(t *testing.T) {
	h := newHarness(t, testSettings("en"), nil)
	h.fail("web", true)
	h.now = h.now.Add(time.Minute)
	h.recover("web")
	inc := h.only()
	if inc.State != store.IncidentResolved || inc.Public() {
		t.Errorf("recovered draft: state %s public %v", inc.State, inc.Public())
	}
}

// A component failing again within group_window reopens its recovered
// draft instead of opening another.
func TestFlappingReopensItsDraft(t *testing.T) {
	h := newHarness(t, testSettings("en"), nil)
	for range 20 {
		h.fail("web", true)
		h.now = h.now.Add(5 * time.Second)
		h.recover("web")
		h.now = h.now.Add(5 * time.Second)
	}
	if n := len(h.incidents()); n != 1 {
		t.Fatalf("flapping opened %d incidents", n)
	}
}

func TestRecoveryProposesResolutionAndAutoResolve(t *testing.T) {
	s := testSettings("en")
	s.AutoPublishAfter = 2 * time.Minute
	s.AutoResolveAfter = 10 * time.Minute
	h := newHarness(t, s, nil)
	h.fail("web", true)
	h.wait(time.Minute)
	if inc := h.only(); inc.State != store.IncidentDraft {
		t.Fatalf("published before auto_publish_after: %s", inc.State)
	}
	h.wait(2 * time.Minute)
	inc := h.only()
	if inc.State != store.IncidentPublished || inc.Status != store.StatusInvestigating || len(inc.Updates) != 1 {
		t.Fatalf("after auto_publish_after: %+v", inc)
	}
	h.recover("web")
	inc = h.only()
	last := inc.Updates[len(inc.Updates)-1]
	if inc.State != store.IncidentPublished || !last.Draft || last.Status != store.StatusResolved ||
		!strings.Contains(last.Body, "working normally again") {
		t.Fatalf("no proposed resolution: %+v", inc)
	}
	h.wait(5 * time.Minute)
	if h.only().State != store.IncidentPublished {
		t.Fatal("resolved before auto_resolve_after")
	}
	h.wait(6 * time.Minute)
	inc = h.only()
	if inc.State != store.IncidentResolved || inc.Updates[len(inc.Updates)-1].Draft {
		t.Fatalf("after auto_resolve_after: %+v", inc)
	}
}

// newPublished is a harness whose web outage auto_publish_after
// published a minute ago.
func newPublished(t *testing.T) *harness {
	s := testSettings("en")
	s.AutoPublishAfter = time.Second
	h := newHarness(t, s, nil)
	h.fail("web", true)
	h.wait(time.Minute)
	return h
}

func TestRelapseWithdrawsProposal(t *testing.T) {
	h := newPublished(t)
	h.recover("web")
	h.now = h.now.Add(time.Minute)
	h.fail("web", true)
	inc := h.only()
	for _, u := range inc.Updates {
		if u.Draft {
			t.Errorf("draft update left after relapse: %+v", u)
		}
	}
	if !inc.RecoveredAt.IsZero() || inc.State != store.IncidentPublished {
		t.Errorf("after relapse: %+v", inc)
	}
}

func TestReminders(t *testing.T) {
	h := newPublished(t) // auto-published
	h.wait(20 * time.Minute)
	if !h.only().RemindedAt.IsZero() {
		t.Fatal("reminded before remind_after")
	}
	h.wait(15 * time.Minute)
	first := h.only().RemindedAt
	if first.IsZero() {
		t.Fatal("no reminder after remind_after")
	}
	h.wait(10 * time.Minute)
	if !h.only().RemindedAt.Equal(first) {
		t.Error("reminded again before another remind_after")
	}
	audit, _ := h.db.Audit(0)
	actions := map[string]int{}
	for _, a := range audit {
		actions[a.Action]++
	}
	if actions["open"] != 1 || actions["publish"] != 1 || actions["remind"] != 1 {
		t.Errorf("audit actions = %v", actions)
	}
}

// A new engine on the same store (a restart) loads the open incident and
// opens no duplicate.
func TestLoadOpensNoDuplicate(t *testing.T) {
	h := newHarness(t, testSettings("en"), nil)
	h.fail("web", true)
	h.now = h.now.Add(time.Minute)
	h.e = New(h.db, Options{Settings: testSettings("en"), Components: testComponents, Now: func() time.Time { return h.now }})
	if err := h.e.Load(h.now); err != nil {
		t.Fatal(err)
	}
	h.evaluate()
	h.only()
}
