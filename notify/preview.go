package notify

import (
	"errors"
	"fmt"

	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/store"
)

// ErrNoPreview is returned by Preview for an event the public channels
// do not carry for the incident as given.
var ErrNoPreview = errors.New("notify: no public message for this event")

// Preview returns the subject and text the public channels would carry
// for event on inc (the incident as the operation would store it), with
// names mapping component ids to names as the incident engine passes
// them. It renders through Render, as Notifier.Messages does, so the
// review console shows the message exactly as subscribers will get it.
// Nothing is enqueued.
func (r *Renderer) Preview(inc store.Incident, event incident.Event, names map[string]string) (subject, text string, err error) {
	if !event.Public() || event == incident.EventMaintenanceScheduled || !inc.Public() {
		return "", "", fmt.Errorf("preview %s of incident %d: %w", event, inc.ID, ErrNoPreview)
	}
	m, ok := r.Render(incident.Notice{Event: event, Incident: inc, Names: names})
	if !ok {
		return "", "", fmt.Errorf("preview %s of incident %d: %w", event, inc.ID, ErrNoPreview)
	}
	return m.Subject, m.Text, nil
}
