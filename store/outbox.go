package store

import (
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// OutboxMessage is one notification waiting for delivery to one channel.
// It is enqueued in the transaction of the change that causes it and
// leaves the outbox only in the transaction that records its delivery
// (or its final failure).
type OutboxMessage struct {
	// Seq orders the messages of a channel; set by the store.
	Seq uint64 `json:"-"`
	// Key is the idempotency key, unique per channel: a message whose
	// key was ever enqueued on the channel (and not yet pruned) is
	// dropped at enqueue. Receivers can dedupe on it.
	Key      string `json:"key"`
	Channel  string `json:"channel"`
	Event    string `json:"event"`
	Audience string `json:"audience"`
	// IncidentID is the incident the message is about (0 for maintenance).
	IncidentID uint64 `json:"incident_id,omitempty"`
	// Thread groups the messages of one incident or maintenance window
	// (email threading); Topic is its stable title (the email subject).
	Thread string `json:"thread"`
	Topic  string `json:"topic"`
	// Subject and Text are the rendered message, the same on every channel.
	Subject string `json:"subject"`
	Text    string `json:"text"`
	URL     string `json:"url,omitempty"`
	// Incident or Maintenance is a snapshot of what the message is about.
	Incident    *MessageIncident    `json:"incident,omitempty"`
	Maintenance *MessageMaintenance `json:"maintenance,omitempty"`
	CreatedAt   time.Time           `json:"created_at"`

	// NotBefore holds the message back until then (an escalation): it
	// waits outside the channel's queue, so it delays nothing else, and
	// joins the queue at that time (Release), unless IfDraft is set and
	// incident IncidentID is no longer a draft by then.
	NotBefore time.Time `json:"not_before,omitzero"`
	IfDraft   bool      `json:"if_draft,omitempty"`
	// After is the key of a held message of the same channel: this one is
	// enqueued only when that one has joined the queue (an escalation's
	// follow-ups reach the deputy only when the escalation did).
	After string `json:"after,omitempty"`

	// FanOut makes the message a subscriber fan-out job: it waits in
	// fanout/<channel> until FanOutStep has enqueued a copy for every
	// subscriber (see fanout.go). Subscriber is the id of the subscriber
	// a copy is for (0: the channel's own recipients); the sender looks
	// the subscriber up when it sends, so nobody who left gets it.
	FanOut     bool   `json:"fan_out,omitempty"`
	Subscriber uint64 `json:"subscriber,omitempty"`

	// Delivery state, changed by Reschedule.
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
}

// MessageIncident is the part of an incident a notification carries.
type MessageIncident struct {
	ID         uint64   `json:"id"`
	Name       string   `json:"name"`
	State      string   `json:"state"`
	Status     string   `json:"status"`
	Impact     string   `json:"impact"`
	Components []string `json:"components"`
	URL        string   `json:"url,omitempty"`
}

// MessageMaintenance is the part of a maintenance window a notification carries.
type MessageMaintenance struct {
	ID         string    `json:"id"`
	Title      string    `json:"title"`
	Components []string  `json:"components"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
}

// Enqueuer returns the messages caused by a change, given the incident as
// it will be stored; it runs inside the change's transaction and must not
// block. Nil enqueues nothing.
type Enqueuer func(inc Incident) []OutboxMessage

// MaintenanceEnqueuer is Enqueuer for a maintenance window.
type MaintenanceEnqueuer func(m Maintenance) []OutboxMessage

// sentMark records that a key was enqueued on a channel, and when it left
// the outbox. It lives in sent/<channel>/<key> and blocks a second
// enqueue of the key until it is pruned (PruneSent, after delivery).
type sentMark struct {
	Seq    uint64    `json:"seq"`
	Queued time.Time `json:"queued"`
	Done   time.Time `json:"done,omitzero"`
	// Failed is the final error when the message was dropped undelivered.
	Failed string `json:"failed,omitempty"`
	// Held is true while the message waits for its NotBefore; Skipped
	// says why it then never joined the queue.
	Held    bool   `json:"held,omitempty"`
	Skipped string `json:"skipped,omitempty"`
}

// OnEnqueue sets fn to run after every committed transaction that
// enqueued at least one message (a dispatcher's wake-up). fn runs on the
// writer's goroutine and must not block.
func (db *DB) OnEnqueue(fn func()) { db.onEnqueue.Store(&fn) }

// Enqueue stores messages outside any incident change (for example
// announcements); keys already seen on their channel are skipped.
func (db *DB) Enqueue(msgs []OutboxMessage) error {
	if err := db.bolt.Update(func(tx *bolt.Tx) error { return db.enqueue(tx, msgs) }); err != nil {
		return fmt.Errorf("store: enqueue: %w", err)
	}
	return nil
}

// enqueue appends msgs to their channels' outboxes in tx, skipping keys
// the channel has seen.
func (db *DB) enqueue(tx *bolt.Tx, msgs []OutboxMessage) error {
	if fn := db.onEnqueue.Load(); fn != nil && len(msgs) > 0 {
		tx.OnCommit(*fn)
	}
	for _, m := range msgs {
		if m.Channel == "" || m.Key == "" {
			return fmt.Errorf("outbox: %w: message needs a channel and a key", ErrInvalid)
		}
		marks, err := tx.Bucket(bucketSent).CreateBucketIfNotExists([]byte(m.Channel))
		if err != nil {
			return fmt.Errorf("outbox %s: %w", m.Channel, err)
		}
		if marks.Get([]byte(m.Key)) != nil {
			continue // this key was enqueued before: never twice
		}
		if m.After != "" && !released(marks, m.After) {
			continue
		}
		if m.FanOut {
			seq, err := addFanOut(tx, m)
			if err != nil {
				return err
			}
			if err := putJSON(marks, []byte(m.Key), sentMark{Seq: seq, Queued: m.CreatedAt}); err != nil {
				return err
			}
			continue
		}
		if !m.NotBefore.IsZero() {
			seq, err := hold(tx, m)
			if err != nil {
				return err
			}
			if err := putJSON(marks, []byte(m.Key), sentMark{Seq: seq, Queued: m.CreatedAt, Held: true}); err != nil {
				return err
			}
			continue
		}
		q, err := tx.Bucket(bucketOutbox).CreateBucketIfNotExists([]byte(m.Channel))
		if err != nil {
			return fmt.Errorf("outbox %s: %w", m.Channel, err)
		}
		seq, err := q.NextSequence()
		if err != nil {
			return err
		}
		if err := putJSON(q, idKey(seq), m); err != nil {
			return err
		}
		if err := putJSON(marks, []byte(m.Key), sentMark{Seq: seq, Queued: m.CreatedAt}); err != nil {
			return err
		}
	}
	return nil
}

// Outbox returns up to limit pending messages of channel in order
// (limit <= 0: all).
func (db *DB) Outbox(channel string, limit int) ([]OutboxMessage, error) {
	var out []OutboxMessage
	err := db.bolt.View(func(tx *bolt.Tx) error {
		q := tx.Bucket(bucketOutbox).Bucket([]byte(channel))
		if q == nil {
			return nil
		}
		c := q.Cursor()
		for k, v := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			var m OutboxMessage
			if err := getJSON(v, &m); err != nil {
				return fmt.Errorf("message %d: %w", binary.BigEndian.Uint64(k), err)
			}
			m.Seq = binary.BigEndian.Uint64(k)
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read outbox %s: %w", channel, err)
	}
	return out, nil
}

// MarkSent removes a delivered message from the outbox and records when
// it was sent, in one transaction.
func (db *DB) MarkSent(channel string, seq uint64, key string, at time.Time) error {
	err := db.bolt.Update(func(tx *bolt.Tx) error { return finish(tx, channel, seq, key, at, "") })
	if err != nil {
		return fmt.Errorf("store: mark sent: %w", err)
	}
	return nil
}

// MarkFailed drops a message that can never be delivered (the receiver
// rejected it), records the reason with its mark and appends audit, in
// one transaction.
func (db *DB) MarkFailed(channel string, seq uint64, key string, at time.Time, reason string, audit AuditEntry) error {
	if reason == "" {
		reason = "failed"
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		if err := finish(tx, channel, seq, key, at, reason); err != nil {
			return err
		}
		return appendAudit(tx, audit)
	})
	if err != nil {
		return fmt.Errorf("store: mark failed: %w", err)
	}
	return nil
}

func finish(tx *bolt.Tx, channel string, seq uint64, key string, at time.Time, failed string) error {
	q := tx.Bucket(bucketOutbox).Bucket([]byte(channel))
	if q == nil || q.Get(idKey(seq)) == nil {
		return fmt.Errorf("outbox %s message %d: %w", channel, seq, ErrNotFound)
	}
	if err := q.Delete(idKey(seq)); err != nil {
		return err
	}
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
	mark.Done, mark.Failed = at, failed
	return putJSON(marks, []byte(key), mark)
}

// Reschedule records a failed attempt of a pending message.
func (db *DB) Reschedule(channel string, seq uint64, attempts int, next time.Time, lastErr string) error {
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		q := tx.Bucket(bucketOutbox).Bucket([]byte(channel))
		var v []byte
		if q != nil {
			v = q.Get(idKey(seq))
		}
		if v == nil {
			return fmt.Errorf("outbox %s message %d: %w", channel, seq, ErrNotFound)
		}
		var m OutboxMessage
		if err := getJSON(v, &m); err != nil {
			return fmt.Errorf("outbox %s message %d: %w", channel, seq, err)
		}
		m.Attempts, m.NextAttempt, m.LastError = attempts, next, lastErr
		return putJSON(q, idKey(seq), m)
	})
	if err != nil {
		return fmt.Errorf("store: reschedule: %w", err)
	}
	return nil
}

// Pending returns the number of undelivered messages per channel
// (channels with an empty outbox are left out).
func (db *DB) Pending() (map[string]int, error) {
	out := map[string]int{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOutbox).ForEachBucket(func(name []byte) error {
			n := tx.Bucket(bucketOutbox).Bucket(name).Stats().KeyN
			if n > 0 {
				out[string(name)] = n
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: count outbox: %w", err)
	}
	return out, nil
}

// PruneSent deletes up to limit marks of messages that left the outbox
// before cut, so their keys could be enqueued again. It returns how many
// it deleted; call it again while that equals limit.
func (db *DB) PruneSent(cut time.Time, limit int) (int, error) {
	type victim struct{ channel, key []byte }
	var victims []victim
	err := db.bolt.View(func(tx *bolt.Tx) error {
		sent := tx.Bucket(bucketSent)
		return sent.ForEachBucket(func(ch []byte) error {
			return sent.Bucket(ch).ForEach(func(k, v []byte) error {
				var mark sentMark
				if len(victims) >= limit || getJSON(v, &mark) != nil {
					return nil // undecodable marks are kept: they only block a key
				}
				if !mark.Done.IsZero() && mark.Done.Before(cut) {
					victims = append(victims, victim{append([]byte(nil), ch...), append([]byte(nil), k...)})
				}
				return nil
			})
		})
	})
	if err != nil || len(victims) == 0 {
		return 0, wrapErr("store: prune sent marks", err)
	}
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		for _, v := range victims {
			if err := tx.Bucket(bucketSent).Bucket(v.channel).Delete(v.key); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: prune sent marks: %w", err)
	}
	return len(victims), nil
}

func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, err)
}
