package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Subscriber is one email subscription (SPEC §16).
type Subscriber struct {
	ID uint64 `json:"id"`
	// Email is the normalised address (NormaliseEmail).
	Email string `json:"email"`
	// Components are the component ids the subscriber follows, sorted;
	// empty means all components, including ones added later.
	Components []string  `json:"components"`
	Created    time.Time `json:"created"`
	// Confirmed is when the confirmation link was followed; zero while
	// unconfirmed (such a subscriber gets no news and expires).
	Confirmed time.Time `json:"confirmed,omitzero"`
	// Consent records the latest sign-up request: what the person agreed
	// to, when, and from which client address.
	Consent Consent `json:"consent"`
}

// Consent is the record of a sign-up form's consent.
type Consent struct {
	Time       time.Time `json:"time"`
	ClientAddr string    `json:"client_addr"`
	Text       string    `json:"text"`
}

// IsConfirmed reports whether the subscriber confirmed the address.
func (s Subscriber) IsConfirmed() bool { return !s.Confirmed.IsZero() }

// Wants reports whether news about components reaches the subscriber: it
// follows all of them, or one of them; news about no particular component
// (components empty) reaches everyone.
func (s Subscriber) Wants(components []string) bool {
	if len(s.Components) == 0 || len(components) == 0 {
		return true
	}
	for _, c := range components {
		if slices.Contains(s.Components, c) {
			return true
		}
	}
	return false
}

// Errors of the subscriber methods.
var (
	// ErrBadToken: forged, for another purpose, of a removed subscriber,
	// or a confirmation link already used or replaced by a newer one.
	ErrBadToken = errors.New("invalid or used link")
	// ErrTokenExpired: a confirmation link older than confirm_ttl.
	ErrTokenExpired = errors.New("expired link")
	// ErrEmailInvalid and ErrEmailTooLong: NormaliseEmail refused the address.
	ErrEmailInvalid = errors.New("not a valid email address")
	ErrEmailTooLong = errors.New("email address too long")

	errNoKey = errors.New("no subscriber key yet")
)

var (
	bucketSubscribers    = []byte("subscribers")      // subscribers/<id>: one subscriber (JSON)
	bucketSubscriberMail = []byte("subscriber-email") // subscriber-email/<normalised address>: its id
	keySubscriberKey     = []byte("subscriber-key")   // meta: the 32-byte HMAC key of link tokens
)

// subscriberBuckets returns both subscriber buckets; nil when a file
// opened read-only predates them.
func subscriberBuckets(tx *bolt.Tx) (subs, byMail *bolt.Bucket) {
	return tx.Bucket(bucketSubscribers), tx.Bucket(bucketSubscriberMail)
}

// writableSubscriberBuckets is subscriberBuckets for a write: a missing
// bucket is corruption (Open creates them).
func writableSubscriberBuckets(tx *bolt.Tx) (subs, byMail *bolt.Bucket, err error) {
	subs, byMail = subscriberBuckets(tx)
	if subs == nil || byMail == nil {
		return nil, nil, fmt.Errorf("%w subscribers", ErrCorrupt)
	}
	return subs, byMail, nil
}

// SignUp is one request of the subscribe form.
type SignUp struct {
	Email      string // as typed; AddSubscriber normalises it
	Components []string
	Consent    Consent
	// ResendAfter: an unconfirmed address asked for again sooner than this
	// after its last request gets no second mail and keeps its pending
	// link (so nobody can flood a mailbox through many client addresses).
	ResendAfter time.Duration
}

// ConfirmMail returns the confirmation message(s) of a sign-up, given the
// subscriber as stored and its confirmation token; it runs inside the
// sign-up's transaction and must not block.
type ConfirmMail func(s Subscriber, confirmToken string) []OutboxMessage

// AddSubscriber records a sign-up and enqueues its confirmation mail in
// the same transaction, which commits before it returns:
//   - a new address is stored unconfirmed and mailed;
//   - an unconfirmed one takes the new components and consent and is
//     mailed again (a new link; the old one stops working), unless its last
//     request is less than ResendAfter old: then nothing changes;
//   - a confirmed one changes nothing and gets no mail (its manage link is
//     in every mail it receives), so a stranger can change no one's
//     subscription.
//
// The caller answers all three the same way (no enumeration). mailed
// reports whether a mail was enqueued.
func (db *DB) AddSubscriber(r SignUp, mail ConfirmMail) (s Subscriber, mailed bool, err error) {
	email, err := NormaliseEmail(r.Email)
	if err != nil {
		return Subscriber{}, false, fmt.Errorf("store: add subscriber: %w", err)
	}
	if r.Consent.Time.IsZero() {
		return Subscriber{}, false, fmt.Errorf("store: add subscriber: %w: consent time missing", ErrInvalid)
	}
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		subs, byMail, err := writableSubscriberBuckets(tx)
		if err != nil {
			return err
		}
		if idv := byMail.Get([]byte(email)); idv != nil {
			if err := getJSON(subs.Get(idv), &s); err != nil {
				return fmt.Errorf("subscriber %x: %w", idv, err)
			}
			if s.IsConfirmed() || r.Consent.Time.Sub(s.Consent.Time) < r.ResendAfter {
				return nil
			}
		} else {
			id, err := subs.NextSequence()
			if err != nil {
				return err
			}
			s = Subscriber{ID: id, Email: email, Created: r.Consent.Time}
			if err := byMail.Put([]byte(email), idKey(id)); err != nil {
				return err
			}
		}
		s.Components = normaliseComponents(r.Components)
		s.Consent = r.Consent
		if err := putJSON(subs, idKey(s.ID), s); err != nil {
			return err
		}
		if mail == nil {
			return nil
		}
		key, err := subscriberKey(tx, true)
		if err != nil {
			return err
		}
		mailed = true
		return db.enqueue(tx, mail(s, signToken(key, s.ID, PurposeConfirm, s.Consent.Time)))
	})
	if err != nil {
		return Subscriber{}, false, fmt.Errorf("store: add subscriber: %w", err)
	}
	return s, mailed, nil
}

// normaliseComponents sorts and dedupes ids; nil or empty means all.
func normaliseComponents(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// Subscriber returns the subscriber id, or ErrNotFound.
func (db *DB) Subscriber(id uint64) (Subscriber, error) {
	var s Subscriber
	err := db.bolt.View(func(tx *bolt.Tx) error {
		subs, _ := subscriberBuckets(tx)
		if subs == nil || subs.Get(idKey(id)) == nil {
			return ErrNotFound
		}
		return getJSON(subs.Get(idKey(id)), &s)
	})
	if errors.Is(err, ErrNotFound) {
		return Subscriber{}, ErrNotFound
	}
	if err != nil {
		return Subscriber{}, fmt.Errorf("store: read subscriber %d: %w", id, err)
	}
	return s, nil
}

// SetSubscriberComponents replaces the components of subscriber id (empty:
// all) and commits before it returns.
func (db *DB) SetSubscriberComponents(id uint64, components []string) (Subscriber, error) {
	var s Subscriber
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		subs, _, err := writableSubscriberBuckets(tx)
		if err != nil {
			return err
		}
		v := subs.Get(idKey(id))
		if v == nil {
			return ErrNotFound
		}
		if err := getJSON(v, &s); err != nil {
			return err
		}
		s.Components = normaliseComponents(components)
		return putJSON(subs, idKey(id), s)
	})
	if err != nil {
		return Subscriber{}, fmt.Errorf("store: set subscriber %d components: %w", id, err)
	}
	return s, nil
}

// DeleteSubscriber removes subscriber id and its address entirely (an
// unsubscribe keeps nothing), with audit when audit.Action is set, and
// commits before it returns. Its links stop working: ids are never reused.
func (db *DB) DeleteSubscriber(id uint64, audit AuditEntry) error {
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		subs, byMail, err := writableSubscriberBuckets(tx)
		if err != nil {
			return err
		}
		var s Subscriber
		v := subs.Get(idKey(id))
		if v == nil {
			return ErrNotFound
		}
		if err := getJSON(v, &s); err != nil {
			return err
		}
		if err := subs.Delete(idKey(id)); err != nil {
			return err
		}
		if err := byMail.Delete([]byte(s.Email)); err != nil {
			return err
		}
		if audit.Action == "" {
			return nil
		}
		return appendAudit(tx, audit)
	})
	if errors.Is(err, ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: delete subscriber %d: %w", id, err)
	}
	return nil
}

// Subscribers returns the subscribers for which keep is true (nil: all),
// oldest first.
func (db *DB) Subscribers(keep func(Subscriber) bool) ([]Subscriber, error) {
	var out []Subscriber
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		out, err = scanSubscribers(tx, keep)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: read subscribers: %w", err)
	}
	return out, nil
}

func scanSubscribers(tx *bolt.Tx, keep func(Subscriber) bool) ([]Subscriber, error) {
	subs, _ := subscriberBuckets(tx)
	if subs == nil {
		return nil, nil
	}
	var out []Subscriber
	err := subs.ForEach(func(k, v []byte) error {
		var s Subscriber
		if err := getJSON(v, &s); err != nil {
			return fmt.Errorf("subscriber %d: %w", binary.BigEndian.Uint64(k), err)
		}
		if keep == nil || keep(s) {
			out = append(out, s)
		}
		return nil
	})
	return out, err
}

// ConfirmedSubscribers returns the confirmed subscribers who want news
// about components (Subscriber.Wants), oldest first.
func (db *DB) ConfirmedSubscribers(components ...string) ([]Subscriber, error) {
	return db.Subscribers(func(s Subscriber) bool { return s.IsConfirmed() && s.Wants(components) })
}

// SubscriberCounts returns how many subscribers are confirmed and how many
// are not (yet).
func (db *DB) SubscriberCounts() (confirmed, unconfirmed int, err error) {
	_, err = db.Subscribers(func(s Subscriber) bool {
		if s.IsConfirmed() {
			confirmed++
		} else {
			unconfirmed++
		}
		return false
	})
	return confirmed, unconfirmed, err
}

// PruneUnconfirmed deletes up to limit subscribers who did not confirm
// within ttl of their last sign-up request and returns how many; call it
// again while it returns limit.
func (db *DB) PruneUnconfirmed(now time.Time, ttl time.Duration, limit int) (int, error) {
	if ttl <= 0 || limit <= 0 {
		return 0, fmt.Errorf("store: prune unconfirmed: %w: ttl %v, limit %d", ErrInvalid, ttl, limit)
	}
	n := 0
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		subs, byMail, err := writableSubscriberBuckets(tx)
		if err != nil {
			return err
		}
		var stale []Subscriber
		c := subs.Cursor()
		for k, v := c.First(); k != nil && len(stale) < limit; k, v = c.Next() {
			var s Subscriber
			if err := getJSON(v, &s); err != nil {
				return fmt.Errorf("subscriber %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if !s.IsConfirmed() && !now.Before(s.Consent.Time.Add(ttl)) {
				stale = append(stale, s)
			}
		}
		for _, s := range stale { // after the walk: deleting under a cursor skips keys
			if err := subs.Delete(idKey(s.ID)); err != nil {
				return err
			}
			if err := byMail.Delete([]byte(s.Email)); err != nil {
				return err
			}
		}
		n = len(stale)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: prune unconfirmed: %w", err)
	}
	return n, nil
}
