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

// echoNotifier turns every notice into one message on channel "all",
// public events of drafts included: the engine must drop those itself.
type echoNotifier struct{}

func (echoNotifier) Messages(n incident.Notice) []store.OutboxMessage {
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

func newNotifyHarness(t *testing.T, s incident.Settings) *harness {
	t.Helper()
	spec := testSpec("en", false)
	spec.Incidents = s
	db, err := store.Open(t.TempDir()+"/"+store.FileName, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := &harness{t: t, clock: &fakeClock{now: t0}, hist: &fakeHistory{}, db: db, spec: spec, notifier: echoNotifier{}}
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

func TestEngineEnqueuesEvents(t *testing.T) {
	h := newNotifyHarness(t, incident.Settings{Language: "en", GroupWindow: 5 * time.Minute, RemindAfter: 30 * time.Minute,
		AutoPublishAfter: 10 * time.Minute, AutoResolveAfter: 5 * time.Minute})
	steps := []struct {
		name string
		do   func()
		want []string
	}{
		{"open", func() { h.fail("web/home", 3) }, []string{"draft_opened 1 engine"}},
		{"join tells nobody", func() { h.fail("telephony/sip-udp", 3) }, []string{}},
		{"auto publish", func() { h.wait(10 * time.Minute) },
			[]string{"auto_published 1 auto after 10m0s", "incident_published 1 auto after 10m0s"}},
		{"reminder", func() { h.wait(30 * time.Minute) }, []string{"reminder 1 engine after 30m0s"}},
		{"proposed resolution tells nobody", func() { h.pass("web/home", 2); h.pass("telephony/sip-udp", 2) }, []string{}},
		{"auto resolve", func() { h.wait(5 * time.Minute) }, []string{"incident_resolved 1 auto"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.do()
			if got := h.told(); !reflect.DeepEqual(got, st.want) {
				t.Errorf("enqueued %q, want %q", got, st.want)
			}
		})
	}
}

func TestAdminEnqueuesEvents(t *testing.T) {
	h := newNotifyHarness(t, incident.Settings{Language: "en", GroupWindow: 5 * time.Minute})
	var id uint64
	steps := []struct {
		name string
		do   func() error
		want []string
	}{
		{"engine draft", func() error { h.fail("web/home", 3); id = h.only().ID; return nil }, []string{"draft_opened 1 engine"}},
		{"edit tells nobody", func() error {
			name := "Slow"
			_, err := h.engine.EditIncident(id, incident.Edit{Name: &name}, "alice")
			return err
		}, []string{}},
		{"publish", func() error { _, err := h.engine.PublishIncident(id, "", "", "alice"); return err }, []string{"incident_published 1 alice"}},
		{"update", func() error { _, err := h.engine.AddUpdate(id, store.StatusMonitoring, "Fixed", "bob"); return err },
			[]string{"incident_updated 1 bob"}},
		{"update to resolved", func() error { _, err := h.engine.AddUpdate(id, store.StatusResolved, "Done", "bob"); return err },
			[]string{"incident_resolved 1 bob"}},
		{"manual draft", func() error {
			_, err := h.engine.CreateIncident(store.Incident{Name: "Manual", Components: []string{"web"}}, false, "carol")
			return err
		}, []string{"draft_opened 2 carol"}},
		{"discard tells nobody", func() error { _, err := h.engine.DiscardIncident(2, "carol"); return err }, []string{}},
		{"manual published", func() error {
			_, err := h.engine.CreateIncident(store.Incident{Name: "Manual", Components: []string{"web"}}, true, "carol")
			return err
		}, []string{"incident_published 3 carol"}},
		{"resolve", func() error { _, err := h.engine.ResolveIncident(3, "Fine again", "carol"); return err }, []string{"incident_resolved 3 carol"}},
		{"maintenance", func() error {
			_, err := h.m.AddMaintenance(MaintenanceWindow{Components: []string{"web"}, Start: t0.Add(24 * time.Hour),
				End: t0.Add(25 * time.Hour), Title: "Upgrade"}, "dave")
			return err
		}, []string{"maintenance_scheduled Upgrade map[web:Website]"}},
		{"past maintenance tells nobody", func() error {
			_, err := h.m.AddMaintenance(MaintenanceWindow{Components: []string{"web"}, Start: t0.Add(-2 * time.Hour),
				End: t0.Add(-time.Hour), Title: "Old"}, "dave")
			return err
		}, []string{}},
		{"refused change tells nobody", func() error {
			if _, err := h.engine.PublishIncident(3, "", "", "eve"); err == nil {
				return fmt.Errorf("publishing a resolved incident succeeded")
			}
			return nil
		}, []string{}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.do(); err != nil {
				t.Fatal(err)
			}
			if got := h.told(); !reflect.DeepEqual(got, st.want) {
				t.Errorf("enqueued %q, want %q", got, st.want)
			}
		})
	}
}

func TestConfiguredMaintenanceIsAnnounced(t *testing.T) {
	spec := testSpec("en", false)
	spec.Maintenance = []MaintenanceWindow{
		{ID: "config-future", Components: []string{"telephony"}, Start: t0.Add(24 * time.Hour), End: t0.Add(26 * time.Hour), Title: "SBC upgrade"},
		{ID: "config-past", Components: []string{"web"}, Start: t0.Add(-48 * time.Hour), End: t0.Add(-47 * time.Hour), Title: "CMS update"},
	}
	db, err := store.Open(t.TempDir()+"/"+store.FileName, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := &harness{t: t, clock: &fakeClock{now: t0}, hist: &fakeHistory{}, db: db, spec: spec, notifier: echoNotifier{}}
	h.restart()
	got := h.told()
	if len(got) != 1 || !strings.Contains(got[0], "maintenance_scheduled SBC upgrade") {
		t.Errorf("announcements at start = %q, want only the future window", got)
	}
}
