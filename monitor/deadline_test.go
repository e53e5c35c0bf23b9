package monitor

import (
	"testing"
	"time"

	"github.com/outpost-status/outpost/probe"
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

// While probes are stored, a result carries the heartbeat (with a
// buffered store, in the same transaction) and has the tick loop plan
// from it: an idle daemon does not wake, nor commit, for a heartbeat of
// its own. Without stored results the tick writes it, as before.
func TestStoredResultsCarryTheHeartbeat(t *testing.T) {
	h := newHarness(t, testSpec("en", false))
	h.m.opts.TickInterval = 30 * time.Second
	var stored int
	h.m.opts.Sink = sinkFunc(func(store.Result) { stored++ })
	t0 := h.clock.Now()
	for range 6 { // t0 .. t0+15s
		h.probe("web/home", probe.Up, 3*time.Second)
	}
	if got := h.hist.heartbeat; !got.Equal(t0.Add(15 * time.Second)) {
		t.Errorf("heartbeat at %s, want with the result at t0+15s (half a TickInterval)", got.Sub(t0))
	}
	select {
	case <-h.m.rearm:
	default:
		t.Error("a result's heartbeat did not wake the tick loop to plan again")
	}
	if got := h.m.untilNext(h.m.read()); got != 27*time.Second {
		t.Errorf("after it the tick loop sleeps %s, want 27s (30s from that heartbeat)", got)
	}
	for range 5 { // t0+18s .. t0+30s
		h.probe("web/home", probe.Up, 3*time.Second)
	}
	if got := h.hist.heartbeat; !got.Equal(t0.Add(30 * time.Second)) {
		t.Errorf("heartbeat at %s, want t0+30s", got.Sub(t0))
	}
	if stored != 11 {
		t.Errorf("stored %d results, want 11", stored)
	}

	// No sink, no heartbeat with results: the tick writes it.
	h.m.opts.Sink = nil
	beat := h.hist.heartbeat
	for range 10 {
		h.probe("web/home", probe.Up, 3*time.Second)
	}
	if !h.hist.heartbeat.Equal(beat) {
		t.Errorf("results not stored moved the heartbeat to %s", h.hist.heartbeat.Sub(t0))
	}
	h.wait(0)
	if got := h.hist.heartbeat; !got.Equal(h.clock.Now()) {
		t.Errorf("the tick wrote no heartbeat: last at %s, now %s", got.Sub(t0), h.clock.Now().Sub(t0))
	}
}
