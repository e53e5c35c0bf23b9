package incident

import (
	"fmt"
	"strings"

	"github.com/outpost-status/outpost/text"
)

// draftText renders the title and body of an incident covering comps,
// worded by package text (Table.Draft) in the page language.
func draftText(lang string, comps []Component, major bool) (title, body string) {
	tx := text.For(lang)
	names := make([]string, len(comps))
	var descs []string
	for i, c := range comps {
		names[i] = c.Name
		if c.Description != "" {
			descs = append(descs, c.Description)
		}
	}
	joined := tx.Join(names)
	affected := ""
	if len(descs) > 0 {
		affected = fmt.Sprintf(tx.Draft.Affected, strings.Join(descs, "; "))
	}
	if major {
		return fmt.Sprintf(tx.Draft.MajorTitle, joined), fmt.Sprintf(tx.Draft.MajorBody, joined, affected)
	}
	return fmt.Sprintf(tx.Draft.PartialTitle, joined), fmt.Sprintf(tx.Draft.PartialBody, joined, affected)
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
