package notify_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/notify"
	"github.com/outpost-status/outpost/store"
)

// unsent is a Sender never called: the test reads the outbox instead.
type unsent struct{}

func (unsent) Send(context.Context, store.OutboxMessage) (bool, error) {
	return false, errors.New("not sent in this test")
}

// TestPreviewIsThePublicMessage: the preview of an operation is the
// subject and text a public channel then gets from the outbox.
func TestPreviewIsThePublicMessage(t *testing.T) {
	const actor = "console:Ada"
	tests := []struct {
		name    string
		publish bool
		event   incident.Event
		preview func(e *incident.Engine, inc store.Incident, now time.Time) store.Incident
		do      func(e *incident.Engine, id uint64) (store.Incident, error)
	}{
		{"publish", false, incident.EventIncidentPublished,
			func(_ *incident.Engine, inc store.Incident, now time.Time) store.Incident {
				return incident.AsPublished(inc, store.StatusIdentified, "Calls may fail.\nWe are on it.", actor, now)
			},
			func(e *incident.Engine, id uint64) (store.Incident, error) {
				return e.PublishIncident(id, store.StatusIdentified, "Calls may fail.\nWe are on it.", actor)
			}},
		{"update", true, incident.EventIncidentUpdated,
			func(_ *incident.Engine, inc store.Incident, now time.Time) store.Incident {
				return incident.AsUpdated(inc, store.StatusMonitoring, "A fix is in place.", actor, now)
			},
			func(e *incident.Engine, id uint64) (store.Incident, error) {
				return e.AddUpdate(id, store.StatusMonitoring, "A fix is in place.", actor)
			}},
		{"resolve", true, incident.EventIncidentResolved,
			func(e *incident.Engine, inc store.Incident, now time.Time) store.Incident {
				return e.AsResolved(inc, "", actor, now)
			},
			func(e *incident.Engine, id uint64) (store.Incident, error) { return e.ResolveIncident(id, "", actor) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			now := renderT0
			page := config.Page{Title: "Example", URL: "https://status.example.com/", Language: "de", Location: berlin}
			r := notify.NewRenderer(page)
			channels := []notify.Channel{{Name: "mail", Type: "email", Audience: notify.AudiencePublic, Sender: unsent{}}}
			e := incident.New(db, incident.Options{Settings: incident.Settings{Language: "de"}, Now: func() time.Time { return now },
				Notifier:   notify.NewNotifier(r, channels),
				Components: []incident.Component{{ID: "telephony", Name: "Telephony"}, {ID: "web", Name: "Website"}}})
			inc, err := e.CreateIncident(store.Incident{Name: "Anrufe scheitern", Body: "Anrufe scheitern.", Impact: "major",
				Components: []string{"telephony", "web"}}, tt.publish, actor)
			if err != nil {
				t.Fatal(err)
			}
			now = now.Add(7 * time.Minute)
			subject, text, err := r.Preview(tt.preview(e, inc, now), tt.event, names)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tt.do(e, inc.ID); err != nil {
				t.Fatal(err)
			}
			msgs, err := db.Outbox("mail", 10)
			if err != nil || len(msgs) == 0 {
				t.Fatalf("outbox: %d messages, %v", len(msgs), err)
			}
			sent := msgs[len(msgs)-1]
			if sent.Event != string(tt.event) || sent.Subject != subject || sent.Text != text {
				t.Errorf("preview differs from the message sent\npreview: %q\n%s\nsent (%s): %q\n%s", subject, text, sent.Event, sent.Subject, sent.Text)
			}
		})
	}
}

// TestPreviewRefusesWhatIsNotSent: no preview of a message the public
// channels would not get (a draft, an operators' event).
func TestPreviewRefusesWhatIsNotSent(t *testing.T) {
	r := notify.NewRenderer(config.Page{Language: "en"})
	draft := store.Incident{ID: 1, State: store.IncidentDraft, Name: "Draft"}
	published := incident.AsPublished(draft, "", "", "console:Ada", renderT0)
	for name, c := range map[string]struct {
		inc   store.Incident
		event incident.Event
	}{
		"draft":          {draft, incident.EventIncidentPublished},
		"operator event": {published, incident.EventDraftOpened},
		"maintenance":    {published, incident.EventMaintenanceScheduled},
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := r.Preview(c.inc, c.event, nil); !errors.Is(err, notify.ErrNoPreview) {
				t.Errorf("err %v, want ErrNoPreview", err)
			}
		})
	}
}
