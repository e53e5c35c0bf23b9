package monitor

import (
	"testing"
	"time"

	"github.com/outpost-status/outpost/store"
)

// The tick loop sleeps until the earliest deadline still ahead; with
// nothing due, for a TickInterval (here an hour). The incident engine's
// deadlines are tested in package incident (TestNextDeadline), the loop
// waking for them by TestTickLoopRunsIncidentTimersOnTime.
func TestTickSleepsUntilTheNextDeadline(t *testing.T) {
	const hour, minute = time.Hour, time.Minute
	type at func(d time.Duration) time.Time // now+d
	cases := []struct {
		name   string
		window func(at) MaintenanceWindow
		want   time.Duration
	}{
		{name: "nothing due", want: hour},
		{name: "a window starts", want: 10 * minute,
			window: func(at at) MaintenanceWindow { return MaintenanceWindow{Start: at(10 * minute), End: at(40 * minute)} }},
		{name: "a window ends", want: 20 * minute,
			window: func(at at) MaintenanceWindow { return MaintenanceWindow{Start: at(-10 * minute), End: at(20 * minute)} }},
		{name: "a window that ended", want: hour,
			window: func(at at) MaintenanceWindow {
				return MaintenanceWindow{Start: at(-40 * minute), End: at(-20 * minute)}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, testSpec("en", false))
			h.m.opts.TickInterval = hour
			now := h.clock.Now()
			rel := func(d time.Duration) time.Time { return now.Add(d) }
			if tc.window != nil {
				w := tc.window(rel)
				w.Components, w.Title = []string{"web"}, "window"
				h.m.maintenance = append(h.m.maintenance, w)
			}
			if got := h.m.untilNext(h.m.read()); got != tc.want {
				t.Errorf("sleeps %s, want %s", got, tc.want)
			}
		})
	}
}

// An admin write makes the loop tick at once, as the engine may have
// something to do with the incident it changed.
func TestAdminWriteTicksAtOnce(t *testing.T) {
	h := newHarness(t, testSpec("en", false))
	h.m.opts.TickInterval = time.Hour
	if _, err := h.engine.CreateIncident(store.Incident{Name: "Upstream trouble", Components: []string{"web"}}, true, "alice"); err != nil {
		t.Fatal(err)
	}
	if got := h.m.untilNext(h.m.read()); got != 0 {
		t.Errorf("after an admin write the loop sleeps %s, want 0", got)
	}
	h.wait(0)
	if got := h.m.untilNext(h.m.read()); got != 30*time.Minute {
		t.Errorf("after that tick it sleeps %s, want remind_after", got)
	}
}

// Incident timers fire on time from the loop, and an admin update moves
// the reminder.
func TestTickLoopRunsIncidentTimersOnTime(t *testing.T) {
	spec := testSpec("en", false)
	spec.Incidents.AutoPublishAfter = 2 * time.Minute
	h := newHarness(t, spec)
	h.m.opts.TickInterval = 24 * time.Hour
	h.fail("web/home", 3) // the draft is opened at the third failure, at 10 s
	opened := t0.Add(10 * time.Second)
	h.runTicks()
	h.clock.waitArmed(t, 130*time.Second)
	if inc := h.only(); inc.State != store.IncidentDraft || !inc.CreatedAt.Equal(opened) {
		t.Fatalf("before auto_publish_after: %+v", inc)
	}
	h.clock.Advance(130*time.Second - h.clock.Monotonic())
	h.clock.waitArmed(t, 130*time.Second+30*time.Minute) // the reminder is next
	inc := h.only()
	if inc.State != store.IncidentPublished || !inc.PublishedAt.Equal(opened.Add(2*time.Minute)) {
		t.Fatalf("auto_publish_after did not fire on time: %+v", inc)
	}
	h.clock.Advance(10 * time.Minute)
	if _, err := h.engine.AddUpdate(inc.ID, store.StatusIdentified, "A disk failed.", "alice"); err != nil {
		t.Fatal(err)
	}
	updated := h.clock.Monotonic()
	h.clock.waitArmed(t, updated+30*time.Minute)
	h.clock.Advance(30 * time.Minute)
	h.clock.waitArmed(t, updated+60*time.Minute)
	if got, want := h.only().RemindedAt, t0.Add(updated+30*time.Minute); !got.Equal(want) {
		t.Errorf("reminded at %s, want %s (remind_after after the update)", got, want)
	}
}
