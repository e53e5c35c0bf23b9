package notify

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/store"
	"github.com/outpost-status/outpost/text"
)

// Rendered is one message as every channel carries it.
type Rendered struct {
	Key         string // idempotency key, stable for the event
	Thread      string // the incident or maintenance window
	Topic       string // the thread's stable title
	Subject     string
	Text        string
	URL         string
	Incident    *store.MessageIncident
	Maintenance *store.MessageMaintenance
}

// Renderer renders notices in the page language, with the words of the
// status page (package text).
type Renderer struct {
	page config.Page // the status page as configured; its URL without a trailing slash
	tx   *text.Table
	nt   *text.Notify
}

// NewRenderer returns a renderer for page.
func NewRenderer(p config.Page) *Renderer {
	tx := text.For(p.Language)
	if p.Location == nil {
		p.Location = time.UTC
	}
	p.URL = strings.TrimSuffix(p.URL, "/")
	return &Renderer{page: p, tx: tx, nt: &tx.Notify}
}

// Render returns the message for a notice; false for an event it does
// not know or a notice without its subject.
func (r *Renderer) Render(n incident.Notice) (Rendered, bool) {
	if n.Event == incident.EventMaintenanceScheduled {
		if n.Maintenance == nil {
			return Rendered{}, false
		}
		return r.maintenance(n), true
	}
	inc := n.Incident
	out := Rendered{Thread: incidentThread(inc), Topic: inc.Name, URL: r.incidentURL(inc.ID), Incident: &store.MessageIncident{
		ID: inc.ID, Name: inc.Name, State: inc.State, Status: inc.Status, Impact: inc.Impact, Components: inc.Components}}
	if inc.Public() {
		out.Incident.URL = out.URL
	}
	key := func(suffix string) string { return out.Thread + "-" + suffix }
	switch n.Event {
	case incident.EventDraftOpened:
		out.Key, out.Subject, out.Text = draftKey(inc), fmt.Sprintf(r.nt.DraftSubject, inc.Name), r.draftText(n)
	case incident.EventReminder:
		out.Key, out.Subject, out.Text = key("reminder-"+unix(inc.RemindedAt)), fmt.Sprintf(r.nt.ReminderSubject, inc.Name), r.reminderText(n)
	case incident.EventAutoPublished:
		out.Key, out.Subject, out.Text = key("auto-published"), fmt.Sprintf(r.nt.AutoSubject, inc.Name), r.autoText(n)
	case incident.EventIncidentPublished:
		out.Key, out.Subject, out.Text = key("published"), inc.Name, r.publicText(n)
	case incident.EventIncidentUpdated:
		u, _ := lastPublished(inc)
		out.Key, out.Subject, out.Text = key("update-"+strconv.FormatUint(u.ID, 10)), fmt.Sprintf(r.nt.UpdateSubject, inc.Name), r.publicText(n)
	case incident.EventIncidentResolved:
		out.Key, out.Subject, out.Text = key("resolved"), r.tx.IncidentStatus.Resolved+": "+inc.Name, r.publicText(n)
	default:
		return Rendered{}, false
	}
	if !n.Event.Public() {
		out.Topic, out.URL = fmt.Sprintf(r.nt.OpsTopic, inc.ID), r.consoleURL(inc.ID)
	}
	return out, true
}

// incidentThread names an incident across databases: a restored or new
// database reuses ids, never with the same creation time.
func incidentThread(inc store.Incident) string {
	return "inc-" + strconv.FormatUint(inc.ID, 10) + "-" + unix(inc.CreatedAt)
}

// draftKey is the key of an incident's draft_opened, which its
// escalation shares and its follow-ups on a deputy channel wait for.
func draftKey(inc store.Incident) string { return incidentThread(inc) + "-draft" }

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func (r *Renderer) incidentURL(id uint64) string {
	if r.page.URL == "" {
		return ""
	}
	return r.page.URL + "/incidents/" + strconv.FormatUint(id, 10)
}

// consoleURL is the incident's page in the review console, the link of
// every operators' message: after logging in the operator lands on it.
func (r *Renderer) consoleURL(id uint64) string {
	if r.page.URL == "" {
		return ""
	}
	return r.page.URL + "/admin/incidents/" + strconv.FormatUint(id, 10)
}

// lines joins non-empty "label: value" lines.
func lines(pairs ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString(pairs[i] + ": " + pairs[i+1])
	}
	return b.String()
}

func paragraphs(ps ...string) string {
	var out []string
	for _, p := range ps {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "\n\n")
}

func (r *Renderer) draftText(n incident.Notice) string {
	inc, id := n.Incident, strconv.FormatUint(n.Incident.ID, 10)
	return paragraphs(
		fmt.Sprintf(r.nt.DraftIntro, inc.ID, r.tx.Impact.Text(inc.Impact), r.names(inc.Components, n.Names)),
		r.fromAlert(inc),
		r.nt.DraftLabel+": "+inc.Name+"\n"+inc.Body,
		lines(r.nt.Review, r.consoleURL(inc.ID), r.nt.Publish, "outpost incident publish "+id,
			r.nt.Discard, "outpost incident discard "+id))
}

// fromAlert is the operators' line naming the alert a draft came from,
// with its summary annotation: it never reaches public text.
func (r *Renderer) fromAlert(inc store.Incident) string {
	if inc.Alert == nil {
		return ""
	}
	s := fmt.Sprintf(r.nt.FromAlert, inc.Alert.Name)
	if inc.Alert.Summary != "" {
		s += ": " + inc.Alert.Summary
	}
	return s
}

// escalation returns the subject and text of a draft_opened as a deputy
// gets it after the draft has waited d: that it is an escalation, then
// the draft notice as it was when the draft was opened.
func (r *Renderer) escalation(n incident.Notice, d time.Duration) (subject, text string) {
	inc, after := n.Incident, shortDuration(d)
	return fmt.Sprintf(r.nt.DeputySubject, after, inc.ID, inc.Name),
		paragraphs(fmt.Sprintf(r.nt.DeputyIntro, inc.ID, after), r.draftText(n))
}

// shortDuration writes d as people do: 10m, 1h, 1h30m, 90s stays 1m30s.
func shortDuration(d time.Duration) string {
	s := config.FormatDuration(d)
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func (r *Renderer) reminderText(n incident.Notice) string {
	inc, id := n.Incident, strconv.FormatUint(n.Incident.ID, 10)
	return paragraphs(
		fmt.Sprintf(r.nt.ReminderIntro, inc.ID, inc.Name, r.clock(inc.LastPublishedUpdate()), n.After),
		lines(r.nt.Review, r.consoleURL(inc.ID), r.nt.Update, "outpost incident update "+id+" -status "+inc.Status+` -body "…"`,
			r.nt.Resolve, "outpost incident resolve "+id, r.nt.PublicPage, r.incidentURL(inc.ID)))
}

func (r *Renderer) autoText(n incident.Notice) string {
	inc, id := n.Incident, strconv.FormatUint(n.Incident.ID, 10)
	return paragraphs(
		fmt.Sprintf(r.nt.AutoIntro, inc.ID, n.After),
		inc.Name+"\n"+inc.Body,
		lines(r.nt.Review, r.consoleURL(inc.ID), r.nt.PublicPage, r.incidentURL(inc.ID),
			r.nt.Update, "outpost incident update "+id+` -status identified -body "…"`))
}

// publicText is the latest published update as the status page shows it.
func (r *Renderer) publicText(n incident.Notice) string {
	inc := n.Incident
	u, ok := lastPublished(inc)
	if !ok {
		u = store.IncidentUpdate{Status: inc.Status, Body: inc.Body}
	}
	return paragraphs(r.tx.IncidentStatus.Text(u.Status)+": "+u.Body,
		lines(r.tx.Affects, r.names(inc.Components, n.Names), r.nt.Details, r.incidentURL(inc.ID)))
}

func (r *Renderer) maintenance(n incident.Notice) Rendered {
	m := n.Maintenance
	thread := "maint-" + m.ID + "-" + unix(m.CreatedAt)
	subject := fmt.Sprintf(r.nt.MaintSubject, m.Title)
	when := r.window(m.Start, m.End)
	return Rendered{Key: thread + "-scheduled", Thread: thread, Topic: subject, Subject: subject, URL: r.page.URL,
		Text:        paragraphs(m.Body, lines(r.nt.When, when, r.tx.Affects, r.names(m.Components, n.Names), r.nt.Details, r.page.URL)),
		Maintenance: &store.MessageMaintenance{ID: m.ID, Title: m.Title, Components: m.Components, Start: m.Start, End: m.End}}
}

// window writes a maintenance window: its day once if it ends that day.
func (r *Renderer) window(from, to time.Time) string {
	start, end := from.In(r.page.Location), to.In(r.page.Location)
	if start.Format(time.DateOnly) == end.Format(time.DateOnly) {
		return start.Format("2006-01-02 15:04") + " – " + end.Format("15:04 MST")
	}
	return r.clock(from) + " – " + r.clock(to)
}

func (r *Renderer) clock(t time.Time) string {
	return t.In(r.page.Location).Format("2006-01-02 15:04 MST")
}

// names joins the names of components ids: "A", "A and B", "A, B and C".
func (r *Renderer) names(ids []string, names map[string]string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id
		if name := names[id]; name != "" {
			out[i] = name
		}
	}
	return r.tx.Join(out)
}

// lastPublished returns the latest published update.
func lastPublished(inc store.Incident) (store.IncidentUpdate, bool) {
	for i := len(inc.Updates) - 1; i >= 0; i-- {
		if !inc.Updates[i].Draft {
			return inc.Updates[i], true
		}
	}
	return store.IncidentUpdate{}, false
}
