package monitor

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/outpost-status/outpost/probe"
	"github.com/outpost-status/outpost/store"
)

// memMaintenance is a MaintenanceStore in memory.
type memMaintenance struct {
	mu  sync.Mutex
	all []store.Maintenance
}

func (s *memMaintenance) AddMaintenanceWith(w store.Maintenance, _ store.AuditEntry, _ store.MaintenanceEnqueuer) (store.Maintenance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w.ID = string(rune('1' + len(s.all)))
	s.all = append(s.all, w)
	return w, nil
}

func (s *memMaintenance) DeleteMaintenance(string, store.AuditEntry) error { return nil }

func (s *memMaintenance) Maintenances() ([]store.Maintenance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]store.Maintenance(nil), s.all...), nil
}

// TestSlowSelfCheckDelaysNothingElse: while the self-check round that
// confirms one check's outage hangs (its prober blocks until released),
// another check's result is recorded and an admin write is saved: neither
// waits for the round. Before, record held evalMu across the round.
func TestSlowSelfCheckDelaysNothingElse(t *testing.T) {
	target := func(raw string) probe.Target {
		tg, err := probe.ParseTarget(raw)
		if err != nil {
			t.Fatal(err)
		}
		return tg
	}
	self, a, b := target("https://self.test/"), target("https://a.test/"), target("https://b.test/")
	started, release := make(chan struct{}), make(chan struct{})
	prober := probe.ProberFunc(func(ctx context.Context, tg probe.Target) probe.Result {
		if tg.Host == self.Host {
			close(started)
			<-release
			return probe.Result{Outcome: probe.Up} // the monitor can see
		}
		return probe.Result{Outcome: probe.Up}
	})
	check := func(key string, tg probe.Target) Check {
		return Check{Key: key, ID: key[len("web/"):], Name: key, Component: "web", Target: tg, Interval: time.Minute,
			Timeout: time.Second, Thresholds: Thresholds{FailAfter: 1, RecoverAfter: 1}, Fingerprint: key}
	}
	ca, cb := check("web/a", a), check("web/b", b)
	spec := Spec{Checks: []Check{ca, cb}, Components: []Component{{ID: "web", Name: "Web", Checks: []string{ca.Key, cb.Key}}},
		SelfCheck: SelfCheck{Targets: []probe.Target{self}, Interval: time.Hour, Timeout: 10 * time.Second}}
	m := New(spec, Options{Prober: prober, MaintenanceStore: &memMaintenance{}})

	down := make(chan struct{})
	go func() {
		defer close(down)
		m.record(context.Background(), ca, probe.Result{Start: time.Now(), Outcome: probe.Down, Class: probe.ClassTimeout})
	}()
	<-started // the confirming round hangs now

	others := make(chan error, 1)
	go func() {
		m.record(context.Background(), cb, probe.Result{Start: time.Now(), Outcome: probe.Up})
		now := time.Now()
		_, err := m.AddMaintenance(MaintenanceWindow{Components: []string{"web"}, Start: now.Add(time.Hour),
			End: now.Add(2 * time.Hour), Title: "Upgrade"}, "alice")
		others <- err
	}()
	select {
	case err := <-others:
		if err != nil {
			t.Fatalf("admin write while the self-check hangs: %v", err)
		}
	case <-time.After(10 * time.Second): // a deadline for a broken build, not a timing assertion
		close(release)
		t.Fatal("another check's result and an admin write waited for the hanging self-check round")
	}
	if st := m.Snapshot()[1].State; st != StateUp {
		t.Errorf("the unrelated check is %s while the self-check hangs, want up", st)
	}
	select {
	case <-down:
		t.Fatal("the failing check's result was applied before its self-check round ended")
	default:
	}
	close(release)
	<-down
	if st := m.Snapshot()[0].State; st != StateDown {
		t.Errorf("after the round (monitor not blind) the failing check is %s, want down", st)
	}
}
