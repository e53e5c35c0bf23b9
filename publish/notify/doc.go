// Package notify delivers incident and maintenance messages to operators
// and the public (webhook, email, Slack-compatible) through a persisted
// outbox in the store (SPEC §13). Not implemented yet: see the
// notifications issue.
package notify
