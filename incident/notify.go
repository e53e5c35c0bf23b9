package incident

import (
	"time"

	"github.com/outpost-status/outpost/store"
)

// Event is what happened to an incident or maintenance window, as told
// to notification channels.
type Event string

// Events for operators.
const (
	EventDraftOpened   Event = "draft_opened"   // the engine (or a person) opened a draft
	EventReminder      Event = "reminder"       // a published incident has had no update for remind_after
	EventAutoPublished Event = "auto_published" // auto_publish_after published a draft
	// EventLocation: this location fails a check that other locations
	// still reach, or no other location answered (SPEC §17). It carries
	// a Note, worded by the monitor; no incident is involved.
	EventLocation Event = "location"
)

// Events for the public.
const (
	EventIncidentPublished    Event = "incident_published"
	EventIncidentUpdated      Event = "incident_updated"
	EventIncidentResolved     Event = "incident_resolved"
	EventMaintenanceScheduled Event = "maintenance_scheduled"
)

// Public reports whether the event is meant for the public audience.
func (e Event) Public() bool {
	switch e {
	case EventIncidentPublished, EventIncidentUpdated, EventIncidentResolved, EventMaintenanceScheduled:
		return true
	}
	return false
}

// Notice is one event with what a renderer needs to describe it.
type Notice struct {
	Event Event
	// Incident is the incident as stored by the change (zero for maintenance).
	Incident store.Incident
	// Maintenance is the window of maintenance_scheduled.
	Maintenance *store.Maintenance
	// Names maps the ids of the components involved to their names.
	Names map[string]string
	// Actor is who caused the event ("engine", "auto", a person).
	Actor string
	At    time.Time
	// After is the timer that caused auto_published or reminder.
	After time.Duration
	// Note is the message of an event that is about no incident or
	// window (EventLocation), already worded.
	Note *Note
}

// Note is an operators' message worded by its sender.
type Note struct {
	Key     string // idempotency key: one message per episode
	Thread  string // groups the notes about one check
	Subject string
	Text    string
}

// Notifier turns events into outbox messages, one per channel that wants
// the event. Messages runs inside the store transaction of the change, so
// it must be quick and must not block; the messages are delivered later
// by a dispatcher reading the outbox.
type Notifier interface {
	Messages(n Notice) []store.OutboxMessage
}

// noticesFor returns the store.Enqueuer of a change that causes events, or
// nil when there is no notifier or nothing to tell. Public incident events
// are dropped unless the incident is public: a draft or a discarded
// incident never reaches the public, whatever the notifier does.
func noticesFor(n Notifier, names func([]string) map[string]string, base Notice, events ...Event) store.Enqueuer {
	if n == nil || len(events) == 0 {
		return nil
	}
	return func(inc store.Incident) []store.OutboxMessage {
		var out []store.OutboxMessage
		for _, ev := range events {
			if ev.Public() && !inc.Public() {
				continue
			}
			notice := base
			notice.Event, notice.Incident, notice.Names = ev, inc, names(inc.Components)
			out = append(out, n.Messages(notice)...)
		}
		return out
	}
}

// names maps component ids to their configured names.
func (e *Engine) names(ids []string) map[string]string {
	out := make(map[string]string, len(ids))
	for _, c := range e.components(ids) {
		out[c.ID] = c.Name
	}
	return out
}
