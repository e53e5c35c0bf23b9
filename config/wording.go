package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/outpost-status/outpost/text"
	"gopkg.in/yaml.v3"
)

// Localized is customer-facing text from the configuration, written
// either once for every language ("calls cannot be placed") or per
// language ({en: …, de: …, sv: …}); operators of a page in one language
// write the plain form, those whose texts reach customers in several
// languages the other.
type Localized struct {
	Text       string            // the same text in every language
	ByLanguage map[string]string // per language code (text.Languages)
}

// IsZero reports whether no text was given.
func (l Localized) IsZero() bool { return l.Text == "" && len(l.ByLanguage) == 0 }

// For returns the text in lang: the plain text, else lang's, else
// English, else the first language given (in the order of
// text.Languages), so a page in Swedish still shows a template written
// only in German instead of nothing.
func (l Localized) For(lang string) string {
	if l.Text != "" {
		return l.Text
	}
	if s, ok := l.ByLanguage[lang]; ok {
		return s
	}
	if s, ok := l.ByLanguage[text.DefaultLanguage]; ok {
		return s
	}
	for _, code := range text.Languages() {
		if s, ok := l.ByLanguage[code]; ok {
			return s
		}
	}
	return ""
}

func (l *Localized) decodeNode(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		l.Text = strings.TrimSpace(n.Value)
		return nil
	case yaml.MappingNode:
	default:
		return errors.New("expected a text, or a mapping of language codes to texts ({en: …, de: …})")
	}
	langs := text.Languages()
	l.ByLanguage = make(map[string]string, len(langs))
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if val.Kind == yaml.AliasNode && val.Alias != nil {
			val = val.Alias
		}
		switch {
		case key.Kind != yaml.ScalarNode || !slices.Contains(langs, key.Value):
			return &nodeError{key, fmt.Sprintf("unknown language %s (use %s)", describe(key), strings.Join(langs, ", "))}
		case l.ByLanguage[key.Value] != "":
			return &nodeError{key, fmt.Sprintf("language %q appears twice", key.Value)}
		case val.Kind != yaml.ScalarNode:
			return &nodeError{val, fmt.Sprintf("expected the %s text, found %s", key.Value, describe(val))}
		case strings.TrimSpace(val.Value) == "":
			return &nodeError{val, fmt.Sprintf("the %s text is empty; write it or remove the key", key.Value)}
		}
		l.ByLanguage[key.Value] = strings.TrimSpace(val.Value)
	}
	if len(l.ByLanguage) == 0 {
		return errors.New("no text in any language; write one (e.g. {en: …}) or remove the key")
	}
	return nil
}

// Template statuses and impacts: the values the admin API accepts for a
// new incident (a new incident is not resolved yet).
var (
	templateImpacts  = []string{"none", "minor", "major", "critical"}
	templateStatuses = []string{"investigating", "identified", "monitoring"}
)

// validateTemplates checks templates: a unique slug-like name, a title,
// a known impact and status, and existing components.
func (v *validator) validateTemplates() {
	known := map[string]bool{}
	for _, comp := range v.cfg.Components {
		known[comp.ID] = true
	}
	names := map[string]string{}
	for i, t := range v.cfg.Templates {
		p := fmt.Sprintf("templates[%d]", i)
		switch prev, dup := names[t.Name]; {
		case t.Name == "":
			v.errorf(p+".name", "every template needs a name, used by -template NAME (e.g. telephony-down)")
		case !idPattern.MatchString(t.Name):
			v.errorf(p+".name", "name %q must be 1-63 lower case letters, digits, - or _ (e.g. telephony-down)", t.Name)
		case dup:
			v.errorf(p+".name", "duplicate template name %q (also used by %s); give one of them another name", t.Name, prev)
		default:
			names[t.Name] = p
		}
		if t.Title.IsZero() {
			v.errorf(p+".title", "every template needs a title customers will read (e.g. \"Telephony unavailable\")")
		}
		v.oneOf(p+".impact", t.Impact, templateImpacts...)
		v.oneOf(p+".status", t.Status, templateStatuses...)
		for j, id := range t.Components {
			if !known[id] {
				v.errorf(fmt.Sprintf("%s.components[%d]", p, j), "no component with id %q", id)
			}
		}
	}
}
