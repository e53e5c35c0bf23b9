// Package text holds every customer- and operator-facing string of
// outpost, one table per language: the status page, its feeds and
// badges, the drafted incidents and the notifications (mail, chat,
// webhooks). Each output reads its words from here, so the page, the
// mail and the post never disagree.
//
// A language is one file (en.go, de.go, sv.go) holding one Table value,
// listed once in all. The tables are read-only: For hands out a copy,
// and a Table holds only strings and arrays of strings, so a copy shares
// nothing with the original.
//
// The package imports nothing of outpost. Status and impact values are
// the Statuspage vocabulary, spelled here as plain strings.
package text

import "strings"

// DefaultLanguage is the language of For when asked for one it lacks.
const DefaultLanguage = "en"

// Table is every string a person reads, in one language. Format strings
// say their verbs in a comment; a test checks that every language uses
// the same verbs as English.
type Table struct {
	Lang string // language code: <html lang>, Atom xml:lang, RSS <language>

	// Words shown on more than one output.
	And             string            // joins the last two names: "A, B and C"
	Affects         string            // label before component names on the page, in mails and posts
	IncidentStatus  IncidentStatuses  // page, feeds, mail, chat, webhook text
	ComponentStatus ComponentStatuses // page and badges
	Impact          Impacts           // page and the operators' draft notice

	Dates   Dates
	Page    Page
	Draft   Draft
	Notify  Notify
	Console Console
	// The public subscription pages (subscribe.go).
	Subscribe Subscribe
}

// IncidentStatuses name the statuses of a published incident.
type IncidentStatuses struct {
	Investigating, Identified, Monitoring, Resolved string
}

// Lookup returns the name of status ("investigating", ...).
func (s IncidentStatuses) Lookup(status string) (string, bool) {
	switch status {
	case "investigating":
		return s.Investigating, true
	case "identified":
		return s.Identified, true
	case "monitoring":
		return s.Monitoring, true
	case "resolved":
		return s.Resolved, true
	}
	return "", false
}

// Text returns the name of status, or status itself when it has none.
func (s IncidentStatuses) Text(status string) string { return orKey(status, s.Lookup) }

// ComponentStatuses name the statuses of a component.
type ComponentStatuses struct {
	Operational, DegradedPerformance, PartialOutage, MajorOutage, UnderMaintenance string
	// NoData is outpost's own status of a component whose checks have no
	// result (not a Statuspage status, so Lookup does not know it).
	NoData string
}

// Lookup returns the name of a Statuspage component status
// ("operational", "degraded_performance", ...).
func (s ComponentStatuses) Lookup(status string) (string, bool) {
	switch status {
	case "operational":
		return s.Operational, true
	case "degraded_performance":
		return s.DegradedPerformance, true
	case "partial_outage":
		return s.PartialOutage, true
	case "major_outage":
		return s.MajorOutage, true
	case "under_maintenance":
		return s.UnderMaintenance, true
	}
	return "", false
}

// Impacts name the impact of an incident.
type Impacts struct {
	None, Minor, Major, Critical, Maintenance string
}

// Lookup returns the name of impact ("none", "minor", ...).
func (s Impacts) Lookup(impact string) (string, bool) {
	switch impact {
	case "none":
		return s.None, true
	case "minor":
		return s.Minor, true
	case "major":
		return s.Major, true
	case "critical":
		return s.Critical, true
	case "maintenance":
		return s.Maintenance, true
	}
	return "", false
}

// Text returns the name of impact, or impact itself when it has none.
func (s Impacts) Text(impact string) string { return orKey(impact, s.Lookup) }

// orKey returns key's name, or key itself when lookup has none.
func orKey(key string, lookup func(string) (string, bool)) string {
	if name, ok := lookup(key); ok {
		return name
	}
	return key
}

// Dates is how the language writes dates, numbers and durations.
type Dates struct {
	Months      [12]string // full month names, for history headings
	ShortMonths [12]string // abbreviated month names, for dates
	// Patterns: {d} day, {m} short month, {M} full month, {y} year,
	// {t} HH:MM, {z} zone abbreviation.
	Date     string // a calendar day
	DayMonth string // a calendar day without the year
	DateTime string // a moment
	Month    string // a month heading
	Decimal  string // decimal separator
	Percent  string // after the number: "%" in English, " %" in German and Swedish
	// Units of Duration.
	Hours, Minutes, Seconds string
}

// Page is the status page, its history, feeds and badges.
type Page struct {
	Skip    string // skip link
	Nav     string // label of the main navigation
	Systems string // heading of the component list
	Banner  Banners
	// Incidents.
	Active       string // heading
	Past         string // heading
	PastNone     string
	History      string // heading and title of /history
	HistoryLink  string
	HistoryRange string
	HistoryNone  string
	Started      string // label before the start time
	ResolvedOn   string // %s: date
	Updates      string // heading of an incident's updates
	// Maintenance.
	Maintenance     string // heading
	MaintScheduled  string // status of an upcoming window
	MaintInProgress string // status of an active window
	MaintWindow     string // %s start, %s end
	// Day bars and uptime.
	Days90Ago      string
	Days30Ago      string
	Today          string
	Uptime         string // %s percentage
	UptimeSince    string // %s percentage, %s date
	UptimeShare    string // %s percentage, %s monitored share
	Bars           string // %s component name
	BarAvailable   string // %s percentage
	BarDown        string // %s duration
	BarPartial     string // %s duration
	BarMaintenance string // %s duration
	BarUnknown     string // %s duration
	BarClean       string
	// Footer and feeds.
	Updated         string // before the time of the last change
	Subscribe       string
	FeedAtom        string
	FeedRSS         string
	API             string
	Powered         string
	FeedTitle       string // %s page title
	FeedDescription string // %s page title
	// Not found.
	NotFound     string
	NotFoundBody string
	Back         string
	// Badges.
	BadgeNA      string // no uptime figure
	BadgeSince   string // %s percentage, %s date
	BadgeShare   string // %s percentage, %s window, %s monitored share
	BadgeUnknown string // a component that does not exist
}

// Banners are the overall state at the top of the status page.
type Banners struct {
	None, Minor, Major, Critical, Maintenance string
	Blind, BlindNote                          string // the monitor cannot see
	NoData, NoDataNote                        string // no component has data yet
	SomeNoData, SomeNoDataNote                string // some have none, the others show no problem
}

// Draft is the wording of incidents the engine drafts. It says what
// customers notice and what they can do, never a cause and never a
// promised fix time: a person reviews it before it is published.
//
// A body is, in this order: an Impact sentence (and a Workaround
// sentence) for each component with impact wording in the config, one
// Lead for the components without, the Workaround sentences of those,
// and the Closing.
type Draft struct {
	MajorTitle, PartialTitle   string // %s: component names
	MajorLead, PartialLead     string // %s: names of components without impact wording, then the Affected sentence (or nothing)
	MajorImpact, PartialImpact string // %s: a component's name, %s: its impact wording (components[].impact)
	Workaround                 string // %s: what customers can do meanwhile (components[].workaround)
	Affected                   string // %s: component descriptions
	Closing                    string // ends every drafted body
	ResolvedBody               string // %s: names; the proposed resolution
}

// Notify is the wording of notifications. Operators' messages say what
// happened and the exact command to act on it; public messages repeat
// what the status page shows (IncidentStatus, Affects).
type Notify struct {
	OpsTopic        string // %d incident id: the stable title of an operators' thread
	DraftSubject    string // %s incident name
	ReminderSubject string // %s incident name
	AutoSubject     string // %s incident name
	UpdateSubject   string // %s incident name
	MaintSubject    string // %s maintenance title
	DraftIntro      string // %d id, %s impact (Impact), %s components
	DraftLabel      string // before the draft's title
	// FromAlert says an engine draft came from an Alertmanager alert
	// (operators only; its summary follows after ": " when set).
	FromAlert     string // %s alertname
	ReminderIntro string // %d id, %q name, %s since, %s remind_after
	AutoIntro     string // %d id, %s auto_publish_after
	// An escalation is the draft notice as a deputy (escalate_after) gets
	// it when nobody reviewed the draft in time.
	DeputySubject string // %s escalate_after, %d id, %s incident name
	DeputyIntro   string // %d id, %s escalate_after
	// Labels before a link or a command.
	Review, Publish, Discard, Update, Resolve, PublicPage string
	// Labels of public messages.
	Details, When string
	// Mails to subscribers (SPEC §16): the footer of each, above the
	// manage and unsubscribe links, and the confirmation mail.
	SubscribedTo        string // %s page title
	Manage, Unsubscribe string // labels before the links
	ConfirmSubject      string // %s page title
	ConfirmIntro        string // %s page title
	ConfirmLink         string // label before the confirmation link
	ConfirmExpiry       string // %s confirm_ttl
	ConfirmIgnore       string
}

// Console is the review console under /admin/: operators, often on a
// phone during an outage, review drafts and schedule maintenance there.
// It says what happened and what to do next, in the page language.
type Console struct {
	Title string // after the page heading in <title>
	Nav   string // label of the console navigation
	// Navigation entries, also the headings of their pages.
	Overview, Maintenance, Audit string
	SignedInAs                   string // %s display name
	Logout                       string
	// Login.
	Login       string // heading and button
	LoginIntro  string
	Token       string // label of the token field
	Name        string // label of the display name field
	NameHint    string
	LoginWrong  string
	NameInvalid string // %d maximum length
	TooMany     string
	// Errors.
	Forbidden    string // heading
	BadOrigin    string
	BadCSRF      string
	TooLarge     string // %d KiB
	BadRequest   string // heading of a rejected form
	NotFound     string // heading
	NotFoundBody string
	Off          string
	Failed       string // heading of a server error
	FailedBody   string
	DiskFull     string
	Back         string // link back to the overview
	// Overview.
	Drafts, DraftsNone       string
	Waiting                  string // %s duration since the draft opened
	AutoIn                   string // %s duration until auto_publish_after publishes it
	AutoDue                  string
	Published, PublishedNone string
	LastUpdate               string // %s duration since the last public update
	Overdue                  string // %s remind_after
	Components               string
	Check, State, LastResult string
	NoResult                 string
	Blind, Seeing            string
	CheckState               CheckStates
	// Maintenance.
	Upcoming, InProgress, Past, MaintNone string
	Schedule                              string // heading and button
	AffectedComponents                    string
	Start, End, MaintTitle, Body          string // form labels
	TimeZone                              string // %s zone name
	Cancel                                string
	FromConfig                            string
	BadTime                               string // %s field label
	// Audit log.
	When, Actor, Action, Incident, Detail string
	Older, Newest                         string
	AuditNone                             string
	Done                                  ConsoleDone
	// IncidentPage is the page of one incident and the new-incident form.
	IncidentPage ConsoleIncident
	// The subscribers page (subscribe.go).
	Subscribers ConsoleSubscribers
}

// CheckStates name the live state of a check.
type CheckStates struct {
	Up, Degraded, Down, Unknown string
}

// Lookup returns the name of state ("up", "degraded", "down", "unknown").
func (s CheckStates) Lookup(state string) (string, bool) {
	switch state {
	case "up":
		return s.Up, true
	case "degraded":
		return s.Degraded, true
	case "down":
		return s.Down, true
	case "unknown":
		return s.Unknown, true
	}
	return "", false
}

// Text returns the name of state, or state itself when it has none.
func (s CheckStates) Text(state string) string { return orKey(state, s.Lookup) }

// ConsoleDone confirms what a console form did, on the page it redirects
// to (?done=KEY).
type ConsoleDone struct {
	LoggedIn, Scheduled, Cancelled string
}

// Lookup returns the confirmation of key ("scheduled", ...).
func (s ConsoleDone) Lookup(key string) (string, bool) {
	switch key {
	case "logged-in":
		return s.LoggedIn, true
	case "scheduled":
		return s.Scheduled, true
	case "cancelled":
		return s.Cancelled, true
	}
	return "", false
}

// all lists the tables, the default first. A new language is a file
// with its table and an entry here.
func all() []*Table { return []*Table{&en, &de, &sv} }

// Languages returns the codes of the languages outpost speaks, the
// default first; the configuration accepts exactly these.
func Languages() []string {
	tables := all()
	out := make([]string, len(tables))
	for i, t := range tables {
		out[i] = t.Lang
	}
	return out
}

// For returns a copy of the table of lang, or of the default language
// when outpost does not speak lang.
func For(lang string) *Table {
	for _, t := range all() {
		if t.Lang == lang {
			c := *t
			return &c
		}
	}
	c := en
	return &c
}

// Join writes names as a list: "A", "A and B", "A, B and C".
func (t *Table) Join(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	n := len(names) - 1
	return strings.Join(names[:n], ", ") + " " + t.And + " " + names[n]
}
