package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/store"
)

// Webhook headers (README "Notifications").
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderEvent          = "X-Outpost-Event"
	HeaderTimestamp      = "X-Outpost-Timestamp" // Unix seconds of the attempt
	HeaderSignature      = "X-Outpost-Signature" // "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body)
)

// WebhookOptions configure NewWebhook.
type WebhookOptions struct {
	URL string
	// Secret signs every body; empty sends no signature header.
	Secret  config.Secret
	Timeout time.Duration // per attempt; default 10 s
	Client  *http.Client  // default: a client of its own
	Now     func() time.Time
}

// Webhook posts a JSON document per message.
type Webhook struct {
	post   httpPoster
	secret []byte
	now    func() time.Time
}

var _ Sender = (*Webhook)(nil)

// NewWebhook returns a webhook channel.
func NewWebhook(o WebhookOptions) (*Webhook, error) {
	post, err := newHTTPPoster(o.Client, o.URL, o.Timeout, o.Secret.Reveal())
	if err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Webhook{post: post, secret: []byte(o.Secret.Reveal()), now: o.Now}, nil
}

// WebhookBody is the JSON document a webhook receives.
type WebhookBody struct {
	ID          string                    `json:"id"` // the idempotency key
	Event       string                    `json:"event"`
	Audience    string                    `json:"audience"`
	Incident    *store.MessageIncident    `json:"incident,omitempty"`
	Maintenance *store.MessageMaintenance `json:"maintenance,omitempty"`
	Subject     string                    `json:"subject"`
	Text        string                    `json:"text"`
	URL         string                    `json:"url,omitempty"`
	CreatedAt   time.Time                 `json:"created_at"`
}

// Send implements Sender.
func (w *Webhook) Send(ctx context.Context, m store.OutboxMessage) (bool, error) {
	body, err := json.Marshal(WebhookBody{ID: m.Key, Event: m.Event, Audience: m.Audience, Incident: m.Incident,
		Maintenance: m.Maintenance, Subject: m.Subject, Text: m.Text, URL: m.URL, CreatedAt: m.CreatedAt})
	if err != nil {
		return false, &Error{Reason: ReasonOther, Err: fmt.Errorf("encode webhook body: %w", err)}
	}
	ts := strconv.FormatInt(w.now().Unix(), 10)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "outpost")
	h.Set(HeaderIdempotencyKey, m.Key)
	h.Set(HeaderEvent, m.Event)
	h.Set(HeaderTimestamp, ts)
	if len(w.secret) > 0 {
		h.Set(HeaderSignature, Sign(w.secret, ts, body))
	}
	return w.post.post(ctx, body, h)
}

// Sign returns the X-Outpost-Signature value of body sent at timestamp.
func Sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a webhook delivery as a receiver would: the signature
// must match and the timestamp be within tolerance of now (replay
// protection). It is the reference for the README's receiver snippet.
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("notify: verify: timestamp %q is not Unix seconds", timestamp)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("notify: verify: timestamp is %s away from now (tolerance %s)", d.Round(time.Second), tolerance)
	}
	if !hmac.Equal([]byte(Sign(secret, timestamp, body)), []byte(signature)) {
		return fmt.Errorf("notify: verify: signature does not match")
	}
	return nil
}
