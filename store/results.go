package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Outcome of a stored probe result.
type Outcome uint8

// Outcomes; zero is invalid so a corrupt value is detectable.
const (
	OutcomeUp Outcome = iota + 1
	OutcomeDegraded
	OutcomeDown
)

func (o Outcome) String() string {
	switch o {
	case OutcomeUp:
		return "up"
	case OutcomeDegraded:
		return "degraded"
	case OutcomeDown:
		return "down"
	}
	return fmt.Sprintf("outcome(%d)", uint8(o))
}

// Result is one stored probe result.
type Result struct {
	Check      string // check key, "component/check"
	Time       time.Time
	Duration   time.Duration
	Outcome    Outcome
	Class      string
	Message    string
	Code       int       // HTTP or SIP status, DNS rcode; 0 when none
	CertExpiry time.Time // zero when none
}

// resultFormatV1 is the first byte of every encoded result.
const resultFormatV1 = 1

// encodeResult writes: format byte, outcome byte, uvarint duration ns,
// varint code, varint cert expiry (Unix seconds, 0 for none), uvarint-length
// class, uvarint-length message.
func encodeResult(r Result) []byte {
	return appendResult(make([]byte, 0, 16+len(r.Class)+len(r.Message)), r)
}

func appendResult(b []byte, r Result) []byte {
	b = append(b, resultFormatV1, byte(r.Outcome))
	b = binary.AppendUvarint(b, uint64(max(r.Duration, 0)))
	b = binary.AppendVarint(b, int64(r.Code))
	var exp int64
	if !r.CertExpiry.IsZero() {
		exp = r.CertExpiry.Unix()
	}
	b = binary.AppendVarint(b, exp)
	b = binary.AppendUvarint(b, uint64(len(r.Class)))
	b = append(b, r.Class...)
	b = binary.AppendUvarint(b, uint64(len(r.Message)))
	return append(b, r.Message...)
}

var errBadValue = errors.New("malformed result value")

func decodeResult(b []byte) (Result, error) {
	var r Result
	if len(b) < 2 || b[0] != resultFormatV1 || b[1] < byte(OutcomeUp) || b[1] > byte(OutcomeDown) {
		return r, errBadValue
	}
	r.Outcome = Outcome(b[1])
	rd := bytes.NewReader(b[2:])
	dur, err1 := binary.ReadUvarint(rd)
	code, err2 := binary.ReadVarint(rd)
	exp, err3 := binary.ReadVarint(rd)
	if err := errors.Join(err1, err2, err3); err != nil {
		return r, errBadValue
	}
	r.Duration, r.Code = time.Duration(dur), int(code)
	if exp != 0 {
		r.CertExpiry = time.Unix(exp, 0).UTC()
	}
	var err error
	if r.Class, err = readString(rd); err != nil {
		return r, err
	}
	if r.Message, err = readString(rd); err != nil {
		return r, err
	}
	return r, nil
}

func readString(rd *bytes.Reader) (string, error) {
	n, err := binary.ReadUvarint(rd)
	if err != nil || n > uint64(rd.Len()) {
		return "", errBadValue
	}
	buf := make([]byte, n)
	_, _ = rd.Read(buf)
	return string(buf), nil
}

// WriteResults stores rs in one transaction and counts them in the daily
// rollups of their checks. Two results of one check with the same
// timestamp are kept apart by moving the later one a nanosecond on.
//
// Results are keyed by time first (results-by-time/<time><check>), so a
// batch lands at the end of one tree: its pages are written once, however
// many checks it holds. Keyed by check first, as in schema 2, every result
// rewrote a 4 KiB page of its own check's tree, which on a store that had
// run for a while cost a third of the daemon's CPU and wrote ~100 times
// the data.
func (db *DB) WriteResults(rs []Result) error {
	return db.WriteBatch(Batch{Results: rs})
}

// writeResultsTx is WriteResults inside tx; rs are valid.
func (db *DB) writeResultsTx(tx *bolt.Tx, rs []Result) error {
	if len(rs) == 0 {
		return nil
	}
	b := tx.Bucket(bucketResultsByTime)
	if b == nil {
		return fmt.Errorf("%w %s", ErrCorrupt, bucketResultsByTime)
	}
	sorted := slices.Clone(rs)
	slices.SortStableFunc(sorted, func(a, b Result) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Check, b.Check)
	})
	if err := putResults(b, sorted); err != nil {
		return err
	}
	// In time order, so each check's days come in order too.
	days := map[string]*probeDays{}
	for _, r := range sorted {
		d := days[r.Check]
		if d == nil {
			d = &probeDays{loc: db.loc}
			days[r.Check] = d
		}
		d.add(r)
	}
	for _, check := range slices.Sorted(maps.Keys(days)) {
		if err := days[check].apply(tx, CheckSubject(check).bucket()); err != nil {
			return fmt.Errorf("check %q: %w", check, err)
		}
	}
	return nil
}

// putResults writes sorted (in key order: time, then check) into b. bbolt
// keeps keys and values until commit, so both live in buffers made once
// per batch.
func putResults(b *bolt.Bucket, sorted []Result) error {
	b.FillPercent = appendFill
	keyBytes, valBytes := 0, 0
	for _, r := range sorted {
		keyBytes += 8 + len(r.Check)
		valBytes += 16 + len(r.Class) + len(r.Message)
	}
	keys, vals := make([]byte, 0, keyBytes), make([]byte, 0, valBytes)
	for _, r := range sorted {
		start := len(keys)
		keys = appendResultKey(keys, r.Time.UnixNano(), r.Check)
		key := keys[start:len(keys):len(keys)]
		for b.Get(key) != nil { // same check, same nanosecond
			binary.BigEndian.PutUint64(key, binary.BigEndian.Uint64(key)+1)
		}
		vstart := len(vals)
		vals = appendResult(vals, r)
		if err := b.Put(key, vals[vstart:len(vals):len(vals)]); err != nil {
			return err
		}
	}
	return nil
}

// appendResultKey appends a results-by-time key: 8-byte big-endian Unix
// nanoseconds, then the check key.
func appendResultKey(b []byte, ns int64, check string) []byte {
	return append(binary.BigEndian.AppendUint64(b, uint64(ns)), check...)
}

// validResult reports whether r can be stored: a check key and a time
// that Unix nanoseconds can hold, after 1970.
func validResult(r Result) bool {
	return r.Check != "" && r.Time.After(time.Unix(0, 0)) && r.Time.Year() < 2262
}

// probeDays counts results per calendar day for one check.
type probeDays struct {
	loc        *time.Location
	days       []date
	stats      []rollup
	start, end time.Time // bounds of the last day
}

func (p *probeDays) add(r Result) {
	if len(p.days) == 0 || r.Time.Before(p.start) || !r.Time.Before(p.end) {
		d := dateOf(r.Time, p.loc)
		p.days, p.stats = append(p.days, d), append(p.stats, rollup{})
		p.start, p.end = d.start(p.loc), d.add(1).start(p.loc)
	}
	s := &p.stats[len(p.stats)-1]
	if r.Outcome >= OutcomeUp && r.Outcome <= OutcomeDown {
		s.probes[r.Outcome-1]++
	}
	s.latency[latencyBucket(r.Duration)]++
}

// apply adds the counts to the subject's probe rollups. The latest day's
// counts go to its record in probe-days (see currentProbes); only a day
// that is over is written to the subject's own rollup bucket.
func (p *probeDays) apply(tx *bolt.Tx, name []byte) error {
	if len(p.days) == 0 {
		return nil
	}
	cur, err := readCurrentProbes(tx, name)
	if err != nil {
		return err
	}
	for i, d := range p.days {
		s := &p.stats[i]
		switch {
		case !cur.set || d.after(cur.day):
			if cur.set { // that day is over: to the subject's rollups
				if err := addProbes(tx, name, cur.day, &cur.counts); err != nil {
					return err
				}
			}
			cur = currentProbes{day: d, counts: *s, set: true}
		case d == cur.day:
			cur.counts.addProbes(s)
		default: // a late result of an earlier day
			if err := addProbes(tx, name, d, s); err != nil {
				return err
			}
		}
	}
	return cur.write(tx, name)
}

// currentProbes is a subject's probe counts of the latest day it has
// results for. These counts change with every batch; kept in one small
// tree for all subjects (probe-days/<subject>), a batch rewrites a few
// pages of it instead of one page of each check's rollup tree.
type currentProbes struct {
	day    date
	counts rollup // probes and latency only
	set    bool
}

func readCurrentProbes(tx *bolt.Tx, name []byte) (currentProbes, error) {
	b := tx.Bucket(bucketProbeDays)
	if b == nil {
		return currentProbes{}, fmt.Errorf("%w %s", ErrCorrupt, bucketProbeDays)
	}
	v := b.Get(name)
	if v == nil {
		return currentProbes{}, nil
	}
	c, err := decodeCurrentProbes(v)
	if err != nil {
		return currentProbes{}, fmt.Errorf("%s/%s: %w", bucketProbeDays, name, err)
	}
	return c, nil
}

// decodeCurrentProbes reads a probe-days value: an 8-byte day key, then a
// rollup.
func decodeCurrentProbes(v []byte) (currentProbes, error) {
	if len(v) < 8 {
		return currentProbes{}, errBadValue
	}
	d := keyDate(v[:8])
	if !bytes.Equal(d.key(), v[:8]) { // not the UTC midnight of a date
		return currentProbes{}, errBadValue
	}
	r, err := decodeRollup(v[8:])
	if err != nil {
		return currentProbes{}, err
	}
	return currentProbes{day: d, counts: r, set: true}, nil
}

func (c currentProbes) write(tx *bolt.Tx, name []byte) error {
	return tx.Bucket(bucketProbeDays).Put(name, append(c.day.key(), encodeRollup(&c.counts)...))
}

// addProbes adds counts to the subject's rollup of day d.
func addProbes(tx *bolt.Tx, name []byte, d date, counts *rollup) error {
	b, err := rollupBucket(tx, name)
	if err != nil {
		return err
	}
	return updateRollup(b, d, func(r *rollup) { r.addProbes(counts) })
}

// Results returns up to limit results of check with from <= time < to,
// oldest first. limit <= 0 means no limit. It reads every check's results
// in the range: raw results are kept for forensics and export, and the
// availability and status code never read them.
func (db *DB) Results(check string, from, to time.Time, limit int) ([]Result, error) {
	var out []Result
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketResultsByTime).Cursor()
		end := seekKey(to)
		for k, v := c.Seek(seekKey(from)); k != nil && bytes.Compare(k[:8], end) < 0; k, v = c.Next() {
			if string(k[8:]) != check {
				continue
			}
			r, err := decodeResult(v)
			if err != nil {
				return fmt.Errorf("check %q at %s: %w", check, keyTime(k).UTC().Format(time.RFC3339Nano), err)
			}
			r.Check, r.Time = check, keyTime(k)
			out = append(out, r)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read results: %w", err)
	}
	return out, nil
}

// Checks lists the check keys that have stored results, sorted. It reads
// every stored result.
func (db *DB) Checks() ([]string, error) {
	seen := map[string]bool{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketResultsByTime).ForEach(func(k, _ []byte) error {
			if len(k) > 8 && !seen[string(k[8:])] {
				seen[string(k[8:])] = true
			}
			return nil
		})
	})
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, err
}
