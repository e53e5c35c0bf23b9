package notify

import (
	"fmt"
	"strconv"
	"time"

	"github.com/outpost-status/outpost/store"
)

// Confirmation returns the confirmation mail of a sign-up (double
// opt-in, SPEC §16) for the subscriptions channel: the link that
// confirms it and when the link expires. It suits store.ConfirmMail: it
// runs inside the sign-up's transaction and does not block. The key
// names the sign-up request, so asking again (a new link) mails again
// and a retried transaction does not.
func (r *Renderer) Confirmation(channel string, s store.Subscriber, token string, ttl time.Duration) store.OutboxMessage {
	link := store.SubscriberLink(r.page.URL, store.PurposeConfirm, token)
	return store.OutboxMessage{
		Key:        "confirm-" + strconv.FormatUint(s.ID, 10) + "-" + strconv.FormatInt(s.Consent.Time.UnixNano(), 10),
		Channel:    channel,
		Event:      EventSubscriptionConfirm,
		Audience:   "subscriber",
		Subscriber: s.ID,
		Subject:    fmt.Sprintf(r.nt.ConfirmSubject, r.page.Title),
		Text: paragraphs(fmt.Sprintf(r.nt.ConfirmIntro, r.page.Title),
			lines(r.nt.ConfirmLink, link),
			fmt.Sprintf(r.nt.ConfirmExpiry, r.tx.Duration(ttl.Seconds())),
			r.nt.ConfirmIgnore),
		CreatedAt: s.Consent.Time,
	}
}

// ConfirmMail is store.ConfirmMail for publish's sign-up form (wired in
// main): the confirmation mail on channel, whose link expires after ttl.
func (r *Renderer) ConfirmMail(channel string, ttl time.Duration) store.ConfirmMail {
	return func(s store.Subscriber, token string) []store.OutboxMessage {
		return []store.OutboxMessage{r.Confirmation(channel, s, token, ttl)}
	}
}
