package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
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
	b := make([]byte, 0, 16+len(r.Class)+len(r.Message))
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

// WriteResults stores rs in one transaction. Two results of one check with
// the same timestamp are kept apart by moving the later one a nanosecond on.
func (db *DB) WriteResults(rs []Result) error {
	if len(rs) == 0 {
		return nil
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		root := tx.Bucket(bucketResults)
		if root == nil {
			return fmt.Errorf("%w results", ErrCorrupt)
		}
		for _, r := range rs {
			b, err := root.CreateBucketIfNotExists([]byte(r.Check))
			if err != nil {
				return fmt.Errorf("check bucket %q: %w", r.Check, err)
			}
			key := timeKey(r.Time)
			for b.Get(key) != nil {
				key = timeKey(keyTime(key).Add(1))
			}
			if err := b.Put(key, encodeResult(r)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: write %d results: %w", len(rs), err)
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
		end := timeKey(to)
		for k, v := c.Seek(timeKey(from)); k != nil && bytes.Compare(k, end) < 0; k, v = c.Next() {
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
