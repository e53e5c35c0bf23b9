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
// was visited. FanOutStep reads the next subscribers, enqueues their
// copies and moves the cursor in one transaction, so a crash between
// steps resumes after the last committed one: nobody twice (the cursor
// moves with the copies, and a key is enqueued only once anyway), nobody
// skipped (subscriber ids only grow, so one who signs up during a
// fan-out is visited if confirmed by then). Each step is small (limit
// subscribers), so neither the writer nor memory is held long.

// FanOutJob is a fan-out in progress.
type FanOutJob struct {
	Seq uint64 `json:"-"`
	// Message is the message as every subscriber gets it; its Key is the
	// job's key, from which the copies' keys derive.
	Message OutboxMessage `json:"message"`
	// Cursor is the highest subscriber id visited (0: none yet).
	// Subscriber ids only grow.
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

// FanOutCopy returns the messages of a fan-out's message for one
// subscriber, each with a key of its own (for example the job's key and
// the subscriber id). It runs inside the step's transaction and must not
// block.
type FanOutCopy func(m OutboxMessage, s Subscriber) []OutboxMessage

// FanOutStep is one step of the oldest fan-out of channel: it visits up
// to limit subscribers after the job's cursor, enqueues the copies for
// those confirmed who want the job's components (Subscriber.Wants), and
// moves the cursor past them, in one transaction; when no subscriber
// follows, the job ends and its mark is completed at at. Keys seen before
// are skipped as always. It returns how many copies it enqueued and
// whether a fan-out of channel is still in progress.
func (db *DB) FanOutStep(channel string, limit int, copies FanOutCopy, at time.Time) (queued int, more bool, err error) {
	if limit <= 0 || copies == nil {
		return 0, false, fmt.Errorf("store: fan-out step: %w: limit %d", ErrInvalid, limit)
	}
	// Most steps find no job: look first, without a write transaction
	// (the channel's worker asks at every step).
	err = db.bolt.View(func(tx *bolt.Tx) error {
		if jobs := tx.Bucket(bucketFanOut).Bucket([]byte(channel)); jobs != nil {
			k, _ := jobs.Cursor().First()
			more = k != nil
		}
		return nil
	})
	if err != nil || !more {
		return 0, false, wrapErr("store: read fan-outs of "+channel, err)
	}
	more = false
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		jobs := tx.Bucket(bucketFanOut).Bucket([]byte(channel))
		if jobs == nil {
			return nil
		}
		k, v := jobs.Cursor().First()
		if k == nil {
			return nil
		}
		var j FanOutJob
		if err := getJSON(v, &j); err != nil {
			return fmt.Errorf("fan-out %s %x: %w", channel, k, err)
		}
		j.Seq = binary.BigEndian.Uint64(k)
		msgs, cursor, done, err := nextCopies(tx, j, limit, copies)
		if err != nil {
			return err
		}
		if err := db.enqueue(tx, msgs); err != nil {
			return err
		}
		queued = len(msgs)
		if !done {
			j.Cursor, more = cursor, true
			return putJSON(jobs, idKey(j.Seq), j)
		}
		if err := jobs.Delete(idKey(j.Seq)); err != nil {
			return err
		}
		next, _ := jobs.Cursor().First()
		more = next != nil
		return completeMark(tx, channel, j.Message.Key, j.Seq, at)
	})
	if err != nil {
		return 0, false, fmt.Errorf("store: fan-out step of %s: %w", channel, err)
	}
	return queued, more, nil
}

// nextCopies visits up to limit subscribers after j's cursor and returns
// the copies for those who get j's message, the id of the last one
// visited, and whether none follows it.
func nextCopies(tx *bolt.Tx, j FanOutJob, limit int, copies FanOutCopy) ([]OutboxMessage, uint64, bool, error) {
	subs, _ := subscriberBuckets(tx)
	if subs == nil {
		return nil, j.Cursor, true, nil
	}
	components := jobComponents(j.Message)
	var out []OutboxMessage
	cursor, visited := j.Cursor, 0
	c := subs.Cursor()
	k, v := c.Seek(idKey(j.Cursor + 1))
	for ; k != nil && visited < limit; k, v = c.Next() {
		var s Subscriber
		if err := getJSON(v, &s); err != nil {
			return nil, 0, false, fmt.Errorf("subscriber %x: %w", k, err)
		}
		cursor, visited = binary.BigEndian.Uint64(k), visited+1
		if s.IsConfirmed() && s.Wants(components) {
			out = append(out, copies(j.Message, s)...)
		}
	}
	return out, cursor, k == nil, nil
}

// jobComponents are the components a fan-out's message is about.
func jobComponents(m OutboxMessage) []string {
	switch {
	case m.Incident != nil:
		return m.Incident.Components
	case m.Maintenance != nil:
		return m.Maintenance.Components
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
