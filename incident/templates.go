package incident

import (
	"fmt"
	"slices"
	"strings"

	"github.com/outpost-status/outpost/text"
)

// draftText renders the title and body of an incident covering comps,
// worded by package text (Table.Draft) in the page language. A
// component with impact wording gets its own sentence, saying what
// customers notice, followed by its workaround; the others share one
// general sentence naming them (with their descriptions) as before. The
// same workaround is said once.
func draftText(lang string, comps []Component, major bool) (title, body string) {
	tx := text.For(lang)
	d := tx.Draft
	titleF, leadF, impactF := d.PartialTitle, d.PartialLead, d.PartialImpact
	if major {
		titleF, leadF, impactF = d.MajorTitle, d.MajorLead, d.MajorImpact
	}
	names := make([]string, len(comps))
	var sentences, said []string
	workaround := func(w string) []string {
		if w = sentence(w); w == "" || slices.Contains(said, w) {
			return nil
		}
		said = append(said, w)
		return []string{fmt.Sprintf(d.Workaround, w)}
	}
	var plain []Component
	for i, c := range comps {
		names[i] = c.Name
		if impact := sentence(c.Impact); impact != "" {
			sentences = append(sentences, fmt.Sprintf(impactF, c.Name, impact))
			sentences = append(sentences, workaround(c.Workaround)...)
		} else {
			plain = append(plain, c)
		}
	}
	if len(plain) > 0 {
		var plainNames, descs []string
		for _, c := range plain {
			plainNames = append(plainNames, c.Name)
			if c.Description != "" {
				descs = append(descs, c.Description)
			}
		}
		affected := ""
		if len(descs) > 0 {
			affected = fmt.Sprintf(d.Affected, strings.Join(descs, "; "))
		}
		sentences = append(sentences, fmt.Sprintf(leadF, tx.Join(plainNames), affected))
		for _, c := range plain {
			sentences = append(sentences, workaround(c.Workaround)...)
		}
	}
	sentences = append(sentences, d.Closing)
	return fmt.Sprintf(titleF, tx.Join(names)), strings.Join(sentences, " ")
}

// sentence trims wording from the config for use inside a sentence that
// adds its own full stop.
func sentence(s string) string {
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "."))
}

// resolvedText renders the proposed resolution update.
func resolvedText(lang string, comps []Component) string {
	tx := text.For(lang)
	names := make([]string, len(comps))
	for i, c := range comps {
		names[i] = c.Name
	}
	return fmt.Sprintf(tx.Draft.ResolvedBody, tx.Join(names))
}
