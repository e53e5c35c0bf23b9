package main

import (
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/store"
)

// everyEvent is a notifier that addresses every event to one channel.
type everyEvent struct{}

func (everyEvent) Messages(n incident.Notice) []store.OutboxMessage {
	return []store.OutboxMessage{{Channel: "c", Event: string(n.Event)}}
}

// TestConfirmerSendsNoPublicMessage: whatever its channels say, a
// confirmer's notifier passes operators' events only; a publisher's
// passes everything.
func TestConfirmerSendsNoPublicMessage(t *testing.T) {
	for _, tc := range []struct {
		role  string
		event incident.Event
		want  int
	}{
		{config.RoleConfirmer, incident.EventIncidentPublished, 0},
		{config.RoleConfirmer, incident.EventIncidentResolved, 0},
		{config.RoleConfirmer, incident.EventMaintenanceScheduled, 0},
		{config.RoleConfirmer, incident.EventLocation, 1},
		{config.RoleConfirmer, incident.EventDraftOpened, 1},
		{config.RolePublisher, incident.EventIncidentPublished, 1},
		{config.RolePublisher, incident.EventLocation, 1},
	} {
		t.Run(tc.role+"/"+string(tc.event), func(t *testing.T) {
			if got := len(forRole(tc.role, everyEvent{}).Messages(incident.Notice{Event: tc.event})); got != tc.want {
				t.Errorf("%d messages, want %d", got, tc.want)
			}
		})
	}
}

// TestLocationsOf: the monitor gets this location, its role and the
// confirm settings; the client comes later.
func TestLocationsOf(t *testing.T) {
	cfg := &config.Config{Location: config.Location{ID: "fra", Name: "Frankfurt"}, Role: config.RoleConfirmer,
		Confirm: config.Confirm{Quorum: 2, Timeout: config.Duration(3 * time.Second), Fallback: config.FallbackUnknown}}
	loc := locationsOf(cfg, nil)
	if loc.Peers != nil || !loc.Confirmer || loc.ID != "fra" || loc.Name != "Frankfurt" || loc.Quorum != 2 ||
		loc.Timeout != 3*time.Second || loc.Fallback != "unknown" {
		t.Errorf("locations = %+v", loc)
	}
}
