package notify

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/store"
	"github.com/outpost-status/outpost/text"
)

// Subscriber fan-out (SPEC §16). The Notifier adds to every public
// message one fan-out job for the subscriptions channel (FanOutKey); the
// channel's worker turns the job into one copy per confirmed subscriber
// of the message's components, FanOutChunk subscribers per store
// transaction with a durable cursor (store.FanOutStep), between its
// deliveries. Each copy has its own key (the job's key and the
// subscriber id), joins the channel's queue and is delivered at the
// channel's rate like every message. SubscriberMail sends it to the one
// subscriber, looked up when it is sent: whoever unsubscribed, or
// stopped following the message's components, by then gets nothing.

// FanOutChunk is how many subscribers one fan-out step visits (one store
// transaction).
const FanOutChunk = 500

// EventSubscriptionConfirm is the event of a confirmation mail: sent to
// a subscriber who has not confirmed yet, without List-* headers.
const EventSubscriptionConfirm = "subscription_confirm"

// SubscriberResult is the result label of outpost_subscriber_messages_total.
type SubscriberResult string

// Results of subscriber messages.
const (
	SubscriberQueued  SubscriberResult = "queued"  // a copy joined the queue (fan-out)
	SubscriberSent    SubscriberResult = "sent"    // delivered
	SubscriberSkipped SubscriberResult = "skipped" // the subscriber left (or changed components) before it was sent
	SubscriberFailed  SubscriberResult = "failed"  // the server rejected it for good
)

// SubscriberResults lists every SubscriberResult, for pre-created series.
var SubscriberResults = []SubscriberResult{SubscriberQueued, SubscriberSent, SubscriberSkipped, SubscriberFailed}

// FanOutKey is the key of the fan-out job of the message with key.
func FanOutKey(key string) string { return key + "-subscribers" }

// subscriberCopy is store.FanOutCopy: the job's message for subscriber s,
// keyed by the job's key and the subscriber id.
func subscriberCopy(m store.OutboxMessage, s store.Subscriber) []store.OutboxMessage {
	m.FanOut, m.Subscriber = false, s.ID
	m.Key += "-" + strconv.FormatUint(s.ID, 10)
	return []store.OutboxMessage{m}
}

// FanOutStore is the store side of the fan-out; *store.DB implements it.
type FanOutStore interface {
	FanOutStep(channel string, limit int, copies store.FanOutCopy, at time.Time) (queued int, more bool, err error)
}

var _ FanOutStore = (*store.DB)(nil)

// SubscriberStore is what a subscriber mail is looked up in when it is
// sent; *store.DB implements it.
type SubscriberStore interface {
	Subscriber(id uint64) (store.Subscriber, error)
	SubscriberToken(id uint64, purpose string) (string, error)
}

var _ SubscriberStore = (*store.DB)(nil)

// Skipper is a Sender that can tell, before the rate limit is taken,
// that a message is no longer to be sent: the dispatcher then marks it
// done unsent. A non-empty why is the reason (logged); an error means it
// cannot tell now (the message waits).
type Skipper interface {
	Skip(m store.OutboxMessage) (why string, err error)
}

// SubscriberMailOptions configure NewSubscriberMail.
type SubscriberMailOptions struct {
	Email *Email // the subscriptions channel (its From, server and login)
	Store SubscriberStore
	Page  config.Page // URL for the links and List-Id, Title and Language for the footer
}

// SubscriberMail is the Sender of the subscriptions channel: a message
// for a subscriber goes to that subscriber alone (never a shared To or
// Bcc list) with List-Id, List-Unsubscribe (the https link) and
// List-Unsubscribe-Post (RFC 8058 one-click) and a footer with the
// manage and unsubscribe links; the channel's own messages go to its
// recipients as from any email channel.
type SubscriberMail struct {
	email  *Email
	db     SubscriberStore
	page   string // the page URL without a trailing slash
	title  string
	listID string
	nt     *text.Notify
}

var (
	_ Sender  = (*SubscriberMail)(nil)
	_ Skipper = (*SubscriberMail)(nil)
)

// NewSubscriberMail returns the subscriptions channel's sender.
func NewSubscriberMail(o SubscriberMailOptions) (*SubscriberMail, error) {
	if o.Email == nil || o.Store == nil {
		return nil, errors.New("notify: subscriber mail needs an email channel and the store")
	}
	u, err := url.Parse(o.Page.URL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("notify: subscriber mail needs page.url (an absolute https URL for the unsubscribe link), not %q", o.Page.URL)
	}
	return &SubscriberMail{email: o.Email, db: o.Store, page: strings.TrimSuffix(o.Page.URL, "/"), title: o.Page.Title,
		listID: ListID(o.Page.URL), nt: &text.For(o.Page.Language).Notify}, nil
}

// ListID is the List-Id of a page's subscriber mails (RFC 2919):
// <status.HOST> for the host of the page URL, so mail filters can tell the
// status mails of two pages apart and a new path keeps the id.
func ListID(pageURL string) string {
	host := "outpost.invalid"
	if u, err := url.Parse(pageURL); err == nil && validHost(u.Hostname()) {
		host = strings.ToLower(u.Hostname())
	}
	return "<status." + host + ">"
}

// validHost accepts letters, digits, dots and hyphens: a List-Id must be
// a dot-atom, and nothing from the configuration may reach a header
// unchecked.
func validHost(h string) bool {
	if h == "" || strings.Trim(h, ".-") != h {
		return false
	}
	for _, c := range []byte(h) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// Skip implements Skipper: a subscriber's copy is not sent when the
// subscriber is gone (unsubscribed, removed), not confirmed, or no
// longer follows the message's components; a confirmation mail is not
// sent when the address is gone or already confirmed.
func (s *SubscriberMail) Skip(m store.OutboxMessage) (string, error) {
	if m.Subscriber == 0 {
		return "", nil
	}
	_, why, err := s.recipient(m)
	return why, err
}

// recipient looks up the subscriber of m and says why it gets nothing.
func (s *SubscriberMail) recipient(m store.OutboxMessage) (store.Subscriber, string, error) {
	sub, err := s.db.Subscriber(m.Subscriber)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return sub, "unsubscribed", nil
	case err != nil:
		return sub, "", err
	case m.Event == EventSubscriptionConfirm && sub.IsConfirmed():
		return sub, "already confirmed", nil
	case m.Event == EventSubscriptionConfirm:
		return sub, "", nil
	case !sub.IsConfirmed():
		return sub, "not confirmed", nil
	case !sub.Wants(messageComponents(m)):
		return sub, "no longer follows these components", nil
	}
	return sub, "", nil
}

// messageComponents are the components a message is about.
func messageComponents(m store.OutboxMessage) []string {
	switch {
	case m.Incident != nil:
		return m.Incident.Components
	case m.Maintenance != nil:
		return m.Maintenance.Components
	}
	return nil
}

// Send implements Sender. A subscriber who left between Skip and Send
// is not mailed either.
func (s *SubscriberMail) Send(ctx context.Context, m store.OutboxMessage) (bool, error) {
	if m.Subscriber == 0 {
		return s.email.send(ctx, m, envelope{to: s.email.to})
	}
	sub, why, err := s.recipient(m)
	if err != nil {
		return true, &Error{Reason: ReasonOther, Err: fmt.Errorf("look up subscriber %d: %w", m.Subscriber, err)}
	}
	if why != "" {
		return false, nil
	}
	env, err := s.envelope(m, sub)
	if err != nil {
		return true, &Error{Reason: ReasonOther, Err: err}
	}
	return s.email.send(ctx, m, env)
}

// envelope addresses m to sub alone, with the List-* headers and the
// footer of a subscriber mail (none for a confirmation mail).
func (s *SubscriberMail) envelope(m store.OutboxMessage, sub store.Subscriber) (envelope, error) {
	to, err := mail.ParseAddress(sub.Email)
	if err != nil {
		return envelope{}, fmt.Errorf("subscriber %d: address %q: %w", sub.ID, sub.Email, err)
	}
	env := envelope{to: []*mail.Address{to}}
	if m.Event == EventSubscriptionConfirm {
		return env, nil
	}
	manage, err := s.db.SubscriberToken(sub.ID, store.PurposeManage)
	if err != nil {
		return envelope{}, err
	}
	unsub, err := s.db.SubscriberToken(sub.ID, store.PurposeUnsubscribe)
	if err != nil {
		return envelope{}, err
	}
	unsubLink := store.SubscriberLink(s.page, store.PurposeUnsubscribe, unsub)
	env.header = [][2]string{
		{"List-Id", s.listID},
		{"List-Unsubscribe", "<" + unsubLink + ">"},
		{"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"},
		{"Precedence", "bulk"},
	}
	env.footer = fmt.Sprintf(s.nt.SubscribedTo, s.title) + "\n" + lines(s.nt.Manage, store.SubscriberLink(s.page, store.PurposeManage, manage), s.nt.Unsubscribe, unsubLink)
	return env, nil
}

// WithSubscribers returns channels with the email channel named name
// made the subscriptions channel: its sender becomes a SubscriberMail
// over its Email, and every public message gets a fan-out job on it. The
// other channels are as they were; channels itself is not changed.
func WithSubscribers(channels []Channel, name string, page config.Page, db SubscriberStore) ([]Channel, error) {
	out := slices.Clone(channels)
	for i, ch := range out {
		if ch.Name != name {
			continue
		}
		e, ok := ch.Sender.(*Email)
		if !ok {
			return nil, fmt.Errorf("notify: subscriptions.channel %q is a %s channel; subscriptions need an email channel", name, ch.Type)
		}
		sm, err := NewSubscriberMail(SubscriberMailOptions{Email: e, Store: db, Page: page})
		if err != nil {
			return nil, err
		}
		out[i].Sender, out[i].Subscribers = sm, true
		return out, nil
	}
	return nil, fmt.Errorf("notify: subscriptions.channel %q is not a configured channel", name)
}
