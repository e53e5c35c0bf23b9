package store

import (
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestDayStart checks the first instant of every day for several years in
// zones whose clock changes skip or repeat midnight.
func TestDayStart(t *testing.T) {
	for _, name := range []string{"UTC", "Europe/Berlin", "America/Santiago", "Asia/Beirut", "America/Havana",
		"America/Sao_Paulo", "Australia/Lord_Howe", "Pacific/Apia"} {
		t.Run(name, func(t *testing.T) {
			loc, err := time.LoadLocation(name)
			if err != nil {
				t.Fatal(err)
			}
			for d := (date{2010, 1, 1}); d.before(date{2027, 1, 1}); d = d.add(1) {
				s := d.start(loc)
				if got := dateOf(s, loc); got.before(d) || (got != d && !d.add(1).start(loc).Equal(s)) {
					t.Fatalf("start of %s is %s, on %s", d, s, got)
				}
				if prev := dateOf(s.Add(-time.Second), loc); !prev.before(d) {
					t.Fatalf("start of %s is %s, but a second earlier is %s", d, s, prev)
				}
			}
		})
	}
}

func TestSpanDays(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	h := time.Hour
	tests := []struct {
		name     string
		from, to time.Time
		want     map[string]time.Duration
	}{
		{"inside a day", time.Date(2025, 3, 29, 10, 0, 0, 0, berlin), time.Date(2025, 3, 29, 11, 0, 0, 0, berlin),
			map[string]time.Duration{"2025-03-29": h}},
		{"spring forward day is 23 h", time.Date(2025, 3, 29, 12, 0, 0, 0, berlin), time.Date(2025, 3, 31, 1, 0, 0, 0, berlin),
			map[string]time.Duration{"2025-03-29": 12 * h, "2025-03-30": 23 * h, "2025-03-31": h}},
		{"fall back day is 25 h", time.Date(2025, 10, 26, 0, 0, 0, 0, berlin), time.Date(2025, 10, 27, 0, 0, 0, 0, berlin),
			map[string]time.Duration{"2025-10-26": 25 * h}},
		{"empty", time.Date(2025, 10, 26, 0, 0, 0, 0, berlin), time.Date(2025, 10, 26, 0, 0, 0, 0, berlin), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]time.Duration{}
			err := spanDays(tc.from, tc.to, berlin, func(d date, ns int64) error {
				got[d.String()] += time.Duration(ns)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestLatencyBucket(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want int
	}{
		{0, 0}, {25 * time.Millisecond, 0}, {26 * time.Millisecond, 1}, {time.Second, 5},
		{10 * time.Second, 8}, {11 * time.Second, 9}, {-1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.d.String(), func(t *testing.T) {
			if got := latencyBucket(tc.d); got != tc.want {
				t.Errorf("latencyBucket(%s) = %d, want %d", tc.d, got, tc.want)
			}
		})
	}
	if len(LatencyBounds()) != LatencyBuckets-1 {
		t.Errorf("LatencyBounds() has %d bounds", len(LatencyBounds()))
	}
}

func FuzzDecodeRollup(f *testing.F) {
	r := rollup{probes: [3]uint64{2880, 1, 0}}
	r.ns[StateUp] = uint64(23 * time.Hour)
	r.latency[2] = 2880
	f.Add(encodeRollup(&r))
	f.Add(encodeRollup(&rollup{}))
	f.Add([]byte{1, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRollup(b)
		ns, errNs := decodeRollupNanos(b)
		if err != nil {
			return
		}
		if errNs != nil || ns != r.ns {
			t.Fatalf("decodeRollupNanos disagrees: %v %v, %v", ns, r.ns, errNs)
		}
		again, err := decodeRollup(encodeRollup(&r))
		if err != nil || again != r {
			t.Fatalf("round trip of %+v gave %+v, %v", r, again, err)
		}
	})
}

// The latest day's probe counts live in probe-days until a later day
// arrives; then they move to the subject's rollups. A late result of an
// earlier day goes straight there. Days adds both up either way.
func TestProbeCountsMoveWhenTheDayIsOver(t *testing.T) {
	db := openTest(t)
	day1 := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
	day2 := day1.Add(24 * time.Hour)
	write := func(ts ...time.Time) {
		t.Helper()
		var rs []Result
		for _, ts := range ts {
			rs = append(rs, Result{Check: "web/home", Time: ts, Outcome: OutcomeUp, Duration: 30 * time.Millisecond})
		}
		if err := db.WriteResults(rs); err != nil {
			t.Fatal(err)
		}
	}
	probes := func() []int {
		t.Helper()
		days, err := db.Days(CheckSubject("web/home"), 2, day2.Add(time.Hour), 0.3)
		if err != nil {
			t.Fatal(err)
		}
		return []int{days[0].Probes, days[1].Probes}
	}
	stored := func() (current date, inRollups int) {
		t.Helper()
		_ = db.bolt.View(func(tx *bolt.Tx) error {
			c, err := readCurrentProbes(tx, CheckSubject("web/home").bucket())
			if err != nil {
				t.Fatal(err)
			}
			current = c.day
			if b := tx.Bucket(bucketRollups).Bucket(CheckSubject("web/home").bucket()); b != nil {
				if v := b.Get(dateOf(day1, time.UTC).key()); v != nil {
					r, _ := decodeRollup(v)
					inRollups = int(r.probes[0])
				}
			}
			return nil
		})
		return current, inRollups
	}
	write(day1, day1.Add(time.Minute))
	if got := probes(); got[0] != 2 || got[1] != 0 {
		t.Errorf("after day 1: %v", got)
	}
	if cur, in := stored(); cur != dateOf(day1, time.UTC) || in != 0 {
		t.Errorf("after day 1: current %v, %d in rollups", cur, in)
	}
	write(day2)
	if cur, in := stored(); cur != dateOf(day2, time.UTC) || in != 2 {
		t.Errorf("after day 2: current %v, %d in rollups", cur, in)
	}
	write(day1.Add(2 * time.Minute)) // late
	if got := probes(); got[0] != 3 || got[1] != 1 {
		t.Errorf("after a late result: %v", got)
	}
	if cur, in := stored(); cur != dateOf(day2, time.UTC) || in != 3 {
		t.Errorf("after a late result: current %v, %d in rollups", cur, in)
	}
}

// FuzzDecodeCurrentProbes: any bytes in probe-days decode or fail cleanly,
// and what decodes writes back the same.
func FuzzDecodeCurrentProbes(f *testing.F) {
	r := rollup{probes: [3]uint64{5, 1, 0}}
	r.latency[1] = 6
	f.Add(append(date{2026, 11, 24}.key(), encodeRollup(&r)...))
	f.Add([]byte{0, 1, 2})
	f.Add(make([]byte, 8))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeCurrentProbes(b)
		if err != nil {
			return
		}
		again, err := decodeCurrentProbes(append(c.day.key(), encodeRollup(&c.counts)...))
		if err != nil || again.counts != c.counts || again.day != c.day {
			t.Fatalf("round trip of %+v gave %+v, %v", c, again, err)
		}
	})
}
