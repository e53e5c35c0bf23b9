package text

// ConsoleIncident is the review console's page of one incident (edit,
// preview, publish, update, resolve, discard) and its form for a new
// incident. Errors say what was wrong and how to fix it; the console
// keeps what the person typed beside them.
type ConsoleIncident struct {
	Heading  string // %d incident id
	New      string // heading of the new-incident page and its link
	Back     string // link back to the overview
	NotSaved string // under the preview: nothing was saved
	// Facts.
	State, Impact, Components, Started, Status string
	States                                     IncidentStates
	NoComponents                               string
	Published, Drafted, NoUpdates              string // headings of the updates and their absence
	// Forms.
	Edit, Title, Body, Template, NoTemplate, Use string
	PublishNow                                   string // checkbox of the new-incident form
	Preview, Save, Publish, Create               string // buttons
	Update, Post                                 string // heading of the update form, its button
	Resolve, ResolveHint                         string // heading and button; where the text comes from
	Discard, DiscardHint                         string
	// Preview.
	PreviewHeading, PreviewPage, PreviewMessage, Subject string
	NoMessage                                            string // editing a published incident sends nothing
	NoPreview                                            string // the daemon has no previewer
	// Audit trail.
	Audit, AuditNone string
	// Errors.
	TitleInvalid string // %d maximum characters
	BodyInvalid  string // %d maximum characters
	BodyRequired string
	ControlChars string // %s field label
	BadImpact    string // %q value
	BadStatus    string // %q value
	BadComponent string // %q component id
	BadAction    string
	BadState     string // %s state name
	BadTemplate  string // %q template name
	Done         ConsoleIncidentDone
}

// IncidentStates name an incident's lifecycle state in the console.
type IncidentStates struct {
	Draft, Published, Resolved, Discarded string
}

// Text returns the name of state ("draft", ...), or state itself.
func (s IncidentStates) Text(state string) string {
	switch state {
	case "draft":
		return s.Draft
	case "published":
		return s.Published
	case "resolved":
		return s.Resolved
	case "discarded":
		return s.Discarded
	}
	return state
}

// ConsoleIncidentDone confirms what an incident form did (?done=KEY).
type ConsoleIncidentDone struct {
	Saved, Published, Updated, Resolved, Discarded, Created string
}

// Lookup returns the confirmation of key ("saved", ...).
func (s ConsoleIncidentDone) Lookup(key string) (string, bool) {
	switch key {
	case "saved":
		return s.Saved, true
	case "published":
		return s.Published, true
	case "updated":
		return s.Updated, true
	case "resolved":
		return s.Resolved, true
	case "discarded":
		return s.Discarded, true
	case "created":
		return s.Created, true
	}
	return "", false
}
