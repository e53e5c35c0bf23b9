package monitor

import (
	"testing"
	"time"

	"github.com/outpost-status/outpost/store"
)

// TestBlindMonitorStillJudgesPushChecks: while every self-check target
// fails, probed checks read unknown and open nothing, but a push check
// still misses, goes down, shows down, counts as down and opens a draft
// for its component of push checks only.
func TestBlindMonitorStillJudgesPushChecks(t *testing.T) {
	h := newHarness(t, pushSpec(true))
	h.push(Push{}, 0)
	h.pass("web/home", 1)
	h.setSelfDown(true)
	h.m.setBlind(true)
	h.fail("web/home", 3)
	h.waitPush(time.Hour + 5*time.Minute)
	h.waitPush(time.Hour)
	if !h.m.Blind() {
		t.Fatal("not blind")
	}
	for _, s := range h.m.Snapshot() {
		want := StateUnknown
		if s.Key == pushKey {
			want = StateDown
		}
		if s.State != want {
			t.Errorf("%s reads %s while blind, want %s", s.Key, s.State, want)
		}
	}
	if s := statusOf(h.m, "backup"); s != MajorOutage {
		t.Errorf("backup = %s", s)
	}
	inc := h.only()
	if len(inc.Components) != 1 || inc.Components[0] != "backup" {
		t.Errorf("the draft covers %v, want backup only", inc.Components)
	}
	now := h.clock.Now()
	if st, _ := h.hist.stateAt(store.CheckSubject(pushKey), now); st != store.StateDown {
		t.Errorf("push check time counts as %s while blind, want down", st)
	}
	if st, _ := h.hist.stateAt(store.ComponentSubject("backup"), now); st != store.StateDown {
		t.Errorf("its component counts as %s, want down", st)
	}
	if st, _ := h.hist.stateAt(store.CheckSubject("web/home"), now); st != store.StateUnknown {
		t.Errorf("a probed check counts as %s while blind, want unknown", st)
	}
	h.push(Push{}, time.Minute)
	h.push(Push{}, time.Minute)
	if inc := h.only(); inc.RecoveredAt.IsZero() {
		t.Error("the push component's draft did not see the recovery while blind")
	}
}

// TestPushChecksAreNotProbed: the scheduler queues probed checks only,
// and a check a reload turns into a push check leaves the queue.
func TestPushChecksAreNotProbed(t *testing.T) {
	h := newHarness(t, pushSpec(false))
	s := newScheduler(h.m, h.clock)
	s.addNew(h.clock.Now())
	if s.scheduled[pushKey] || s.queue.Len() != 3 {
		t.Errorf("queued %d checks, push check scheduled: %v", s.queue.Len(), s.scheduled[pushKey])
	}
	spec := pushSpec(false)
	spec.Checks[2].Target = spec.Checks[3].Target
	spec.Checks[2].Fingerprint = "now-push"
	h.m.Reload(spec.Spec)
	if _, ok := s.next(completion{entry: dueEntry{key: "web/home", due: h.clock.Now()}, ran: true, passed: true}); ok {
		t.Error("a check turned into a push check is still probed")
	}
}
