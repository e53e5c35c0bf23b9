package notify_test

import (
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/notify"
)

// TestNoteGoesToOperatorsOnly: a location note (SPEC §17), worded by the
// monitor, reaches every operators' channel as it is and no public one.
func TestNoteGoesToOperatorsOnly(t *testing.T) {
	chans := []notify.Channel{{Name: "ops-hook", Audience: notify.AudienceOperators}, {Name: "public-chat", Audience: notify.AudiencePublic},
		{Name: "ops-mail", Audience: notify.AudienceOperators}}
	n := notify.NewNotifier(notify.NewRenderer(config.Page{URL: "https://status.example.com"}), chans)
	at := time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)
	note := &incident.Note{Key: "location-fra-web/shop-local-1", Thread: "location-fra-web/shop",
		Subject: "fra cannot reach Web shop", Text: "fra cannot reach Web shop (https://shop.example.com/); ams and par can."}
	msgs := n.Messages(incident.Notice{Event: incident.EventLocation, Note: note, At: at})
	if len(msgs) != 2 || msgs[0].Channel != "ops-hook" || msgs[1].Channel != "ops-mail" {
		t.Fatalf("messages = %+v, want one on each operators' channel", msgs)
	}
	for _, m := range msgs {
		if m.Key != note.Key || m.Subject != note.Subject || m.Text != note.Text || m.Event != "location" ||
			m.Audience != notify.AudienceOperators || !m.CreatedAt.Equal(at) || m.IncidentID != 0 {
			t.Errorf("message = %+v", m)
		}
	}
	if got := n.Messages(incident.Notice{Event: incident.EventIncidentPublished, Note: note}); len(got) != 0 {
		t.Errorf("a note on a public event reached %d channels", len(got))
	}
}
