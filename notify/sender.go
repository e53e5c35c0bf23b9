package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/outpost-status/outpost/store"
)

// Sender delivers one message over one channel. retry reports whether a
// failure may succeed later (network errors, 429, 5xx); a final failure
// (another 4xx, an SMTP 5xx) is not retried. Errors never contain the
// channel's URL path, query or secret.
type Sender interface {
	Send(ctx context.Context, m store.OutboxMessage) (retry bool, err error)
}

// Reason classifies a failed attempt (the reason label of
// outpost_notifications_failed_total).
type Reason string

// Reasons of failed attempts.
const (
	ReasonNetwork     Reason = "network"      // connection refused, reset, DNS
	ReasonTimeout     Reason = "timeout"      // no answer within the channel timeout
	ReasonRateLimited Reason = "rate_limited" // HTTP 429
	ReasonServer      Reason = "server_error" // HTTP 5xx, SMTP 4xx: retried
	ReasonRejected    Reason = "rejected"     // other HTTP 4xx, SMTP 5xx: final, the message is dropped
	ReasonTLS         Reason = "tls"          // STARTTLS missing or failed
	ReasonAuth        Reason = "auth"         // SMTP login refused: retried, since every message would fail alike until the credentials are fixed
	ReasonOther       Reason = "other"
)

// Reasons lists every Reason, for pre-created metric series.
var Reasons = []Reason{ReasonNetwork, ReasonTimeout, ReasonRateLimited, ReasonServer, ReasonRejected, ReasonTLS, ReasonAuth, ReasonOther}

// Error is a failed delivery attempt.
type Error struct {
	Reason Reason
	Err    error
	// RetryAfter is how long the receiver asked us to wait (Retry-After,
	// a rate limit's reset time); the dispatcher waits at least this
	// long, at most maxRetryAfter, before the next attempt.
	RetryAfter time.Duration
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %v", e.Reason, e.Err) }

func (e *Error) Unwrap() error { return e.Err }

// ReasonOf classifies err: the Reason of an *Error, timeout for deadline
// errors, network otherwise.
func ReasonOf(err error) Reason {
	var e *Error
	var ne net.Error
	switch {
	case errors.As(err, &e):
		return e.Reason
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return ReasonTimeout
	case err == nil:
		return ""
	}
	return ReasonNetwork
}

// Limits on what is read of a receiver's reply.
const (
	snippetBytes = 200      // quoted in errors
	drainBytes   = 64 << 10 // read and discarded so the connection is reused
)

// redactURL keeps only the scheme and host: webhook paths and queries
// often are the secret (Slack, Mattermost).
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "<redacted url>"
	}
	return u.Scheme + "://" + u.Host + "/<redacted>"
}

// scrub removes every secret from s.
func scrub(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "<redacted>")
		}
	}
	return s
}

// httpPoster posts bodies to one URL; webhook and Slack channels use it.
type httpPoster struct {
	client   *http.Client
	url      string
	redacted string
	timeout  time.Duration
	secrets  []string // scrubbed from every error
}

func newHTTPPoster(client *http.Client, rawURL string, timeout time.Duration, secrets ...string) (httpPoster, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return httpPoster{}, fmt.Errorf("notify: %s is not an absolute http(s) url", redactURL(rawURL))
	}
	if client == nil {
		client = &http.Client{}
	}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	secrets = append(secrets, rawURL, u.RawQuery)
	if len(u.Path) > 1 {
		secrets = append(secrets, u.Path)
	}
	return httpPoster{client: client, url: rawURL, redacted: redactURL(rawURL), timeout: timeout, secrets: secrets}, nil
}

// post sends body with header and classifies the answer: 2xx is success,
// 429 and 5xx retry, other statuses are final. The reply is drained (up to
// drainBytes) and only a short, cleaned snippet is quoted.
func (p httpPoster) post(ctx context.Context, body []byte, header http.Header) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return false, &Error{Reason: ReasonOther, Err: fmt.Errorf("post to %s: build request", p.redacted)}
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := p.client.Do(req)
	if err != nil {
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err // the url.Error would print the whole URL
		}
		return true, &Error{Reason: ReasonOf(err), Err: fmt.Errorf("post to %s: %s", p.redacted, scrub(err.Error(), p.secrets...))}
	}
	defer resp.Body.Close()
	snip := readSnippet(resp.Body)
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainBytes))
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return false, nil
	}
	reason, retry := ReasonRejected, false
	switch {
	case code == http.StatusTooManyRequests:
		reason, retry = ReasonRateLimited, true
	case code >= 500:
		reason, retry = ReasonServer, true
	}
	return retry, &Error{Reason: reason, Err: fmt.Errorf("post to %s: %s: %q", p.redacted, resp.Status, scrub(snip, p.secrets...))}
}

// readSnippet reads the start of a reply as one short printable line.
func readSnippet(r io.Reader) string {
	buf := make([]byte, snippetBytes)
	n, _ := io.ReadFull(r, buf)
	return snippet(string(buf[:n]))
}

// snippet returns s as one printable line of at most snippetBytes.
func snippet(s string) string {
	if len(s) > snippetBytes {
		s = s[:snippetBytes] + "…"
	}
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, strings.ToValidUTF8(s, "")))
}
