package incident

import (
	"fmt"
	"reflect"
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
		if err := h.db.MarkSent("all", m.Seq, m.Key, h.now); err != nil {
			h.t.Fatal(err)
		}
	}
	return out
}

func TestEngineEnqueuesEvents(t *testing.T) {
	h := newHarness(t, Settings{Language: "en", GroupWindow: 5 * time.Minute, RemindAfter: 30 * time.Minute,
		AutoPublishAfter: 10 * time.Minute, AutoResolveAfter: 5 * time.Minute}, echoNotifier{})
	steps := []struct {
		name string
		do   func()
		want []string
	}{
		{"open", func() { h.fail("web", true) }, []string{"draft_opened 1 engine"}},
		{"join tells nobody", func() { h.fail("telephony", false) }, []string{}},
		{"auto publish", func() { h.wait(10 * time.Minute) },
			[]string{"auto_published 1 auto after 10m0s", "incident_published 1 auto after 10m0s"}},
		{"reminder", func() { h.wait(30 * time.Minute) }, []string{"reminder 1 engine after 30m0s"}},
		{"proposed resolution tells nobody", func() { h.recover("web"); h.recover("telephony") }, []string{}},
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
	h := newHarness(t, Settings{Language: "en", GroupWindow: 5 * time.Minute}, echoNotifier{})
	var id uint64
	steps := []struct {
		name string
		do   func() error
		want []string
	}{
		{"engine draft", func() error { h.fail("web", true); id = h.only().ID; return nil }, []string{"draft_opened 1 engine"}},
		{"edit tells nobody", func() error {
			name := "Slow"
			_, err := h.e.EditIncident(id, Edit{Name: &name}, "alice")
			return err
		}, []string{}},
		{"publish", func() error { _, err := h.e.PublishIncident(id, "", "", "alice"); return err }, []string{"incident_published 1 alice"}},
		{"update", func() error { _, err := h.e.AddUpdate(id, store.StatusMonitoring, "Fixed", "bob"); return err },
			[]string{"incident_updated 1 bob"}},
		{"update to resolved", func() error { _, err := h.e.AddUpdate(id, store.StatusResolved, "Done", "bob"); return err },
			[]string{"incident_resolved 1 bob"}},
		{"manual draft", func() error {
			_, err := h.e.CreateIncident(store.Incident{Name: "Manual", Components: []string{"web"}}, false, "carol")
			return err
		}, []string{"draft_opened 2 carol"}},
		{"discard tells nobody", func() error { _, err := h.e.DiscardIncident(2, "carol"); return err }, []string{}},
		{"manual published", func() error {
			_, err := h.e.CreateIncident(store.Incident{Name: "Manual", Components: []string{"web"}}, true, "carol")
			return err
		}, []string{"incident_published 3 carol"}},
		{"resolve", func() error { _, err := h.e.ResolveIncident(3, "Fine again", "carol"); return err }, []string{"incident_resolved 3 carol"}},
		{"refused change tells nobody", func() error {
			if _, err := h.e.PublishIncident(3, "", "", "eve"); err == nil {
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
