package notify_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/notify"
	"github.com/outpost-status/outpost/store"
	"github.com/outpost-status/outpost/text"
)

// TestSocialChannelsGetAPost: a mastodon or bluesky channel gets the post
// text (status line, title, the latest public update) in the page
// language and the incident's link; other public channels the full text.
func TestSocialChannelsGetAPost(t *testing.T) {
	maint := &store.Maintenance{ID: "3", Title: "SBC-Wartung", Body: "Anrufe können kurz abbrechen.", Components: []string{"telephony"},
		Start: renderT0.Add(24 * time.Hour), End: renderT0.Add(26 * time.Hour), CreatedAt: renderT0}
	channels := []notify.Channel{
		{Name: "hook", Type: "webhook", Audience: notify.AudiencePublic},
		{Name: "toots", Type: notify.TypeMastodon, Audience: notify.AudiencePublic},
		{Name: "skeets", Type: notify.TypeBluesky, Audience: notify.AudiencePublic},
	}
	for _, lang := range []string{"en", "de", "sv"} {
		tx := text.For(lang)
		page := config.Page{URL: "https://status.example.com", Language: lang, Location: berlin}
		n := notify.NewNotifier(notify.NewRenderer(page), channels)
		tests := []struct {
			name      string
			notice    incident.Notice
			text, url string
		}{
			{"published", incident.Notice{Event: incident.EventIncidentPublished, Incident: published(), Names: names, At: renderT0},
				tx.IncidentStatus.Identified + "\nTelephony unavailable\n\nA carrier link is down.", "https://status.example.com/incidents/12"},
			{"maintenance", incident.Notice{Event: incident.EventMaintenanceScheduled, Maintenance: maint, Names: names, At: renderT0},
				fmt.Sprintf(tx.Notify.MaintSubject, "SBC-Wartung") + "\n\nAnrufe können kurz abbrechen.\n\n" + tx.Notify.When +
					": 2026-11-25 04:00 – 06:00 CET", "https://status.example.com"},
		}
		for _, tt := range tests {
			t.Run(lang+" "+tt.name, func(t *testing.T) {
				msgs := n.Messages(tt.notice)
				if len(msgs) != 3 {
					t.Fatalf("%d messages, want 3", len(msgs))
				}
				for _, m := range msgs[1:] {
					if m.Text != tt.text || m.URL != tt.url || m.Key != msgs[0].Key {
						t.Errorf("%s: text %q url %q key %s; want %q, %q and the key of the others", m.Channel, m.Text, m.URL, m.Key, tt.text, tt.url)
					}
				}
				if msgs[0].Text == tt.text {
					t.Errorf("the webhook got the short post instead of the full text")
				}
			})
		}
	}
}
