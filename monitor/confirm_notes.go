package monitor

import (
	"fmt"
	"strings"
	"time"

	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/text"
)

// Note kinds: one message of each per episode.
const (
	noteLocal  = "local"  // others reach the target
	noteSilent = "silent" // nobody answered
)

// noteLocked words the operators' note about a failure the others did
// not confirm, once per kind and episode (a run of failures of this
// location). The caller holds cf.mu.
func (cf *confirmer) noteLocked(c Check, st CheckState, t tally) *incident.Note {
	kind := noteLocal
	switch t.result {
	case ConfirmConfirmed:
		return nil // the incident engine tells the operators
	case ConfirmFallback:
		kind = noteSilent
	}
	if cf.told[c.Key] == nil {
		cf.told[c.Key] = map[string]bool{}
	}
	if cf.told[c.Key][kind] {
		return nil
	}
	cf.told[c.Key][kind] = true
	w, tx := cf.words, text.For(cf.loc.Language)
	failing := tx.Join(t.failing)
	var body []string
	if kind == noteLocal {
		body = []string{fmt.Sprintf(w.Local, failing, c.Name, c.Target.Redacted, tx.Join(t.reaching)), fmt.Sprintf(w.Kept, failing)}
	} else {
		failing = cf.loc.Name
		body = []string{fmt.Sprintf(w.Silent, failing, c.Name, c.Target.Redacted, tx.Join(t.silent))}
		switch {
		case cf.loc.Fallback == FallbackUnknown:
			body = append(body, w.SilentUnset)
		default:
			body = append(body, fmt.Sprintf(w.SilentLocal, cf.loc.Name))
		}
	}
	body = append(body, w.Location+": "+cf.loc.ID)
	episode := st.FailingSince
	return &incident.Note{Key: fmt.Sprintf("location-%s-%s-%s-%d", cf.loc.ID, c.Key, kind, episode.UnixNano()),
		Thread: "location-" + cf.loc.ID + "-" + c.Key, Subject: fmt.Sprintf(w.Subject, failing, c.Name),
		Text: strings.Join(body, "\n\n")}
}

// blindNote is the operators' note when this location goes blind (SPEC
// §5), sent by publisher and confirmer alike: a confirmer has no other
// way to say that it cannot see. Nil without several locations, where
// the status page and outpost_blind say it.
func (m *Monitor) blindNote(now time.Time) *incident.Note {
	if m.conf == nil {
		return nil
	}
	l, w := m.conf.loc, m.conf.words
	return &incident.Note{Key: fmt.Sprintf("blind-%s-%d", l.ID, now.UnixNano()), Thread: "blind-" + l.ID,
		Subject: fmt.Sprintf(w.BlindSubject, l.Name), Text: fmt.Sprintf(w.Blind, l.Name) + "\n\n" + w.Location + ": " + l.ID}
}

// tellOperators enqueues a note for the operators' channels; without an
// outbox or notifier it is only logged.
func (m *Monitor) tellOperators(n incident.Note) {
	m.log.Warn("this location's verdict is not confirmed by the others", "subject", n.Subject)
	o, notifier := m.conf.loc.Outbox, m.opts.Notifier
	if o == nil || notifier == nil {
		return
	}
	msgs := notifier.Messages(incident.Notice{Event: incident.EventLocation, Note: &n, Actor: "monitor", At: m.opts.Clock.Now()})
	if len(msgs) == 0 {
		return
	}
	if err := o.Enqueue(msgs); err != nil {
		m.log.Error("enqueueing the operators' message failed", "err", err)
	}
}
