package notify

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/store"
)

// Bluesky limits and defaults.
const (
	BlueskyDefaultURL = "https://bsky.social"
	blueskyMaxChars   = 300  // graphemes of app.bsky.feed.post text
	blueskyMaxBytes   = 3000 // UTF-8 bytes of the same
	blueskyCollection = "app.bsky.feed.post"
)

// BlueskyOptions configure NewBluesky.
type BlueskyOptions struct {
	URL         string // the account's PDS; default https://bsky.social
	Identifier  string // handle or DID
	AppPassword config.Secret
	Language    string        // BCP 47 code of the posts; "" says none
	Timeout     time.Duration // per attempt, login included; default 10 s
	Client      *http.Client
	Now         func() time.Time // rate-limit reset times; default time.Now
}

// Bluesky posts each message as an app.bsky.feed.post record with a link
// facet on the incident's link.
//
// The session (com.atproto.server.createSession, strictly rate-limited)
// is kept: an expired access token is refreshed with the refresh token,
// and only when that fails is a new session created.
//
// Bluesky has no idempotency key. Instead the record key is derived from
// the message (BlueskyRecordKey), so a retry after a lost answer names
// the same record: the PDS refuses to create it twice (today with a 500,
// see bluesky-social/indigo#873), and a failed create whose record
// exists counts as posted.
type Bluesky struct {
	api apiClient
	o   BlueskyOptions

	mu   sync.Mutex
	sess blueskySession
}

var _ Sender = (*Bluesky)(nil)

// blueskySession is a login; zero when there is none.
type blueskySession struct {
	AccessJwt  string `json:"accessJwt"`
	RefreshJwt string `json:"refreshJwt"`
	DID        string `json:"did"`
}

// NewBluesky returns a Bluesky channel.
func NewBluesky(o BlueskyOptions) (*Bluesky, error) {
	if o.URL == "" {
		o.URL = BlueskyDefaultURL
	}
	if o.Identifier == "" || o.AppPassword.Reveal() == "" {
		return nil, fmt.Errorf("notify: bluesky channel needs identifier and an app password (app_password_file or app_password_env)")
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	b := &Bluesky{o: o}
	api, err := newAPIClient(o.Client, o.URL, o.Now, b.secrets)
	if err != nil {
		return nil, err
	}
	b.api = api
	return b, nil
}

// secrets are the password and the current session's tokens.
func (b *Bluesky) secrets() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return []string{b.o.AppPassword.Reveal(), b.sess.AccessJwt, b.sess.RefreshJwt}
}

func (b *Bluesky) session() blueskySession {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sess
}

func (b *Bluesky) setSession(s blueskySession) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sess = s
}

// Bluesky record shapes.
type (
	blueskyPost struct {
		Type      string         `json:"$type"`
		Text      string         `json:"text"`
		CreatedAt string         `json:"createdAt"`
		Langs     []string       `json:"langs,omitempty"`
		Facets    []blueskyFacet `json:"facets,omitempty"`
	}
	blueskyFacet struct {
		Index    blueskyByteSlice `json:"index"`
		Features []blueskyLink    `json:"features"`
	}
	blueskyByteSlice struct {
		ByteStart int `json:"byteStart"`
		ByteEnd   int `json:"byteEnd"` // exclusive
	}
	blueskyLink struct {
		Type string `json:"$type"`
		URI  string `json:"uri"`
	}
	blueskyCreate struct {
		Repo       string      `json:"repo"`
		Collection string      `json:"collection"`
		RKey       string      `json:"rkey"`
		Record     blueskyPost `json:"record"`
	}
)

// blueskyRecord returns the post of m: its text cut to Bluesky's limits
// and a link facet on the exact bytes of the link.
func (b *Bluesky) blueskyRecord(m store.OutboxMessage) blueskyPost {
	text, at := composePost(m.Text, m.URL, postLimit{chars: blueskyMaxChars, bytes: blueskyMaxBytes, linkChars: -1})
	p := blueskyPost{Type: blueskyCollection, Text: text, CreatedAt: m.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z")}
	if b.o.Language != "" {
		p.Langs = []string{b.o.Language}
	}
	if at >= 0 {
		p.Facets = []blueskyFacet{{Index: blueskyByteSlice{ByteStart: at, ByteEnd: at + len(m.URL)},
			Features: []blueskyLink{{Type: "app.bsky.richtext.facet#link", URI: m.URL}}}}
	}
	return p
}

// Send implements Sender.
func (b *Bluesky) Send(ctx context.Context, m store.OutboxMessage) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, b.o.Timeout)
	defer cancel()
	sess := b.session()
	if sess.AccessJwt == "" {
		var err error
		if sess, err = b.login(ctx); err != nil {
			return isRetry(err), err
		}
	}
	body := blueskyCreate{Collection: blueskyCollection, RKey: BlueskyRecordKey(m), Record: b.blueskyRecord(m)}
	r, err := b.create(ctx, sess, body)
	if err == nil && !r.ok() && needsLogin(r) {
		if sess, err = b.renew(ctx, sess); err != nil {
			return isRetry(err), err
		}
		r, err = b.create(ctx, sess, body)
	}
	switch {
	case err != nil:
		return true, err
	case r.ok():
		return false, nil
	case (r.code >= 500 || r.code == http.StatusBadRequest || r.code == http.StatusConflict) && b.exists(ctx, sess, body.RKey):
		return false, nil // posted by an attempt whose answer was lost
	}
	return b.api.fail("bluesky: create post", r, blueskyHint(r))
}

func (b *Bluesky) create(ctx context.Context, sess blueskySession, body blueskyCreate) (apiReply, error) {
	body.Repo = sess.DID
	return b.api.call(ctx, http.MethodPost, "/xrpc/com.atproto.repo.createRecord", bearer(sess.AccessJwt), body)
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

// needsLogin reports whether a reply says the access token is no good.
func needsLogin(r apiReply) bool {
	switch errorName(r) {
	case "ExpiredToken", "InvalidToken":
		return true
	}
	return r.code == http.StatusUnauthorized
}

// isRetry reports whether an error of login or renew may pass: all but
// a refusal do (a strange answer may be a proxy's maintenance page).
func isRetry(err error) bool {
	var e *Error
	return !errors.As(err, &e) || e.Reason != ReasonRejected
}

// login creates a session with the app password.
func (b *Bluesky) login(ctx context.Context) (blueskySession, error) {
	r, err := b.api.call(ctx, http.MethodPost, "/xrpc/com.atproto.server.createSession", nil,
		map[string]string{"identifier": b.o.Identifier, "password": b.o.AppPassword.Reveal()})
	if err != nil {
		return blueskySession{}, err
	}
	if !r.ok() {
		_, err := b.api.fail("bluesky: log in as "+b.o.Identifier, r, blueskyLoginHint(r))
		return blueskySession{}, err
	}
	return b.keep("bluesky: log in", r)
}

// renew refreshes the session; if the refresh token is no good either, it
// logs in again.
func (b *Bluesky) renew(ctx context.Context, sess blueskySession) (blueskySession, error) {
	if sess.RefreshJwt != "" {
		r, err := b.api.call(ctx, http.MethodPost, "/xrpc/com.atproto.server.refreshSession", bearer(sess.RefreshJwt), nil)
		switch {
		case err != nil:
			return blueskySession{}, err
		case r.ok():
			return b.keep("bluesky: refresh session", r)
		case !needsLogin(r) && r.code != http.StatusBadRequest:
			_, err := b.api.fail("bluesky: refresh session", r, "")
			return blueskySession{}, err
		}
	}
	b.setSession(blueskySession{})
	return b.login(ctx)
}

// keep reads a session from a createSession or refreshSession reply and
// keeps it for the next messages.
func (b *Bluesky) keep(op string, r apiReply) (blueskySession, error) {
	var s blueskySession
	if err := b.api.decode(op, r, &s); err != nil {
		return blueskySession{}, err
	}
	if s.AccessJwt == "" || s.DID == "" {
		return blueskySession{}, &Error{Reason: ReasonOther, Err: fmt.Errorf("%s: %s answered without accessJwt and did; is url the account's PDS?", op, b.api.host)}
	}
	b.setSession(s)
	return s, nil
}

// exists reports whether the post with rkey is in the account's repo.
func (b *Bluesky) exists(ctx context.Context, sess blueskySession, rkey string) bool {
	q := url.Values{"repo": {sess.DID}, "collection": {blueskyCollection}, "rkey": {rkey}}
	r, err := b.api.call(ctx, http.MethodGet, "/xrpc/com.atproto.repo.getRecord?"+q.Encode(), bearer(sess.AccessJwt), nil)
	return err == nil && r.ok() && !r.tooLong
}

// blueskyLoginHint says what a refused login means.
func blueskyLoginHint(r apiReply) string {
	switch {
	case errorName(r) == "AuthFactorTokenRequired":
		return "the account asks for a sign-in code: use an app password (Settings, Privacy and security, App passwords)"
	case r.code == http.StatusUnauthorized || r.code == http.StatusBadRequest:
		return "check identifier and app_password_file or app_password_env (an app password, not the account password)"
	}
	return ""
}

// blueskyHint says what a final answer to a post means.
func blueskyHint(r apiReply) string {
	switch {
	case r.code == http.StatusNotFound:
		return "no Bluesky API there; url must be the account's PDS (default https://bsky.social)"
	case r.code == http.StatusBadRequest:
		return "the PDS refused the post"
	}
	return ""
}

// BlueskyRecordKey is the record key of m's post: a TID (the key type of
// app.bsky.feed.post records, which the PDS checks), derived from the
// message so that every attempt names the same record. Its time is
// m.CreatedAt to the millisecond, so posts sort as they were written;
// the microseconds and the 10-bit clock id come from a hash of the
// message key, so two messages of the same millisecond differ but for a
// chance of one in a million.
func BlueskyRecordKey(m store.OutboxMessage) string {
	sum := sha256.Sum256([]byte(m.Key))
	h := binary.BigEndian.Uint64(sum[:8])
	ms := max(m.CreatedAt.UnixMilli(), 0)
	micros := uint64(ms)*1000 + h%1000
	clock := (h >> 10) & 0x3ff
	return tid((micros&(1<<53-1))<<10 | clock)
}

// tid writes v as a TID: 13 characters of base32-sortable, most
// significant first; the top bit of v is 0.
func tid(v uint64) string {
	const alphabet = "234567abcdefghijklmnopqrstuvwxyz"
	var b [13]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = alphabet[v&31]
		v >>= 5
	}
	return string(b[:])
}
