package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// numStates is the number of State values; rollups index by State.
const numStates = int(StateMaintenance) + 1

// latencyBounds are the upper bounds (inclusive) of the rollup latency
// histogram; a last bucket counts everything slower. Changing them needs a
// new rollup format.
var latencyBounds = [...]time.Duration{
	25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	250 * time.Millisecond, 500 * time.Millisecond, time.Second,
	2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
}

// LatencyBuckets is the number of latency histogram buckets in a Day.
const LatencyBuckets = len(latencyBounds) + 1

// LatencyBounds returns the inclusive upper bounds of the first
// LatencyBuckets-1 histogram buckets; the last bucket is unbounded.
func LatencyBounds() []time.Duration { return append([]time.Duration(nil), latencyBounds[:]...) }

func latencyBucket(d time.Duration) int {
	for i, b := range latencyBounds {
		if d <= b {
			return i
		}
	}
	return len(latencyBounds)
}

// rollup is one subject's day: nanoseconds per state from closed
// intervals, and for checks the probes by outcome and their latencies.
type rollup struct {
	ns      [numStates]uint64
	probes  [3]uint64 // by Outcome-1: up, degraded, down
	latency [LatencyBuckets]uint64
}

// rollupFormatV1 starts a rollup value. Layout: format byte, then
// uvarints: nanoseconds per state (unknown, up, degraded, partial, down,
// maintenance), probes up, degraded, down, then the latency buckets.
const rollupFormatV1 = 1

func encodeRollup(r *rollup) []byte {
	b := make([]byte, 1, 1+numStates*7+3*3+LatencyBuckets*2)
	b[0] = rollupFormatV1
	for _, f := range r.fields() {
		b = binary.AppendUvarint(b, *f)
	}
	return b
}

// fields lists the encoded counters in order.
func (r *rollup) fields() []*uint64 {
	f := make([]*uint64, 0, numStates+len(r.probes)+LatencyBuckets)
	for i := range r.ns {
		f = append(f, &r.ns[i])
	}
	for i := range r.probes {
		f = append(f, &r.probes[i])
	}
	for i := range r.latency {
		f = append(f, &r.latency[i])
	}
	return f
}

var errBadRollup = errors.New("malformed rollup value")

func decodeRollup(b []byte) (rollup, error) {
	var r rollup
	if len(b) < 1 || b[0] != rollupFormatV1 {
		return r, errBadRollup
	}
	b = b[1:]
	for _, f := range r.fields() {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return r, errBadRollup
		}
		*f, b = v, b[n:]
	}
	if len(b) != 0 {
		return r, errBadRollup
	}
	return r, nil
}

// decodeRollupNanos decodes only the state nanoseconds (the hot path of
// availability).
func decodeRollupNanos(b []byte) (ns [numStates]uint64, err error) {
	if len(b) < 1 || b[0] != rollupFormatV1 {
		return ns, errBadRollup
	}
	b = b[1:]
	for i := range ns {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return ns, errBadRollup
		}
		ns[i], b = v, b[n:]
	}
	return ns, nil
}

// date is a civil day.
type date struct {
	y int
	m time.Month
	d int
}

func dateOf(t time.Time, loc *time.Location) date {
	y, m, d := t.In(loc).Date()
	return date{y, m, d}
}

func (d date) add(days int) date {
	y, m, dd := time.Date(d.y, d.m, d.d+days, 0, 0, 0, 0, time.UTC).Date()
	return date{y, m, dd}
}

func (d date) before(o date) bool { return d.ord() < o.ord() }

func (d date) after(o date) bool { return o.before(d) }

func (d date) ord() int { return d.y*10000 + int(d.m)*100 + d.d }

func (d date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.y, d.m, d.d) }

// key is the rollup key of d: its UTC midnight as a time key, so keys
// sort by date whatever the page time zone.
func (d date) key() []byte { return timeKey(time.Date(d.y, d.m, d.d, 0, 0, 0, 0, time.UTC)) }

func keyDate(k []byte) date {
	y, m, d := keyTime(k).Date()
	return date{y, m, d}
}

// start returns the first instant whose date in loc is d or later.
// Midnight exists in most zones; where a clock change skips or repeats it
// (or skips the whole day), search for the instant the date begins.
func (d date) start(loc *time.Location) time.Time {
	t := time.Date(d.y, d.m, d.d, 0, 0, 0, 0, loc)
	if dateOf(t, loc) == d && dateOf(t.Add(-time.Second), loc).before(d) {
		return t
	}
	lo, hi := t.Add(-26*time.Hour), t.Add(26*time.Hour) // date(lo) < d <= date(hi)
	for hi.Sub(lo) > time.Second {
		mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Second)
		if dateOf(mid, loc).before(d) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// spanDays calls fn for each civil day that [from, to) touches, with the
// part of the span inside that day.
func spanDays(from, to time.Time, loc *time.Location, fn func(d date, ns int64) error) error {
	for d := dateOf(from, loc); from.Before(to); d = d.add(1) {
		end := d.add(1).start(loc)
		if end.After(to) {
			end = to
		}
		if end.After(from) {
			if err := fn(d, int64(end.Sub(from))); err != nil {
				return err
			}
			from = end
		}
	}
	return nil
}

// addProbes adds o's probe counts and latency histogram to r.
func (r *rollup) addProbes(o *rollup) {
	for j, v := range o.probes {
		r.probes[j] += v
	}
	for j, v := range o.latency {
		r.latency[j] += v
	}
}

// rollupBucket returns the subject's nested rollup bucket, creating it.
func rollupBucket(tx *bolt.Tx, name []byte) (*bolt.Bucket, error) {
	root := tx.Bucket(bucketRollups)
	if root == nil {
		return nil, fmt.Errorf("%w rollups", ErrCorrupt)
	}
	b, err := root.CreateBucketIfNotExists(name)
	if err != nil {
		return nil, fmt.Errorf("rollup bucket %q: %w", name, err)
	}
	b.FillPercent = appendFill
	return b, nil
}

// updateRollup reads the day's rollup (zero if none), applies fn and
// writes it back.
func updateRollup(b *bolt.Bucket, d date, fn func(r *rollup)) error {
	k := d.key()
	var r rollup
	if v := b.Get(k); v != nil {
		var err error
		if r, err = decodeRollup(v); err != nil {
			return fmt.Errorf("rollup %s: %w", d, err)
		}
	}
	fn(&r)
	return b.Put(k, encodeRollup(&r))
}

// addStateTime adds [from, to) in state s to the subject's rollups.
func addStateTime(b *bolt.Bucket, s State, from, to time.Time, loc *time.Location) error {
	return spanDays(from, to, loc, func(d date, ns int64) error {
		return updateRollup(b, d, func(r *rollup) { r.ns[s] += uint64(ns) })
	})
}
