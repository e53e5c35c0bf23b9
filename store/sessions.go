package store

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Session is a review console login. The database holds only a hash of
// the session id (the cookie's value), so a copy of the file or a backup
// logs nobody in.
type Session struct {
	Name string `json:"name"` // display name, for the audit log
	// TokenFingerprint identifies the admin token the session was opened
	// with: when the token changes, every session ends.
	TokenFingerprint string    `json:"token_fingerprint"`
	CreatedAt        time.Time `json:"created_at"`
	LastSeen         time.Time `json:"last_seen"`
}

// sessionKey is the bucket key of session id: its SHA-256, never the id.
func sessionKey(id string) []byte {
	sum := sha256.Sum256([]byte(id))
	return sum[:]
}

// sessionBucket returns the sessions bucket, which a database opened
// read-only by an older outpost may lack.
func sessionBucket(tx *bolt.Tx) *bolt.Bucket { return tx.Bucket(bucketSessions) }

// PutSession stores (or replaces) the session of id and commits before
// returning.
func (db *DB) PutSession(id string, s Session) error {
	if id == "" {
		return fmt.Errorf("store: put session: %w: empty session id", ErrInvalid)
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b := sessionBucket(tx)
		if b == nil {
			return fmt.Errorf("%w sessions", ErrCorrupt)
		}
		return putJSON(b, sessionKey(id), s)
	})
	if err != nil {
		return fmt.Errorf("store: put session: %w", err)
	}
	return nil
}

// Session returns the session of id, or ErrNotFound.
func (db *DB) Session(id string) (Session, error) {
	var s Session
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var v []byte
		if b := sessionBucket(tx); b != nil {
			v = b.Get(sessionKey(id))
		}
		if v == nil {
			return ErrNotFound
		}
		return getJSON(v, &s)
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return Session{}, ErrNotFound
		}
		return Session{}, fmt.Errorf("store: read session: %w", err)
	}
	return s, nil
}

// DeleteSession ends the session of id; an unknown id is no error.
func (db *DB) DeleteSession(id string) error {
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		if b := sessionBucket(tx); b != nil {
			return b.Delete(sessionKey(id))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// DeleteSessions deletes up to limit sessions for which drop is true (an
// unreadable one is dropped too) and returns how many it deleted. The
// limit bounds the transaction; call it again while it returns limit.
func (db *DB) DeleteSessions(drop func(Session) bool, limit int) (int, error) {
	n := 0
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b := sessionBucket(tx)
		if b == nil {
			return nil
		}
		var keys [][]byte
		c := b.Cursor()
		for k, v := c.First(); k != nil && len(keys) < limit; k, v = c.Next() {
			var s Session
			if getJSON(v, &s) != nil || drop(s) {
				keys = append(keys, append([]byte(nil), k...))
			}
		}
		for _, k := range keys { // after the walk: deleting under a cursor skips keys
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(keys)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: delete sessions: %w", err)
	}
	return n, nil
}
