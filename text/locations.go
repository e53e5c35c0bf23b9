package text

// Locations is the wording of the operators' messages about peer
// confirmation (SPEC §17): one location fails a check that the others
// still reach, or no other location answered. The messages name the
// locations, so an operator knows whose path to the target to look at.
//
// It lives apart from Table (LocationsFor) so the several-locations
// work did not collide with concurrent edits of the language tables; a
// test here checks that every language has every string with the verbs
// of English, as text_test does for Table.
type Locations struct {
	Subject string // %s failing location names, %s check name
	// Local: only some locations fail. %s failing names, %s check name,
	// %s redacted target, %s names of the locations that reach it.
	Local string
	Kept  string // %s failing names: the check keeps its state, the failures stay in raw results
	// Silent: no other location answered. %s own name, %s check name,
	// %s redacted target, %s names of the locations that did not answer.
	Silent      string
	SilentLocal string // %s own name: fallback local, the own verdict stands
	SilentKept  string // fallback local while the check is not down yet (recovery asked)
	SilentUnset string // fallback unknown: the check reads unknown
	Location    string // label before this location's id in the message
	// This location went blind (its self-checks fail). %s own name.
	BlindSubject string
	Blind        string // %s own name
	// The review console's overview: the peers and their last answer.
	Heading    string // of the section
	Peer       string // column: the peer's location id
	LastAnswer string // column
	Answers    string // the peer's last answer was good
	NoAnswer   string // it was not
	Never      string // no good answer yet
	Verdicts   string // label before each location's verdict on a check
}

// LocationsFor returns the wording of lang (English when outpost lacks it).
func LocationsFor(lang string) Locations {
	switch lang {
	case "de":
		return Locations{
			Subject:      "%s erreicht %s nicht",
			Local:        "%s erreicht %s (%s) nicht; %s schon.",
			Kept:         "Der Check behält seinen Zustand: Keine Komponente ändert sich, kein Vorfall wird eröffnet. Die Fehlschläge bleiben in den Rohergebnissen von %s. Prüfen Sie den Netzweg dieses Standorts zum Ziel.",
			Silent:       "%s erreicht %s (%s) nicht, und kein anderer Standort hat geantwortet (%s).",
			SilentLocal:  "Es gilt das eigene Urteil von %s (confirm.fallback: local).",
			SilentKept:   "Der Check behält seinen Zustand, bis ein Standort antwortet.",
			SilentUnset:  "Der Check steht auf unbekannt, bis ein Standort antwortet (confirm.fallback: unknown).",
			Location:     "Standort",
			BlindSubject: "%s ist blind",
			Blind:        "%s sieht nichts: Alle Selbsttest-Ziele schlagen fehl, daher kann dieser Standort nicht erkennen, ob Ihre Dienste funktionieren. Seine Checks stehen auf unbekannt, bis er wieder sieht; die anderen Standorte entscheiden ohne ihn.",
			Heading:      "Standorte",
			Peer:         "Standort",
			LastAnswer:   "Letzte Antwort",
			Answers:      "antwortet",
			NoAnswer:     "antwortet nicht",
			Never:        "noch nie",
			Verdicts:     "Standorte",
		}
	case "sv":
		return Locations{
			Subject:      "%s når inte %s",
			Local:        "%s når inte %s (%s); %s gör det.",
			Kept:         "Kontrollen behåller sitt tillstånd: ingen komponent ändras och ingen incident öppnas. Felen finns kvar i %ss råa resultat. Se över den platsens nätväg till målet.",
			Silent:       "%s når inte %s (%s), och ingen annan plats svarade (%s).",
			SilentLocal:  "%ss egen bedömning gäller (confirm.fallback: local).",
			SilentKept:   "Kontrollen behåller sitt tillstånd tills en plats svarar.",
			SilentUnset:  "Kontrollen visas som okänd tills en plats svarar (confirm.fallback: unknown).",
			Location:     "Plats",
			BlindSubject: "%s är blind",
			Blind:        "%s ser ingenting: alla självtestmål misslyckas, så platsen kan inte avgöra om era tjänster fungerar. Dess kontroller visas som okända tills den ser igen; de andra platserna avgör utan den.",
			Heading:      "Platser",
			Peer:         "Plats",
			LastAnswer:   "Senaste svar",
			Answers:      "svarar",
			NoAnswer:     "svarar inte",
			Never:        "aldrig",
			Verdicts:     "Platser",
		}
	}
	return Locations{
		Subject:      "%s cannot reach %s",
		Local:        "%s cannot reach %s (%s); %s can.",
		Kept:         "The check keeps its state: no component changes and no incident opens. The failures stay in the raw results of %s. Look at that location's network path to the target.",
		Silent:       "%s cannot reach %s (%s), and no other location answered (%s).",
		SilentLocal:  "Going by the own verdict of %s (confirm.fallback: local).",
		SilentKept:   "The check keeps its state until a location answers.",
		SilentUnset:  "The check reads unknown until a location answers (confirm.fallback: unknown).",
		Location:     "Location",
		BlindSubject: "%s is blind",
		Blind:        "%s cannot see: every self-check target fails, so this location cannot tell whether your services work. Its checks read unknown until it sees again; the other locations decide without it.",
		Heading:      "Locations",
		Peer:         "Location",
		LastAnswer:   "Last answer",
		Answers:      "answers",
		NoAnswer:     "does not answer",
		Never:        "never",
		Verdicts:     "Locations",
	}
}
