package monitor

import (
	"context"
	"sync"
	"time"

	"github.com/outpost-status/outpost/probe"
)

// SelfCheck lists independent targets (public resolvers, well-known sites)
// that tell whether the monitor itself can see. Empty disables it.
type SelfCheck struct {
	Targets  []probe.Target
	Interval time.Duration // between routine rounds
	Timeout  time.Duration // per probe
}

// confirmFresh is how old a self-check round may be and still confirm an
// outage without probing again.
const confirmFresh = 3 * time.Second

// selfChecker probes the self-check targets in rounds. A round is blind
// when every target fails. Concurrent callers share one round.
type selfChecker struct {
	prober probe.Prober
	clock  Clock

	mu      sync.Mutex
	spec    SelfCheck
	lastAt  time.Time
	blind   bool
	running chan struct{} // closed when the round in progress ends
	changed chan struct{} // tells an idle loop that the spec changed
}

func newSelfChecker(p probe.Prober, c Clock, spec SelfCheck) *selfChecker {
	return &selfChecker{prober: p, clock: c, spec: spec, changed: make(chan struct{}, 1)}
}

func (s *selfChecker) setSpec(spec SelfCheck) {
	s.mu.Lock()
	s.spec = spec
	s.lastAt = time.Time{}
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

func (s *selfChecker) enabled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.spec.Targets) > 0
}

// confirm returns whether the monitor is blind, probing now unless a round
// finished within confirmFresh.
func (s *selfChecker) confirm(ctx context.Context) bool {
	s.mu.Lock()
	if len(s.spec.Targets) == 0 {
		s.mu.Unlock()
		return false
	}
	if !s.lastAt.IsZero() && s.clock.Now().Sub(s.lastAt) < confirmFresh {
		defer s.mu.Unlock()
		return s.blind
	}
	s.mu.Unlock()
	return s.round(ctx)
}

// round probes every target once (joining a round already in progress).
func (s *selfChecker) round(ctx context.Context) bool {
	s.mu.Lock()
	if wait := s.running; wait != nil {
		s.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.blind
	}
	done := make(chan struct{})
	s.running = done
	spec := s.spec
	s.mu.Unlock()

	results := make(chan bool, len(spec.Targets))
	for _, t := range spec.Targets {
		go func() {
			pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), spec.Timeout)
			defer cancel()
			results <- s.prober.Probe(pctx, t).Outcome.Passed()
		}()
	}
	blind := len(spec.Targets) > 0
	for range spec.Targets {
		if <-results {
			blind = false
		}
	}
	s.mu.Lock()
	s.blind, s.lastAt, s.running = blind, s.clock.Now(), nil
	s.mu.Unlock()
	close(done)
	return blind
}

// loop runs a round every interval and reports the verdict to set.
// Without targets it reports "not blind" once and sleeps until the spec
// changes: an idle monitor should not wake for nothing.
func (s *selfChecker) loop(ctx context.Context, set func(blind bool)) {
	timer := s.clock.NewTimer(0)
	defer timer.Stop()
	armed := true
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C():
			armed = false
		case <-s.changed:
			if armed {
				continue // the next round reads the new spec
			}
		}
		s.mu.Lock()
		spec := s.spec
		s.mu.Unlock()
		if len(spec.Targets) == 0 {
			set(false)
			continue
		}
		interval := spec.Interval
		if interval <= 0 {
			interval = 30 * time.Second
		}
		set(s.round(ctx))
		timer.Reset(interval)
		armed = true
	}
}
