package main

import (
	"github.com/outpost-status/outpost/admin"
	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/notify"
	"github.com/outpost-status/outpost/publish"
	"github.com/outpost-status/outpost/store"
)

// previewer joins the two halves of the review console's preview: the
// public incident page as publish renders it and the public message as
// notify renders it (admin imports neither). srv is set once the server
// is built, before it serves.
type previewer struct {
	srv      *publish.Server
	renderer *notify.Renderer
	mon      *monitor.Monitor
}

var _ admin.Previewer = (*previewer)(nil)

func newPreviewer(page config.Page, mon *monitor.Monitor) *previewer {
	return &previewer{renderer: notify.NewRenderer(page), mon: mon}
}

// IncidentPage implements admin.Previewer.
func (p *previewer) IncidentPage(inc store.Incident) ([]byte, error) {
	return p.srv.PreviewIncident(inc)
}

// Notification implements admin.Previewer with the component names the
// incident engine gives the notifier.
func (p *previewer) Notification(inc store.Incident, event incident.Event) (string, string, error) {
	names := map[string]string{}
	for _, c := range p.mon.Components() {
		names[c.ID] = c.Name
	}
	return p.renderer.Preview(inc, event, names)
}
