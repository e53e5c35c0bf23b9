package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Channel types of the social networks.
const (
	TypeMastodon = "mastodon"
	TypeBluesky  = "bluesky"
)

// maxReplyBytes bounds what is read of a JSON API's reply; a longer reply
// is an error (the answers outpost reads are a few hundred bytes).
const maxReplyBytes = 64 << 10

// apiClient calls the JSON API of one server (a Mastodon instance, a
// Bluesky PDS). Errors name the server by scheme and host only and never
// contain a secret: secrets returns the current ones (tokens, passwords,
// session tokens), which are scrubbed from every quoted reply.
type apiClient struct {
	client  *http.Client
	base    string // scheme://host[:port][/path], no trailing slash
	host    string // scheme://host[:port], for errors
	now     func() time.Time
	secrets func() []string
}

func newAPIClient(client *http.Client, rawURL string, now func() time.Time, secrets func() []string) (apiClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return apiClient{}, fmt.Errorf("notify: %s is not the base url of a server (e.g. https://mastodon.social)", redactURL(rawURL))
	}
	if client == nil {
		client = &http.Client{}
	}
	if now == nil {
		now = time.Now
	}
	return apiClient{client: client, base: strings.TrimSuffix(u.Scheme+"://"+u.Host+u.Path, "/"),
		host: u.Scheme + "://" + u.Host, now: now, secrets: secrets}, nil
}

// apiReply is a server's answer, its body read up to maxReplyBytes.
type apiReply struct {
	code    int
	status  string
	header  http.Header
	body    []byte
	tooLong bool // the body was longer than maxReplyBytes
}

func (r apiReply) ok() bool { return r.code >= 200 && r.code < 300 }

// call sends body (JSON, or nothing if nil) to path with header and reads
// the reply. A transport failure is a retryable *Error.
func (c apiClient) call(ctx context.Context, method, path string, header http.Header, body any) (apiReply, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return apiReply{}, &Error{Reason: ReasonOther, Err: fmt.Errorf("%s %s: encode request: %w", method, c.host, err)}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return apiReply{}, &Error{Reason: ReasonOther, Err: fmt.Errorf("%s %s%s: build request", method, c.host, path)}
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "outpost")
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err // the url.Error would print the whole URL
		}
		return apiReply{}, &Error{Reason: ReasonOf(err), Err: fmt.Errorf("%s %s%s: %s", method, c.host, path, c.scrub(err.Error()))}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes+1))
	if err != nil {
		return apiReply{}, &Error{Reason: ReasonOf(err), Err: fmt.Errorf("%s %s%s: read reply: %s", method, c.host, path, c.scrub(err.Error()))}
	}
	r := apiReply{code: resp.StatusCode, status: resp.Status, header: resp.Header, body: b}
	if len(b) > maxReplyBytes {
		r.body, r.tooLong = b[:maxReplyBytes], true
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainBytes)) // keep the connection if it ends soon
	}
	return r, nil
}

func (c apiClient) scrub(s string) string { return scrub(s, c.secrets()...) }

// decode reads a successful JSON reply into v.
func (c apiClient) decode(op string, r apiReply, v any) error {
	if r.tooLong {
		return &Error{Reason: ReasonOther, Err: fmt.Errorf("%s: %s answered with more than %d KiB; is url the right server?", op, c.host, maxReplyBytes>>10)}
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		return &Error{Reason: ReasonOther, Err: fmt.Errorf("%s: %s answered %s without valid JSON (is url the right server?): %q",
			op, c.host, r.status, c.scrub(snippet(string(r.body))))}
	}
	return nil
}

// xrpcError is the error document of an XRPC or Mastodon API reply.
type xrpcError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// errorName returns the "error" field of a JSON error reply ("" if none).
func errorName(r apiReply) string {
	var e xrpcError
	if r.tooLong || json.Unmarshal(r.body, &e) != nil {
		return ""
	}
	return e.Error
}

// fail classifies a reply that is not a success, as every HTTP channel
// does: 429 and 5xx retry (after the server's Retry-After or rate-limit
// reset, if it gave one), other statuses are final. hint says what to do
// about a final one.
func (c apiClient) fail(op string, r apiReply, hint string) (bool, error) {
	reason, retry := ReasonRejected, false
	switch {
	case r.code == http.StatusTooManyRequests:
		reason, retry = ReasonRateLimited, true
	case r.code >= 500:
		reason, retry = ReasonServer, true
	}
	msg := fmt.Sprintf("%s: %s answered %s: %q", op, c.host, r.status, c.scrub(snippet(string(r.body))))
	if hint != "" {
		msg += "; " + hint
	}
	return retry, &Error{Reason: reason, Err: errors.New(msg), RetryAfter: retryAfter(r.header, c.now())}
}

// retryAfter returns how long a reply asks us to wait: Retry-After
// (seconds or an HTTP date), else the reset time of the rate limit,
// Mastodon's X-RateLimit-Reset (an ISO 8601 time) or Bluesky's
// RateLimit-Reset (Unix seconds; delta seconds as the IETF draft has
// it, for small numbers). 0 if none is given or it has passed.
func retryAfter(h http.Header, now time.Time) time.Duration {
	for _, k := range []string{"Retry-After", "X-RateLimit-Reset", "RateLimit-Reset"} {
		v := strings.TrimSpace(h.Get(k))
		if v == "" {
			continue
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			if n > 1_000_000_000 { // a Unix time, not a delay
				return max(0, time.Unix(n, 0).Sub(now))
			}
			return time.Duration(max(0, min(n, int64(maxRetryAfter/time.Second)))) * time.Second
		}
		for _, parse := range []func(string) (time.Time, error){
			func(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) },
			http.ParseTime,
		} {
			if t, err := parse(v); err == nil {
				return max(0, t.Sub(now))
			}
		}
	}
	return 0
}
