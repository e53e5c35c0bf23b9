package store

import (
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Subscriber fan-out. A public event reaches email subscribers as one
// message per subscriber, each with a key of its own, so a restart never
// sends anyone a mail twice. A long list cannot be enqueued in the
// transaction of the change that causes the event (it would hold the
// writer and the whole list in memory), so that transaction enqueues one
// fan-out job instead (an OutboxMessage with FanOut set): it waits in
// fanout/<channel>/<seq> with a cursor, the highest subscriber id that
// has its copy. FanOutStep enqueues the copies of the next subscribers
// and moves the cursor in one transaction, so a crash between steps
// resumes after the last committed one: nobody twice (the keys are new
// only once), nobody skipped (the cursor only moves with its copies).

// FanOutJob is a fan-out in progress.
type FanOutJob struct {
	Seq uint64 `json:"-"`
	// Message is the message as every subscriber gets it; its Key is the
	// job's key, from which the copies' keys derive.
	Message OutboxMessage `json:"message"`
	// Cursor is the highest subscriber id whose copy is enqueued (0:
	// none yet). Subscriber ids only grow.
	Cursor uint64 `json:"cursor"`
}

// addFanOut stores the fan-out job of m; the caller writes its mark.
func addFanOut(tx *bolt.Tx, m OutboxMessage) (uint64, error) {
	b, err := tx.Bucket(bucketFanOut).CreateBucketIfNotExists([]byte(m.Channel))
	if err != nil {
		return 0, fmt.Errorf("fanout %s: %w", m.Channel, err)
	}
	seq, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	return seq, putJSON(b, idKey(seq), FanOutJob{Message: m})
}

// FanOutJobs returns up to limit fan-outs of channel in progress, the
// oldest first (limit <= 0: all).
func (db *DB) FanOutJobs(channel string, limit int) ([]FanOutJob, error) {
	var out []FanOutJob
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFanOut).Bucket([]byte(channel))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			var j FanOutJob
			if err := getJSON(v, &j); err != nil {
				return fmt.Errorf("fan-out %x: %w", k, err)
			}
			j.Seq = binary.BigEndian.Uint64(k)
			out = append(out, j)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read fan-outs of %s: %w", channel, err)
	}
	return out, nil
}

// FanOutStep is one step of fan-out seq of channel: it enqueues msgs
// (the copies for the subscribers after the job's cursor up to cursor;
// keys seen before are skipped as always) and moves the cursor to
// cursor, in one transaction. done ends the job instead and completes its
// mark at at. A cursor behind the job's is refused: a second worker on
// the same job would otherwise move it back.
func (db *DB) FanOutStep(channel string, seq uint64, msgs []OutboxMessage, cursor uint64, done bool, at time.Time) error {
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFanOut).Bucket([]byte(channel))
		var v []byte
		if b != nil {
			v = b.Get(idKey(seq))
		}
		if v == nil {
			return fmt.Errorf("fan-out %s %d: %w", channel, seq, ErrNotFound)
		}
		var j FanOutJob
		if err := getJSON(v, &j); err != nil {
			return fmt.Errorf("fan-out %s %d: %w", channel, seq, err)
		}
		if cursor < j.Cursor {
			return fmt.Errorf("fan-out %s %d: %w: cursor %d is behind %d", channel, seq, ErrInvalid, cursor, j.Cursor)
		}
		if err := db.enqueue(tx, msgs); err != nil {
			return err
		}
		if !done {
			j.Cursor = cursor
			return putJSON(b, idKey(seq), j)
		}
		if err := b.Delete(idKey(seq)); err != nil {
			return err
		}
		return completeMark(tx, channel, j.Message.Key, seq, at)
	})
	if err != nil {
		return fmt.Errorf("store: fan-out step: %w", err)
	}
	return nil
}

// completeMark records that the message with key left its channel at
// at, so PruneSent forgets the key 30 days later.
func completeMark(tx *bolt.Tx, channel, key string, seq uint64, at time.Time) error {
	marks, err := tx.Bucket(bucketSent).CreateBucketIfNotExists([]byte(channel))
	if err != nil {
		return err
	}
	mark := sentMark{Seq: seq, Queued: at}
	if v := marks.Get([]byte(key)); v != nil {
		if err := getJSON(v, &mark); err != nil {
			return fmt.Errorf("sent mark %q: %w", key, err)
		}
	}
	mark.Done = at
	return putJSON(marks, []byte(key), mark)
}
