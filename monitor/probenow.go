package monitor

import (
	"context"
	"slices"
	"sync"

	"github.com/outpost-status/outpost/probe"
)

// peerProbeConcurrency bounds the probes that peers' confirmation
// requests start at once; joining a probe already in flight takes no
// slot. Scheduled probes have the scheduler's own pool.
const peerProbeConcurrency = 16

// flights deduplicates probes of a check: a probe asked for while one of
// the same check (same definition) is in flight joins it instead of
// sending the target a second request. Peers ask for a check exactly
// when it starts failing, which is when the local schedule retries it
// too; without this a failing target would get a request from each. The
// zero value is ready.
type flights struct {
	mu  sync.Mutex
	m   map[string]*flight // by flightKey
	sem chan struct{}      // slots for confirmation probes
}

// flight is one probe in progress; r is set before done closes.
type flight struct {
	done   chan struct{}
	r      probe.Result
	joined int // callers that joined it, under flights.mu (tests wait on it)
}

func flightKey(c Check) string { return c.Key + "\x00" + c.Fingerprint }

// join returns the flight of c in progress, or nil.
func (f *flights) join(c Check) *flight {
	f.mu.Lock()
	defer f.mu.Unlock()
	fl := f.m[flightKey(c)]
	if fl != nil {
		fl.joined++
	}
	return fl
}

// start returns the flight of c in progress, or registers a new one;
// started reports which. The caller of a new flight must run it (fly).
func (f *flights) start(c Check) (fl *flight, started bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl := f.m[flightKey(c)]; fl != nil {
		fl.joined++
		return fl, false
	}
	if f.m == nil {
		f.m = map[string]*flight{}
	}
	fl = &flight{done: make(chan struct{})}
	f.m[flightKey(c)] = fl
	return fl, true
}

// joinedCount is how many callers joined c's flight in progress; 0 when none.
func (f *flights) joinedCount(c Check) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl := f.m[flightKey(c)]; fl != nil {
		return fl.joined
	}
	return 0
}

// land publishes fl's result and forgets it, so that later probes of the
// check are fresh.
func (f *flights) land(c Check, fl *flight, r probe.Result) {
	f.mu.Lock()
	delete(f.m, flightKey(c))
	f.mu.Unlock()
	fl.r = r
	close(fl.done)
}

// slots is the semaphore of confirmation probes.
func (f *flights) slots() chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sem == nil {
		f.sem = make(chan struct{}, peerProbeConcurrency)
	}
	return f.sem
}

// probeShared probes c, or joins its probe in flight, and returns the
// result. The probe has its own deadline from the check's timeout and
// is not cancelled by ctx (see probeOnce); the caller waits for it.
func (m *Monitor) probeShared(ctx context.Context, c Check) probe.Result {
	fl, started := m.flights.start(c)
	if started {
		m.fly(ctx, c, fl, nil)
	}
	<-fl.done
	return fl.r
}

// fly runs fl's probe and lands it; release, if set, runs after.
func (m *Monitor) fly(ctx context.Context, c Check, fl *flight, release func()) {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.Timeout)
	m.opts.Delays.ProbeStarted()
	r := m.opts.Prober.Probe(pctx, c.Target)
	m.opts.Delays.ProbeEnded()
	cancel()
	m.flights.land(c, fl, r)
	if release != nil {
		release()
	}
}

// ProbeNow probes the checks named by keys now, for a peer that asks
// for confirmation (admin's peer API), and returns a verdict for every
// key. Unknown keys are answered unknown and never probed: a peer can
// only make this outpost probe its own configured targets. A check with
// a probe in flight (scheduled or asked for by another peer) joins it.
// At most peerProbeConcurrency new probes run at once; each has the
// check's own timeout. When ctx ends first, the probes still running
// are answered unknown (PeerClassUnfinished) and finish unobserved.
//
// These results are not fed to the check's state, not stored as raw
// results and not counted in the probe metrics: they answer another
// location's question and say nothing about this location's schedule.
// (A scheduled probe that joined one is recorded as its own, as usual.)
func (m *Monitor) ProbeNow(ctx context.Context, keys []string) map[string]PeerVerdict {
	out := make(map[string]PeerVerdict, len(keys))
	blind := m.Blind()
	var probes []Check
	for _, key := range keys {
		if _, dup := out[key]; dup {
			continue
		}
		c, ok := m.checkFor(key)
		switch {
		case !ok:
			out[key] = PeerVerdict{State: StateUnknown, Class: PeerClassUnknownCheck, Message: "no check with this key here"}
		case c.Target.Kind == probe.KindPush:
			out[key] = PeerVerdict{State: StateUnknown, Class: PeerClassUnknownCheck, Message: "a push check: nothing to probe"}
		case blind:
			out[key] = PeerVerdict{State: StateUnknown, Class: PeerClassBlind, Message: "every self-check target fails here"}
		default:
			out[key] = PeerVerdict{State: StateUnknown, Class: PeerClassUnfinished, Message: "the probe did not end in time"}
			probes = append(probes, c)
		}
	}
	var mu sync.Mutex // guards out while the probes run
	var wg sync.WaitGroup
	for _, c := range probes {
		wg.Go(func() {
			if v, ok := m.confirmProbe(ctx, c); ok {
				mu.Lock()
				out[c.Key] = v
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}

// confirmProbe is ProbeNow for one check; false when ctx ended first.
func (m *Monitor) confirmProbe(ctx context.Context, c Check) (PeerVerdict, bool) {
	fl := m.flights.join(c)
	if fl == nil {
		sem := m.flights.slots()
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return PeerVerdict{}, false
		}
		var started bool
		if fl, started = m.flights.start(c); started {
			go m.fly(ctx, c, fl, func() { <-sem })
		} else {
			<-sem // another probe took off meanwhile: join it
		}
	}
	select {
	case <-fl.done:
	case <-ctx.Done():
		return PeerVerdict{}, false
	}
	r, counts := m.judge(c, fl.r)
	if !counts {
		return PeerVerdict{State: StateUnknown, Time: r.Start, Duration: r.Duration, Class: PeerClassInconclusive,
			Message: truncate(r.Message, MaxPeerMessage)}, true
	}
	return verdictOf(r), true
}

// CheckKeys returns the keys of every configured check, sorted: what a
// peer compares with its own (GET /api/peer/v1/checks).
func (m *Monitor) CheckKeys() []string {
	m.mu.RLock()
	keys := make([]string, len(m.order))
	copy(keys, m.order)
	m.mu.RUnlock()
	slices.Sort(keys)
	return keys
}
