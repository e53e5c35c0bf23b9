package monitor

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/outpost-status/outpost/probe"
	"github.com/outpost-status/outpost/store"
)

const pushKey = "backup/nightly"

// pushSpec is testSpec plus a component "backup" with one push check:
// pushes every hour, 5 minutes of grace, down after two failed results,
// up again after two passing pushes, degraded above 10 minutes of run.
func pushSpec(selfCheck bool) testSetup {
	spec := testSpec("en", selfCheck)
	tg, err := probe.NewTarget("push:", probe.Options{DegradedLatency: 10 * time.Minute})
	if err != nil {
		panic(err)
	}
	c := Check{Key: pushKey, ID: "nightly", Name: "Nightly", Component: "backup", Target: tg, Interval: time.Hour,
		RetryInterval: 5 * time.Minute, Thresholds: Thresholds{FailAfter: 2, RecoverAfter: 2},
		PushToken: "0123456789abcdef", Fingerprint: "p1"}
	spec.Checks = append(spec.Checks, c)
	spec.Components = append(spec.Components, Component{ID: "backup", Name: "Backups", Checks: []string{pushKey}})
	return spec
}

// push sends one push, then moves the clock on by step.
func (h *harness) push(p Push, step time.Duration) State {
	h.t.Helper()
	st, err := h.m.Push(context.Background(), pushKey, p)
	if err != nil {
		h.t.Fatal(err)
	}
	h.clock.Advance(step)
	return st
}

// waitPush advances the clock by d and runs what the tick loop runs.
func (h *harness) waitPush(d time.Duration) {
	h.wait(d)
	h.m.pushDeadlines(context.Background(), h.clock.Now())
}

func (h *harness) pushState() CheckState {
	h.t.Helper()
	for _, s := range h.m.Snapshot() {
		if s.Key == pushKey {
			return s.CheckState
		}
	}
	h.t.Fatalf("no check %s", pushKey)
	return CheckState{}
}

// TestMissedPushOpensADraft: no push within interval + retry_interval is
// a failed result at that deadline, then one every interval; fail_after
// of them take the check down, its component into major outage, and
// open a draft that starts at the first miss.
func TestMissedPushOpensADraft(t *testing.T) {
	h := newHarness(t, pushSpec(false))
	h.waitPush(time.Hour + 4*time.Minute)
	if st := h.pushState(); st.Last != nil || st.State != StateUnknown {
		t.Fatalf("before the deadline: %+v", st)
	}
	h.waitPush(time.Minute)
	st := h.pushState()
	firstMiss := t0.Add(time.Hour + 5*time.Minute)
	if st.Last == nil || st.Last.Class != probe.ClassMissed || st.Last.Message != "no push within 1h5m" || !st.Last.Start.Equal(firstMiss) {
		t.Fatalf("first miss: %+v", st.Last)
	}
	if st.State != StateUnknown || st.Fails != 1 || len(h.incidents()) != 0 {
		t.Fatalf("one miss of fail_after 2: state %s, fails %d, %d incidents", st.State, st.Fails, len(h.incidents()))
	}
	if !st.PushDue.Equal(firstMiss.Add(time.Hour)) {
		t.Errorf("next deadline %s, want an interval after the first miss", st.PushDue)
	}
	h.waitPush(time.Hour)
	st = h.pushState()
	if st.State != StateDown || st.Last.Message != "no push within 2h5m" {
		t.Fatalf("second miss: state %s, %q", st.State, st.Last.Message)
	}
	if s := statusOf(h.m, "backup"); s != MajorOutage {
		t.Errorf("backup = %s, want major_outage", s)
	}
	inc := h.only()
	if inc.State != store.IncidentDraft || inc.Components[0] != "backup" || !inc.StartedAt.Equal(firstMiss) {
		t.Errorf("draft %+v, want one for backup started at the first miss", inc)
	}
	if st, _ := h.hist.stateAt(store.CheckSubject(pushKey), h.clock.Now()); st != store.StateDown {
		t.Errorf("the check's time counts as %s, want down", st)
	}
}

// TestRegularPushesKeepTheCheckUp: pushes within the grace keep the check
// up and no miss is ever recorded.
func TestRegularPushesKeepTheCheckUp(t *testing.T) {
	h := newHarness(t, pushSpec(false))
	for range 6 {
		h.waitPush(time.Hour + 3*time.Minute) // a slow cron: late, within retry_interval
		if st := h.push(Push{Message: "ok"}, 0); st != StateUp {
			t.Fatalf("state after a push: %s", st)
		}
	}
	st := h.pushState()
	if st.State != StateUp || st.Fails != 0 || st.Last.Message != "ok" || st.Last.Outcome != probe.Up {
		t.Errorf("after regular pushes: %+v", st)
	}
	if !st.PushDue.Equal(h.clock.Now().Add(time.Hour + 5*time.Minute)) {
		t.Errorf("deadline %s, want interval + retry_interval after the last push", st.PushDue)
	}
}

// TestLatePushRecovers: a check down for missed pushes comes back after
// recover_after pushes, and the engine proposes the resolution.
func TestLatePushRecovers(t *testing.T) {
	h := newHarness(t, pushSpec(false))
	h.waitPush(time.Hour + 5*time.Minute)
	h.waitPush(time.Hour)
	if st := h.pushState().State; st != StateDown {
		t.Fatalf("after two misses: %s", st)
	}
	if st := h.push(Push{}, time.Minute); st != StateDown {
		t.Errorf("after one late push: %s, want still down (recover_after 2)", st)
	}
	if st := h.push(Push{}, time.Minute); st != StateUp {
		t.Errorf("after two: %s, want up", st)
	}
	if s := statusOf(h.m, "backup"); s != Operational {
		t.Errorf("backup = %s", s)
	}
	if inc := h.only(); inc.RecoveredAt.IsZero() {
		t.Errorf("the draft was not marked recovered: %+v", inc)
	}
}

// TestPushedDownAndMissedCountTogether: status=down is a failed result
// with the job's message, and fail_after counts it with a miss.
func TestPushedDownAndMissedCountTogether(t *testing.T) {
	h := newHarness(t, pushSpec(false))
	if st := h.push(Push{Down: true, Message: "disk full\n\x1b[31m"}, 0); st != StateUnknown {
		t.Fatalf("one failure of fail_after 2: %s", st)
	}
	st := h.pushState()
	if st.Last.Class != probe.ClassPushed || st.Last.Message != "disk full [31m" || st.Last.Outcome != probe.Down {
		t.Errorf("down push: %+v", st.Last)
	}
	h.waitPush(time.Hour + 5*time.Minute)
	if st := h.pushState(); st.State != StateDown || st.Fails != 2 {
		t.Errorf("a down push and a miss: %s with %d fails", st.State, st.Fails)
	}
	if h.push(Push{Down: true}, 0); h.pushState().Last.Message != "the job reported down" {
		t.Errorf("down push without msg: %q", h.pushState().Last.Message)
	}
}

// TestSlowJobIsDegraded: a pushed duration above degraded_latency is
// degraded, with a message saying why.
func TestSlowJobIsDegraded(t *testing.T) {
	h := newHarness(t, pushSpec(false))
	if st := h.push(Push{Duration: 11 * time.Minute}, 0); st != StateDegraded {
		t.Fatalf("state %s, want degraded", st)
	}
	last := h.pushState().Last
	if last.Class != probe.ClassLatency || last.Duration != 11*time.Minute || last.Message != "the job took 11m, more than degraded_latency 10m" {
		t.Errorf("result %+v", last)
	}
	if st := h.push(Push{Duration: 9 * time.Minute}, 0); st != StateUp {
		t.Errorf("a faster run: %s", st)
	}
	if s := statusOf(h.m, "backup"); s != Operational {
		t.Errorf("backup = %s", s)
	}
}

// TestPushDeadlineAfterRestartAndReload: after a restart the first
// deadline counts from the start (the time stopped is unknown, as
// usual); a reload that changes only the token keeps the deadline.
func TestPushDeadlineAfterRestartAndReload(t *testing.T) {
	h := newHarness(t, pushSpec(false))
	h.push(Push{}, 0)
	h.hist.heartbeat = h.clock.Now()
	h.hist.open = map[store.Subject]store.Interval{store.CheckSubject(pushKey): {State: store.StateUp, Start: t0}}
	stopped := h.clock.Now()
	h.clock.Advance(3 * time.Hour)
	h.restart()
	started := h.clock.Now()
	if st, _ := h.hist.stateAt(store.CheckSubject(pushKey), stopped.Add(time.Hour)); st != store.StateUnknown {
		t.Errorf("the time stopped counts as %s", st)
	}
	if due := h.pushState().PushDue; !due.Equal(started.Add(time.Hour + 5*time.Minute)) {
		t.Errorf("first deadline after the restart %s, want start + 1h5m", due)
	}
	h.waitPush(10 * time.Minute)
	if h.pushState().Last != nil {
		t.Error("a miss was recorded for the time the daemon was stopped")
	}
	h.push(Push{}, 0)
	due := h.pushState().PushDue
	spec := pushSpec(false)
	spec.Checks[3].PushToken = "fedcba9876543210" // same fingerprint: only the token changed
	h.m.Reload(spec.Spec)
	if st := h.pushState(); st.State != StateUp || !st.PushDue.Equal(due) {
		t.Errorf("after a new token: %s due %s, want up due %s", st.State, st.PushDue, due)
	}
	if tok, ok := h.m.PushToken(pushKey); !ok || tok.Reveal() != "fedcba9876543210" {
		t.Errorf("token after the reload: %v %v", tok, ok)
	}
}

// TestTickLoopWakesForPushDeadlines: the loop sleeps until the deadline
// (not a TickInterval) and records the miss then.
func TestTickLoopWakesForPushDeadlines(t *testing.T) {
	h := newHarness(t, pushSpec(false))
	h.m.opts.TickInterval = 24 * time.Hour
	if got := h.m.untilNext(h.m.read()); got != time.Hour+5*time.Minute {
		t.Fatalf("sleeps %s, want until the push deadline", got)
	}
	h.runTicks()
	h.clock.waitArmed(t, time.Hour+5*time.Minute)
	h.clock.Advance(time.Hour + 5*time.Minute)
	h.clock.waitArmed(t, 2*time.Hour+5*time.Minute) // the next miss is planned
	if last := h.pushState().Last; last == nil || last.Class != probe.ClassMissed {
		t.Errorf("after the deadline: %+v", last)
	}
}

// TestPushToUnknownCheck: only push checks take pushes.
func TestPushToUnknownCheck(t *testing.T) {
	h := newHarness(t, pushSpec(false))
	for _, key := range []string{"backup/other", "web/home", ""} {
		if _, err := h.m.Push(context.Background(), key, Push{}); !errors.Is(err, ErrNoPushCheck) {
			t.Errorf("Push(%q) = %v, want ErrNoPushCheck", key, err)
		}
		if _, ok := h.m.PushToken(key); ok {
			t.Errorf("PushToken(%q) found a token", key)
		}
	}
}

func TestCleanPushMessage(t *testing.T) {
	long := strings.Repeat("ä", 200)
	cases := []struct{ name, in, want string }{
		{"plain", "backup ok: 12 GB", "backup ok: 12 GB"},
		{"line breaks and tabs", "one\r\ntwo\tthree", "one two three"},
		{"escape sequences", "\x1b[2Jred\x07", "[2Jred"},
		{"bidi override", "abc\u202edef", "abc def"},
		{"invalid utf-8", "a\xffb", "a\uFFFDb"},
		{"spaces", "  a   b  ", "a b"},
		{"nul", "a\x00b", "a b"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := CleanPushMessage(tc.in); got != tc.want {
				t.Errorf("CleanPushMessage(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	got := CleanPushMessage(long)
	if len(got) > maxPushMessage || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
		t.Errorf("a long message: %d bytes, valid %v, %q", len(got), utf8.ValidString(got), got[len(got)-8:])
	}
}

func FuzzCleanPushMessage(f *testing.F) {
	for _, s := range []string{"ok", "a\nb", "\xff\xfe", strings.Repeat("x", 300), "\u202e\u200b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := CleanPushMessage(in)
		if len(out) > maxPushMessage || !utf8.ValidString(out) {
			t.Fatalf("CleanPushMessage(%q) = %q", in, out)
		}
		if strings.ContainsFunc(out, func(r rune) bool { return r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) }) {
			t.Fatalf("control character left in %q", out)
		}
		if CleanPushMessage(out) != out && !strings.HasSuffix(out, "…") {
			t.Fatalf("not idempotent: %q", out)
		}
	})
}
