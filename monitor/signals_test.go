package monitor

import (
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/store"
)

// alertSetup is testSpec with a component fed only by alerts (billing)
// and routes: billing by service (major), telephony by a regex on job
// (partial), first match wins.
func alertSetup(selfCheck bool) testSetup {
	s := testSpec("en", selfCheck)
	s.Components = append(s.Components, Component{ID: "billing", Name: "Billing"})
	s.Alerts = AlertSpec{TTL: 15 * time.Minute, Routes: []AlertRoute{
		{Component: "billing", Major: true, Match: func(l map[string]string) bool { return l["service"] == "billing" }},
		{Component: "telephony", Match: func(l map[string]string) bool { return strings.HasPrefix(l["job"], "sip") }},
		{Component: "web", Major: true, Match: func(l map[string]string) bool { return l["job"] == "sip-web" }}, // shadowed
	}}
	return s
}

func firing(fp, name string, labels map[string]string) Alert {
	return Alert{Fingerprint: fp, Firing: true, Name: name, Summary: "summary of " + name, Labels: labels}
}

func resolved(fp string, labels map[string]string) Alert {
	return Alert{Fingerprint: fp, Labels: labels}
}

func TestAlertRoutingFirstMatchWins(t *testing.T) {
	h := newHarness(t, alertSetup(false))
	out := h.m.Alerts([]Alert{
		firing("a1", "SipDown", map[string]string{"job": "sip-web"}),
		firing("a2", "Other", map[string]string{"job": "db"}),
	})
	if out[0] != AlertRouted || out[1] != AlertUnmatched {
		t.Fatalf("outcomes %v", out)
	}
	if st := statusOf(h.m, "telephony"); st != PartialOutage {
		t.Errorf("telephony %s, want partial_outage (first route)", st)
	}
	if st := statusOf(h.m, "web"); st != Operational {
		t.Errorf("web %s: a later route took the alert", st)
	}
}

// TestAlertOnlyComponentOpensDraftAndResolves: a component without
// checks goes to the route's impact, a draft opens naming the alert, the
// resolved notification brings it back and the engine proposes the
// resolution.
func TestAlertOnlyComponentOpensDraftAndResolves(t *testing.T) {
	h := newHarness(t, alertSetup(false))
	labels := map[string]string{"service": "billing"}
	if st := statusOf(h.m, "billing"); st != Operational {
		t.Fatalf("billing before any alert: %s", st)
	}
	h.m.Alerts([]Alert{firing("b1", "InvoicesFailing", labels)})
	if st := statusOf(h.m, "billing"); st != MajorOutage {
		t.Fatalf("billing %s, want major_outage", st)
	}
	inc := h.only()
	if inc.State != store.IncidentDraft || inc.Impact != "major" || inc.Alert == nil || inc.Alert.Name != "InvoicesFailing" {
		t.Fatalf("draft %+v", inc)
	}
	if strings.Contains(inc.Name+inc.Body, "summary of") {
		t.Errorf("the alert's summary is in the draft's public text: %q %q", inc.Name, inc.Body)
	}
	if st, _ := h.hist.stateAt(store.ComponentSubject("billing"), h.clock.Now()); st != store.StateDown {
		t.Errorf("billing's time counts as %s, want down", st)
	}
	h.clock.Advance(time.Minute)
	h.m.Alerts([]Alert{resolved("b1", labels)})
	if st := statusOf(h.m, "billing"); st != Operational {
		t.Fatalf("after resolved: %s", st)
	}
	inc = h.only()
	if len(inc.Updates) == 0 || !inc.Updates[len(inc.Updates)-1].Draft || inc.Updates[len(inc.Updates)-1].Status != store.StatusResolved {
		if inc.State != store.IncidentResolved { // an unpublished draft is closed instead
			t.Fatalf("no proposed resolution: %+v", inc)
		}
	}
}

// TestAlertDedupByFingerprint: repeats of one fingerprint are one
// signal; a resolved one for another fingerprint ends nothing else.
func TestAlertDedupByFingerprint(t *testing.T) {
	h := newHarness(t, alertSetup(false))
	l := map[string]string{"job": "sip-a"}
	for range 3 {
		h.m.Alerts([]Alert{firing("t1", "SipDown", l)})
		h.clock.Advance(time.Minute)
	}
	h.m.Alerts([]Alert{firing("t2", "SipSlow", l)})
	if n := len(h.m.Signals()); n != 2 {
		t.Fatalf("%d signals, want 2", n)
	}
	h.m.Alerts([]Alert{resolved("t1", l)})
	if sig := h.m.Signals(); len(sig) != 1 || sig[0].Fingerprint != "t2" {
		t.Fatalf("signals %+v", sig)
	}
	if st := statusOf(h.m, "telephony"); st != PartialOutage {
		t.Errorf("telephony %s while t2 fires", st)
	}
	if n := len(h.incidents()); n != 1 {
		t.Errorf("%d incidents, want 1", n)
	}
}

// TestAlertNotRepeatedTurnsUnknown: past the ttl the signal is unknown,
// the component keeps the alert's status (never silently up) and its
// time counts as unknown; a repeat makes it known again.
func TestAlertNotRepeatedTurnsUnknown(t *testing.T) {
	h := newHarness(t, alertSetup(false))
	l := map[string]string{"service": "billing"}
	h.m.Alerts([]Alert{firing("b1", "InvoicesFailing", l)})
	h.wait(14 * time.Minute)
	if sig := h.m.Signals(); sig[0].State != StateDown {
		t.Fatalf("before ttl: %s", sig[0].State)
	}
	h.wait(2 * time.Minute)
	if sig := h.m.Signals(); len(sig) != 1 || sig[0].State != StateUnknown {
		t.Fatalf("after ttl: %+v", sig)
	}
	if st := statusOf(h.m, "billing"); st != MajorOutage {
		t.Errorf("billing %s after ttl; it must not silently turn operational", st)
	}
	if st, _ := h.hist.stateAt(store.ComponentSubject("billing"), h.clock.Now()); st != store.StateUnknown {
		t.Errorf("time after ttl counts as %s, want unknown", st)
	}
	h.m.Alerts([]Alert{firing("b1", "InvoicesFailing", l)})
	if st, _ := h.hist.stateAt(store.ComponentSubject("billing"), h.clock.Now()); st != store.StateDown {
		t.Errorf("time after a repeat counts as %s, want down", st)
	}
}

// TestTickWakesAtAlertTTL: the tick loop plans to wake when a signal
// turns stale, not only at the heartbeat.
func TestTickWakesAtAlertTTL(t *testing.T) {
	s := alertSetup(false)
	s.Alerts.TTL = 10 * time.Second
	h := newHarness(t, s)
	h.m.Alerts([]Alert{firing("b1", "X", map[string]string{"service": "billing"})})
	if wait := h.m.untilNext(h.m.read()); wait > 10*time.Second {
		t.Errorf("tick waits %s, past the ttl", wait)
	}
}

// TestBlindMonitorKeepsAlerts: alerts come from inside, so a blind
// monitor still opens their drafts and counts their time.
func TestBlindMonitorKeepsAlerts(t *testing.T) {
	h := newHarness(t, alertSetup(true))
	h.m.setBlind(true)
	h.m.Alerts([]Alert{firing("b1", "InvoicesFailing", map[string]string{"service": "billing"})})
	if st := statusOf(h.m, "billing"); st != MajorOutage {
		t.Fatalf("billing %s while blind", st)
	}
	if n := len(h.incidents()); n != 1 {
		t.Errorf("%d drafts while blind, want 1", n)
	}
	if st, _ := h.hist.stateAt(store.ComponentSubject("billing"), h.clock.Now()); st != store.StateDown {
		t.Errorf("billing's time while blind counts as %s, want down", st)
	}
}

// TestAlertWorstOfChecksAndSignals: a partial alert on a component whose
// checks are all down leaves it in major outage; the alert alone, partial.
func TestAlertWorstOfChecksAndSignals(t *testing.T) {
	h := newHarness(t, alertSetup(false))
	h.pass("telephony/sip-udp", 1)
	h.pass("telephony/sip-tls", 1)
	h.m.Alerts([]Alert{firing("t1", "SipDown", map[string]string{"job": "sip"})})
	if st := statusOf(h.m, "telephony"); st != PartialOutage {
		t.Fatalf("telephony %s", st)
	}
	h.fail("telephony/sip-udp", 3)
	h.fail("telephony/sip-tls", 3)
	if st := statusOf(h.m, "telephony"); st != MajorOutage {
		t.Errorf("telephony %s with every check down", st)
	}
}

// TestReloadDropsSignalsOfRemovedComponents keeps the rest.
func TestReloadDropsSignalsOfRemovedComponents(t *testing.T) {
	s := alertSetup(false)
	h := newHarness(t, s)
	h.m.Alerts([]Alert{firing("b1", "X", map[string]string{"service": "billing"}), firing("t1", "Y", map[string]string{"job": "sip"})})
	s.Components = s.Components[:2]
	h.m.Reload(s.Spec)
	if sig := h.m.Signals(); len(sig) != 1 || sig[0].Component != "telephony" {
		t.Fatalf("signals after reload %+v", sig)
	}
}
