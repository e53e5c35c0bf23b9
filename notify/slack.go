package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/outpost-status/outpost/store"
)

// SlackOptions configure NewSlack.
type SlackOptions struct {
	// URL is the incoming-webhook URL; it is the secret and never appears
	// in errors or logs.
	URL     string
	Timeout time.Duration // per attempt; default 10 s
	Client  *http.Client
}

// Slack posts {"text": ...} to a Slack-compatible incoming webhook
// (Slack, Mattermost, Rocket.Chat).
type Slack struct {
	post httpPoster
}

var _ Sender = (*Slack)(nil)

// NewSlack returns a Slack-compatible channel.
func NewSlack(o SlackOptions) (*Slack, error) {
	post, err := newHTTPPoster(o.Client, o.URL, o.Timeout)
	if err != nil {
		return nil, err
	}
	return &Slack{post: post}, nil
}

// slackEscaper escapes the three characters Slack's text format reserves.
var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// SlackText is the text a Slack-compatible channel posts: the subject in
// bold, then the text, both escaped.
func SlackText(m store.OutboxMessage) string {
	return "*" + slackEscaper.Replace(m.Subject) + "*\n" + slackEscaper.Replace(m.Text)
}

// Send implements Sender.
func (s *Slack) Send(ctx context.Context, m store.OutboxMessage) (bool, error) {
	body, err := json.Marshal(map[string]string{"text": SlackText(m)})
	if err != nil {
		return false, &Error{Reason: ReasonOther, Err: fmt.Errorf("encode slack body: %w", err)}
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "outpost")
	return s.post.post(ctx, body, h)
}
