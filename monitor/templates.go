package monitor

import (
	"fmt"
	"strings"
)

// incidentText is the customer-facing wording of engine-drafted incidents.
// It says what customers notice and what they can do, never a cause and
// never a promised fix time: a person reviews it before it is published.
type incidentText struct {
	and                      string // joins the last two names
	majorTitle, partialTitle string // %s: component names
	majorBody, partialBody   string // %s: names, then the affected-services sentence
	affected                 string // %s: descriptions
	resolvedBody             string // %s: names
}

// incidentTexts holds the texts per page language (read-only).
var incidentTexts = map[string]incidentText{
	"en": {
		and:          "and",
		majorTitle:   "%s unavailable",
		partialTitle: "%s partly disrupted",
		majorBody: "%s is currently not available.%s You may not be able to use it until it is restored. " +
			"We are working on it and will update this page as soon as we know more.",
		partialBody: "Some requests to %s are currently failing.%s If something does not work, please try again in a few minutes. " +
			"We are working on it and will update this page as soon as we know more.",
		affected:     " Affected: %s.",
		resolvedBody: "%s is working normally again. We are sorry for the disruption and thank you for your patience.",
	},
	"de": {
		and:          "und",
		majorTitle:   "%s nicht verfügbar",
		partialTitle: "%s teilweise gestört",
		majorBody: "%s ist derzeit nicht verfügbar.%s Bis zur Behebung ist die Nutzung möglicherweise nicht möglich. " +
			"Wir arbeiten daran und informieren auf dieser Seite, sobald wir mehr wissen.",
		partialBody: "Ein Teil der Anfragen an %s schlägt derzeit fehl.%s Falls etwas nicht funktioniert, versuchen Sie es bitte in einigen Minuten erneut. " +
			"Wir arbeiten daran und informieren auf dieser Seite, sobald wir mehr wissen.",
		affected:     " Betroffen: %s.",
		resolvedBody: "%s funktioniert wieder normal. Wir bitten die Störung zu entschuldigen und danken für Ihre Geduld.",
	},
	"sv": {
		and:          "och",
		majorTitle:   "%s är inte tillgängligt",
		partialTitle: "%s är delvis stört",
		majorBody: "%s är för närvarande inte tillgängligt.%s Tjänsten kan vara oanvändbar tills felet är åtgärdat. " +
			"Vi arbetar med saken och uppdaterar den här sidan så snart vi vet mer.",
		partialBody: "En del förfrågningar till %s misslyckas för närvarande.%s Om något inte fungerar, försök igen om några minuter. " +
			"Vi arbetar med saken och uppdaterar den här sidan så snart vi vet mer.",
		affected:     " Berörda tjänster: %s.",
		resolvedBody: "%s fungerar normalt igen. Vi ber om ursäkt för störningen och tackar för ert tålamod.",
	},
}

// draftText renders the title and body of an incident covering comps.
func draftText(lang string, comps []Component, major bool) (title, body string) {
	tx, ok := incidentTexts[lang]
	if !ok {
		tx = incidentTexts["en"]
	}
	names := make([]string, len(comps))
	var descs []string
	for i, c := range comps {
		names[i] = c.Name
		if c.Description != "" {
			descs = append(descs, c.Description)
		}
	}
	joined := joinNames(names, tx.and)
	affected := ""
	if len(descs) > 0 {
		affected = fmt.Sprintf(tx.affected, strings.Join(descs, "; "))
	}
	if major {
		return fmt.Sprintf(tx.majorTitle, joined), fmt.Sprintf(tx.majorBody, joined, affected)
	}
	return fmt.Sprintf(tx.partialTitle, joined), fmt.Sprintf(tx.partialBody, joined, affected)
}

// resolvedText renders the proposed resolution update.
func resolvedText(lang string, comps []Component) string {
	tx, ok := incidentTexts[lang]
	if !ok {
		tx = incidentTexts["en"]
	}
	names := make([]string, len(comps))
	for i, c := range comps {
		names[i] = c.Name
	}
	return fmt.Sprintf(tx.resolvedBody, joinNames(names, tx.and))
}

// joinNames writes "A", "A and B", "A, B and C".
func joinNames(names []string, and string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " " + and + " " + names[len(names)-1]
}
