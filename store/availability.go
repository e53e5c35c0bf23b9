package store

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Seconds in each state over a range.
type Seconds struct{ Up, Degraded, Partial, Down, Maintenance, Unknown float64 }

// Total is the length of the range (up to now).
func (s Seconds) Total() float64 {
	return s.Up + s.Degraded + s.Partial + s.Down + s.Maintenance + s.Unknown
}

// Known is the time availability is computed over: total minus
// maintenance and unknown.
func (s Seconds) Known() float64 { return s.Total() - s.Maintenance - s.Unknown }

// Ratio returns the availability per SPEC §8, nil when known is 0:
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
	if n <= 0 || n > 10000 {
		return nil, fmt.Errorf("store: days: %w: n = %d", ErrInvalid, n)
	}
	today := dateOf(now, db.loc)
	first := today.add(1 - n)
	out := make([]Day, n)
	err := db.bolt.View(func(tx *bolt.Tx) error {
		r, err := newReader(tx, s, db.loc)
		if err != nil {
			return err
		}
		rollups, err := r.rollups(first, today.add(1))
		if err != nil {
			return err
		}
		for i := range out {
			d := first.add(i)
			if err := r.day(&out[i], d, rollups[d], now, partialWeight); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: days of %s: %w", s, err)
	}
	return out, nil
}

// day fills out for date d. Past days come from the rollup plus the open
// interval; today is read from the intervals up to now.
func (r *reader) day(out *Day, d date, ru rollup, now time.Time, partialWeight float64) error {
	start, end := d.start(r.loc), minTime(d.add(1).start(r.loc), now)
	out.Date = d.String()
	out.Probes = int(ru.probes[0] + ru.probes[1] + ru.probes[2])
	out.Latency = ru.latency
	if !start.Before(end) {
		return nil
	}
	var n nanos
	if end.Equal(now) {
		if err := r.closed(start, end, &n); err != nil {
			return err
		}
	} else {
		n.add(ru.ns)
	}
	r.openIn(start, end, &n)
	out.Seconds = n.seconds(end.Sub(start))
	out.Ratio = out.Seconds.Ratio(partialWeight)
	return nil
}

// reader reads one subject's intervals and rollups inside a transaction.
type reader struct {
	loc  *time.Location
	iv   *bolt.Bucket // nil when the subject has no intervals
	ru   *bolt.Bucket // nil when it has no rollups
	open Interval
	has  bool // open is set
}

func newReader(tx *bolt.Tx, s Subject, loc *time.Location) (*reader, error) {
	name := s.bucket()
	r := &reader{loc: loc, iv: tx.Bucket(bucketIntervals).Bucket(name), ru: tx.Bucket(bucketRollups).Bucket(name)}
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

// sums returns per-state nanoseconds over [froms[i], end) for each i. Whole
// days inside a range come from rollups, read once for all ranges; the
// partial days at the edges from closed intervals; the open interval,
// which no rollup holds yet, is added last.
func (r *reader) sums(froms []time.Time, end time.Time) ([]nanos, error) {
	out := make([]nanos, len(froms))
	todayStart := dateOf(end, r.loc).start(r.loc)
	firsts := make([]date, len(froms)) // first whole day of each range
	earliest, whole := dateOf(end, r.loc), false
	for i, from := range froms {
		d := dateOf(from, r.loc)
		if d.start(r.loc).Before(from) {
			d = d.add(1)
		}
		firsts[i] = d
		if d.start(r.loc).Before(todayStart) {
			earliest, whole = minDate(earliest, d), true
		}
	}
	var tail nanos // closed intervals in [todayStart, end), shared
	var days []dayNanos
	if whole {
		if err := r.closed(todayStart, end, &tail); err != nil {
			return nil, err
		}
		var err error
		if days, err = r.rollupNanos(earliest, dateOf(end, r.loc)); err != nil {
			return nil, err
		}
	}
	for i, from := range froms {
		n := &out[i]
		if first := firsts[i].start(r.loc); first.Before(todayStart) {
			if err := r.closed(from, first, n); err != nil {
				return nil, err
			}
			for _, d := range days {
				if !d.date.before(firsts[i]) {
					n.add(d.ns)
				}
			}
			for j := range n {
				n[j] += tail[j]
			}
		} else if err := r.closed(from, end, n); err != nil {
			return nil, err
		}
		r.openIn(from, end, n)
	}
	return out, nil
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

// rollups reads the rollups of days in [first, end).
func (r *reader) rollups(first, end date) (map[date]rollup, error) {
	out := make(map[date]rollup)
	err := r.eachRollup(first, end, func(d date, v []byte) error {
		ru, err := decodeRollup(v)
		out[d] = ru
		return err
	})
	return out, err
}

type dayNanos struct {
	date date
	ns   [numStates]uint64
}

// rollupNanos reads the state times of the days in [first, end).
func (r *reader) rollupNanos(first, end date) ([]dayNanos, error) {
	var out []dayNanos
	err := r.eachRollup(first, end, func(d date, v []byte) error {
		ns, err := decodeRollupNanos(v)
		out = append(out, dayNanos{d, ns})
		return err
	})
	return out, err
}

func (r *reader) eachRollup(first, end date, fn func(d date, v []byte) error) error {
	if r.ru == nil {
		return nil
	}
	c := r.ru.Cursor()
	stop := end.key()
	for k, v := c.Seek(first.key()); k != nil && bytes.Compare(k, stop) < 0; k, v = c.Next() {
		if err := fn(keyDate(k), v); err != nil {
			return fmt.Errorf("rollup %s: %w", keyDate(k), err)
		}
	}
	return nil
}

// overlap is the length of [a, b) ∩ [from, to) in nanoseconds.
func overlap(a, b, from, to time.Time) int64 {
	a, b = maxTime(a, from), minTime(b, to)
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

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func minDate(a, b date) date {
	if b.before(a) {
		return b
	}
	return a
}
