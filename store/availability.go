package store

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Seconds in each state over a range.
type Seconds struct{ Up, Degraded, Partial, Down, Maintenance, Unknown float64 }

// Total is the length of the range (up to now).
func (s Seconds) Total() float64 {
	return s.Up + s.Degraded + s.Partial + s.Down + s.Maintenance + s.Unknown
}

// Add adds o's seconds to s, as when summing days into a range.
func (s *Seconds) Add(o Seconds) {
	s.Up += o.Up
	s.Degraded += o.Degraded
	s.Partial += o.Partial
	s.Down += o.Down
	s.Maintenance += o.Maintenance
	s.Unknown += o.Unknown
}

// Known is the time availability is computed over: total minus
// maintenance and unknown, summed from the known states so that a short
// known time beside a long unknown one is not lost to rounding.
func (s Seconds) Known() float64 { return s.Up + s.Degraded + s.Partial + s.Down }

// Ratio returns the availability, nil when nothing is known (known is 0):
// (known − down − partialWeight·partial) / known; degraded counts as up.
func (s Seconds) Ratio(partialWeight float64) *float64 {
	known := s.Known()
	if known <= 0 {
		return nil
	}
	r := (known - s.Down - partialWeight*s.Partial) / known
	return &r
}

// Window is the availability of a subject over [From, To).
type Window struct {
	Duration time.Duration
	From, To time.Time
	Seconds  Seconds
	Ratio    *float64
}

// WindowLabel names a window as operators write it: 24h, 7d, 90d, 30m,
// 1h30m. The JSON documents and the availability metric label windows
// with it.
func WindowLabel(d time.Duration) string {
	const day = 24 * time.Hour
	if d >= 2*day && d%day == 0 {
		return strconv.Itoa(int(d/day)) + "d"
	}
	s := d.String() // 1h30m0s, 30m0s, 45s
	if t, ok := strings.CutSuffix(s, "m0s"); ok {
		s = t + "m"
	}
	if t, ok := strings.CutSuffix(s, "h0m"); ok {
		s = t + "h"
	}
	return s
}

// Day is the availability of a subject on one calendar day.
type Day struct {
	Date    string // YYYY-MM-DD in the store's location
	Seconds Seconds
	Ratio   *float64
	Probes  int // probes that day (checks only)
	// Latency counts the day's probes per latency bucket (LatencyBounds).
	Latency [LatencyBuckets]uint64
}

// nanos per State over a range, from intervals and rollups.
type nanos [numStates]int64

func (n *nanos) add(o [numStates]uint64) {
	for i, v := range o {
		n[i] += int64(v)
	}
}

// seconds turns per-state nanoseconds over a range of length total into
// Seconds: time not covered by a known state is unknown.
func (n *nanos) seconds(total time.Duration) Seconds {
	known := n[StateUp] + n[StateDegraded] + n[StatePartial] + n[StateDown] + n[StateMaintenance]
	unknown := max(int64(total)-known, 0)
	f := func(v int64) float64 { return float64(v) / 1e9 }
	return Seconds{Up: f(n[StateUp]), Degraded: f(n[StateDegraded]), Partial: f(n[StatePartial]),
		Down: f(n[StateDown]), Maintenance: f(n[StateMaintenance]), Unknown: f(unknown)}
}

// Availability computes [from, to) for s. The open interval counts until
// now; time after now is excluded from the range, time without data is
// unknown.
func (db *DB) Availability(s Subject, from, to, now time.Time, partialWeight float64) (Window, error) {
	w := Window{Duration: to.Sub(from), From: from, To: to}
	end := minTime(to, now)
	if !from.Before(end) {
		return w, nil
	}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		r, err := newReader(tx, s, db.loc)
		if err != nil {
			return err
		}
		sums, err := r.sums([]time.Time{from}, end)
		if err != nil {
			return err
		}
		w.Seconds = sums[0].seconds(end.Sub(from))
		return nil
	})
	if err != nil {
		return w, fmt.Errorf("store: availability of %s: %w", s, err)
	}
	w.Ratio = w.Seconds.Ratio(partialWeight)
	return w, nil
}

// Windows computes every window ending at now for every subject, in one
// read transaction. The result has one Window per duration, in order.
func (db *DB) Windows(subjects []Subject, windows []time.Duration, now time.Time, partialWeight float64) (map[Subject][]Window, error) {
	out := make(map[Subject][]Window, len(subjects))
	froms := make([]time.Time, len(windows))
	for i, d := range windows {
		if d <= 0 {
			return nil, fmt.Errorf("store: windows: %w: duration %s", ErrInvalid, d)
		}
		froms[i] = now.Add(-d)
	}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		for _, s := range subjects {
			r, err := newReader(tx, s, db.loc)
			if err != nil {
				return err
			}
			sums, err := r.sums(froms, now)
			if err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
			ws := make([]Window, len(windows))
			for i, d := range windows {
				ws[i] = Window{Duration: d, From: froms[i], To: now, Seconds: sums[i].seconds(d)}
				ws[i].Ratio = ws[i].Seconds.Ratio(partialWeight)
			}
			out[s] = ws
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: windows: %w", err)
	}
	return out, nil
}

// Days returns the last n calendar days in the store's location, oldest
// first, today (up to now) last.
func (db *DB) Days(s Subject, n int, now time.Time, partialWeight float64) ([]Day, error) {
	m, err := db.DaysFor([]Subject{s}, n, now, partialWeight)
	return m[s], err
}

// DaysFor returns Days for every subject, in one read transaction.
func (db *DB) DaysFor(subjects []Subject, n int, now time.Time, partialWeight float64) (map[Subject][]Day, error) {
	if n <= 0 || n > 10000 {
		return nil, fmt.Errorf("store: days: %w: n = %d", ErrInvalid, n)
	}
	cal := newCalendar(dateOf(now, db.loc).add(1-n), n, now, db.loc)
	out := make(map[Subject][]Day, len(subjects))
	err := db.bolt.View(func(tx *bolt.Tx) error {
		for _, s := range subjects {
			r, err := newReader(tx, s, db.loc)
			if err != nil {
				return err
			}
			days, err := r.days(cal, partialWeight)
			if err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
			out[s] = days
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: days: %w", err)
	}
	return out, nil
}

// calendar is n consecutive days from first, the last one ending at now.
type calendar struct {
	first  date
	starts []time.Time // start of each day, then the end of the last (now)
	keys   [][]byte    // rollup key of each day, then of the day after
	names  []string
}

func newCalendar(first date, n int, now time.Time, loc *time.Location) *calendar {
	c := &calendar{first: first, starts: make([]time.Time, n+1), keys: make([][]byte, n+1), names: make([]string, n)}
	for i := range c.starts {
		d := first.add(i)
		c.starts[i], c.keys[i] = minTime(d.start(loc), now), d.key()
		if i < n {
			c.names[i] = d.String()
		}
	}
	c.starts[n] = now
	return c
}

// days computes the calendar's days: past days from their rollup plus the
// open interval; today from the intervals up to now.
func (r *reader) days(cal *calendar, partialWeight float64) ([]Day, error) {
	n := len(cal.names)
	out := make([]Day, n)
	rollups := make([]rollup, n)
	err := r.eachRollup(cal.keys[0], cal.keys[n], func(k, v []byte) error {
		i := int(keyTime(k).Sub(keyTime(cal.keys[0])) / (24 * time.Hour))
		var err error
		if i >= 0 && i < n {
			rollups[i], err = decodeRollup(v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	c, err := readCurrentProbes(r.tx, r.name)
	if err != nil {
		return nil, err
	}
	if c.set {
		if i := int(keyTime(c.day.key()).Sub(keyTime(cal.keys[0])) / (24 * time.Hour)); i >= 0 && i < n {
			rollups[i].addProbes(&c.counts)
		}
	}
	for i := range out {
		d, ru := &out[i], &rollups[i]
		d.Date, d.Latency = cal.names[i], ru.latency
		d.Probes = int(ru.probes[0] + ru.probes[1] + ru.probes[2])
		start, end := cal.starts[i], cal.starts[i+1]
		if !start.Before(end) {
			continue
		}
		var ns nanos
		if i == n-1 {
			if err := r.closed(start, end, &ns); err != nil {
				return nil, err
			}
		} else {
			ns.add(ru.ns)
		}
		r.openIn(start, end, &ns)
		d.Seconds = ns.seconds(end.Sub(start))
		d.Ratio = d.Seconds.Ratio(partialWeight)
	}
	return out, nil
}

// reader reads one subject's intervals and rollups inside a transaction.
type reader struct {
	loc  *time.Location
	iv   *bolt.Bucket // nil when the subject has no intervals
	ru   *bolt.Bucket // nil when it has no rollups
	open Interval
	has  bool // open is set
	// tx and name find the subject's probe counts of its latest day,
	// kept apart from its rollups until that day is over; only days()
	// needs them.
	tx   *bolt.Tx
	name []byte
}

func newReader(tx *bolt.Tx, s Subject, loc *time.Location) (*reader, error) {
	name := s.bucket()
	r := &reader{loc: loc, iv: tx.Bucket(bucketIntervals).Bucket(name), ru: tx.Bucket(bucketRollups).Bucket(name), tx: tx, name: name}
	if r.iv == nil {
		return r, nil
	}
	if k, v := r.iv.Cursor().Last(); k != nil {
		iv, err := decodeInterval(keyTime(k), v)
		if err != nil {
			return nil, fmt.Errorf("%s: open interval: %w", s, err)
		}
		r.open, r.has = iv, iv.Open()
	}
	return r, nil
}

// sums returns per-state nanoseconds over [froms[i], end) for each i. A
// range with whole days is read in three parts: [from, first whole day)
// from the closed intervals there, the whole days from rollups (read
// once for all ranges), and [start of today, end) from the closed
// intervals (shared). The open interval, which no rollup holds yet, is
// added last.
func (r *reader) sums(froms []time.Time, end time.Time) ([]nanos, error) {
	out := make([]nanos, len(froms))
	today := dateOf(end, r.loc)
	todayStart := today.start(r.loc)
	firstKeys := make([][]byte, len(froms)) // nil: the range has no whole day
	var earliest []byte
	for i, from := range froms {
		d := dateOf(from, r.loc)
		first := d.start(r.loc)
		if first.Before(from) {
			d = d.add(1)
			first = d.start(r.loc)
		}
		if !first.Before(todayStart) {
			if err := r.closed(from, end, &out[i]); err != nil {
				return nil, err
			}
			continue
		}
		if err := r.closed(from, first, &out[i]); err != nil {
			return nil, err
		}
		firstKeys[i] = d.key()
		if earliest == nil || bytes.Compare(firstKeys[i], earliest) < 0 {
			earliest = firstKeys[i]
		}
	}
	if earliest != nil {
		if err := r.wholeDays(out, firstKeys, earliest, today.key(), todayStart, end); err != nil {
			return nil, err
		}
	}
	for i, from := range froms {
		r.openIn(from, end, &out[i])
	}
	return out, nil
}

// wholeDays adds to out[i] the rollups from firstKeys[i] up to today and
// the closed intervals of today up to end.
func (r *reader) wholeDays(out []nanos, firstKeys [][]byte, earliest, todayKey []byte, todayStart, end time.Time) error {
	var tail nanos
	if err := r.closed(todayStart, end, &tail); err != nil {
		return err
	}
	err := r.eachRollup(earliest, todayKey, func(k, v []byte) error {
		ns, err := decodeRollupNanos(v)
		for i, fk := range firstKeys {
			if fk != nil && bytes.Compare(k, fk) >= 0 {
				out[i].add(ns)
			}
		}
		return err
	})
	for i, fk := range firstKeys {
		if fk != nil {
			for j := range tail {
				out[i][j] += tail[j]
			}
		}
	}
	return err
}

// closed adds the overlap of closed intervals with [from, to) to n.
func (r *reader) closed(from, to time.Time, n *nanos) error {
	if r.iv == nil {
		return nil
	}
	return scanIntervals(r.iv, from, to, func(iv Interval) {
		if !iv.Open() {
			n[iv.State] += overlap(iv.Start, iv.End, from, to)
		}
	})
}

// openIn adds the overlap of the open interval with [from, to) to n.
func (r *reader) openIn(from, to time.Time, n *nanos) {
	if r.has {
		n[r.open.State] += overlap(r.open.Start, to, from, to)
	}
}

// eachRollup calls fn for each rollup with first <= key < stop.
func (r *reader) eachRollup(first, stop []byte, fn func(k, v []byte) error) error {
	if r.ru == nil {
		return nil
	}
	c := r.ru.Cursor()
	for k, v := c.Seek(first); k != nil && bytes.Compare(k, stop) < 0; k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return fmt.Errorf("rollup %s: %w", keyDate(k), err)
		}
	}
	return nil
}

// overlap is the length of [a, b) ∩ [from, to) in nanoseconds.
func overlap(a, b, from, to time.Time) int64 {
	a, b = Latest(a, from), minTime(b, to)
	if !a.Before(b) {
		return 0
	}
	return int64(b.Sub(a))
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// Latest returns the later of a and b. It is the one such helper of the
// project (store, incident and publish all compare times this way).
func Latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
