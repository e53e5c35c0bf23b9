package notify

// texts is the wording of notifications in one language. Operators'
// messages say what happened and the exact command to act on it; public
// messages repeat what the status page shows.
type texts struct {
	and string
	// Topics: the stable title of a thread (email subject).
	opsTopic string // %d: incident id
	// Subjects.
	draftSubject, reminderSubject, autoSubject   string // %s: incident name
	updateSubject, resolvedSubject, maintSubject string // %s: name or title
	// Operators' texts.
	draftIntro                                      string // %d id, %s impact, %s components
	draftTitle                                      string // label before the draft's title
	reminderIntro                                   string // %d id, %q name, %s since, %s remind_after
	autoIntro                                       string // %d id, %s auto_publish_after
	review, publish, discard, update, resolve, page string
	// Public texts.
	affected, details, when string
	statuses                map[string]string
}

// allTexts holds the texts per page language (read-only).
var allTexts = map[string]texts{
	"en": {
		and:             "and",
		opsTopic:        "outpost: incident #%d",
		draftSubject:    "New draft: %s",
		reminderSubject: "Reminder: post an update on %s",
		autoSubject:     "Published automatically: %s",
		updateSubject:   "Update: %s",
		resolvedSubject: "Resolved: %s",
		maintSubject:    "Scheduled maintenance: %s",
		draftIntro:      "Draft incident #%d (impact %s) for %s is waiting for review. Nothing is public yet.",
		draftTitle:      "Draft",
		reminderIntro:   "Incident #%d %q has had no public update since %s (remind_after %s).",
		autoIntro:       "Draft incident #%d was still failing after auto_publish_after (%s) and is now public.",
		review:          "Review",
		publish:         "Publish",
		discard:         "Discard",
		update:          "Post an update",
		resolve:         "Resolve",
		page:            "Public page",
		affected:        "Affected",
		details:         "Details",
		when:            "When",
		statuses: map[string]string{"investigating": "Investigating", "identified": "Identified",
			"monitoring": "Monitoring", "resolved": "Resolved"},
	},
	"de": {
		and:             "und",
		opsTopic:        "outpost: Störung #%d",
		draftSubject:    "Neuer Entwurf: %s",
		reminderSubject: "Erinnerung: Aktualisierung zu %s fällig",
		autoSubject:     "Automatisch veröffentlicht: %s",
		updateSubject:   "Aktualisierung: %s",
		resolvedSubject: "Behoben: %s",
		maintSubject:    "Geplante Wartung: %s",
		draftIntro:      "Der Entwurf #%d (Auswirkung %s) für %s wartet auf Prüfung. Noch ist nichts öffentlich.",
		draftTitle:      "Entwurf",
		reminderIntro:   "Die Störung #%d %q hat seit %s keine öffentliche Aktualisierung (remind_after %s).",
		autoIntro:       "Der Entwurf #%d schlug nach auto_publish_after (%s) weiterhin fehl und ist jetzt öffentlich.",
		review:          "Prüfen",
		publish:         "Veröffentlichen",
		discard:         "Verwerfen",
		update:          "Aktualisierung schreiben",
		resolve:         "Beheben",
		page:            "Öffentliche Seite",
		affected:        "Betroffen",
		details:         "Details",
		when:            "Zeitraum",
		statuses: map[string]string{"investigating": "Untersuchung läuft", "identified": "Ursache gefunden",
			"monitoring": "Beobachtung", "resolved": "Behoben"},
	},
	"sv": {
		and:             "och",
		opsTopic:        "outpost: störning #%d",
		draftSubject:    "Nytt utkast: %s",
		reminderSubject: "Påminnelse: uppdatera %s",
		autoSubject:     "Publicerad automatiskt: %s",
		updateSubject:   "Uppdatering: %s",
		resolvedSubject: "Åtgärdat: %s",
		maintSubject:    "Planerat underhåll: %s",
		draftIntro:      "Utkastet #%d (påverkan %s) för %s väntar på granskning. Inget är publicerat än.",
		draftTitle:      "Utkast",
		reminderIntro:   "Störningen #%d %q har inte uppdaterats publikt sedan %s (remind_after %s).",
		autoIntro:       "Utkastet #%d misslyckades fortfarande efter auto_publish_after (%s) och är nu publicerat.",
		review:          "Granska",
		publish:         "Publicera",
		discard:         "Kasta",
		update:          "Skriv en uppdatering",
		resolve:         "Åtgärda",
		page:            "Publik sida",
		affected:        "Berörda tjänster",
		details:         "Detaljer",
		when:            "När",
		statuses: map[string]string{"investigating": "Undersöker", "identified": "Orsak identifierad",
			"monitoring": "Övervakar", "resolved": "Åtgärdat"},
	},
}
