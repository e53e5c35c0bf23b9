package monitor

import (
	"context"
	"testing"
	"time"

	"github.com/outpost-status/outpost/probe"
)

// Without targets the self-check loop reports "not blind" once and arms
// no timer; given targets it probes every interval.
func TestSelfCheckLoopSleepsWithoutTargets(t *testing.T) {
	clock := &fakeClock{now: t0}
	rounds := 0
	prober := probe.ProberFunc(func(context.Context, probe.Target) probe.Result {
		rounds++ // one target: rounds do not overlap
		return probe.Result{Outcome: probe.Up}
	})
	s := newSelfChecker(prober, clock, SelfCheck{})
	verdicts := make(chan bool)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.loop(ctx, func(blind bool) { verdicts <- blind }) }()
	defer func() { cancel(); <-done }()
	if <-verdicts {
		t.Fatal("blind without targets")
	}
	if p := clock.pending(); len(p) != 0 {
		t.Errorf("timers armed without targets: %v", p)
	}
	target, _ := probe.ParseTarget("dns://127.0.0.1/example.com")
	s.setSpec(SelfCheck{Targets: []probe.Target{target}, Interval: 30 * time.Second, Timeout: time.Second})
	<-verdicts
	clock.waitArmed(t, 30*time.Second)
	clock.Advance(30 * time.Second)
	<-verdicts
	clock.waitArmed(t, 60*time.Second)
	if rounds != 2 {
		t.Errorf("%d rounds, want 2", rounds)
	}
}
