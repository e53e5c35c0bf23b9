package incident

import (
	"testing"
	"time"

	"github.com/outpost-status/outpost/store"
)

// A component the monitor marks sighted (push checks only: blindness
// does not apply to it) opens its draft while the monitor is blind, and
// the draft sees its recovery while blind; other components wait.
func TestSightedComponentActsWhileBlind(t *testing.T) {
	s := testSettings("en")
	s.GroupWindow = 0
	h := newHarness(t, s, nil)
	h.blind = true
	h.views["web"] = View{Failing: true, Major: true, FirstFail: h.now}
	h.views["telephony"] = View{Failing: true, Major: true, FirstFail: h.now, Sighted: true}
	h.evaluate()
	inc := h.only()
	if len(inc.Components) != 1 || inc.Components[0] != "telephony" {
		t.Fatalf("while blind: a draft for %v, want telephony only", inc.Components)
	}
	h.now = h.now.Add(time.Minute)
	h.views["telephony"] = View{Sighted: true}
	h.evaluate()
	if inc := h.only(); inc.RecoveredAt.IsZero() {
		t.Errorf("the sighted draft did not see its recovery while blind: %+v", inc)
	}
	if allSighted(store.Incident{Components: []string{"web"}}, h.views) || allSighted(store.Incident{}, h.views) {
		t.Error("allSighted holds for a component that is not sighted, or for none")
	}
}
