package store

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// fillDays writes, for days days before now, one result per check per
// hour and a transition every 5 hours for each subject.
func fillDays(t *testing.T, db *DB, checks []string, days int, now time.Time) {
	t.Helper()
	start := now.Add(-time.Duration(days) * 24 * time.Hour)
	var rs []Result
	var ts []Transition
	states := []State{StateUp, StateDown, StateDegraded}
	for h := range days * 24 {
		at := start.Add(time.Duration(h) * time.Hour)
		for _, c := range checks {
			rs = append(rs, Result{Check: c, Time: at, Outcome: OutcomeUp})
			if h%5 == 0 {
				ts = append(ts, Transition{CheckSubject(c), states[h/5%3], at})
			}
		}
	}
	if err := db.WriteResults(rs); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordTransitions(ts); err != nil {
		t.Fatal(err)
	}
}

func TestPrune(t *testing.T) {
	db := openTest(t)
	now := time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC)
	checks := []string{"a/1", "a/2", "b/1"}
	fillDays(t, db, checks, 20, now)
	keep := Retention{Results: 5 * 24 * time.Hour, History: 10 * 24 * time.Hour}
	s := CheckSubject("a/1")
	before, err := db.Availability(s, now.Add(-keep.History), now, now, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.Prune(context.Background(), now, keep, 7)
	if err != nil {
		t.Fatal(err)
	}
	if st.Results != 3*15*24 || st.Transactions < (st.Results+st.Intervals+st.Rollups)/7 {
		t.Errorf("stats = %+v", st)
	}
	after, err := db.Availability(s, now.Add(-keep.History), now, now, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	if !closeSeconds(before.Seconds, after.Seconds) {
		t.Errorf("availability within history changed: %+v → %+v", before.Seconds, after.Seconds)
	}
	for _, c := range checks {
		rs, _ := db.Results(c, time.Time{}, now, 0)
		if len(rs) != 5*24 || rs[0].Time.Before(now.Add(-keep.Results)) {
			t.Errorf("%s: %d results from %v", c, len(rs), rs[0].Time)
		}
		ivs, _ := db.Intervals(CheckSubject(c), time.Time{}, now)
		if ivs[0].End.Before(now.Add(-keep.History)) || !ivs[len(ivs)-1].Open() {
			t.Errorf("%s: intervals from %+v to %+v", c, ivs[0], ivs[len(ivs)-1])
		}
		days, _ := db.Days(CheckSubject(c), 20, now, 0.3)
		for _, d := range days[:9] {
			if d.Probes != 0 {
				t.Errorf("%s: rollup of %s kept (%d probes)", c, d.Date, d.Probes)
			}
		}
	}
	again, err := db.Prune(context.Background(), now, keep, 7)
	if err != nil || again.deleted() != 0 {
		t.Errorf("second prune: %+v, %v", again, err)
	}
}

func TestPruneRemovesEmptyBucketsAndStopsOnCancel(t *testing.T) {
	db := openTest(t)
	now := time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC)
	fillDays(t, db, []string{"gone/1"}, 3, now.Add(-30*24*time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.Prune(ctx, now, Retention{Results: time.Hour}, 10); err == nil {
		t.Error("Prune with a cancelled context succeeded")
	}
	st, err := db.Prune(context.Background(), now, Retention{Results: time.Hour, History: time.Hour}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if st.Buckets != 1 || st.Results != 72 { // the rollups' bucket; the open interval stays; results have none
		t.Errorf("stats = %+v", st)
	}
	if checks, _ := db.Checks(); len(checks) != 0 {
		t.Errorf("checks left: %v", checks)
	}
	if open, _ := db.OpenIntervals(); len(open) != 1 {
		t.Errorf("open intervals = %v", open)
	}
	if _, err := db.Prune(context.Background(), now, Retention{}, 0); err == nil {
		t.Error("maxKeysPerTx 0 accepted")
	}
}

// logRecorder sends each log message to a channel.
type logRecorder struct{ msgs chan string }

func (l logRecorder) Enabled(context.Context, slog.Level) bool      { return true }
func (l logRecorder) Handle(_ context.Context, r slog.Record) error { l.msgs <- r.Message; return nil }
func (l logRecorder) WithAttrs([]slog.Attr) slog.Handler            { return l }
func (l logRecorder) WithGroup(string) slog.Handler                 { return l }

func TestRunRetention(t *testing.T) {
	db := openTest(t)
	now := time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC)
	fillDays(t, db, []string{"a/1"}, 3, now)
	rec := logRecorder{msgs: make(chan string, 10)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		db.RunRetention(ctx, RetentionOptions{Retention: Retention{Results: 24 * time.Hour}, Every: time.Hour,
			Logger: slog.New(rec), Now: func() time.Time { return now }})
	}()
	if msg := <-rec.msgs; msg != "store retention pruned" {
		t.Errorf("log message %q", msg)
	}
	cancel()
	<-done
	if rs, _ := db.Results("a/1", time.Time{}, now, 0); len(rs) != 24 {
		t.Errorf("%d results left, want 24", len(rs))
	}
}
