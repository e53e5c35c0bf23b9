package monitor

import (
	"testing"
	"time"

	"github.com/outpost-status/outpost/store"
)

// TestClockJumps moves the wall clock forward and back between ticks: each
// jump is recorded as unknown from the last tick, opens no incident, and
// the recorded history yields no negative time or availability.
func TestClockJumps(t *testing.T) {
	jumps := []struct {
		name  string
		steps []time.Duration // clock moves between ticks
	}{
		{name: "forward an hour", steps: []time.Duration{time.Hour}},
		{name: "back ten minutes", steps: []time.Duration{-10 * time.Minute}},
		{name: "forward then back", steps: []time.Duration{time.Hour, -10 * time.Minute}},
		{name: "back then forward", steps: []time.Duration{-10 * time.Minute, time.Hour}},
		{name: "back and forth", steps: []time.Duration{time.Hour, -10 * time.Minute, time.Hour, -10 * time.Minute}},
	}
	subjects := []store.Subject{store.CheckSubject("web/home"), store.CheckSubject("telephony/sip-udp"),
		store.ComponentSubject("web"), store.ComponentSubject("telephony")}
	for _, tc := range jumps {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, testSpec("en", false))
			passAll := func() {
				for _, key := range []string{"web/home", "telephony/sip-udp", "telephony/sip-tls"} {
					h.pass(key, 2)
				}
			}
			passAll()
			for i, step := range tc.steps {
				before := h.clock.Now()
				h.clock.Jump(step)
				h.m.tick(h.m.read(), 0)
				// The gap starts at the last tick before the jump.
				at := before
				if step < 0 {
					at = h.clock.Now()
				}
				for _, subj := range subjects[:1] {
					if st, ok := h.hist.stateAt(subj, at.Add(time.Second)); !ok || (step > 0 && st != store.StateUnknown) {
						t.Errorf("jump %d (%s): %s recorded as %v (found %v) just after the jump, want unknown", i, step, subj, st, ok)
					}
				}
				passAll()
				if st, _ := h.hist.stateAt(store.CheckSubject("web/home"), h.clock.Now()); st != store.StateUp {
					t.Errorf("jump %d: web/home is %v after passing probes, want up", i, st)
				}
			}
			if n := len(h.incidents()); n != 0 {
				t.Errorf("clock jumps opened %d incidents", n)
			}
			for _, c := range h.m.Components() {
				if c.Status != Operational {
					t.Errorf("component %s is %s after the jumps, want operational", c.ID, c.Status)
				}
			}
			// Replay what the monitor recorded into a real store and
			// compute availability over it.
			h.hist.mu.Lock()
			ts := append([]store.Transition(nil), h.hist.ts...)
			h.hist.mu.Unlock()
			if err := h.db.RecordTransitions(ts); err != nil {
				t.Fatal(err)
			}
			now := h.clock.Now().Add(time.Minute)
			wins, err := h.db.Windows(subjects, []time.Duration{time.Hour, 24 * time.Hour}, now, 0.3)
			if err != nil {
				t.Fatal(err)
			}
			for subj, ws := range wins {
				for _, w := range ws {
					s := w.Seconds
					for _, v := range []float64{s.Up, s.Degraded, s.Partial, s.Down, s.Maintenance, s.Unknown} {
						if v < 0 {
							t.Errorf("%s over %s: negative seconds %+v", subj, w.Duration, s)
						}
					}
					if w.Ratio != nil && (*w.Ratio < 0 || *w.Ratio > 1) {
						t.Errorf("%s over %s: availability %v", subj, w.Duration, *w.Ratio)
					}
					if s.Down > 0 {
						t.Errorf("%s over %s: %v s down from clock jumps alone", subj, w.Duration, s.Down)
					}
				}
			}
		})
	}
}
