package publish

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/outpost-status/outpost/store"
)

// ErrNotPublic is returned by PreviewIncident for an incident that would
// not be public (a draft not yet published, a discarded one).
var ErrNotPublic = errors.New("publish: the incident would not be public")

// PreviewIncident renders inc as its public page /incidents/{id} shows
// it: the same filter (publicIncidents), page data and template
// ("incident-block"), so the review console can show a person the text
// exactly as customers will see it before it is published. inc is what
// the operation would store (incident.AsPublished and friends).
//
// It returns the incident's block of the page, not a whole document: the
// console embeds it in its own page. Nothing is served publicly: this
// is a method for the console, never a route, and a draft stays
// unreachable from outside until it is published.
func (s *Server) PreviewIncident(inc store.Incident) ([]byte, error) {
	public := publicIncidents([]store.Incident{inc})
	if len(public) == 0 {
		return nil, fmt.Errorf("preview incident %d: %w", inc.ID, ErrNotPublic)
	}
	v := &view{page: s.opts.Page, now: s.opts.Now(), components: s.opts.Monitor.Components(), incidents: public}
	p := pageView{view: v, l: localeFor(s.opts.Page.Language), root: rootFor("/incidents/" + strconv.FormatUint(inc.ID, 10))}
	d := incidentData{pageBase: pageBase{L: p.l}, Incident: p.incidentCard(public[0])}
	var buf bytes.Buffer
	if err := s.page.tmpl.ExecuteTemplate(&buf, "incident-block", d); err != nil {
		return nil, fmt.Errorf("preview incident %d: %w", inc.ID, err)
	}
	return buf.Bytes(), nil
}
