package store

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin on machines without zoneinfo
)

func TestSecondsRatio(t *testing.T) {
	tests := []struct {
		name string
		s    Seconds
		want float64 // NaN for nil
	}{
		{"all up", Seconds{Up: 100}, 1},
		{"degraded counts as up", Seconds{Up: 50, Degraded: 50}, 1},
		{"down", Seconds{Up: 75, Down: 25}, 0.75},
		{"partial weighted", Seconds{Up: 90, Partial: 10}, 1 - 0.3*10/100},
		{"maintenance and unknown excluded", Seconds{Up: 50, Down: 50, Maintenance: 1000, Unknown: 1000}, 0.5},
		{"nothing known", Seconds{Maintenance: 10, Unknown: 10}, math.NaN()},
		// Known time summed from its states: total − unknown loses the
		// small known part to rounding (seen as −0.01 % on a page).
		{"down beside a long unknown", Seconds{Down: 24.45371973, Unknown: 86375.54628027}, 0},
		{"empty", Seconds{}, math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.s.Ratio(0.3)
			switch {
			case math.IsNaN(tc.want) && got != nil:
				t.Errorf("ratio = %v, want nil", *got)
			case !math.IsNaN(tc.want) && (got == nil || math.Abs(*got-tc.want) > 1e-12):
				t.Errorf("ratio = %v, want %v", got, tc.want)
			case got != nil && (*got < 0 || *got > 1):
				t.Errorf("ratio = %v, outside 0 to 1", *got)
			}
		})
	}
}

func TestAvailabilityCases(t *testing.T) {
	db := openTest(t)
	s := ComponentSubject("web")
	h := time.Hour
	ts := []Transition{{s, StateUp, at(0)}, {s, StateDown, at(h)}, {s, StatePartial, at(2 * h)},
		{s, StateMaintenance, at(3 * h)}, {s, StateUnknown, at(4 * h)}, {s, StateDegraded, at(5 * h)}}
	if err := db.RecordTransitions(ts); err != nil {
		t.Fatal(err)
	}
	now := at(6 * h)
	tests := []struct {
		name     string
		from, to time.Duration
		want     Seconds
	}{
		{"before the first interval is unknown", -h, h, Seconds{Up: 3600, Unknown: 3600}},
		{"each state", 0, 6 * h, Seconds{Up: 3600, Down: 3600, Partial: 3600, Maintenance: 3600, Unknown: 3600, Degraded: 3600}},
		{"after now is excluded", 5 * h, 8 * h, Seconds{Degraded: 3600}},
		{"all in the future", 7 * h, 8 * h, Seconds{}},
		{"partial hours", 90 * time.Minute, 150 * time.Minute, Seconds{Down: 1800, Partial: 1800}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := db.Availability(s, at(tc.from), at(tc.to), now, 0.3)
			if err != nil {
				t.Fatal(err)
			}
			if w.Seconds != tc.want {
				t.Errorf("seconds = %+v, want %+v", w.Seconds, tc.want)
			}
			if w.Duration != tc.to-tc.from {
				t.Errorf("duration = %s", w.Duration)
			}
			if (w.Ratio == nil) != (tc.want.Known() == 0) {
				t.Errorf("ratio = %v for %+v", w.Ratio, tc.want)
			}
		})
	}
}

// naiveSeg is one interval of the reference model; open ones end at the
// far future.
type naiveSeg struct {
	state      State
	start, end time.Time
}

var farFuture = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)

func (s naiveSeg) String() string {
	end := "open"
	if s.end != farFuture {
		end = s.end.Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("%s %s..%s", s.state, s.start.Format(time.RFC3339Nano), end)
}

// naiveApply applies a transition to the reference model with the
// documented rules.
func naiveApply(m []naiveSeg, tr Transition) []naiveSeg {
	if len(m) == 0 {
		return append(m, naiveSeg{tr.State, tr.At, farFuture})
	}
	last := &m[len(m)-1]
	if last.state == tr.State {
		return m
	}
	a := Latest(tr.At, last.start)
	if a.Equal(last.start) {
		last.state = tr.State
		return m
	}
	last.end = a
	return append(m, naiveSeg{tr.State, a, farFuture})
}

// naiveSeconds is the reference computation: exact overlap of every
// segment with [from, min(to, now)); the open one ends at now.
func naiveSeconds(m []naiveSeg, from, to, now time.Time) Seconds {
	to = minTime(to, now)
	if !from.Before(to) {
		return Seconds{}
	}
	var per [numStates]time.Duration
	var covered time.Duration
	for _, s := range m {
		end := minTime(s.end, now)
		a, b := Latest(s.start, from), minTime(end, to)
		if a.Before(b) && s.state != StateUnknown {
			per[s.state] += b.Sub(a)
			covered += b.Sub(a)
		}
	}
	f := func(d time.Duration) float64 { return d.Seconds() }
	return Seconds{Up: f(per[StateUp]), Degraded: f(per[StateDegraded]), Partial: f(per[StatePartial]),
		Down: f(per[StateDown]), Maintenance: f(per[StateMaintenance]), Unknown: f(to.Sub(from) - covered)}
}

func closeSeconds(a, b Seconds) bool {
	const eps = 1e-6
	return math.Abs(a.Up-b.Up) < eps && math.Abs(a.Degraded-b.Degraded) < eps &&
		math.Abs(a.Partial-b.Partial) < eps && math.Abs(a.Down-b.Down) < eps &&
		math.Abs(a.Maintenance-b.Maintenance) < eps && math.Abs(a.Unknown-b.Unknown) < eps
}

// history is one random subject history near a day boundary or a DST
// change in loc.
type history struct {
	calls [][]Transition
	model []naiveSeg
	first time.Time
	last  time.Time
}

func randomHistory(rng *rand.Rand, s Subject, loc *time.Location) history {
	anchors := []time.Time{
		time.Date(2025, 3, 30, 2, 0, 0, 0, loc),  // spring forward: 23 h day
		time.Date(2025, 10, 26, 2, 0, 0, 0, loc), // fall back: 25 h day
		time.Date(2026, 3, 29, 0, 0, 0, 0, loc),
		time.Date(2026, 6, 15, 0, 0, 0, 0, loc),
	}
	cur := anchors[rng.IntN(len(anchors))].Add(-time.Duration(rng.Int64N(int64(72 * time.Hour))))
	h := history{first: cur}
	n := 1 + rng.IntN(14)
	var call []Transition
	for range n {
		tr := Transition{Subject: s, State: State(rng.IntN(numStates)), At: cur}
		call = append(call, tr)
		h.model = naiveApply(h.model, tr)
		h.last = Latest(h.last, cur)
		if rng.IntN(3) == 0 {
			h.calls, call = append(h.calls, call), nil
		}
		switch rng.IntN(6) {
		case 0: // to the next midnight exactly
			d := dateOf(cur, loc).add(1)
			cur = time.Date(d.y, d.m, d.d, 0, 0, 0, 0, loc)
		case 1: // the clock went back
			cur = cur.Add(-time.Duration(rng.Int64N(int64(time.Hour))))
		case 2: // long
			cur = cur.Add(time.Duration(rng.Int64N(int64(60 * time.Hour))))
		default:
			cur = cur.Add(time.Duration(rng.Int64N(int64(6 * time.Hour))))
		}
	}
	h.calls = append(h.calls, call)
	return h
}

// TestAvailabilityMatchesNaive compares Availability, Windows and Days
// with the reference computation on thousands of random histories.
func TestAvailabilityMatchesNaive(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(filepath.Join(t.TempDir(), FileName), Options{Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { checkAndClose(t, db) })
	db.bolt.NoSync = true
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		s := ComponentSubject(fmt.Sprint(i))
		h := randomHistory(rng, s, loc)
		for _, call := range h.calls {
			if err := db.RecordTransitions(call); err != nil {
				t.Fatal(err)
			}
		}
		now := h.first.Add(-24 * time.Hour).Add(time.Duration(rng.Int64N(int64(h.last.Sub(h.first) + 96*time.Hour))))
		compareRanges(t, db, rng, s, h, now)
		compareDays(t, db, rng, s, h, now, loc)
		if t.Failed() {
			t.Fatalf("history %d: %v, now %s", i, h.model, now)
		}
	}
}

func compareRanges(t *testing.T, db *DB, rng *rand.Rand, s Subject, h history, now time.Time) {
	t.Helper()
	for range 4 {
		from := h.first.Add(-48 * time.Hour).Add(time.Duration(rng.Int64N(int64(h.last.Sub(h.first) + 96*time.Hour))))
		to := from.Add(time.Duration(rng.Int64N(int64(10 * 24 * time.Hour))))
		w, err := db.Availability(s, from, to, now, 0.3)
		if err != nil {
			t.Fatal(err)
		}
		if want := naiveSeconds(h.model, from, to, now); !closeSeconds(w.Seconds, want) {
			t.Errorf("Availability [%s, %s): got %+v, want %+v", from, to, w.Seconds, want)
		}
	}
	durs := []time.Duration{24 * time.Hour, 7 * 24 * time.Hour, time.Duration(1 + rng.Int64N(int64(5*24*time.Hour)))}
	ws, err := db.Windows([]Subject{s}, durs, now, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range durs {
		want := naiveSeconds(h.model, now.Add(-d), now, now)
		if got := ws[s][i]; !closeSeconds(got.Seconds, want) || !equalRatio(got.Ratio, want.Ratio(0.3)) {
			t.Errorf("window %s: got %+v, want %+v", d, got.Seconds, want)
		}
	}
}

func compareDays(t *testing.T, db *DB, rng *rand.Rand, s Subject, h history, now time.Time, loc *time.Location) {
	t.Helper()
	n := 1 + rng.IntN(10)
	days, err := db.Days(s, n, now, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	y, m, d := now.In(loc).Date()
	for i, day := range days {
		start := time.Date(y, m, d-(n-1-i), 0, 0, 0, 0, loc)
		end := time.Date(y, m, d-(n-1-i)+1, 0, 0, 0, 0, loc)
		if want := start.Format(time.DateOnly); day.Date != want {
			t.Errorf("day %d date %s, want %s", i, day.Date, want)
		}
		if want := naiveSeconds(h.model, start, end, now); !closeSeconds(day.Seconds, want) {
			t.Errorf("day %s: got %+v, want %+v", day.Date, day.Seconds, want)
		}
	}
}

func equalRatio(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return math.Abs(*a-*b) < 1e-9
}

// TestTimeZoneChangeMovesRollups reopens a database with another page
// time zone: days follow the new calendar.
func TestTimeZoneChangeMovesRollups(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), FileName)
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var hs []history
	for i := range 50 {
		h := randomHistory(rng, ComponentSubject(fmt.Sprint(i)), berlin)
		for _, call := range h.calls {
			if err := db.RecordTransitions(call); err != nil {
				t.Fatal(err)
			}
		}
		hs = append(hs, h)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, Options{Location: berlin})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { checkAndClose(t, db) })
	for i, h := range hs {
		now := h.last.Add(time.Duration(rng.Int64N(int64(48 * time.Hour))))
		compareDays(t, db, rng, ComponentSubject(fmt.Sprint(i)), h, now, berlin)
	}
}

func TestWindowLabel(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{24 * time.Hour, "24h"}, {36 * time.Hour, "36h"}, {48 * time.Hour, "2d"}, {7 * 24 * time.Hour, "7d"},
		{90 * 24 * time.Hour, "90d"}, {time.Hour, "1h"}, {30 * time.Minute, "30m"}, {90 * time.Minute, "1h30m"},
		{10 * time.Hour, "10h"}, {10 * time.Second, "10s"}, {90 * time.Second, "1m30s"}, {time.Hour + 10*time.Second, "1h0m10s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := WindowLabel(tt.d); got != tt.want {
				t.Errorf("WindowLabel(%s) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
}
