package notify

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/store"
)

// Audiences of a channel.
const (
	AudienceOperators = "operators"
	AudiencePublic    = "public"
)

// Channel is one configured destination.
type Channel struct {
	Name     string // outbox and metric label; stable across restarts
	Type     string // webhook, slack, email, mastodon, bluesky
	Audience string
	Sender   Sender
	// RatePerMinute and Burst shape the token bucket (default 30 and 10).
	RatePerMinute int
	Burst         int
	// EscalateAfter makes an operators channel the deputy of the
	// notification plan: see Notifier.
	EscalateAfter time.Duration
	// Subscribers makes an email channel the subscriptions channel: every
	// public message also becomes a fan-out job on it, one copy per
	// subscriber (see subscribers.go), whatever its Audience.
	Subscribers bool
}

// ChannelOptions are what channels built from the configuration share.
type ChannelOptions struct {
	Now       func() time.Time // webhook timestamps; default time.Now
	Client    *http.Client     // HTTP channels; default one client for all
	TLSConfig *tls.Config      // SMTP; nil: system roots
}

// ChannelsFromConfig builds the configured channels; secrets were read
// at load time.
func ChannelsFromConfig(cfg []config.Notify, o ChannelOptions) ([]Channel, error) {
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	out := make([]Channel, 0, len(cfg))
	for _, n := range cfg {
		var s Sender
		var err error
		switch n.Type {
		case "webhook":
			s, err = NewWebhook(WebhookOptions{URL: n.URL, Secret: n.Secret, Timeout: n.Timeout.D(), Client: o.Client, Now: o.Now})
		case "slack":
			s, err = NewSlack(SlackOptions{URL: n.URL, Timeout: n.Timeout.D(), Client: o.Client})
		case "email":
			s, err = NewEmail(EmailOptions{Addr: n.SMTP, Security: n.SMTPTLS, From: n.From, To: n.To, Username: n.Username,
				Password: n.Password, Timeout: n.Timeout.D(), TLSConfig: o.TLSConfig})
		case TypeMastodon:
			s, err = NewMastodon(MastodonOptions{URL: n.URL, Token: n.Token, Visibility: n.Visibility, MaxChars: n.MaxChars,
				Language: n.Language, Timeout: n.Timeout.D(), Client: o.Client, Now: o.Now})
		case TypeBluesky:
			s, err = NewBluesky(BlueskyOptions{URL: n.URL, Identifier: n.Identifier, AppPassword: n.Password,
				Language: n.Language, Timeout: n.Timeout.D(), Client: o.Client, Now: o.Now})
		default:
			err = fmt.Errorf("unknown type %q", n.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("notify: channel %s: %w", n.Name, err)
		}
		out = append(out, Channel{Name: n.Name, Type: n.Type, Audience: n.Audience, Sender: s,
			RatePerMinute: n.RateLimit, Burst: n.RateBurst, EscalateAfter: n.EscalateAfter.D()})
	}
	return out, nil
}

// Notifier implements incident.Notifier: it renders each notice once and
// addresses the same message to every channel whose audience wants it;
// social channels (Mastodon, Bluesky) get the same key and link with the
// short text of a post (see post.go).
//
// An operators channel with EscalateAfter D is the deputy: it gets a
// draft_opened only when the draft is still a draft D after it was
// opened, worded as an escalation. The message is enqueued with the
// draft, held in the store until then (store.OutboxMessage.NotBefore),
// and dropped at that time if the incident was published, discarded or
// resolved meanwhile: the store checks that in the transaction that
// releases it, so a restart neither loses nor repeats it. The deputy gets
// the incident's later operators' messages (reminders, auto-published)
// only once the escalation reached it, so a deputy is told about
// exactly the incidents the first person left alone.
type Notifier struct {
	r        *Renderer
	channels []Channel
}

var _ incident.Notifier = (*Notifier)(nil)

// NewNotifier returns a notifier for channels.
func NewNotifier(r *Renderer, channels []Channel) *Notifier {
	return &Notifier{r: r, channels: channels}
}

// Messages implements incident.Notifier. Public events of an incident that
// is not public (a draft, a discarded draft) produce nothing.
func (n *Notifier) Messages(no incident.Notice) []store.OutboxMessage {
	audience := AudienceOperators
	if no.Event.Public() {
		audience = AudiencePublic
		if no.Event != incident.EventMaintenanceScheduled && !no.Incident.Public() {
			return nil
		}
	}
	var out []store.OutboxMessage
	var msg store.OutboxMessage
	var escalations map[time.Duration]store.OutboxMessage
	rendered := false
	for _, ch := range n.channels {
		fanOut := ch.Subscribers && audience == AudiencePublic
		if ch.Audience != audience && !fanOut {
			continue
		}
		if !rendered {
			r, ok := n.render(no)
			if !ok {
				return nil
			}
			msg = store.OutboxMessage{Key: r.Key, Event: string(no.Event), Audience: audience, IncidentID: no.Incident.ID,
				Thread: r.Thread, Topic: r.Topic, Subject: r.Subject, Text: r.Text, URL: r.URL,
				Incident: r.Incident, Maintenance: r.Maintenance, CreatedAt: no.At}
			rendered = true
		}
		if fanOut {
			job := msg
			job.Channel, job.Key, job.FanOut = ch.Name, FanOutKey(msg.Key), true
			out = append(out, job)
		}
		if ch.Audience != audience {
			continue
		}
		m := msg
		if d := ch.EscalateAfter; d > 0 && audience == AudienceOperators {
			if no.Event != incident.EventDraftOpened {
				m.After = draftKey(no.Incident) // only after an escalation the deputy got
			} else if e, ok := escalations[d]; ok {
				m = e
			} else {
				m = n.escalation(no, msg, d)
				if escalations == nil {
					escalations = map[time.Duration]store.OutboxMessage{}
				}
				escalations[d] = m
			}
		}
		if isSocial(ch.Type) && no.Note == nil {
			m.Text = n.r.post(no) // a post: short, its link appended by the channel
		}
		m.Channel = ch.Name
		out = append(out, m)
	}
	return out
}

// escalation is msg, a draft_opened, as the deputy of a channel with
// escalate_after d gets it: worded as an escalation, held until the draft
// has waited d, and sent only if it is still a draft then.
func (n *Notifier) escalation(no incident.Notice, msg store.OutboxMessage, d time.Duration) store.OutboxMessage {
	opened := no.Incident.CreatedAt
	if opened.IsZero() {
		opened = no.At
	}
	msg.Subject, msg.Text = n.r.escalation(no, d)
	msg.NotBefore, msg.IfDraft = opened.Add(d), true
	return msg
}

// render is Renderer.Render, or the note of an event that carries its
// own words (incident.EventLocation, worded by the monitor).
func (n *Notifier) render(no incident.Notice) (Rendered, bool) {
	if no.Note == nil {
		return n.r.Render(no)
	}
	if no.Event.Public() {
		return Rendered{}, false
	}
	nt := no.Note
	return Rendered{Key: nt.Key, Thread: nt.Thread, Topic: nt.Subject, Subject: nt.Subject, Text: nt.Text}, true
}
