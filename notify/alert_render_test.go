package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/notify"
	"github.com/outpost-status/outpost/store"
)

// TestDraftFromAlertTellsOperatorsOnly: the operators' draft notice
// names the alert and its summary; the public message of the same
// incident says neither.
func TestDraftFromAlertTellsOperatorsOnly(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	inc := store.Incident{ID: 4, State: store.IncidentDraft, Status: store.StatusInvestigating, Name: "Billing is not available",
		Body: "We are working on it.", Impact: "major", Components: []string{"billing"}, CreatedAt: at,
		Alert: &store.AlertSource{Name: "InvoicesFailing", Summary: "queue stuck at db-3"}}
	for _, tc := range []struct{ lang, want string }{
		{"en", "From alert InvoicesFailing: queue stuck at db-3"},
		{"de", "Aus Alarm InvoicesFailing: queue stuck at db-3"},
		{"sv", "Från larm InvoicesFailing: queue stuck at db-3"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			r := notify.NewRenderer(config.Page{URL: "https://status.example.com", Language: tc.lang})
			ops, ok := r.Render(incident.Notice{Event: incident.EventDraftOpened, Incident: inc, At: at})
			if !ok || !strings.Contains(ops.Text, tc.want) {
				t.Errorf("operators' text lacks %q:\n%s", tc.want, ops.Text)
			}
			pub := inc
			pub.State, pub.PublishedAt = store.IncidentPublished, at
			public, ok := r.Render(incident.Notice{Event: incident.EventIncidentPublished, Incident: pub, At: at})
			if !ok || strings.Contains(public.Text+public.Subject, "db-3") || strings.Contains(public.Text, "InvoicesFailing") {
				t.Errorf("public message names the alert:\n%s", public.Text)
			}
		})
	}
}
