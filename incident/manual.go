package incident

import (
	"fmt"
	"slices"
	"strings"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/store"
)

// Template is a named start for an incident an operator opens by hand
// (config templates:), its text in the page language. The console offers
// them on its new-incident page; the admin API and outpost incident new
// -template NAME start from one, with the fields given overriding its.
type Template struct {
	Name       string   `json:"name"`
	Title      string   `json:"title"`
	Body       string   `json:"body"`
	Impact     string   `json:"impact"`
	Components []string `json:"components"`
	Status     string   `json:"status"`
}

// Incident is the manual incident t starts.
func (t Template) Incident() store.Incident {
	return store.Incident{Name: t.Title, Body: t.Body, Impact: t.Impact, Status: t.Status,
		Components: slices.Clone(t.Components)}
}

// TemplatesFromConfig reads the templates of a validated config, worded
// in its page language.
func TemplatesFromConfig(cfg *config.Config) []Template {
	lang := cfg.Page.Language
	var out []Template
	for _, t := range cfg.Templates {
		comps := t.Components
		if comps == nil {
			comps = []string{} // [] in JSON, like an incident's
		}
		out = append(out, Template{Name: t.Name, Title: t.Title.For(lang), Body: t.Body.For(lang),
			Impact: t.Impact, Components: slices.Clone(comps), Status: t.Status})
	}
	return out
}

// Templates returns the templates in force (replaced by SetSettings on a
// reload); the caller may change the copy.
func (e *Engine) Templates() []Template {
	e.mu.Lock()
	defer e.mu.Unlock()
	return cloneTemplates(e.settings.Templates)
}

// cloneTemplates copies ts deeply (nil stays nil, so Settings compare
// as they were given).
func cloneTemplates(ts []Template) []Template {
	if ts == nil {
		return nil
	}
	out := make([]Template, len(ts))
	for i, t := range ts {
		t.Components = slices.Clone(t.Components)
		out[i] = t
	}
	return out
}

// FindTemplate returns the template called name, or an ErrInvalid error
// listing the names there are.
func FindTemplate(ts []Template, name string) (Template, error) {
	names := make([]string, len(ts))
	for i, t := range ts {
		if t.Name == name {
			return t, nil
		}
		names[i] = t.Name
	}
	if len(names) == 0 {
		return Template{}, fmt.Errorf("%w: template %.64q is unknown: no templates are configured (add them under templates: in the config)", ErrInvalid, name)
	}
	return Template{}, fmt.Errorf("%w: template %.64q is unknown (use %s)", ErrInvalid, name, strings.Join(names, ", "))
}
