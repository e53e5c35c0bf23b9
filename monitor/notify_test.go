package monitor

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/store"
)

// maintenanceEcho turns each maintenance notice into one message on
// channel "all" (incident events: package incident's tests).
type maintenanceEcho struct{}

func (maintenanceEcho) Messages(n incident.Notice) []store.OutboxMessage {
	if n.Maintenance == nil {
		return nil
	}
	return []store.OutboxMessage{{Key: fmt.Sprintf("%s-%s", n.Event, n.Maintenance.ID), Channel: "all", Event: string(n.Event),
		Text: fmt.Sprintf("%s %s %v", n.Event, n.Maintenance.Title, n.Names), CreatedAt: n.At}}
}

// newNotifyHarness is a harness of spec whose notifier is maintenanceEcho.
func newNotifyHarness(t *testing.T, spec testSetup) *harness {
	t.Helper()
	h := newHarness(t, spec)
	h.notifier = maintenanceEcho{}
	h.restart()
	return h
}

// told returns the texts enqueued so far and empties the outbox.
func (h *harness) told() []string {
	h.t.Helper()
	msgs, err := h.db.Outbox("all", 0)
	if err != nil {
		h.t.Fatal(err)
	}
	out := []string{}
	for _, m := range msgs {
		out = append(out, m.Text)
		if err := h.db.MarkSent("all", m.Seq, m.Key, h.clock.Now()); err != nil {
			h.t.Fatal(err)
		}
	}
	return out
}

func TestConfiguredMaintenanceIsAnnounced(t *testing.T) {
	spec := testSpec("en", false)
	spec.Maintenance = []MaintenanceWindow{
		{ID: "config-future", Components: []string{"telephony"}, Start: t0.Add(24 * time.Hour), End: t0.Add(26 * time.Hour), Title: "SBC upgrade"},
		{ID: "config-past", Components: []string{"web"}, Start: t0.Add(-48 * time.Hour), End: t0.Add(-47 * time.Hour), Title: "CMS update"},
	}
	h := newNotifyHarness(t, spec)
	got := h.told()
	if len(got) != 1 || !strings.Contains(got[0], "maintenance_scheduled SBC upgrade") {
		t.Errorf("announcements at start = %q, want only the future window", got)
	}
}

// Maintenance windows added at run time are announced to the public,
// unless they have ended. (Incident events: package incident.)
func TestAddedMaintenanceIsAnnounced(t *testing.T) {
	h := newNotifyHarness(t, testSpec("en", false))
	steps := []struct {
		name string
		w    MaintenanceWindow
		want []string
	}{
		{"maintenance", MaintenanceWindow{Components: []string{"web"}, Start: t0.Add(24 * time.Hour),
			End: t0.Add(25 * time.Hour), Title: "Upgrade"}, []string{"maintenance_scheduled Upgrade map[web:Website]"}},
		{"past maintenance tells nobody", MaintenanceWindow{Components: []string{"web"}, Start: t0.Add(-2 * time.Hour),
			End: t0.Add(-time.Hour), Title: "Old"}, []string{}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if _, err := h.m.AddMaintenance(st.w, "dave"); err != nil {
				t.Fatal(err)
			}
			if got := h.told(); !reflect.DeepEqual(got, st.want) {
				t.Errorf("enqueued %q, want %q", got, st.want)
			}
		})
	}
}
