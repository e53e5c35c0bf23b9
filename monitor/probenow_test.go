package monitor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outpost-status/outpost/probe"
)

// gateProber blocks every probe until release is closed and counts them.
type gateProber struct {
	calls   atomic.Int32
	entered chan struct{} // receives once per probe started
	release chan struct{}
	result  probe.Result
	running atomic.Int32
	most    atomic.Int32 // the most probes running at once
}

func newGateProber(r probe.Result) *gateProber {
	return &gateProber{entered: make(chan struct{}, 1000), release: make(chan struct{}), result: r}
}

func (g *gateProber) Probe(ctx context.Context, _ probe.Target) probe.Result {
	g.calls.Add(1)
	n := g.running.Add(1)
	defer g.running.Add(-1)
	for {
		m := g.most.Load()
		if n <= m || g.most.CompareAndSwap(m, n) {
			break
		}
	}
	g.entered <- struct{}{}
	select {
	case <-g.release:
		return g.result
	case <-ctx.Done():
		return probe.Result{Outcome: probe.Down, Class: probe.ClassTimeout, Message: "timeout"}
	}
}

func testCheck(t *testing.T, key, raw string, timeout time.Duration) Check {
	t.Helper()
	tg, err := probe.ParseTarget(raw)
	if err != nil {
		t.Fatal(err)
	}
	comp, id, _ := cutKey(key)
	return Check{Key: key, ID: id, Name: id, Component: comp, Target: tg, Interval: time.Minute, Timeout: timeout,
		RetryInterval: time.Second, Thresholds: Thresholds{FailAfter: 3, RecoverAfter: 2}, Fingerprint: "f-" + key}
}

func cutKey(key string) (string, string, bool) {
	for i := range key {
		if key[i] == '/' {
			return key[:i], key[i+1:], true
		}
	}
	return key, key, false
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestProbeNowUnknownKeysAreNeverProbed(t *testing.T) {
	g := newGateProber(probe.Result{Outcome: probe.Up})
	close(g.release)
	c := testCheck(t, "web/home", "https://www.example.com/", time.Second)
	m := New(specOf(c), Options{Prober: g, Delays: noDelay{}})
	got := m.ProbeNow(context.Background(), []string{"web/nope", "https://169.254.169.254/latest/meta-data", "web/nope"})
	if len(got) != 2 {
		t.Fatalf("got %d verdicts, want 2 (duplicates answered once): %v", len(got), got)
	}
	for k, v := range got {
		if v.State != StateUnknown || v.Class != PeerClassUnknownCheck {
			t.Errorf("%s: %+v, want unknown/%s", k, v, PeerClassUnknownCheck)
		}
	}
	if n := g.calls.Load(); n != 0 {
		t.Errorf("%d probes ran for unknown keys, want 0", n)
	}
}

func TestProbeNowAnswersFreshResults(t *testing.T) {
	g := newGateProber(probe.Result{Start: t0, Duration: 42 * time.Millisecond, Outcome: probe.Down, Class: probe.ClassRefused, Message: "connection refused"})
	close(g.release)
	c := testCheck(t, "web/home", "https://www.example.com/", time.Second)
	m := New(specOf(c), Options{Prober: g, Delays: noDelay{}})
	got := m.ProbeNow(context.Background(), []string{"web/home"})
	want := PeerVerdict{State: StateDown, Time: t0, Duration: 42 * time.Millisecond, Class: "refused", Message: "connection refused"}
	if got["web/home"] != want {
		t.Errorf("verdict %+v, want %+v", got["web/home"], want)
	}
	if st := m.Snapshot()[0]; st.State != StateUnknown || st.Last != nil {
		t.Errorf("a confirmation probe changed the check's own state: %+v", st.CheckState)
	}
}

func TestProbeNowBlindAnswersUnknown(t *testing.T) {
	g := newGateProber(probe.Result{Outcome: probe.Up})
	close(g.release)
	c := testCheck(t, "web/home", "https://www.example.com/", time.Second)
	m := New(specOf(c), Options{Prober: g, Delays: noDelay{}})
	m.setBlind(true)
	got := m.ProbeNow(context.Background(), []string{"web/home"})["web/home"]
	if got.State != StateUnknown || got.Class != PeerClassBlind || g.calls.Load() != 0 {
		t.Errorf("blind: verdict %+v after %d probes, want unknown/blind and none", got, g.calls.Load())
	}
}

// TestProbeNowJoinsTheProbeInFlight: a slow target gets one request for
// a scheduled probe and two peers' confirmations arriving meanwhile.
func TestProbeNowJoinsTheProbeInFlight(t *testing.T) {
	var requests atomic.Int32
	release := make(chan struct{})
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(target.Close)
	c := testCheck(t, "web/home", target.URL+"/", 10*time.Second)
	m := New(specOf(c), Options{Prober: probe.NewHTTP(probe.HTTPConfig{Clock: probe.SystemClock{}}), Delays: noDelay{}})
	scheduled := make(chan probe.Result, 1)
	go func() { scheduled <- m.probeOnce(context.Background(), c) }()
	waitFor(t, "the scheduled probe's request", func() bool { return requests.Load() == 1 })
	var wg sync.WaitGroup
	verdicts := make([]PeerVerdict, 2)
	for i := range verdicts {
		wg.Go(func() { verdicts[i] = m.ProbeNow(context.Background(), []string{"web/home"})["web/home"] })
	}
	waitFor(t, "both confirmations to join", func() bool { return m.flights.joinedCount(c) == 2 })
	close(release)
	wg.Wait()
	r := <-scheduled
	if n := requests.Load(); n != 1 {
		t.Errorf("the target saw %d requests, want 1", n)
	}
	for i, v := range verdicts {
		if v.State != StateUp || !v.Time.Equal(r.Start) {
			t.Errorf("confirmation %d: %+v, want the scheduled probe's result (up at %s)", i, v, r.Start)
		}
	}
	if st := m.Snapshot()[0]; st.Last == nil {
		t.Error("the scheduled probe's result was not recorded")
	}
}

// TestScheduledProbeJoinsAConfirmation: the other way round, a scheduled
// probe due while a peer's confirmation is in flight takes its result.
func TestScheduledProbeJoinsAConfirmation(t *testing.T) {
	g := newGateProber(probe.Result{Outcome: probe.Up})
	c := testCheck(t, "web/home", "https://www.example.com/", 10*time.Second)
	m := New(specOf(c), Options{Prober: g, Delays: noDelay{}})
	confirmed := make(chan PeerVerdict, 1)
	go func() { confirmed <- m.ProbeNow(context.Background(), []string{"web/home"})["web/home"] }()
	<-g.entered
	scheduled := make(chan probe.Result, 1)
	go func() { scheduled <- m.probeOnce(context.Background(), c) }()
	waitFor(t, "the scheduled probe to join", func() bool { return m.flights.joinedCount(c) == 1 })
	close(g.release)
	<-scheduled
	if v := <-confirmed; v.State != StateUp {
		t.Errorf("confirmation: %+v", v)
	}
	if n := g.calls.Load(); n != 1 {
		t.Errorf("%d probes, want 1", n)
	}
	if st := m.Snapshot()[0]; st.State != StateUp {
		t.Errorf("the scheduled probe's result was not recorded: %+v", st.CheckState)
	}
}

// TestProbeNowBoundsConcurrency: many checks asked for at once run at
// most peerProbeConcurrency probes at a time, and all are answered.
func TestProbeNowBoundsConcurrency(t *testing.T) {
	g := newGateProber(probe.Result{Outcome: probe.Up})
	var checks []Check
	var keys []string
	for i := range 3 * peerProbeConcurrency {
		c := testCheck(t, "web/c"+itoa(i), "https://www.example.com/", 10*time.Second)
		checks = append(checks, c)
		keys = append(keys, c.Key)
	}
	m := New(specOf(checks...), Options{Prober: g, Delays: noDelay{}})
	done := make(chan map[string]PeerVerdict, 1)
	asked := append(slices.Clone(keys), "web/unknown") // answered while the others probe
	go func() { done <- m.ProbeNow(context.Background(), asked) }()
	for range peerProbeConcurrency {
		<-g.entered
	}
	if n := g.running.Load(); n != peerProbeConcurrency {
		t.Errorf("%d probes running while all wait, want %d", n, peerProbeConcurrency)
	}
	close(g.release)
	got := <-done
	if most := g.most.Load(); most > peerProbeConcurrency {
		t.Errorf("%d probes ran at once, want at most %d", most, peerProbeConcurrency)
	}
	for _, k := range keys {
		if got[k].State != StateUp {
			t.Errorf("%s: %+v", k, got[k])
		}
	}
}

// TestProbeNowUnfinishedWhenTheAnswerIsDue: a probe still running when
// the caller's deadline passes is answered unknown; it finishes alone.
func TestProbeNowUnfinishedWhenTheAnswerIsDue(t *testing.T) {
	g := newGateProber(probe.Result{Outcome: probe.Up})
	c := testCheck(t, "web/home", "https://www.example.com/", 10*time.Second)
	m := New(specOf(c), Options{Prober: g, Delays: noDelay{}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan PeerVerdict, 1)
	go func() { done <- m.ProbeNow(ctx, []string{"web/home"})["web/home"] }()
	<-g.entered
	cancel()
	if v := <-done; v.State != StateUnknown || v.Class != PeerClassUnfinished {
		t.Errorf("verdict %+v, want unknown/%s", v, PeerClassUnfinished)
	}
	close(g.release)
	waitFor(t, "the probe to land", func() bool { return m.flights.join(c) == nil })
}

func TestCheckKeysSorted(t *testing.T) {
	m := New(specOf(testCheck(t, "web/b", "https://www.example.com/", time.Second),
		testCheck(t, "api/a", "https://www.example.com/", time.Second)), Options{Prober: newGateProber(probe.Result{}), Delays: noDelay{}})
	if got := m.CheckKeys(); len(got) != 2 || got[0] != "api/a" || got[1] != "web/b" {
		t.Errorf("CheckKeys() = %v", got)
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// noDelay is a DelayEstimator that never saw the monitor starved.
type noDelay struct{}

func (noDelay) ProbeStarted()                            {}
func (noDelay) ProbeEnded()                              {}
func (noDelay) Delay(time.Time, time.Time) time.Duration { return 0 }
