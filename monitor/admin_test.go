package monitor

import (
	"errors"
	"testing"

	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/store"
)

func TestAdminLifecycle(t *testing.T) {
	h := newHarness(t, testSpec("en", false))
	h.fail("web/home", 3)
	id := h.only().ID
	title := "Website slow to load"
	inc, err := h.engine.EditIncident(id, incident.Edit{Name: &title}, "alice")
	if err != nil || inc.Name != title || !inc.Edited {
		t.Fatalf("edit: %+v %v", inc, err)
	}
	h.fail("telephony/sip-udp", 3) // joins; the edited title stays
	if inc := h.only(); inc.Name != title || len(inc.Components) != 2 {
		t.Fatalf("engine rewrote an edited draft: %+v", inc)
	}
	if _, err := h.engine.ResolveIncident(id, "", "alice"); !errors.Is(err, incident.ErrBadState) {
		t.Errorf("resolving a draft: %v", err)
	}
	inc, err = h.engine.PublishIncident(id, store.StatusIdentified, "", "alice")
	if err != nil || inc.State != store.IncidentPublished || inc.Status != store.StatusIdentified || !inc.Public() {
		t.Fatalf("publish: %+v %v", inc, err)
	}
	if _, err := h.engine.PublishIncident(id, "", "", "alice"); !errors.Is(err, incident.ErrBadState) {
		t.Errorf("publishing twice: %v", err)
	}
	inc, err = h.engine.AddUpdate(id, store.StatusMonitoring, "A fix is in place.", "bob")
	if err != nil || inc.Status != store.StatusMonitoring || len(inc.Updates) != 2 {
		t.Fatalf("update: %+v %v", inc, err)
	}
	inc, err = h.engine.ResolveIncident(id, "", "bob")
	if err != nil || inc.State != store.IncidentResolved || inc.Updates[len(inc.Updates)-1].Body == "" {
		t.Fatalf("resolve: %+v %v", inc, err)
	}
}

func TestDiscardAndManualIncident(t *testing.T) {
	h := newHarness(t, testSpec("en", false))
	h.fail("web/home", 3)
	id := h.only().ID
	inc, err := h.engine.DiscardIncident(id, "alice")
	if err != nil || inc.State != store.IncidentDiscarded || inc.Public() {
		t.Fatalf("discard: %+v %v", inc, err)
	}
	manual, err := h.engine.CreateIncident(store.Incident{Name: "Planned phone number migration", Body: "Details", Impact: "minor",
		Components: []string{"telephony"}}, true, "alice")
	if err != nil || manual.State != store.IncidentPublished || manual.Auto {
		t.Fatalf("manual: %+v %v", manual, err)
	}
	h.fail("telephony/sip-udp", 3) // covered by the manual incident
	if n := len(h.incidents()); n != 2 {
		t.Errorf("got %d incidents, want the discarded and the manual one", n)
	}
}
