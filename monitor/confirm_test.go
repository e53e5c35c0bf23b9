package monitor

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/probe"
	"github.com/outpost-status/outpost/store"
)

// fakePeers answers with what the test set for each peer; a peer set
// to block waits until the question's context ends, as a peer that does
// not answer in time.
type fakePeers struct {
	mu     sync.Mutex
	states map[string]State // peer → verdict on every key; absent: not asked
	errs   map[string]error
	block  bool
	asked  int
}

func (p *fakePeers) set(peer string, s State) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.states[peer] = s
}

func (p *fakePeers) Confirm(ctx context.Context, keys []string) []PeerAnswer {
	p.mu.Lock()
	p.asked++
	block := p.block
	peers := make([]string, 0, len(p.states))
	for peer := range p.states {
		peers = append(peers, peer)
	}
	p.mu.Unlock()
	slices.Sort(peers)
	if block {
		<-ctx.Done()
		out := make([]PeerAnswer, len(peers))
		for i, peer := range peers {
			out[i] = PeerAnswer{Peer: peer, Err: ctx.Err()}
		}
		return out
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]PeerAnswer, 0, len(peers))
	for _, peer := range peers {
		if err := p.errs[peer]; err != nil {
			out = append(out, PeerAnswer{Peer: peer, Err: err})
			continue
		}
		res := map[string]PeerVerdict{}
		for _, k := range keys {
			res[k] = PeerVerdict{State: p.states[peer], Time: t0}
		}
		out = append(out, PeerAnswer{Peer: peer, Results: res})
	}
	return out
}

// noteOutbox keeps the operators' messages the monitor enqueued.
type noteOutbox struct {
	mu   sync.Mutex
	msgs []store.OutboxMessage
}

func (o *noteOutbox) Enqueue(msgs []store.OutboxMessage) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, msgs...)
	return nil
}

func (o *noteOutbox) all() []store.OutboxMessage {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.msgs)
}

// noteNotifier renders a notice with a note as one operators' message.
type noteNotifier struct{}

func (noteNotifier) Messages(n incident.Notice) []store.OutboxMessage {
	if n.Note == nil {
		return nil
	}
	return []store.OutboxMessage{{Key: n.Note.Key, Channel: "ops", Event: string(n.Event), Audience: "operators",
		Subject: n.Note.Subject, Text: n.Note.Text}}
}

// countingIncidents counts the monitor's calls into the incident engine.
type countingIncidents struct {
	mu       sync.Mutex
	failing  int // Evaluate calls with a failing component
	evaluate int
}

func (c *countingIncidents) SetComponents([]incident.Component) {}
func (c *countingIncidents) Load(time.Time) error               { return nil }
func (c *countingIncidents) NextDeadline(time.Time) time.Time   { return time.Time{} }
func (c *countingIncidents) OnChange(func())                    {}
func (c *countingIncidents) Evaluate(_ time.Time, views map[string]incident.View, _ bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evaluate++
	for _, v := range views {
		if v.Failing {
			c.failing++
		}
	}
	return nil
}

// sinkCount counts the raw results the monitor stored.
type sinkCount struct {
	mu   sync.Mutex
	down int
}

func (s *sinkCount) Add(r store.Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Outcome == store.OutcomeDown {
		s.down++
	}
}

// confirmLab is a monitor of one check (web/shop, fail_after 3,
// recover_after 2) at location fra, with peers ams and par.
type confirmLab struct {
	t         *testing.T
	clock     *fakeClock
	peers     *fakePeers
	outbox    *noteOutbox
	incidents *countingIncidents
	sink      *sinkCount
	m         *Monitor
	check     Check
}

func newConfirmLab(t *testing.T, quorum int, fallback string, confirmer bool) *confirmLab {
	t.Helper()
	tg, err := probe.ParseTarget("https://user:secret@shop.example.com/health")
	if err != nil {
		t.Fatal(err)
	}
	c := Check{Key: "web/shop", ID: "shop", Name: "Web shop", Component: "web", Target: tg, Interval: 30 * time.Second,
		Timeout: 10 * time.Second, RetryInterval: 5 * time.Second, Thresholds: Thresholds{FailAfter: 3, RecoverAfter: 2},
		Fingerprint: "v1"}
	l := &confirmLab{t: t, clock: &fakeClock{now: t0}, check: c, outbox: &noteOutbox{}, incidents: &countingIncidents{},
		sink: &sinkCount{}, peers: &fakePeers{states: map[string]State{"ams": StateUp, "par": StateUp}, errs: map[string]error{}}}
	l.m = New(specOf(c), Options{Prober: probe.ProberFunc(func(context.Context, probe.Target) probe.Result {
		return probe.Result{Outcome: probe.Up}
	}), Sink: l.sink, Incidents: l.incidents, Notifier: noteNotifier{}, Clock: l.clock, MaintenanceStore: &memMaintenance{},
		Locations: Locations{Peers: l.peers, ID: "fra", Name: "fra", Quorum: quorum, Timeout: 2 * time.Second,
			Fallback: fallback, Confirmer: confirmer, Language: "en", Outbox: l.outbox}})
	if err := l.m.start(); err != nil {
		t.Fatal(err)
	}
	return l
}

// probe records one result of the check, waits for the confirmation it
// may have started, and moves the clock on by the retry interval.
func (l *confirmLab) probe(outcome probe.Outcome, n int) {
	l.t.Helper()
	for range n {
		r := probe.Result{Start: l.clock.Now(), Duration: 10 * time.Millisecond, Outcome: outcome}
		if outcome == probe.Down {
			r.Class, r.Message = probe.ClassRefused, "connection refused"
		}
		l.m.record(context.Background(), l.check, r)
		l.m.waitConfirmations()
		l.clock.Advance(5 * time.Second)
	}
}

func (l *confirmLab) state() State { return l.m.Snapshot()[0].State }

func (l *confirmLab) drafted() bool {
	l.incidents.mu.Lock()
	defer l.incidents.mu.Unlock()
	return l.incidents.failing > 0
}

func TestDecideQuorum(t *testing.T) {
	ans := func(states ...State) []PeerAnswer {
		out := make([]PeerAnswer, len(states))
		for i, s := range states {
			out[i] = PeerAnswer{Peer: string(rune('a' + i)), Results: map[string]PeerVerdict{"k": {State: s}}}
		}
		return out
	}
	id := func(s string) string { return s }
	for _, tc := range []struct {
		name     string
		quorum   int
		self     bool
		answers  []PeerAnswer
		down     bool
		result   string
		failing  int
		reaching int
	}{
		{"1 of 3 fails, quorum 2: refuted", 2, true, ans(StateUp, StateUp), false, ConfirmRefuted, 1, 2},
		{"2 of 3 fail, quorum 2: confirmed", 2, true, ans(StateDown, StateUp), true, ConfirmConfirmed, 2, 1},
		{"3 of 3 fail, quorum 2: confirmed", 2, true, ans(StateDown, StateDown), true, ConfirmConfirmed, 3, 0},
		{"2 of 3 fail, quorum 3: refuted", 3, true, ans(StateDown, StateUp), false, ConfirmRefuted, 2, 1},
		{"3 of 3 fail, quorum 3: confirmed", 3, true, ans(StateDown, StateDown), true, ConfirmConfirmed, 3, 0},
		{"quorum 1: own verdict", 1, true, ans(StateUp, StateUp), true, ConfirmConfirmed, 1, 2},
		{"degraded reaches", 2, true, ans(StateDegraded, StateUp), false, ConfirmRefuted, 1, 2},
		{"recovery: others still fail at quorum", 2, false, ans(StateDown, StateDown), true, ConfirmRefuted, 2, 0},
		{"recovery: one other fails", 2, false, ans(StateDown, StateUp), false, ConfirmConfirmed, 1, 1},
		{"unknown answers confirm nothing", 2, true, ans(StateUnknown, StateDown), true, ConfirmConfirmed, 2, 0},
		{"all unknown: fallback", 2, true, ans(StateUnknown, StateUnknown), true, ConfirmFallback, 1, 0},
		{"a state outpost does not know is a bad answer", 2, true, ans(State("sideways"), StateUp), false, ConfirmRefuted, 1, 1},
		{"errors and missing keys: fallback", 2, true, []PeerAnswer{{Peer: "a", Err: errors.New("timeout")},
			{Peer: "b", Results: map[string]PeerVerdict{"other": {State: StateDown}}}}, true, ConfirmFallback, 1, 0},
		{"no peers at all: fallback", 2, true, nil, true, ConfirmFallback, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := decide("self", tc.self, "k", tc.answers, tc.quorum, id)
			if got.down != tc.down || got.result != tc.result || len(got.failing) != tc.failing || len(got.reaching) != tc.reaching {
				t.Errorf("decide = %+v; want down %v, %s, %d failing, %d reaching", got, tc.down, tc.result, tc.failing, tc.reaching)
			}
		})
	}
}

// TestOnlyThisLocationFailsKeepsTheState: fra fails, ams and par reach
// the target: the check stays up, no component changes, nothing is
// drafted, the failures stay in the raw results and the operators get
// one message for the whole episode, naming who can and cannot reach it.
func TestOnlyThisLocationFailsKeepsTheState(t *testing.T) {
	l := newConfirmLab(t, 2, FallbackLocal, false)
	l.probe(probe.Up, 1)
	l.probe(probe.Down, 6)
	if s := l.state(); s != StateUp {
		t.Fatalf("check is %s after only fra failed, want up", s)
	}
	if s := statusOf(l.m, "web"); s != Operational || l.drafted() {
		t.Errorf("component %s, drafted %v; want operational and nothing", s, l.drafted())
	}
	if l.sink.down != 6 {
		t.Errorf("%d failed results stored, want all 6", l.sink.down)
	}
	msgs := l.outbox.all()
	if len(msgs) != 1 {
		t.Fatalf("%d operators' messages for one episode, want 1: %+v", len(msgs), msgs)
	}
	m := msgs[0]
	if m.Subject != "fra cannot reach Web shop" || !strings.Contains(m.Text, "fra cannot reach Web shop (https://") ||
		!strings.Contains(m.Text, "; ams and par can.") || strings.Contains(m.Text, "secret") || m.Audience != "operators" {
		t.Errorf("message = %q / %q", m.Subject, m.Text)
	}
	if got := l.m.Confirmations(); got[ConfirmRefuted] != 4 || got[ConfirmConfirmed] != 0 {
		t.Errorf("confirmations = %v, want 4 refuted (failures 3 to 6)", got)
	}
	vs := l.m.LocationVerdicts("web/shop")
	if len(vs) != 3 || vs[0].ID != "fra" || vs[0].State != StateDown || vs[1].State != StateUp || vs[2].State != StateUp {
		t.Errorf("location verdicts = %+v", vs)
	}
	// A new episode after fra reached the target again: one more message.
	l.probe(probe.Up, 1)
	l.probe(probe.Down, 4)
	if n := len(l.outbox.all()); n != 2 {
		t.Errorf("%d messages after a second episode, want 2", n)
	}
}

// TestConfirmedFailureGoesDown: ams fails too, quorum 2: down, drafted.
func TestConfirmedFailureGoesDown(t *testing.T) {
	l := newConfirmLab(t, 2, FallbackLocal, false)
	l.probe(probe.Up, 1)
	l.peers.set("ams", StateDown)
	l.probe(probe.Down, 2)
	if l.peers.asked != 0 {
		t.Errorf("asked the peers %d times before fail_after", l.peers.asked)
	}
	l.probe(probe.Down, 1)
	if s := l.state(); s != StateDown {
		t.Fatalf("check is %s with 2 of 3 failing at quorum 2, want down", s)
	}
	if s := statusOf(l.m, "web"); s != MajorOutage || !l.drafted() {
		t.Errorf("component %s, drafted %v; want major_outage and a draft", s, l.drafted())
	}
	if n := len(l.outbox.all()); n != 0 {
		t.Errorf("%d location messages for a confirmed outage, want 0 (the draft tells the operators)", n)
	}
}

// TestQuorumOneIsTheOldBehaviour: with quorum 1 nobody is asked.
func TestQuorumOneIsTheOldBehaviour(t *testing.T) {
	l := newConfirmLab(t, 1, FallbackLocal, false)
	l.probe(probe.Up, 1)
	l.probe(probe.Down, 3)
	if s := l.state(); s != StateDown || l.peers.asked != 0 {
		t.Errorf("quorum 1: check %s after 3 failures, peers asked %d times; want down, 0", s, l.peers.asked)
	}
}

// TestRecoveryFollowsTheQuorum: a down check comes back only when fewer
// than quorum locations still fail.
func TestRecoveryFollowsTheQuorum(t *testing.T) {
	l := newConfirmLab(t, 2, FallbackLocal, false)
	l.peers.set("ams", StateDown)
	l.peers.set("par", StateDown)
	l.probe(probe.Down, 3)
	if s := l.state(); s != StateDown {
		t.Fatalf("check is %s, want down", s)
	}
	l.probe(probe.Up, 3) // fra reaches it again, ams and par do not
	if s := l.state(); s != StateDown {
		t.Fatalf("check is %s while 2 of 3 still fail, want down", s)
	}
	l.peers.set("par", StateUp)
	l.probe(probe.Up, 1)
	if s := l.state(); s != StateUp {
		t.Fatalf("check is %s with only ams failing, want up", s)
	}
}

// TestSilentPeers: peers that do not answer within confirm.timeout
// (the monitor's clock) count as not confirming; with nobody answering
// the fallback decides, and says so once.
func TestSilentPeers(t *testing.T) {
	for _, tc := range []struct {
		fallback string
		want     State
		says     string
	}{
		{FallbackLocal, StateDown, "Going by the own verdict of fra"},
		{FallbackUnknown, StateUnknown, "reads unknown"},
	} {
		t.Run(tc.fallback, func(t *testing.T) {
			l := newConfirmLab(t, 2, tc.fallback, false)
			l.probe(probe.Up, 1)
			l.peers.block = true
			l.probe(probe.Down, 2)
			r := probe.Result{Start: l.clock.Now(), Outcome: probe.Down, Class: probe.ClassRefused}
			l.m.record(context.Background(), l.check, r)
			l.clock.waitArmed(t, l.clock.Monotonic()+2*time.Second) // the question's timeout
			if s := l.state(); s != StateUp {
				t.Fatalf("check is %s while the peers are asked, want up", s)
			}
			l.clock.Advance(2 * time.Second)
			l.m.waitConfirmations()
			if s := l.state(); s != tc.want {
				t.Fatalf("check is %s after the timeout, want %s", s, tc.want)
			}
			msgs := l.outbox.all()
			if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "no other location answered (ams and par)") ||
				!strings.Contains(msgs[0].Text, tc.says) {
				t.Fatalf("messages = %+v", msgs)
			}
			if tc.want == StateUnknown { // never up on this location's word alone
				l.peers.block = false
				l.peers.set("ams", StateDown)
				l.peers.set("par", StateDown)
				l.probe(probe.Up, 1)
				if s := l.state(); s != StateDown {
					t.Errorf("check held unknown is %s after passing here while both others fail, want down", s)
				}
			}
			if got := l.m.Confirmations()[ConfirmFallback]; got != 1 {
				t.Errorf("%d fallbacks counted, want 1", got)
			}
		})
	}
}

// TestAnswerForAChangedStateIsDropped: fra passes again while the peers
// are asked; their answer (both down) changes nothing.
func TestAnswerForAChangedStateIsDropped(t *testing.T) {
	l := newConfirmLab(t, 2, FallbackLocal, false)
	l.probe(probe.Up, 1)
	l.peers.block = true
	l.probe(probe.Down, 2)
	l.m.record(context.Background(), l.check, probe.Result{Start: l.clock.Now(), Outcome: probe.Down, Class: probe.ClassRefused})
	l.clock.waitArmed(t, l.clock.Monotonic()+2*time.Second)
	l.m.record(context.Background(), l.check, probe.Result{Start: l.clock.Now(), Outcome: probe.Up})
	l.clock.Advance(2 * time.Second)
	l.m.waitConfirmations()
	if s := l.state(); s != StateUp {
		t.Errorf("check is %s after an answer about a verdict no longer held, want up", s)
	}
}

// TestConfirmerNeverDrafts: a confirmer goes down with its peers like a
// publisher but never drives the incident engine.
func TestConfirmerNeverDrafts(t *testing.T) {
	l := newConfirmLab(t, 2, FallbackLocal, true)
	l.peers.set("ams", StateDown)
	l.probe(probe.Down, 3)
	if s := l.state(); s != StateDown {
		t.Fatalf("check is %s, want down", s)
	}
	l.incidents.mu.Lock()
	defer l.incidents.mu.Unlock()
	if l.incidents.evaluate != 0 {
		t.Errorf("a confirmer called the incident engine %d times", l.incidents.evaluate)
	}
}

// TestBlindLocationTellsTheOperators: a location that goes blind says so
// once per blind spell, confirmer or not.
func TestBlindLocationTellsTheOperators(t *testing.T) {
	l := newConfirmLab(t, 2, FallbackLocal, true)
	l.m.setBlind(true)
	l.m.setBlind(true)
	msgs := l.outbox.all()
	if len(msgs) != 1 || msgs[0].Subject != "fra is blind" || !strings.Contains(msgs[0].Text, "fra cannot see") {
		t.Fatalf("messages = %+v", msgs)
	}
	l.m.setBlind(false)
	l.clock.Advance(time.Minute)
	l.m.setBlind(true)
	if n := len(l.outbox.all()); n != 2 {
		t.Errorf("%d messages after a second blind spell, want 2", n)
	}
}

// TestUsePeersLater: a client set after New (as main does) is asked.
func TestUsePeersLater(t *testing.T) {
	l := newConfirmLab(t, 2, FallbackLocal, false)
	l.m.UsePeers(nil)
	l.probe(probe.Down, 3)
	if s := l.state(); s != StateDown || l.peers.asked != 0 {
		t.Fatalf("without a client: %s, asked %d; want down on its own, 0", s, l.peers.asked)
	}
	l.probe(probe.Up, 2)
	l.m.UsePeers(l.peers)
	l.probe(probe.Down, 3)
	if s := l.state(); s != StateUp || l.peers.asked != 1 {
		t.Errorf("with the client set later: %s, asked %d; want up (refuted), 1", s, l.peers.asked)
	}
}
