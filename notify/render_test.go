package notify_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/notify"
	"github.com/outpost-status/outpost/store"
)

var (
	renderT0 = time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	berlin   = mustLoad("Europe/Berlin")
	names    = map[string]string{"telephony": "Telephony", "web": "Website"}
)

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// published is incident 12, published with one update and a second one.
func published() store.Incident {
	return store.Incident{ID: 12, State: store.IncidentPublished, Status: store.StatusIdentified, Name: "Telephony unavailable",
		Body: "Calls fail.", Impact: "major", Components: []string{"telephony", "web"}, CreatedAt: renderT0,
		PublishedAt: renderT0.Add(time.Minute), RemindedAt: renderT0.Add(time.Hour),
		Updates: []store.IncidentUpdate{
			{ID: 1, Status: store.StatusInvestigating, Body: "Calls fail.", CreatedAt: renderT0.Add(time.Minute)},
			{ID: 2, Status: store.StatusIdentified, Body: "A carrier link is down.", CreatedAt: renderT0.Add(2 * time.Minute)},
			{ID: 3, Status: store.StatusResolved, Body: "draft", Draft: true},
		}}
}

func draft() store.Incident {
	return store.Incident{ID: 12, State: store.IncidentDraft, Status: store.StatusInvestigating, Name: "Telephony unavailable",
		Body: "Calls fail.", Impact: "major", Components: []string{"telephony"}, CreatedAt: renderT0}
}

func TestRender(t *testing.T) {
	const base = "inc-12-1795489200"
	page := notify.Page{URL: "https://status.example.com/", Language: "en", Location: berlin}
	maint := &store.Maintenance{ID: "3", Title: "SBC upgrade", Body: "Calls may drop briefly.", Components: []string{"telephony"},
		Start: renderT0.Add(24 * time.Hour), End: renderT0.Add(26 * time.Hour), CreatedAt: renderT0}
	tests := []struct {
		name, lang string
		notice     monitor.Notice
		noURL      bool
		key        string
		topic      string
		subject    string
		text       []string // substrings
		notText    []string
	}{
		{"draft", "en", monitor.Notice{Event: monitor.EventDraftOpened, Incident: draft()}, false, base + "-draft",
			"outpost: incident #12", "New draft: Telephony unavailable",
			[]string{"Draft incident #12 (impact major) for Telephony is waiting for review. Nothing is public yet.",
				"Draft: Telephony unavailable\nCalls fail.", "Review: https://status.example.com/api/admin/incidents/12",
				"Publish: outpost incident publish 12", "Discard: outpost incident discard 12"}, nil},
		{"draft without page url", "en", monitor.Notice{Event: monitor.EventDraftOpened, Incident: draft()}, true, base + "-draft",
			"outpost: incident #12", "New draft: Telephony unavailable", []string{"Publish: outpost incident publish 12"}, []string{"Review", "http"}},
		{"draft de", "de", monitor.Notice{Event: monitor.EventDraftOpened, Incident: draft()}, false, base + "-draft",
			"outpost: Störung #12", "Neuer Entwurf: Telephony unavailable",
			[]string{"wartet auf Prüfung", "Veröffentlichen: outpost incident publish 12"}, nil},
		{"draft sv", "sv", monitor.Notice{Event: monitor.EventDraftOpened, Incident: draft()}, false, base + "-draft",
			"outpost: störning #12", "Nytt utkast: Telephony unavailable", []string{"väntar på granskning", "Publicera: outpost incident publish 12"}, nil},
		{"reminder", "en", monitor.Notice{Event: monitor.EventReminder, Incident: published(), After: 30 * time.Minute}, false,
			base + "-reminder-1795492800", "outpost: incident #12", "Reminder: post an update on Telephony unavailable",
			[]string{`no public update since 2026-11-24 04:02 CET (remind_after 30m0s)`, `outpost incident update 12 -status identified -body "…"`,
				"Public page: https://status.example.com/incidents/12"}, nil},
		{"auto published", "en", monitor.Notice{Event: monitor.EventAutoPublished, Incident: published(), After: 10 * time.Minute}, false,
			base + "-auto-published", "outpost: incident #12", "Published automatically: Telephony unavailable",
			[]string{"after auto_publish_after (10m0s) and is now public"}, nil},
		{"published", "en", monitor.Notice{Event: monitor.EventIncidentPublished, Incident: published()}, false, base + "-published",
			"Telephony unavailable", "Telephony unavailable",
			[]string{"Identified: A carrier link is down.", "Affected: Telephony and Website", "Details: https://status.example.com/incidents/12"},
			[]string{"draft", "outpost incident"}},
		{"updated de", "de", monitor.Notice{Event: monitor.EventIncidentUpdated, Incident: published()}, false, base + "-update-2",
			"Telephony unavailable", "Aktualisierung: Telephony unavailable", []string{"Ursache gefunden: A carrier link is down.", "Betroffen: "}, nil},
		{"resolved sv", "sv", monitor.Notice{Event: monitor.EventIncidentResolved, Incident: published()}, false, base + "-resolved",
			"Telephony unavailable", "Åtgärdat: Telephony unavailable", []string{"Orsak identifierad: A carrier link is down.", "Detaljer: "}, nil},
		{"maintenance", "en", monitor.Notice{Event: monitor.EventMaintenanceScheduled, Maintenance: maint}, false,
			"maint-3-1795489200-scheduled", "Scheduled maintenance: SBC upgrade", "Scheduled maintenance: SBC upgrade",
			[]string{"Calls may drop briefly.", "When: 2026-11-25 04:00 – 06:00 CET", "Affected: Telephony", "Details: https://status.example.com"}, nil},
	}
	dotAtom := regexp.MustCompile(`^[a-z0-9-]+$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := page
			p.Language = tt.lang
			if tt.noURL {
				p.URL = ""
			}
			tt.notice.Names = names
			r, ok := notify.NewRenderer(p).Render(tt.notice)
			if !ok {
				t.Fatal("not rendered")
			}
			if r.Key != tt.key || r.Topic != tt.topic || r.Subject != tt.subject {
				t.Errorf("key %q topic %q subject %q\nwant %q %q %q", r.Key, r.Topic, r.Subject, tt.key, tt.topic, tt.subject)
			}
			if !dotAtom.MatchString(r.Key) || !dotAtom.MatchString(r.Thread) || !strings.HasPrefix(r.Key, r.Thread+"-") {
				t.Errorf("key %q / thread %q unusable in a Message-ID", r.Key, r.Thread)
			}
			for _, s := range tt.text {
				if !strings.Contains(r.Text, s) {
					t.Errorf("text lacks %q:\n%s", s, r.Text)
				}
			}
			for _, s := range tt.notText {
				if strings.Contains(r.Text, s) {
					t.Errorf("text contains %q:\n%s", s, r.Text)
				}
			}
		})
	}
}

func TestNotifierAddressesAudiences(t *testing.T) {
	chans := []notify.Channel{{Name: "ops-hook", Audience: notify.AudienceOperators}, {Name: "ops-mail", Audience: notify.AudienceOperators},
		{Name: "public-chat", Audience: notify.AudiencePublic}}
	n := notify.NewNotifier(notify.NewRenderer(notify.Page{URL: "https://status.example.com"}), chans)
	discarded := published()
	discarded.State = store.IncidentDiscarded
	tests := []struct {
		name   string
		notice monitor.Notice
		want   []string
	}{
		{"draft to operators", monitor.Notice{Event: monitor.EventDraftOpened, Incident: draft()}, []string{"ops-hook", "ops-mail"}},
		{"published to the public", monitor.Notice{Event: monitor.EventIncidentPublished, Incident: published()}, []string{"public-chat"}},
		{"public event of a draft", monitor.Notice{Event: monitor.EventIncidentPublished, Incident: draft()}, nil},
		{"public event of a discarded incident", monitor.Notice{Event: monitor.EventIncidentResolved, Incident: discarded}, nil},
		{"unknown event", monitor.Notice{Event: "exploded", Incident: published()}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.notice.At = renderT0
			msgs := n.Messages(tt.notice)
			var got []string
			for _, m := range msgs {
				got = append(got, m.Channel)
				if m.Subject != msgs[0].Subject || m.Text != msgs[0].Text || m.Key != msgs[0].Key || m.Text == "" {
					t.Errorf("channels say different things: %+v vs %+v", m, msgs[0])
				}
				if !m.CreatedAt.Equal(renderT0) || m.Event != string(tt.notice.Event) || m.IncidentID != 12 {
					t.Errorf("message = %+v", m)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("channels %q, want %q", got, tt.want)
			}
		})
	}
}
