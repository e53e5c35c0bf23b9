package store

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func benchChecks(n int) []string {
	checks := make([]string, n)
	for i := range checks {
		checks[i] = fmt.Sprintf("comp%d/check%d", i/10, i)
	}
	return checks
}

func openBench(b *testing.B, loc *time.Location) *DB {
	b.Helper()
	db, err := Open(filepath.Join(b.TempDir(), FileName), Options{Location: loc})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	return db
}

// BenchmarkIngest writes batches of 20,000 results (1,000 checks × 20
// probes each), the Writer's largest batch, with fsync on.
func BenchmarkIngest(b *testing.B) {
	db := openBench(b, time.UTC)
	checks := benchChecks(1000)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const perCheck = 20
	batch := make([]Result, 0, len(checks)*perCheck)
	b.ReportAllocs()
	round := 0
	for b.Loop() {
		batch = batch[:0]
		for j := range perCheck {
			at := base.Add(time.Duration(round*perCheck+j) * 30 * time.Second)
			for _, c := range checks {
				batch = append(batch, Result{Check: c, Time: at, Duration: 12 * time.Millisecond, Outcome: OutcomeUp, Code: 200})
			}
		}
		round++
		if err := db.WriteResults(batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(batch)*b.N)/b.Elapsed().Seconds(), "results/s")
}

// genHistory fills db with days of history ending at end for checks:
// transitions on average every flap apart (with short down blips) and
// one result per check every resultEvery, written one day per
// transaction pair.
func genHistory(b *testing.B, db *DB, checks []string, days int, end time.Time, flap, resultEvery time.Duration) {
	b.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	start := end.Add(-time.Duration(days) * 24 * time.Hour)
	next := make([]time.Time, len(checks))
	state := make([]State, len(checks))
	for d := range days {
		dayEnd := start.Add(time.Duration(d+1) * 24 * time.Hour)
		var ts []Transition
		for i, c := range checks {
			for next[i].Before(dayEnd) {
				at := Latest(next[i], start)
				st := StateUp
				if state[i] == StateUp {
					st = []State{StateDown, StateDegraded, StateUnknown, StateMaintenance}[rng.IntN(4)]
				}
				ts = append(ts, Transition{CheckSubject(c), st, at})
				state[i] = st
				gap := time.Duration(rng.ExpFloat64() * float64(flap))
				if st != StateUp {
					gap /= 20 // outages are short
				}
				next[i] = at.Add(gap + time.Second)
			}
		}
		if err := db.RecordTransitions(ts); err != nil {
			b.Fatal(err)
		}
		var rs []Result
		for t := dayEnd.Add(-24 * time.Hour); t.Before(dayEnd); t = t.Add(resultEvery) {
			for _, c := range checks {
				rs = append(rs, Result{Check: c, Time: t, Outcome: OutcomeUp,
					Duration: time.Duration(rng.ExpFloat64() * float64(80*time.Millisecond)), Code: 200})
			}
		}
		if err := db.WriteResults(rs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAvailability computes the five standard windows for 1,000
// checks, and 90 daily values, on 90 days of generated history (a
// transition every 4 h on average). The history is generated once per run.
func BenchmarkAvailability(b *testing.B) {
	db := openBench(b, time.UTC)
	db.bolt.NoSync = true
	checks := benchChecks(1000)
	now := time.Date(2026, 4, 1, 13, 17, 0, 0, time.UTC)
	genStart := time.Now()
	genHistory(b, db, checks, 90, now.Add(-time.Hour), 4*time.Hour, time.Hour)
	size, _ := db.Size()
	b.Logf("generated 90 days for %d checks in %s (%d MB)", len(checks), time.Since(genStart).Round(time.Second), size>>20)
	subjects := make([]Subject, len(checks))
	for i, c := range checks {
		subjects[i] = CheckSubject(c)
	}
	d := 24 * time.Hour
	windows := []time.Duration{d, 7 * d, 14 * d, 30 * d, 90 * d}
	b.Run("windows_1000checks_x5", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ws, err := db.Windows(subjects, windows, now, 0.3)
			if err != nil || len(ws) != len(subjects) {
				b.Fatal(err)
			}
		}
	})
	b.Run("days90_1000checks", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := db.DaysFor(subjects, 90, now, 0.3); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDiskPerCheckDay writes 3 days of results at a 30 s interval
// (2,880 per check per day) for 100 checks, flushed once per simulated
// minute, plus transitions, and reports the file size per check per day.
func BenchmarkDiskPerCheckDay(b *testing.B) {
	const checks, days = 100, 3
	db := openBench(b, time.UTC)
	db.bolt.NoSync = true
	names := benchChecks(checks)
	end := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	start := end.Add(-days * 24 * time.Hour)
	rng := rand.New(rand.NewPCG(7, 8))
	for m := start; m.Before(end); m = m.Add(time.Minute) {
		var rs []Result
		var ts []Transition
		for i, c := range names {
			for _, off := range []time.Duration{0, 30 * time.Second} {
				rs = append(rs, Result{Check: c, Time: m.Add(off + time.Duration(i)*100*time.Millisecond), Outcome: OutcomeUp,
					Duration: time.Duration(rng.ExpFloat64() * float64(80*time.Millisecond)), Code: 200})
			}
			if rng.IntN(240) == 0 { // every 4 h on average
				ts = append(ts, Transition{CheckSubject(c), State(1 + rng.IntN(4)), m})
			}
		}
		if err := db.WriteResults(rs); err != nil {
			b.Fatal(err)
		}
		if err := db.RecordTransitions(ts); err != nil {
			b.Fatal(err)
		}
	}
	fi, err := os.Stat(db.Path())
	if err != nil {
		b.Fatal(err)
	}
	data, _ := db.Size()
	compacted, err := compactedSize(b, db)
	if err != nil {
		b.Fatal(err)
	}
	per := func(n int64) float64 { return float64(n) / (checks * days) }
	b.Run("30s_interval", func(b *testing.B) {
		for b.Loop() {
		}
		b.ReportMetric(per(fi.Size()), "file_bytes/check/day")
		b.ReportMetric(per(data), "data_bytes/check/day")
		b.ReportMetric(per(compacted), "compacted_bytes/check/day")
	})
}

// compactedSize returns the size of a compacted copy of the open db.
func compactedSize(b *testing.B, db *DB) (int64, error) {
	dst := filepath.Join(b.TempDir(), "copy.db")
	src := filepath.Join(b.TempDir(), "src.db")
	f, err := os.Create(src)
	if err != nil {
		return 0, err
	}
	if _, err := db.Backup(f); err != nil {
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	return CopyFile(src, dst, 0)
}
