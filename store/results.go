package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
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
func (db *DB) WriteResults(rs []Result) error {
	if len(rs) == 0 {
		return nil
	}
	for _, r := range rs {
		if !validResult(r) {
			return fmt.Errorf("store: write %d results: %w: check %q at %s", len(rs), ErrInvalid, r.Check, r.Time)
		}
	}
	groups := groupByCheck(rs)
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		root := tx.Bucket(bucketResults)
		if root == nil {
			return fmt.Errorf("%w results", ErrCorrupt)
		}
		for _, g := range groups {
			if err := writeCheck(tx, root, g, db.loc); err != nil {
				return fmt.Errorf("check %q: %w", g[0].Check, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: write %d results: %w", len(rs), err)
	}
	return nil
}

// validResult reports whether r can be stored: a check key and a time
// that Unix nanoseconds can hold, after 1970.
func validResult(r Result) bool {
	return r.Check != "" && r.Time.After(time.Unix(0, 0)) && r.Time.Year() < 2262
}

// groupByCheck returns the results per check, each group sorted by time
// (stable: equal times keep their order), groups sorted by check key.
func groupByCheck(rs []Result) [][]Result {
	sorted := slices.Clone(rs)
	slices.SortStableFunc(sorted, func(a, b Result) int {
		if c := strings.Compare(a.Check, b.Check); c != 0 {
			return c
		}
		return a.Time.Compare(b.Time)
	})
	var groups [][]Result
	for len(sorted) > 0 {
		n := 1
		for n < len(sorted) && sorted[n].Check == sorted[0].Check {
			n++
		}
		groups = append(groups, sorted[:n:n])
		sorted = sorted[n:]
	}
	return groups
}

// writeCheck appends one check's results (sorted by time) and updates its
// rollups. Keys after the bucket's last key need no collision lookup.
func writeCheck(tx *bolt.Tx, root *bolt.Bucket, rs []Result, loc *time.Location) error {
	b, err := root.CreateBucketIfNotExists([]byte(rs[0].Check))
	if err != nil {
		return err
	}
	b.FillPercent = appendFill
	last, _ := b.Cursor().Last()
	lastNs := int64(-1)
	if last != nil {
		lastNs = int64(binary.BigEndian.Uint64(last))
	}
	keys := make([]byte, 8*len(rs)) // bbolt keeps keys and values until commit
	vals := make([]byte, 0, len(rs)*16)
	days := probeDays{loc: loc}
	prev := int64(-1)
	for i, r := range rs {
		ns := max(r.Time.UnixNano(), prev+1)
		key := keys[8*i : 8*i+8 : 8*i+8]
		binary.BigEndian.PutUint64(key, uint64(ns))
		for ns <= lastNs && b.Get(key) != nil {
			ns++
			binary.BigEndian.PutUint64(key, uint64(ns))
		}
		prev = ns
		start := len(vals)
		vals = appendResult(vals, r)
		if err := b.Put(key, vals[start:len(vals):len(vals)]); err != nil {
			return err
		}
		days.add(r)
	}
	return days.apply(tx, CheckSubject(rs[0].Check).bucket())
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

// apply adds the counts to the rollups of the subject bucket name.
func (p *probeDays) apply(tx *bolt.Tx, name []byte) error {
	if len(p.days) == 0 {
		return nil
	}
	b, err := rollupBucket(tx, name)
	if err != nil {
		return err
	}
	for i, d := range p.days {
		s := &p.stats[i]
		err := updateRollup(b, d, func(r *rollup) {
			for j, v := range s.probes {
				r.probes[j] += v
			}
			for j, v := range s.latency {
				r.latency[j] += v
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Results returns up to limit results of check with from <= time < to,
// oldest first. limit <= 0 means no limit.
func (db *DB) Results(check string, from, to time.Time, limit int) ([]Result, error) {
	var out []Result
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketResults).Bucket([]byte(check))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		end := seekKey(to)
		for k, v := c.Seek(seekKey(from)); k != nil && bytes.Compare(k, end) < 0; k, v = c.Next() {
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

// Checks lists the check keys that have stored results.
func (db *DB) Checks() ([]string, error) {
	var keys []string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketResults).ForEachBucket(func(k []byte) error {
			keys = append(keys, string(k))
			return nil
		})
	})
	return keys, err
}
