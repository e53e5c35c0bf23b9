package monitor

import (
	"testing"
	"time"

	"github.com/outpost-status/outpost/probe"
)

func TestNextState(t *testing.T) {
	th := Thresholds{FailAfter: 3, RecoverAfter: 2}
	up := probe.Result{Outcome: probe.Up}
	slow := probe.Result{Outcome: probe.Degraded}
	down := probe.Result{Outcome: probe.Down}
	tests := []struct {
		name    string
		start   State
		results []probe.Result
		want    State
	}{
		{"first pass leaves unknown at once", StateUnknown, []probe.Result{up}, StateUp},
		{"first failures stay unknown below threshold", StateUnknown, []probe.Result{down, down}, StateUnknown},
		{"unknown to down after fail_after", StateUnknown, []probe.Result{down, down, down}, StateDown},
		{"blip shorter than fail_after keeps up", StateUp, []probe.Result{down, down, up}, StateUp},
		{"down after fail_after", StateUp, []probe.Result{down, down, down}, StateDown},
		{"failures must be consecutive", StateUp, []probe.Result{down, down, up, down, down}, StateUp},
		{"one pass does not recover", StateDown, []probe.Result{up}, StateDown},
		{"recover_after passes recover", StateDown, []probe.Result{up, up}, StateUp},
		{"recover into degraded", StateDown, []probe.Result{up, slow}, StateDegraded},
		{"degraded follows result at once", StateUp, []probe.Result{slow}, StateDegraded},
		{"degraded back to up", StateDegraded, []probe.Result{up}, StateUp},
		{"flapping never goes down", StateUp, []probe.Result{down, up, down, up, down, up}, StateUp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := CheckState{State: tt.start}
			now := time.Unix(1000, 0)
			for _, r := range tt.results {
				now = now.Add(time.Second)
				s = nextState(s, r, th, now)
			}
			if s.State != tt.want {
				t.Errorf("state = %s, want %s", s.State, tt.want)
			}
			if s.Last == nil {
				t.Error("Last not set")
			}
		})
	}
}

func TestNextStateSince(t *testing.T) {
	th := Thresholds{FailAfter: 2, RecoverAfter: 1}
	t0 := time.Unix(1000, 0)
	s := nextState(CheckState{State: StateUnknown}, probe.Result{Outcome: probe.Up}, th, t0)
	s = nextState(s, probe.Result{Outcome: probe.Up}, th, t0.Add(time.Second))
	if !s.Since.Equal(t0) {
		t.Errorf("Since moved without a state change: %v", s.Since)
	}
	s = nextState(s, probe.Result{Outcome: probe.Down}, th, t0.Add(2*time.Second))
	s = nextState(s, probe.Result{Outcome: probe.Down}, th, t0.Add(3*time.Second))
	if s.State != StateDown || !s.Since.Equal(t0.Add(3*time.Second)) {
		t.Errorf("down state = %s since %v", s.State, s.Since)
	}
}

func TestStartOffsetSpreadsWithinInterval(t *testing.T) {
	const interval = 10 * time.Second
	buckets := map[time.Duration]int{}
	for i := range 1000 {
		off := startOffset("component/check-"+string(rune('a'+i%26))+time.Duration(i).String(), interval)
		if off < 0 || off >= interval*9/10 {
			t.Fatalf("offset %s outside [0, 90%% of %s)", off, interval)
		}
		buckets[off/time.Second]++
	}
	for sec := range time.Duration(9) {
		if n := buckets[sec]; n < 60 || n > 170 {
			t.Errorf("second %d has %d of 1000 checks; want about 111", sec, n)
		}
	}
}
