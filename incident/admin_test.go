package incident

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/outpost-status/outpost/store"
)

func TestAdminLifecycle(t *testing.T) {
	h := newHarness(t, testSettings("en"), nil)
	h.fail("web", true)
	id := h.only().ID
	title := "Website slow to load"
	inc, err := h.e.EditIncident(id, Edit{Name: &title}, "alice")
	if err != nil || inc.Name != title || !inc.Edited {
		t.Fatalf("edit: %+v %v", inc, err)
	}
	h.fail("telephony", false) // joins; the edited title stays
	if inc := h.only(); inc.Name != title || len(inc.Components) != 2 {
		t.Fatalf("engine rewrote an edited draft: %+v", inc)
	}
	if _, err := h.e.ResolveIncident(id, "", "alice"); !errors.Is(err, ErrBadState) {
		t.Errorf("resolving a draft: %v", err)
	}
	inc, err = h.e.PublishIncident(id, store.StatusIdentified, "", "alice")
	if err != nil || inc.State != store.IncidentPublished || inc.Status != store.StatusIdentified || !inc.Public() {
		t.Fatalf("publish: %+v %v", inc, err)
	}
	if _, err := h.e.PublishIncident(id, "", "", "alice"); !errors.Is(err, ErrBadState) {
		t.Errorf("publishing twice: %v", err)
	}
	inc, err = h.e.AddUpdate(id, store.StatusMonitoring, "A fix is in place.", "bob")
	if err != nil || inc.Status != store.StatusMonitoring || len(inc.Updates) != 2 {
		t.Fatalf("update: %+v %v", inc, err)
	}
	inc, err = h.e.ResolveIncident(id, "", "bob")
	if err != nil || inc.State != store.IncidentResolved || inc.Updates[len(inc.Updates)-1].Body == "" {
		t.Fatalf("resolve: %+v %v", inc, err)
	}
}

func TestDiscardAndManualIncident(t *testing.T) {
	h := newHarness(t, testSettings("en"), nil)
	h.fail("web", true)
	id := h.only().ID
	inc, err := h.e.DiscardIncident(id, "alice")
	if err != nil || inc.State != store.IncidentDiscarded || inc.Public() {
		t.Fatalf("discard: %+v %v", inc, err)
	}
	h.wait(10 * time.Minute) // still failing: the discarded draft is not reopened
	manual, err := h.e.CreateIncident(store.Incident{Name: "Planned phone number migration", Body: "Details", Impact: "minor",
		Components: []string{"telephony"}}, true, "alice")
	if err != nil || manual.State != store.IncidentPublished || manual.Auto {
		t.Fatalf("manual: %+v %v", manual, err)
	}
	h.fail("telephony", false) // covered by the manual incident
	if n := len(h.incidents()); n != 2 {
		t.Errorf("got %d incidents, want the discarded and the manual one", n)
	}
}

func TestAdminInputIsValidated(t *testing.T) {
	h := newHarness(t, testSettings("en"), nil)
	empty, bogus := "", "catastrophic"
	tests := []struct {
		name string
		op   func() error
	}{
		{"no name", func() error { _, err := h.e.CreateIncident(store.Incident{}, false, "alice"); return err }},
		{"unknown component", func() error {
			_, err := h.e.CreateIncident(store.Incident{Name: "x", Components: []string{"mail"}}, false, "alice")
			return err
		}},
		{"unknown status", func() error {
			_, err := h.e.CreateIncident(store.Incident{Name: "x", Status: "panicking"}, false, "alice")
			return err
		}},
		{"empty impact", func() error { _, err := h.e.EditIncident(1, Edit{Impact: &empty}, "alice"); return err }},
		{"unknown impact", func() error { _, err := h.e.EditIncident(1, Edit{Impact: &bogus}, "alice"); return err }},
		{"update without body", func() error { _, err := h.e.AddUpdate(1, store.StatusMonitoring, "", "alice"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.op(); !errors.Is(err, ErrInvalid) {
				t.Errorf("got %v, want ErrInvalid", err)
			}
		})
	}
	if n := len(h.incidents()); n != 0 {
		t.Errorf("invalid input stored %d incidents", n)
	}
}

// OnChange's function runs after each stored operation, without the
// engine's lock (it may call the engine), and not after a refused one.
func TestOnChangeRunsAfterStoredOperations(t *testing.T) {
	h := newHarness(t, testSettings("en"), nil)
	calls := 0
	h.e.OnChange(func() {
		calls++
		h.e.NextDeadline(h.now) // would deadlock under the lock
	})
	inc, err := h.e.CreateIncident(store.Incident{Name: "Upstream trouble", Components: []string{"web"}}, true, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.AddUpdate(inc.ID, store.StatusMonitoring, "Better", "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.DiscardIncident(inc.ID, "alice"); !errors.Is(err, ErrBadState) {
		t.Fatalf("discarding a published incident: %v", err)
	}
	h.fail("telephony", true) // the engine's own changes are not reported
	if calls != 2 {
		t.Errorf("OnChange ran %d times, want 2", calls)
	}
}

// Operators' writes, evaluations, reloads and deadline queries may run at
// once (run with -race).
func TestEngineIsSafeForConcurrentUse(t *testing.T) {
	h := newHarness(t, testSettings("en"), nil)
	var mu sync.Mutex // the test's clock and views
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return h.now }
	h.e = New(h.db, Options{Settings: testSettings("en"), Components: testComponents, Now: now})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 50 {
			mu.Lock()
			h.now = h.now.Add(time.Minute)
			at := h.now
			views := map[string]View{"web": {Failing: i%4 < 2, Major: true, FirstFail: at}}
			mu.Unlock()
			if err := h.e.Evaluate(at, views, false); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Go(func() {
		for range 20 {
			inc, err := h.e.CreateIncident(store.Incident{Name: "Manual", Components: []string{"telephony"}}, true, "alice")
			if err != nil {
				t.Error(err)
				return
			}
			name := "Edited"
			if _, err := h.e.EditIncident(inc.ID, Edit{Name: &name}, "bob"); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Go(func() {
		for range 50 {
			h.e.NextDeadline(now())
			h.e.SetComponents(testComponents)
			h.e.SetSettings(testSettings("de"))
		}
	})
	wg.Wait()
	if n := len(h.incidents()); n < 21 {
		t.Errorf("got %d incidents, want the 20 manual ones and the engine's", n)
	}
}
