package incident

import (
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/outpost-status/outpost/store"
)

// progress moves one cached incident along: recovery, the proposed
// resolution, auto_publish_after, auto_resolve_after and reminders.
func (e *Engine) progress(now time.Time, inc store.Incident, views map[string]View, blind bool) error {
	if !inc.Open() {
		return nil
	}
	failing, major := false, false
	for _, id := range inc.Components {
		v := views[id]
		failing = failing || v.Failing
		major = major || v.Major
	}
	switch {
	case blind && !allSighted(inc, views):
		return nil // nothing is known; keep every timer where it is
	case !failing:
		return e.recovered(now, inc)
	case !inc.RecoveredAt.IsZero():
		return e.change(inc.ID, actorEngine, "relapse", "failing again; resolution proposal withdrawn", func(i *store.Incident) {
			i.RecoveredAt = time.Time{}
			i.Updates = slices.DeleteFunc(i.Updates, func(u store.IncidentUpdate) bool {
				return u.Draft && u.Status == store.StatusResolved && u.Author == actorEngine
			})
		}, now)
	case major && inc.Impact != "major":
		return e.change(inc.ID, actorEngine, "impact", "impact raised to major", func(i *store.Incident) {
			e.raiseImpact(i, true)
		}, now)
	case inc.State == store.IncidentDraft && e.settings.AutoPublishAfter > 0 && now.Sub(inc.CreatedAt) >= e.settings.AutoPublishAfter:
		return e.change(inc.ID, actorAuto, "publish", fmt.Sprintf("still failing after auto_publish_after %s", e.settings.AutoPublishAfter),
			func(i *store.Incident) { publishIncident(i, store.StatusInvestigating, "", actorAuto, now) }, now,
			EventAutoPublished, EventIncidentPublished)
	case inc.State == store.IncidentPublished && e.settings.RemindAfter > 0 &&
		now.Sub(store.Latest(inc.LastPublishedUpdate(), inc.RemindedAt)) >= e.settings.RemindAfter:
		e.log.Warn("published incident has no update; post one", "incident", inc.ID,
			"since", inc.LastPublishedUpdate().UTC().Format(time.RFC3339))
		return e.change(inc.ID, actorEngine, "remind", "no update for "+e.settings.RemindAfter.String(),
			func(i *store.Incident) { i.RemindedAt = now }, now, EventReminder)
	}
	return nil
}

// NextDeadline returns the earliest time after now at which Evaluate may
// act on an incident without any change of component status
// (auto_publish_after of a draft, remind_after and auto_resolve_after of a
// published incident), or zero when no timer is running. The monitor's
// tick loop sleeps until then.
func (e *Engine) NextDeadline(now time.Time) time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	var next time.Time
	for t := range e.deadlines() {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next
}

// deadlines yields the times at which progress may act on a cached
// incident without any change of state. The caller holds mu.
func (e *Engine) deadlines() iter.Seq[time.Time] {
	s := e.settings
	return func(yield func(time.Time) bool) {
		for _, inc := range e.cache {
			var ts [2]time.Time
			switch inc.State {
			case store.IncidentDraft:
				ts[0] = after(inc.CreatedAt, s.AutoPublishAfter)
			case store.IncidentPublished:
				ts[0] = after(store.Latest(inc.LastPublishedUpdate(), inc.RemindedAt), s.RemindAfter)
				ts[1] = after(inc.RecoveredAt, s.AutoResolveAfter)
			}
			for _, t := range ts {
				if !t.IsZero() && !yield(t) {
					return
				}
			}
		}
	}
}

// after is t+d, or zero when the timer d is off or t is not set.
func after(t time.Time, d time.Duration) time.Time {
	if d <= 0 || t.IsZero() {
		return time.Time{}
	}
	return t.Add(d)
}

// recovered handles an incident whose components all work again. A draft
// nobody published is kept, marked resolved and never shown; a published
// incident gets a proposed resolution, published by auto_resolve_after.
func (e *Engine) recovered(now time.Time, inc store.Incident) error {
	if inc.State == store.IncidentDraft {
		return e.change(inc.ID, actorEngine, "resolve-draft", "recovered before publication; kept, not public",
			func(i *store.Incident) {
				i.State, i.Status, i.ResolvedAt, i.RecoveredAt = store.IncidentResolved, store.StatusResolved, now, now
			}, now)
	}
	if inc.RecoveredAt.IsZero() {
		body := resolvedText(e.settings.Language, e.components(inc.Components))
		return e.change(inc.ID, actorEngine, "propose-resolve", "recovered; resolution drafted for review",
			func(i *store.Incident) {
				i.RecoveredAt = now
				i.Updates = append(i.Updates, store.IncidentUpdate{Status: store.StatusResolved, Body: body,
					Draft: true, Author: actorEngine, CreatedAt: now})
			}, now)
	}
	if e.settings.AutoResolveAfter > 0 && now.Sub(inc.RecoveredAt) >= e.settings.AutoResolveAfter {
		return e.change(inc.ID, actorAuto, "resolve", fmt.Sprintf("stable for auto_resolve_after %s", e.settings.AutoResolveAfter),
			func(i *store.Incident) { resolveIncident(i, "", actorAuto, now) }, now, EventIncidentResolved)
	}
	return nil
}

// publishIncident makes a draft public with its first update.
func publishIncident(i *store.Incident, status, body, author string, now time.Time) {
	if body == "" {
		body = i.Body
	}
	i.State, i.Status, i.PublishedAt = store.IncidentPublished, status, now
	i.Updates = append(i.Updates, store.IncidentUpdate{Status: status, Body: body, Author: author, CreatedAt: now})
}

// resolveIncident publishes the resolution: the engine's proposal when
// body is empty and there is one, else an update with body.
func resolveIncident(i *store.Incident, body, author string, now time.Time) {
	i.State, i.Status, i.ResolvedAt = store.IncidentResolved, store.StatusResolved, now
	for k := range i.Updates {
		u := &i.Updates[k]
		if u.Draft && u.Status == store.StatusResolved && body == "" {
			u.Draft, u.CreatedAt = false, now
			return
		}
	}
	i.Updates = slices.DeleteFunc(i.Updates, func(u store.IncidentUpdate) bool { return u.Draft })
	i.Updates = append(i.Updates, store.IncidentUpdate{Status: store.StatusResolved, Body: body, Author: author, CreatedAt: now})
}
