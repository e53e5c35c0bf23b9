package store

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 28, 22, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func TestRecordTransitions(t *testing.T) {
	web := CheckSubject("web/home")
	tests := []struct {
		name  string
		calls [][]Transition
		want  []Interval
	}{
		{"first opens", [][]Transition{{{web, StateUp, at(0)}}},
			[]Interval{{StateUp, at(0), time.Time{}}}},
		{"change closes", [][]Transition{{{web, StateUp, at(0)}, {web, StateDown, at(time.Hour)}}},
			[]Interval{{StateUp, at(0), at(time.Hour)}, {StateDown, at(time.Hour), time.Time{}}}},
		{"same state is a no-op", [][]Transition{{{web, StateUp, at(0)}}, {{web, StateUp, at(time.Hour)}}},
			[]Interval{{StateUp, at(0), time.Time{}}}},
		{"earlier time is clamped", [][]Transition{
			{{web, StateUp, at(0)}, {web, StateDown, at(2 * time.Hour)}},
			{{web, StateDegraded, at(time.Hour)}, {web, StateUp, at(3 * time.Hour)}}},
			[]Interval{{StateUp, at(0), at(2 * time.Hour)}, {StateDegraded, at(2 * time.Hour), at(3 * time.Hour)},
				{StateUp, at(3 * time.Hour), time.Time{}}}},
		{"separate calls", [][]Transition{{{web, StateUnknown, at(0)}}, {{web, StateMaintenance, at(time.Minute)}},
			{{web, StateDown, at(2 * time.Minute)}}},
			[]Interval{{StateUnknown, at(0), at(time.Minute)}, {StateMaintenance, at(time.Minute), at(2 * time.Minute)},
				{StateDown, at(2 * time.Minute), time.Time{}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openTest(t)
			for _, ts := range tc.calls {
				if err := db.RecordTransitions(ts); err != nil {
					t.Fatal(err)
				}
			}
			got, err := db.Intervals(web, at(-time.Hour), at(24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if !equalIntervals(got, tc.want) {
				t.Errorf("intervals:\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}

func equalIntervals(a, b []Interval) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].State != b[i].State || !a[i].Start.Equal(b[i].Start) || !a[i].End.Equal(b[i].End) {
			return false
		}
	}
	return true
}

func TestRecordTransitionsInvalid(t *testing.T) {
	db := openTest(t)
	tests := []struct {
		name string
		tr   Transition
	}{
		{"no kind", Transition{Subject{ID: "x"}, StateUp, at(0)}},
		{"no id", Transition{ComponentSubject(""), StateUp, at(0)}},
		{"bad state", Transition{ComponentSubject("x"), StateMaintenance + 1, at(0)}},
		{"zero time", Transition{ComponentSubject("x"), StateUp, time.Time{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := db.RecordTransitions([]Transition{{ComponentSubject("ok"), StateUp, at(0)}, tc.tr})
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error = %v, want ErrInvalid", err)
			}
		})
	}
	open, err := db.OpenIntervals()
	if err != nil || len(open) != 0 {
		t.Errorf("a rejected call wrote %v (%v)", open, err)
	}
}

func TestIntervalsRange(t *testing.T) {
	db := openTest(t)
	s := ComponentSubject("web")
	var ts []Transition
	for i, st := range []State{StateUp, StateDown, StateUp, StatePartial} {
		ts = append(ts, Transition{s, st, at(time.Duration(i) * time.Hour)})
	}
	if err := db.RecordTransitions(ts); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		from, to time.Duration
		states   []State
	}{
		{"all", -time.Hour, 10 * time.Hour, []State{StateUp, StateDown, StateUp, StatePartial}},
		{"inside one", 90 * time.Minute, 100 * time.Minute, []State{StateDown}},
		{"at a boundary", time.Hour, 2 * time.Hour, []State{StateDown}},
		{"open only", 5 * time.Hour, 6 * time.Hour, []State{StatePartial}},
		{"before", -2 * time.Hour, -time.Hour, nil},
		{"empty range", time.Hour, time.Hour, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.Intervals(s, at(tc.from), at(tc.to))
			if err != nil {
				t.Fatal(err)
			}
			var states []State
			for _, iv := range got {
				states = append(states, iv.State)
			}
			if len(states) != len(tc.states) {
				t.Fatalf("states = %v, want %v", states, tc.states)
			}
			for i := range states {
				if states[i] != tc.states[i] {
					t.Fatalf("states = %v, want %v", states, tc.states)
				}
			}
		})
	}
	if got, _ := db.Intervals(ComponentSubject("none"), at(0), at(time.Hour)); len(got) != 0 {
		t.Errorf("unknown subject: %v", got)
	}
}

func TestOpenIntervalsAndHeartbeatSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if hb, err := db.LastHeartbeat(); err != nil || !hb.IsZero() {
		t.Errorf("fresh heartbeat = %v, %v", hb, err)
	}
	ts := []Transition{
		{CheckSubject("web/home"), StateUp, at(0)},
		{CheckSubject("web/home"), StateDown, at(time.Minute)},
		{ComponentSubject("web"), StatePartial, at(time.Minute)},
	}
	if err := db.RecordTransitions(ts); err != nil {
		t.Fatal(err)
	}
	if err := db.Heartbeat(at(time.Hour)); err != nil {
		t.Fatal(err)
	}
	db = reopen(t, db, path)
	defer db.Close()
	open, err := db.OpenIntervals()
	if err != nil {
		t.Fatal(err)
	}
	want := map[Subject]Interval{
		CheckSubject("web/home"): {StateDown, at(time.Minute), time.Time{}},
		ComponentSubject("web"):  {StatePartial, at(time.Minute), time.Time{}},
	}
	if len(open) != len(want) {
		t.Fatalf("open = %v", open)
	}
	for s, iv := range want {
		if g := open[s]; g.State != iv.State || !g.Start.Equal(iv.Start) || !g.Open() {
			t.Errorf("open[%s] = %+v, want %+v", s, g, iv)
		}
	}
	if hb, err := db.LastHeartbeat(); err != nil || !hb.Equal(at(time.Hour)) {
		t.Errorf("heartbeat = %v, %v", hb, err)
	}
}

func TestStateAndSubjectNames(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"unknown", StateUnknown.String(), "unknown"},
		{"partial", StatePartial.String(), "partial"},
		{"maintenance", StateMaintenance.String(), "maintenance"},
		{"bad state", State(9).String(), "state(9)"},
		{"check", CheckSubject("a/b").String(), "check:a/b"},
		{"component", ComponentSubject("a").String(), "component:a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func FuzzDecodeInterval(f *testing.F) {
	f.Add(encodeInterval(Interval{State: StateDown, Start: t0, End: t0.Add(time.Hour)}))
	f.Add(encodeInterval(Interval{State: StateUp, Start: t0}))
	f.Add([]byte{1, 5, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		iv, err := decodeInterval(t0, b)
		if err != nil {
			return
		}
		if !iv.Open() && !iv.End.After(iv.Start) {
			t.Fatalf("decoded an empty interval %+v", iv)
		}
		again, err := decodeInterval(t0, encodeInterval(iv))
		if err != nil || again != iv {
			t.Fatalf("round trip of %+v gave %+v, %v", iv, again, err)
		}
	})
}

func FuzzParseSubject(f *testing.F) {
	f.Add([]byte("check:web/home"))
	f.Add([]byte("component:web"))
	f.Add([]byte("check:"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseSubject(b)
		if err != nil {
			return
		}
		if string(s.bucket()) != string(b) {
			t.Fatalf("parse(%q) = %+v, which names %q", b, s, s.bucket())
		}
	})
}

func FuzzDecodeHeartbeat(f *testing.F) {
	f.Add(encodeHeartbeat(t0))
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		hb, err := decodeHeartbeat(b)
		if err != nil {
			return
		}
		if again, err := decodeHeartbeat(encodeHeartbeat(hb)); err != nil || !again.Equal(hb) {
			t.Fatalf("round trip of %v gave %v, %v", hb, again, err)
		}
	})
}
