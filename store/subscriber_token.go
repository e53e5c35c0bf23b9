package store

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Signed link tokens of subscribers: see the package documentation.

// Token purposes: what a signed link may do.
const (
	PurposeConfirm     = "confirm"
	PurposeManage      = "manage"
	PurposeUnsubscribe = "unsubscribe"
)

// ConfirmSubscriber confirms the subscriber of a confirmation token at now,
// once: the token must be the newest one of an unconfirmed subscriber and
// younger than ttl. It commits before it returns.
func (db *DB) ConfirmSubscriber(token string, now time.Time, ttl time.Duration) (Subscriber, error) {
	var s Subscriber
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		var err error
		if s, err = verifyToken(tx, token, PurposeConfirm); err != nil {
			return err
		}
		if ttl > 0 && !now.Before(s.Consent.Time.Add(ttl)) {
			return ErrTokenExpired
		}
		s.Confirmed = now
		return putJSON(tx.Bucket(bucketSubscribers), idKey(s.ID), s)
	})
	if err != nil {
		return Subscriber{}, fmt.Errorf("store: confirm subscriber: %w", err)
	}
	return s, nil
}

// SubscriberByToken returns the subscriber a link token of purpose was
// made for, or ErrBadToken. A confirmation token is valid only while it is
// the subscriber's newest and unused (its expiry is ConfirmSubscriber's).
func (db *DB) SubscriberByToken(token, purpose string) (Subscriber, error) {
	var s Subscriber
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		s, err = verifyToken(tx, token, purpose)
		return err
	})
	if err != nil {
		return Subscriber{}, fmt.Errorf("store: subscriber by token: %w", err)
	}
	return s, nil
}

// SubscriberToken returns the link token of purpose for subscriber id (see
// the package documentation). Manage and unsubscribe tokens of a
// subscriber never change; a confirmation token is the one of its latest
// sign-up.
func (db *DB) SubscriberToken(id uint64, purpose string) (string, error) {
	if !validPurpose(purpose) {
		return "", fmt.Errorf("store: subscriber token: %w: purpose %q", ErrInvalid, purpose)
	}
	var token string
	sign := func(tx *bolt.Tx, create bool) error {
		subs, _ := subscriberBuckets(tx)
		var s Subscriber
		if subs == nil || subs.Get(idKey(id)) == nil {
			return ErrNotFound
		}
		if err := getJSON(subs.Get(idKey(id)), &s); err != nil {
			return err
		}
		key, err := subscriberKey(tx, create)
		if err != nil {
			return err
		}
		token = signToken(key, id, purpose, s.Consent.Time)
		return nil
	}
	// A read transaction once the key exists (the fan-out asks often).
	err := db.bolt.View(func(tx *bolt.Tx) error { return sign(tx, false) })
	if errors.Is(err, errNoKey) {
		err = db.bolt.Update(func(tx *bolt.Tx) error { return sign(tx, true) })
	}
	if err != nil {
		return "", fmt.Errorf("store: subscriber token %d: %w", id, err)
	}
	return token, nil
}

// SubscriberLink returns <pageURL>/subscribe/confirm?token=…,
// <pageURL>/subscribe/manage?token=… or <pageURL>/unsubscribe?token=… for
// purpose. publish serves these paths and notify writes them into mails;
// the helper lives here so that neither imports the other.
func SubscriberLink(pageURL, purpose, token string) string {
	path := map[string]string{
		PurposeConfirm:     "/subscribe/confirm",
		PurposeManage:      "/subscribe/manage",
		PurposeUnsubscribe: "/unsubscribe",
	}[purpose]
	return strings.TrimRight(pageURL, "/") + path + "?token=" + url.QueryEscape(token)
}

// subscriberKey returns the HMAC key of link tokens from meta, creating it
// (32 random bytes) when create is set and it is missing. The returned
// slice is a copy.
func subscriberKey(tx *bolt.Tx, create bool) ([]byte, error) {
	meta := tx.Bucket(bucketMeta)
	if v := meta.Get(keySubscriberKey); len(v) == 32 {
		return slices.Clone(v), nil
	}
	if !create {
		return nil, errNoKey
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("subscriber key: %w", err)
	}
	if err := meta.Put(keySubscriberKey, key); err != nil {
		return nil, err
	}
	return slices.Clone(key), nil
}

// tokenVersion starts every token's bytes.
const tokenVersion = 1

func validPurpose(p string) bool {
	return p == PurposeConfirm || p == PurposeManage || p == PurposeUnsubscribe
}

// signToken returns base64url(version, id, [request time,] HMAC): the
// request time (8-byte Unix ns of the sign-up) only in confirmation tokens.
func signToken(key []byte, id uint64, purpose string, requested time.Time) string {
	body := binary.BigEndian.AppendUint64([]byte{tokenVersion}, id)
	if purpose == PurposeConfirm {
		body = binary.BigEndian.AppendUint64(body, uint64(requested.UnixNano()))
	}
	return base64.RawURLEncoding.EncodeToString(append(body, tokenMAC(key, purpose, body)...))
}

// tokenMAC is HMAC-SHA256 over the purpose and the token's body.
func tokenMAC(key []byte, purpose string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("outpost subscriber link\x00" + purpose + "\x00"))
	m.Write(body)
	return m.Sum(nil)
}

// verifyToken checks token for purpose in tx and returns its subscriber.
func verifyToken(tx *bolt.Tx, token, purpose string) (Subscriber, error) {
	if !validPurpose(purpose) {
		return Subscriber{}, fmt.Errorf("%w: purpose %q", ErrInvalid, purpose)
	}
	bodyLen := 9
	if purpose == PurposeConfirm {
		bodyLen = 17
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != bodyLen+sha256.Size || raw[0] != tokenVersion {
		return Subscriber{}, ErrBadToken
	}
	key, err := subscriberKey(tx, false)
	if errors.Is(err, errNoKey) {
		return Subscriber{}, ErrBadToken // no token was ever made
	}
	if err != nil {
		return Subscriber{}, err
	}
	body := raw[:bodyLen]
	if !hmac.Equal(raw[bodyLen:], tokenMAC(key, purpose, body)) {
		return Subscriber{}, ErrBadToken
	}
	subs, _ := subscriberBuckets(tx)
	var v []byte
	if subs != nil {
		v = subs.Get(body[1:9])
	}
	if v == nil {
		return Subscriber{}, ErrBadToken // removed: its links end with it
	}
	var s Subscriber
	if err := getJSON(v, &s); err != nil {
		return Subscriber{}, err
	}
	if purpose == PurposeConfirm &&
		(s.IsConfirmed() || int64(binary.BigEndian.Uint64(body[9:17])) != s.Consent.Time.UnixNano()) {
		return Subscriber{}, ErrBadToken // used, or replaced by a newer sign-up
	}
	return s, nil
}
