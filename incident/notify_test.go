package incident

import (
	"fmt"
	"testing"
	"time"

	"github.com/outpost-status/outpost/store"
)

var t0 = time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)

// echoNotifier turns every notice into one message on channel "all",
// public events of drafts included: the engine must drop those itself.
type echoNotifier struct{}

func (echoNotifier) Messages(n Notice) []store.OutboxMessage {
	key := fmt.Sprintf("%s-%d-%d-%d", n.Event, n.Incident.ID, len(n.Incident.Updates), n.At.Unix())
	text := fmt.Sprintf("%s %d %s", n.Event, n.Incident.ID, n.Actor)
	if n.Maintenance != nil {
		text = fmt.Sprintf("%s %s %v", n.Event, n.Maintenance.Title, n.Names)
	}
	if n.After > 0 {
		text += " after " + n.After.String()
	}
	return []store.OutboxMessage{{Key: key, Channel: "all", Event: string(n.Event), Text: text, CreatedAt: n.At}}
}

func TestPublicEventsOfDraftsAreDropped(t *testing.T) {
	for _, inc := range []store.Incident{
		{ID: 1, State: store.IncidentDraft},
		{ID: 2, State: store.IncidentDiscarded, PublishedAt: t0},
	} {
		t.Run(inc.State, func(t *testing.T) {
			enq := noticesFor(echoNotifier{}, func([]string) map[string]string { return nil }, Notice{At: t0},
				EventIncidentPublished, EventIncidentUpdated, EventIncidentResolved, EventDraftOpened)
			msgs := enq(inc)
			if len(msgs) != 1 || msgs[0].Event != string(EventDraftOpened) {
				t.Errorf("messages for a %s incident: %+v", inc.State, msgs)
			}
		})
	}
}
