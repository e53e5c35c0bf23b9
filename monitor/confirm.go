package monitor

import (
	"context"
	"sync"
	"time"

	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/probe"
	"github.com/outpost-status/outpost/store"
	"github.com/outpost-status/outpost/text"
)

// Locations configure confirmation by other locations (SPEC §17).
type Locations struct {
	// Peers asks the other locations; nil: no confirmation, every
	// verdict is this location's own (quorum 1).
	Peers Peers
	ID    string // this location (location.id)
	Name  string // its display name; default ID
	// PeerNames maps a peer's id to its display name; default the id.
	PeerNames map[string]string
	// Quorum is how many locations, this one included, must see a
	// check failing for it to be down.
	Quorum int
	// Timeout bounds a round of questions (confirm.timeout), measured on
	// the monitor's clock; the Peers client bounds each request too.
	Timeout  time.Duration
	Fallback string // FallbackLocal (default) or FallbackUnknown
	// Confirmer is role: confirmer: the monitor probes and confirms but
	// never drives the incident engine.
	Confirmer bool
	// Language words the operators' messages (page.language).
	Language string
	// Outbox takes the operators' messages, rendered by Options.Notifier;
	// nil: they are only logged.
	Outbox Outbox
}

// Outbox enqueues notification messages; *store.DB implements it.
type Outbox interface {
	Enqueue(msgs []store.OutboxMessage) error
}

var _ Outbox = (*store.DB)(nil)

// confirmer is the monitor's side of confirmation: which checks wait for
// an answer, which are held unknown by the fallback, which episodes were
// told to the operators, and the last verdict of every location.
type confirmer struct {
	loc   Locations
	words text.Locations
	wg    sync.WaitGroup // confirmations in flight, awaited by Run and tests

	mu       sync.Mutex
	pending  map[string]bool
	held     map[string]bool            // checks confirm.fallback: unknown made unknown
	told     map[string]map[string]bool // check → kinds of message sent this episode
	episode  map[string]time.Time       // check → start of its current run of failures
	verdicts map[string][]LocationVerdict
	counts   map[string]uint64 // result → confirmations
}

func newConfirmer(l Locations) *confirmer {
	if l.Name == "" {
		l.Name = l.ID
	}
	if l.Quorum < 1 {
		l.Quorum = 1
	}
	if l.Fallback == "" {
		l.Fallback = FallbackLocal
	}
	return &confirmer{loc: l, words: text.LocationsFor(l.Language), pending: map[string]bool{}, held: map[string]bool{},
		told: map[string]map[string]bool{}, episode: map[string]time.Time{}, verdicts: map[string][]LocationVerdict{},
		counts: map[string]uint64{}}
}

// enabled reports whether any peer is asked. With quorum 1 this
// location's verdict alone is enough, so asking would change nothing.
func (cf *confirmer) enabled() bool { return cf != nil && cf.peers() != nil && cf.loc.Quorum > 1 }

// peers is the client asking the other locations; nil: none.
func (cf *confirmer) peers() Peers {
	cf.mu.Lock()
	defer cf.mu.Unlock()
	return cf.loc.Peers
}

// UsePeers sets the client that asks the other locations, for a client
// built after the monitor (main builds it with the peer API, which
// needs the monitor). Without location.id, and so without several
// locations, it does nothing.
func (m *Monitor) UsePeers(p Peers) {
	if m.conf == nil {
		return
	}
	m.conf.mu.Lock()
	m.conf.loc.Peers = p
	m.conf.mu.Unlock()
}

func (cf *confirmer) peerName(id string) string {
	if n := cf.loc.PeerNames[id]; n != "" {
		return n
	}
	return id
}

// tally is what the locations said about one check.
type tally struct {
	failing, reaching, silent []string // names; failing starts with this location when it fails
	result                    string   // ConfirmConfirmed, ConfirmRefuted or ConfirmFallback
	down                      bool     // at least quorum locations fail
}

// decide counts the answers about check key. selfFailing is this
// location's verdict, the one asked about. A peer that answered with an
// error, not at all, without the key or with unknown confirms nothing
// either way. Without any usable answer the result is fallback and down
// is this location's own verdict (the caller applies confirm.fallback).
func decide(selfName string, selfFailing bool, key string, answers []PeerAnswer, quorum int, name func(string) string) tally {
	var t tally
	if selfFailing {
		t.failing = append(t.failing, selfName)
	}
	for _, a := range answers {
		v, ok := a.Results[key]
		switch {
		case a.Err != nil || !ok || v.State == StateUnknown || v.State == "":
			t.silent = append(t.silent, name(a.Peer))
		case v.State == StateDown:
			t.failing = append(t.failing, name(a.Peer))
		case v.State == StateUp || v.State == StateDegraded:
			t.reaching = append(t.reaching, name(a.Peer))
		default: // a state outpost does not know: a bad answer
			t.silent = append(t.silent, name(a.Peer))
		}
	}
	if len(t.silent) == len(answers) {
		t.result, t.down = ConfirmFallback, selfFailing
		return t
	}
	t.down = len(t.failing) >= quorum
	t.result = ConfirmRefuted
	if t.down == selfFailing {
		t.result = ConfirmConfirmed
	}
	return t
}

// needsConfirmation reports whether moving a check from prev to next
// must first be confirmed by the other locations: going down, leaving
// down, or leaving the unknown the fallback put it in. Recovery follows
// the same rule as failure, so two locations with different opinions do
// not make the check flap.
func needsConfirmation(prev, next CheckState, held bool) bool {
	if next.State == prev.State {
		return false
	}
	return next.State == StateDown || prev.State == StateDown || held
}

// hold is called by record, under mu, with the state a result would
// give check c. When the change needs confirmation it starts one (unless
// one is in flight) and returns the state held as it was; the answer is
// applied later by settle. ctx bounds the confirmation (the monitor's run).
func (m *Monitor) hold(ctx context.Context, c Check, prev, next CheckState) CheckState {
	cf := m.conf
	cf.mu.Lock()
	defer cf.mu.Unlock()
	if next.Fails == 0 {
		delete(cf.told, c.Key) // the episode ends when this location reaches the target again
		delete(cf.episode, c.Key)
	}
	if !needsConfirmation(prev, next, cf.held[c.Key]) {
		return next
	}
	if !cf.pending[c.Key] {
		cf.pending[c.Key] = true
		toDown := next.State == StateDown
		cf.wg.Add(1)
		go func() {
			defer cf.wg.Done()
			m.confirmCheck(ctx, c, toDown)
		}()
	}
	held := next
	held.State, held.Since = prev.State, prev.Since
	if prev.State == StateDown {
		held.FailingSince = prev.FailingSince // still down: its outage started then
	}
	return held
}

// confirmCheck asks the peers about c without any lock held, bounded by
// the confirmation timeout on the monitor's clock, then settles.
func (m *Monitor) confirmCheck(ctx context.Context, c Check, toDown bool) {
	cf := m.conf
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if cf.loc.Timeout > 0 {
		timer := m.opts.Clock.NewTimer(cf.loc.Timeout)
		defer timer.Stop()
		go func() {
			select {
			case <-timer.C():
				cancel()
			case <-qctx.Done():
			}
		}()
	}
	asked := m.opts.Clock.Now()
	answers := cf.peers().Confirm(qctx, []string{c.Key})
	if ctx.Err() != nil { // shutting down: a cancelled question proves nothing
		cf.mu.Lock()
		delete(cf.pending, c.Key)
		cf.mu.Unlock()
		return
	}
	if n := m.settle(c, toDown, answers, asked); n != nil {
		m.tellOperators(*n)
	}
}

// settle applies the answers about c, if this location's verdict is
// still the one asked about (a reload, a passing probe or another
// confirmation may have changed it meanwhile). It returns the operators'
// note to send, if any.
func (m *Monitor) settle(c Check, toDown bool, answers []PeerAnswer, asked time.Time) *incident.Note {
	cf := m.conf
	m.evalMu.Lock()
	defer m.evalMu.Unlock()
	now := m.look()
	m.mu.Lock()
	cf.mu.Lock()
	delete(cf.pending, c.Key)
	e, ok := m.entries[c.Key]
	if !ok || e.check.Fingerprint != c.Fingerprint {
		cf.mu.Unlock()
		m.mu.Unlock()
		return nil // removed or changed by a reload meanwhile
	}
	t := decide(cf.loc.Name, toDown, c.Key, answers, cf.loc.Quorum, cf.peerName)
	cf.counts[t.result]++
	cf.verdicts[c.Key] = cf.peerVerdicts(c.Key, answers, asked)
	st := e.state
	held := cf.held[c.Key]
	still := st.State != StateDown && st.Fails >= c.Thresholds.FailAfter
	if !toDown {
		still = (st.State == StateDown || held) && st.Passes > 0 &&
			(st.State != StateDown || st.Passes >= c.Thresholds.RecoverAfter)
	}
	target := st.State
	switch {
	case !still:
	case t.result == ConfirmFallback && cf.loc.Fallback == FallbackUnknown:
		target, held = StateUnknown, true
	case t.down:
		target, held = StateDown, false
	case toDown: // refuted: the others reach the target, the check keeps its state
	default: // fewer than quorum locations fail: recovered
		target, held = passedState(st), false
	}
	if target == StateDown && m.blind {
		target = st.State // blind: nothing goes down (record holds the same)
	}
	cf.held[c.Key] = held
	var note *incident.Note
	if still && toDown {
		note = cf.noteLocked(c, st, t)
	}
	cf.mu.Unlock()
	changed := target != st.State
	if changed {
		e.state.State, e.state.Since = target, now
		m.versions.stateChanged()
	} else {
		m.versions.results.Add(1) // the verdicts of checks.json changed
	}
	m.mu.Unlock()
	m.log.Info("confirmation", "check", c.Key, "result", t.result, "applied", still, "from", st.State, "to", target,
		"failing", t.failing, "reaching", t.reaching, "silent", t.silent, "waited", now.Sub(asked))
	if changed {
		m.evaluateComponent(now, c.Component, c.Key)
	}
	return note
}

// passedState is the state of a check whose last probe passed.
func passedState(st CheckState) State {
	if st.Last != nil && st.Last.Outcome == probe.Degraded {
		return StateDegraded
	}
	return StateUp
}

// peerVerdicts records what each peer said about key.
func (cf *confirmer) peerVerdicts(key string, answers []PeerAnswer, asked time.Time) []LocationVerdict {
	out := make([]LocationVerdict, 0, len(answers))
	for _, a := range answers {
		v := LocationVerdict{ID: a.Peer, Name: cf.peerName(a.Peer), State: StateUnknown, Time: asked.UTC()}
		if r, ok := a.Results[key]; a.Err == nil && ok {
			switch r.State {
			case StateUp, StateDegraded, StateDown:
				v.State = r.State
			}
			if !r.Time.IsZero() {
				v.Time = r.Time.UTC()
			}
		} else if a.Err != nil {
			v.Error = a.Err.Error()
		}
		out = append(out, v)
	}
	return out
}

// waitConfirmations waits for the confirmations in flight (shutdown, tests).
func (m *Monitor) waitConfirmations() {
	if m.conf != nil {
		m.conf.wg.Wait()
	}
}
