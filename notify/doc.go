// Package notify delivers incident and maintenance messages to operators
// and the public through a persisted outbox in the store, so that a
// restart neither loses nor repeats a message.
//
// Pipeline, per channel: dedup (the store's idempotency marks, at enqueue)
// → order (the channel's outbox, FIFO) → rate limit (token bucket) → retry
// (exponential backoff, head of line) → send. The parts:
//
//   - Renderer turns an incident.Notice into one message (en, de, sv);
//     Notifier implements incident.Notifier and addresses that same message
//     to every channel whose audience wants the event. The incident engine
//     (and the monitor, for maintenance) calls it inside the store
//     transaction of the change, so a message is enqueued exactly when its
//     change is stored.
//   - Webhook, Slack, Email, Mastodon and Bluesky implement Sender; each
//     returns whether a failure is worth retrying. notifytest holds the
//     checks they all pass. Mastodon and Bluesky (public channels) get a
//     short post instead of the full text and cut it to their limit,
//     always keeping the link (post.go).
//   - Dispatcher runs one goroutine per channel over its outbox: a due
//     head is sent when the limiter allows; success marks it sent and
//     removes it in one transaction; a retryable failure reschedules it;
//     a final one drops it with an audit entry. Delivery is at least once
//     with a stable key: see the README, "Notifications".
//   - An operators channel with escalate_after is a deputy: its
//     draft_opened waits in the store as a held message and joins the
//     queue only if the incident is still a draft when its time comes
//     (see Notifier); each step of its worker releases what is due.
//   - The subscriptions channel (Channel.Subscribers) gets one fan-out
//     job per public message; its worker turns the job into one message
//     per confirmed subscriber of the message's components, a chunk per
//     store transaction with a durable cursor, and SubscriberMail sends
//     each to its one subscriber with the List-* headers, after checking
//     that the subscriber is still there (subscribers.go).
//   - Metrics count sent and failed attempts and subscriber messages, and
//     read pending counts from the outbox at scrape time.
package notify
