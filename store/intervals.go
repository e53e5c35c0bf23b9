package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// State of a check or component over an interval.
type State uint8

// States. The values are stored on disk: never renumber.
const (
	StateUnknown State = iota // no data, paused, blind, process stopped
	StateUp
	StateDegraded
	StatePartial // components only: some checks down
	StateDown
	StateMaintenance
)

var stateNames = [...]string{"unknown", "up", "degraded", "partial", "down", "maintenance"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// SubjectKind says whether a Subject is a check or a component.
type SubjectKind uint8

// Subject kinds.
const (
	SubjectCheck SubjectKind = iota + 1
	SubjectComponent
)

// Subject is what intervals and rollups are kept for.
type Subject struct {
	Kind SubjectKind
	ID   string // check key "component/check" or component id
}

// CheckSubject is the subject of a check key "component/check".
func CheckSubject(key string) Subject { return Subject{Kind: SubjectCheck, ID: key} }

// ComponentSubject is the subject of a component id.
func ComponentSubject(id string) Subject { return Subject{Kind: SubjectComponent, ID: id} }

const (
	prefixCheck     = "check:"
	prefixComponent = "component:"
)

// String returns "check:<key>" or "component:<id>", also the name of the
// subject's nested buckets.
func (s Subject) String() string {
	switch s.Kind {
	case SubjectCheck:
		return prefixCheck + s.ID
	case SubjectComponent:
		return prefixComponent + s.ID
	}
	return fmt.Sprintf("subject(%d):%s", uint8(s.Kind), s.ID)
}

func (s Subject) valid() bool {
	return (s.Kind == SubjectCheck || s.Kind == SubjectComponent) && s.ID != ""
}

func (s Subject) bucket() []byte { return []byte(s.String()) }

var errBadSubject = errors.New("malformed subject bucket name")

// parseSubject reverses Subject.String for bucket names.
func parseSubject(name []byte) (Subject, error) {
	s := string(name)
	var sub Subject
	if id, ok := strings.CutPrefix(s, prefixCheck); ok {
		sub = CheckSubject(id)
	} else if id, ok := strings.CutPrefix(s, prefixComponent); ok {
		sub = ComponentSubject(id)
	}
	if !sub.valid() {
		return sub, errBadSubject
	}
	return sub, nil
}

// Transition says Subject entered State at At. The previous open interval
// of the subject (if any) ends at At; a new open interval starts.
type Transition struct {
	Subject Subject
	State   State
	At      time.Time
}

// Interval is a time span in one state. End is zero while it is open.
type Interval struct {
	State      State
	Start, End time.Time
}

// Open reports whether the interval is the subject's current one.
func (iv Interval) Open() bool { return iv.End.IsZero() }

// intervalFormatV1 starts an interval value. Layout: format byte, state
// byte, then for a closed interval its length in nanoseconds as a uvarint
// (> 0); an open interval has no length. The key is the start time.
const intervalFormatV1 = 1

func encodeInterval(iv Interval) []byte {
	b := []byte{intervalFormatV1, byte(iv.State)}
	if iv.Open() {
		return b
	}
	return binary.AppendUvarint(b, uint64(iv.End.Sub(iv.Start)))
}

var errBadInterval = errors.New("malformed interval value")

// decodeInterval decodes v stored under the key of start.
func decodeInterval(start time.Time, v []byte) (Interval, error) {
	if len(v) < 2 || v[0] != intervalFormatV1 || int(v[1]) >= numStates {
		return Interval{}, errBadInterval
	}
	iv := Interval{State: State(v[1]), Start: start}
	if len(v) == 2 {
		return iv, nil
	}
	d, n := binary.Uvarint(v[2:])
	if n <= 0 || n != len(v)-2 || d == 0 || d > 1<<62 {
		return Interval{}, errBadInterval
	}
	iv.End = start.Add(time.Duration(d))
	return iv, nil
}

func validTransition(t Transition) error {
	switch {
	case !t.Subject.valid():
		return fmt.Errorf("%w: subject %q", ErrInvalid, t.Subject)
	case int(t.State) >= numStates:
		return fmt.Errorf("%w: %s for %s", ErrInvalid, t.State, t.Subject)
	case t.At.UnixNano() <= 0 || t.At.Year() > 2200:
		return fmt.Errorf("%w: time %s for %s", ErrInvalid, t.At, t.Subject)
	}
	return nil
}

// RecordTransitions applies ts in order in one transaction. Recording the
// state of the open interval again is a no-op; a transition earlier than
// the open interval's start is clamped to that start (clocks can jump
// back). Closing an interval adds its time to the daily rollups. A failed
// call changes nothing, and retrying it later is safe.
func (db *DB) RecordTransitions(ts []Transition) error {
	return db.WriteBatch(Batch{Transitions: ts})
}

// recordTransitionsTx is RecordTransitions inside tx; ts are valid.
func (db *DB) recordTransitionsTx(tx *bolt.Tx, ts []Transition) error {
	if len(ts) == 0 {
		return nil
	}
	root := tx.Bucket(bucketIntervals)
	if root == nil {
		return fmt.Errorf("%w intervals", ErrCorrupt)
	}
	for _, t := range ts {
		if err := applyTransition(tx, root, t, db.loc); err != nil {
			return fmt.Errorf("%s: %w", t.Subject, err)
		}
	}
	return nil
}

func applyTransition(tx *bolt.Tx, root *bolt.Bucket, t Transition, loc *time.Location) error {
	name := t.Subject.bucket()
	b, err := root.CreateBucketIfNotExists(name)
	if err != nil {
		return err
	}
	b.FillPercent = appendFill
	at := t.At.UTC().Round(0)
	k, v := b.Cursor().Last()
	if k == nil {
		return b.Put(timeKey(at), encodeInterval(Interval{State: t.State, Start: at}))
	}
	last, err := decodeInterval(keyTime(k), v)
	if err != nil {
		return fmt.Errorf("interval at %s: %w", keyTime(k).Format(time.RFC3339Nano), err)
	}
	if !last.Open() { // not written by RecordTransitions; start after it
		if at.Before(last.End) {
			at = last.End
		}
		return b.Put(timeKey(at), encodeInterval(Interval{State: t.State, Start: at}))
	}
	if last.State == t.State {
		return nil
	}
	if !at.After(last.Start) { // clock went back: replace the empty interval
		return b.Put(bytes.Clone(k), encodeInterval(Interval{State: t.State, Start: last.Start}))
	}
	closed := Interval{State: last.State, Start: last.Start, End: at}
	if err := b.Put(bytes.Clone(k), encodeInterval(closed)); err != nil {
		return err
	}
	rb, err := rollupBucket(tx, name)
	if err != nil {
		return err
	}
	if err := addStateTime(rb, closed.State, closed.Start, closed.End, loc); err != nil {
		return err
	}
	return b.Put(timeKey(at), encodeInterval(Interval{State: t.State, Start: at}))
}

// OpenIntervals returns each subject's open (current) interval.
func (db *DB) OpenIntervals() (map[Subject]Interval, error) {
	out := make(map[Subject]Interval)
	err := db.bolt.View(func(tx *bolt.Tx) error {
		root := tx.Bucket(bucketIntervals)
		return root.ForEachBucket(func(name []byte) error {
			s, err := parseSubject(name)
			if err != nil {
				return fmt.Errorf("%q: %w", name, err)
			}
			k, v := root.Bucket(name).Cursor().Last()
			if k == nil {
				return nil
			}
			iv, err := decodeInterval(keyTime(k), v)
			if err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
			if iv.Open() {
				out[s] = iv
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: read open intervals: %w", err)
	}
	return out, nil
}

// Intervals returns the intervals of s overlapping [from, to), oldest
// first. The open interval, if it overlaps, comes last with a zero End.
func (db *DB) Intervals(s Subject, from, to time.Time) ([]Interval, error) {
	var out []Interval
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketIntervals).Bucket(s.bucket())
		if b == nil {
			return nil
		}
		return scanIntervals(b, from, to, func(iv Interval) { out = append(out, iv) })
	})
	if err != nil {
		return nil, fmt.Errorf("store: read intervals of %s: %w", s, err)
	}
	return out, nil
}

// scanIntervals calls fn for each interval in b overlapping [from, to).
func scanIntervals(b *bolt.Bucket, from, to time.Time, fn func(Interval)) error {
	if !from.Before(to) {
		return nil
	}
	c := b.Cursor()
	k, v := c.Seek(seekKey(from))
	if k == nil {
		k, v = c.Last()
	} else if keyTime(k).After(from) {
		if pk, pv := c.Prev(); pk != nil {
			k, v = pk, pv
		} else {
			k, v = c.First()
		}
	}
	end := seekKey(to)
	for ; k != nil && bytes.Compare(k, end) < 0; k, v = c.Next() {
		iv, err := decodeInterval(keyTime(k), v)
		if err != nil {
			return fmt.Errorf("interval at %s: %w", keyTime(k).Format(time.RFC3339Nano), err)
		}
		if iv.Open() || iv.End.After(from) {
			fn(iv)
		}
	}
	return nil
}
