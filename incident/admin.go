package incident

import (
	"errors"
	"fmt"
	"slices"

	"github.com/outpost-status/outpost/store"
)

// Errors of incident operations, for the admin API to map to status codes.
var (
	ErrInvalid     = errors.New("invalid") // wraps validation failures of admin input
	ErrNoIncidents = errors.New("incident engine is off")
	ErrBadState    = errors.New("operation not allowed in the incident's state")
)

// Edit changes an incident's text or scope; nil fields stay.
type Edit struct {
	Name       *string
	Body       *string
	Impact     *string
	Components *[]string
}

// Valid values of admin input.
var (
	incidentStatuses = []string{store.StatusInvestigating, store.StatusIdentified, store.StatusMonitoring, store.StatusResolved}
	impacts          = []string{"none", "minor", "major", "critical"}
)

// validateIncident checks a person's input before it is stored.
func (e *Engine) validateIncident(status, impact string, components []string) error {
	if status != "" && !slices.Contains(incidentStatuses, status) {
		return fmt.Errorf("%w: status %q (use investigating, identified, monitoring or resolved)", ErrInvalid, status)
	}
	if impact != "" && !slices.Contains(impacts, impact) {
		return fmt.Errorf("%w: impact %q (use none, minor, major or critical)", ErrInvalid, impact)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, id := range components {
		if _, ok := e.comps[id]; !ok {
			return fmt.Errorf("%w: no component with id %q", ErrInvalid, id)
		}
	}
	return nil
}

// EditIncident applies a person's edit; the engine stops rewriting the text.
func (e *Engine) EditIncident(id uint64, edit Edit, actor string) (store.Incident, error) {
	var impact string
	var comps []string
	if edit.Impact != nil {
		impact = *edit.Impact
		if impact == "" {
			return store.Incident{}, fmt.Errorf("%w: impact must not be empty", ErrInvalid)
		}
	}
	if edit.Components != nil {
		comps = *edit.Components
	}
	if err := e.validateIncident("", impact, comps); err != nil {
		return store.Incident{}, err
	}
	return e.adminChange(id, actor, "edit", nil, func(i *store.Incident) error {
		if !i.Open() {
			return fmt.Errorf("%w: incident %d is %s", ErrBadState, id, i.State)
		}
		if edit.Name != nil {
			i.Name, i.Edited = *edit.Name, true
		}
		if edit.Body != nil {
			i.Body, i.Edited = *edit.Body, true
		}
		if edit.Impact != nil {
			i.Impact = *edit.Impact
		}
		if edit.Components != nil {
			i.Components = slices.Clone(*edit.Components)
		}
		return nil
	})
}

// PublishIncident publishes a draft with status (investigating when empty)
// and body (the draft body when empty).
func (e *Engine) PublishIncident(id uint64, status, body, actor string) (store.Incident, error) {
	if status == "" {
		status = store.StatusInvestigating
	}
	if err := e.validateIncident(status, "", nil); err != nil {
		return store.Incident{}, err
	}
	return e.adminChange(id, actor, "publish", []Event{EventIncidentPublished}, func(i *store.Incident) error {
		if i.State != store.IncidentDraft {
			return fmt.Errorf("%w: incident %d is %s, not draft", ErrBadState, id, i.State)
		}
		publishIncident(i, status, body, actor, e.now())
		return nil
	})
}

// AddUpdate posts a published update to a published incident.
func (e *Engine) AddUpdate(id uint64, status, body, actor string) (store.Incident, error) {
	if status == "" || body == "" {
		return store.Incident{}, fmt.Errorf("%w: an update needs a status and a body", ErrInvalid)
	}
	if err := e.validateIncident(status, "", nil); err != nil {
		return store.Incident{}, err
	}
	event := EventIncidentUpdated
	if status == store.StatusResolved {
		event = EventIncidentResolved
	}
	return e.adminChange(id, actor, "update", []Event{event}, func(i *store.Incident) error {
		if i.State != store.IncidentPublished {
			return fmt.Errorf("%w: incident %d is %s; publish it first", ErrBadState, id, i.State)
		}
		if status == store.StatusResolved {
			resolveIncident(i, body, actor, e.now())
			return nil
		}
		i.Status = status
		i.Updates = append(i.Updates, store.IncidentUpdate{Status: status, Body: body, Author: actor, CreatedAt: e.now()})
		return nil
	})
}

// ResolveIncident resolves a published incident, with the engine's
// proposed text when body is empty.
func (e *Engine) ResolveIncident(id uint64, body, actor string) (store.Incident, error) {
	return e.adminChange(id, actor, "resolve", []Event{EventIncidentResolved}, func(i *store.Incident) error {
		if i.State != store.IncidentPublished {
			return fmt.Errorf("%w: incident %d is %s; only published incidents are resolved (discard a draft)", ErrBadState, id, i.State)
		}
		if body == "" && !slices.ContainsFunc(i.Updates, func(u store.IncidentUpdate) bool { return u.Draft && u.Status == store.StatusResolved }) {
			body = resolvedText(e.settings.Language, e.components(i.Components))
		}
		resolveIncident(i, body, actor, e.now())
		return nil
	})
}

// DiscardIncident throws a draft away; it is kept for the audit log only.
func (e *Engine) DiscardIncident(id uint64, actor string) (store.Incident, error) {
	return e.adminChange(id, actor, "discard", nil, func(i *store.Incident) error {
		if i.State != store.IncidentDraft {
			return fmt.Errorf("%w: incident %d is %s; only drafts are discarded", ErrBadState, id, i.State)
		}
		i.State = store.IncidentDiscarded
		return nil
	})
}

// CreateIncident opens a manual incident (draft unless publish is set).
func (e *Engine) CreateIncident(inc store.Incident, publish bool, actor string) (store.Incident, error) {
	if inc.Name == "" {
		return store.Incident{}, fmt.Errorf("%w: an incident needs a name", ErrInvalid)
	}
	if inc.Impact == "" {
		inc.Impact = "minor"
	}
	if err := e.validateIncident(inc.Status, inc.Impact, inc.Components); err != nil {
		return store.Incident{}, err
	}
	return e.stored(func() (store.Incident, error) { return e.create(inc, publish, actor) })
}

// create stores a manual incident. The caller holds mu.
func (e *Engine) create(inc store.Incident, publish bool, actor string) (store.Incident, error) {
	now := e.now()
	inc.State, inc.Auto, inc.Edited = store.IncidentDraft, false, true
	inc.CreatedAt, inc.UpdatedAt = now, now
	if inc.StartedAt.IsZero() {
		inc.StartedAt = now
	}
	if inc.Status == "" {
		inc.Status = store.StatusInvestigating
	}
	event := EventDraftOpened
	if publish {
		publishIncident(&inc, inc.Status, "", actor, now)
		event = EventIncidentPublished
	}
	created, err := e.db.CreateIncidentWith(inc, store.AuditEntry{At: now, Actor: actor, Action: "create"},
		e.enqueuer(actor, now, event))
	if err != nil {
		return store.Incident{}, err
	}
	e.cache[created.ID] = created
	return created, nil
}

// adminChange applies a person's change and enqueues the notifications of
// events in the same transaction.
func (e *Engine) adminChange(id uint64, actor, action string, events []Event, fn func(*store.Incident) error) (store.Incident, error) {
	return e.stored(func() (store.Incident, error) { return e.update(id, actor, action, events, fn) })
}

// stored runs write under mu and tells OnChange's function of a change
// it stored, after releasing mu.
func (e *Engine) stored(write func() (store.Incident, error)) (store.Incident, error) {
	inc, err := func() (store.Incident, error) {
		e.mu.Lock()
		defer e.mu.Unlock()
		return write()
	}()
	if err != nil {
		return store.Incident{}, err
	}
	e.changed()
	return inc, nil
}

// update stores a person's change of incident id. The caller holds mu.
func (e *Engine) update(id uint64, actor, action string, events []Event, fn func(*store.Incident) error) (store.Incident, error) {
	now := e.now()
	inc, err := e.db.UpdateIncidentWith(id, store.AuditEntry{At: now, Actor: actor, Action: action},
		func(i *store.Incident) error {
			if err := fn(i); err != nil {
				return err
			}
			i.UpdatedAt = now
			return nil
		}, e.enqueuer(actor, now, events...))
	if err != nil {
		return store.Incident{}, err
	}
	e.cache[id] = inc // Evaluate drops it once it no longer matters
	return inc, nil
}
