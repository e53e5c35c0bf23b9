package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Held messages are the durable timers of escalation: a message with a
// NotBefore waits in held/<channel>/<NotBefore><seq> instead of the
// channel's queue, so it holds back nothing queued after it. Release
// moves it into the queue when its time has come, in one transaction
// with the check of its condition and its mark, so a restart in between
// neither loses nor repeats it.

// heldKey orders held messages by their time, then by arrival.
func heldKey(at time.Time, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, uint64(at.UnixNano())), seq)
}

func heldTime(k []byte) time.Time { return time.Unix(0, int64(binary.BigEndian.Uint64(k[:8]))) }

// hold stores m until m.NotBefore; the caller has checked and will write
// its mark.
func hold(tx *bolt.Tx, m OutboxMessage) (uint64, error) {
	b, err := tx.Bucket(bucketHeld).CreateBucketIfNotExists([]byte(m.Channel))
	if err != nil {
		return 0, fmt.Errorf("held %s: %w", m.Channel, err)
	}
	seq, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	return seq, putJSON(b, heldKey(m.NotBefore, seq), m)
}

// released reports whether the mark of key on marks is of a held
// message that joined its queue (its follow-ups may then be enqueued).
func released(marks *bolt.Bucket, key string) bool {
	v := marks.Get([]byte(key))
	var mark sentMark
	if v == nil || getJSON(v, &mark) != nil {
		return false
	}
	return !mark.Held && mark.Skipped == ""
}

// Release moves the held messages of channel whose NotBefore is not
// after now into its queue, in order, except those whose condition
// failed (IfDraft: the incident was published, discarded or resolved
// meanwhile), which are dropped with a mark saying why. It returns the
// NotBefore of the next message still held (zero: none).
func (db *DB) Release(channel string, now time.Time) (time.Time, error) {
	var next time.Time
	due := false
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHeld).Bucket([]byte(channel))
		if b == nil {
			return nil
		}
		if k, _ := b.Cursor().First(); k != nil {
			next = heldTime(k)
			due = !next.After(now)
		}
		return nil
	})
	if err != nil || !due {
		return next, wrapErr("store: read held messages", err)
	}
	next = time.Time{}
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		var n int
		var err error
		n, next, err = release(tx, channel, now)
		if fn := db.onEnqueue.Load(); fn != nil && n > 0 {
			tx.OnCommit(*fn)
		}
		return err
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("store: release held messages of %s: %w", channel, err)
	}
	return next, nil
}

// release does Release's work in tx and returns how many messages joined
// the queue and the next held time.
func release(tx *bolt.Tx, channel string, now time.Time) (int, time.Time, error) {
	b := tx.Bucket(bucketHeld).Bucket([]byte(channel))
	var keys [][]byte
	var next time.Time
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(k) != 16 {
			return 0, time.Time{}, fmt.Errorf("held/%s has a key %x that is not a time", channel, k)
		}
		if heldTime(k).After(now) {
			next = heldTime(k)
			break
		}
		keys = append(keys, bytes.Clone(k))
	}
	q, err := tx.Bucket(bucketOutbox).CreateBucketIfNotExists([]byte(channel))
	if err != nil {
		return 0, time.Time{}, err
	}
	marks, err := tx.Bucket(bucketSent).CreateBucketIfNotExists([]byte(channel))
	if err != nil {
		return 0, time.Time{}, err
	}
	queued := 0
	for _, k := range keys {
		var m OutboxMessage
		if err := getJSON(b.Get(k), &m); err != nil {
			return 0, time.Time{}, fmt.Errorf("held %s message %x: %w", channel, k, err)
		}
		if err := b.Delete(k); err != nil {
			return 0, time.Time{}, err
		}
		mark := sentMark{Queued: m.CreatedAt}
		if v := marks.Get([]byte(m.Key)); v != nil {
			if err := getJSON(v, &mark); err != nil {
				return 0, time.Time{}, fmt.Errorf("sent mark %q: %w", m.Key, err)
			}
		}
		mark.Held = false
		if why := unmet(tx, m); why != "" {
			mark.Done, mark.Skipped = now, why
		} else {
			m.CreatedAt = now // the escalation happens now; the text is the draft as it was opened
			seq, err := q.NextSequence()
			if err != nil {
				return 0, time.Time{}, err
			}
			if err := putJSON(q, idKey(seq), m); err != nil {
				return 0, time.Time{}, err
			}
			mark.Seq = seq
			queued++
		}
		if err := putJSON(marks, []byte(m.Key), mark); err != nil {
			return 0, time.Time{}, err
		}
	}
	return queued, next, nil
}

// unmet returns why a held message's condition failed, or "".
func unmet(tx *bolt.Tx, m OutboxMessage) string {
	if !m.IfDraft {
		return ""
	}
	var inc Incident
	data := tx.Bucket(bucketIncidents).Get(idKey(m.IncidentID))
	if data == nil || getJSON(data, &inc) != nil {
		return fmt.Sprintf("incident %d is gone", m.IncidentID)
	}
	if inc.State != IncidentDraft {
		return fmt.Sprintf("incident %d is %s", m.IncidentID, inc.State)
	}
	return ""
}

// Held returns the held messages of channel, the earliest first.
func (db *DB) Held(channel string) ([]OutboxMessage, error) {
	var out []OutboxMessage
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHeld).Bucket([]byte(channel))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var m OutboxMessage
			if err := getJSON(v, &m); err != nil {
				return fmt.Errorf("held message %x: %w", k, err)
			}
			out = append(out, m)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: read held messages of %s: %w", channel, err)
	}
	return out, nil
}
