package incident

import (
	"reflect"
	"slices"
	"testing"

	"github.com/outpost-status/outpost/store"
)

// withoutIDs blanks what the store assigns (update ids), so a preview
// compares with the stored incident.
func withoutIDs(inc store.Incident) store.Incident {
	inc.Updates = slices.Clone(inc.Updates)
	for k := range inc.Updates {
		inc.Updates[k].ID = 0
	}
	return inc
}

// TestPreviewsAreWhatTheOperationsStore: each preview is the incident the
// operation then stores, and previewing changes nothing.
func TestPreviewsAreWhatTheOperationsStore(t *testing.T) {
	const actor = "console:Ada"
	tests := []struct {
		name    string
		preview func(h *harness, inc store.Incident) store.Incident
		do      func(h *harness, id uint64) (store.Incident, error)
	}{
		{"update", func(h *harness, inc store.Incident) store.Incident {
			return AsUpdated(inc, store.StatusMonitoring, "A fix is in place.", actor, h.now)
		}, func(h *harness, id uint64) (store.Incident, error) {
			return h.e.AddUpdate(id, store.StatusMonitoring, "A fix is in place.", actor)
		}},
		{"update to resolved", func(h *harness, inc store.Incident) store.Incident {
			return AsUpdated(inc, store.StatusResolved, "Fixed.", actor, h.now)
		}, func(h *harness, id uint64) (store.Incident, error) {
			return h.e.AddUpdate(id, store.StatusResolved, "Fixed.", actor)
		}},
		{"resolve with the proposal", func(h *harness, inc store.Incident) store.Incident {
			return h.e.AsResolved(inc, "", actor, h.now)
		}, func(h *harness, id uint64) (store.Incident, error) {
			return h.e.ResolveIncident(id, "", actor)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newPublished(t)
			h.recover("web") // the engine proposes a resolution (a draft update)
			inc := h.only()
			before := withoutIDs(inc)
			preview := tt.preview(h, inc)
			if !reflect.DeepEqual(withoutIDs(inc), before) {
				t.Fatal("the preview changed the incident it was given")
			}
			stored, err := tt.do(h, inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := withoutIDs(preview), withoutIDs(stored); !reflect.DeepEqual(got, want) {
				t.Errorf("preview differs from what was stored\npreview: %+v\nstored:  %+v", got, want)
			}
		})
	}
}

func TestAsPublishedIsWhatPublishStores(t *testing.T) {
	h := newHarness(t, testSettings("en"), nil)
	h.fail("web", true)
	inc := h.only()
	preview := AsPublished(inc, "", "Edited text.", "console:Ada", h.now)
	stored, err := h.e.PublishIncident(inc.ID, "", "Edited text.", "console:Ada")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := withoutIDs(preview), withoutIDs(stored); !reflect.DeepEqual(got, want) {
		t.Errorf("preview differs from what was stored\npreview: %+v\nstored:  %+v", got, want)
	}
	if got := h.e.ProposedResolution(stored); got == "" {
		t.Error("no standard resolution text")
	}
}
