package admin

import (
	"strings"
	"testing"

	"github.com/outpost-status/outpost/store"
)

// TestConsoleIncidentNamesItsAlert: operators see which alert a draft
// came from and its summary (escaped); a draft without one shows nothing.
func TestConsoleIncidentNamesItsAlert(t *testing.T) {
	e := newIncidentEnv(t)
	inc, err := e.db.CreateIncidentWith(store.Incident{State: store.IncidentDraft, Status: store.StatusInvestigating, Auto: true,
		Name: "Billing is not available", Body: "We are working on it.", Impact: "major", Components: []string{"web"},
		Alert: &store.AlertSource{Name: "InvoicesFailing", Summary: "queue <stuck> at db-3"}},
		store.AuditEntry{Actor: "engine", Action: "open"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := e.get(t, incPath(inc.ID, ""))
	if !strings.Contains(a.body, "<dt>From alert InvoicesFailing</dt><dd class=\"alert-summary\">queue &lt;stuck&gt; at db-3</dd>") {
		t.Errorf("page lacks the alert:\n%s", a.body)
	}
	plain := e.draft(t)
	if a := e.get(t, incPath(plain.ID, "")); strings.Contains(a.body, "alert-summary") {
		t.Error("a draft without an alert names one")
	}
}
