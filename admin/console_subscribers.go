package admin

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/outpost-status/outpost/store"
)

// maxConsoleSubscribers is how many subscribers the console lists at
// once; a search narrows a longer list.
const maxConsoleSubscribers = 200

// subscribersData fills subscribers.html.
type subscribersData struct {
	Confirmed, Unconfirmed int
	Query                  string
	Rows                   []subscriberRow
	Shown                  string // "N of M shown" when the list is cut
	Removed                string // the confirmation after a removal
	Error                  string
}

// subscriberRow is a subscriber as listed.
type subscriberRow struct {
	store.Subscriber
	Names string // the components' names; empty: all
}

// registerSubscribers routes the subscribers page when the API has
// subscribers.
func (c *console) registerSubscribers() {
	c.mux.Handle("GET /admin/subscribers", c.page(c.subscribers))
	c.mux.Handle("POST /admin/subscribers/{id}/remove", c.page(c.removeSubscriber))
}

// subscribers lists subscribers whose address contains ?q=, newest first.
func (c *console) subscribers(w http.ResponseWriter, r *http.Request, s *session) {
	if c.api.opts.Subscribers == nil {
		c.notFound(w, r, s)
		return
	}
	ct := &c.t.Console.Subscribers
	d := subscribersData{Query: strings.TrimSpace(r.URL.Query().Get("q"))}
	status := http.StatusOK
	if len(d.Query) > maxSubscriberQuery {
		d.Query, d.Error, status = "", fmt.Sprintf(c.t.Subscribe.EmailTooLong, maxSubscriberQuery), http.StatusBadRequest
	}
	if id, err := strconv.ParseUint(r.URL.Query().Get("removed"), 10, 64); err == nil {
		d.Removed = fmt.Sprintf(ct.Removed, id)
	}
	all, err := c.api.opts.Subscribers.Subscribers(nil)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	d.Confirmed, d.Unconfirmed = subscriberCounts(all)
	names := map[string]string{}
	for _, comp := range c.api.opts.Monitor.Components() {
		names[comp.ID] = comp.Name
	}
	q := strings.ToLower(d.Query)
	matched := 0
	for i := len(all) - 1; i >= 0; i-- {
		sub := all[i]
		if !strings.Contains(sub.Email, q) {
			continue
		}
		matched++
		if len(d.Rows) == maxConsoleSubscribers {
			continue
		}
		var list []string
		for _, id := range sub.Components {
			list = append(list, cmpName(names, id))
		}
		d.Rows = append(d.Rows, subscriberRow{Subscriber: sub, Names: c.t.Join(list)})
	}
	if matched > len(d.Rows) {
		d.Shown = fmt.Sprintf(ct.Shown, len(d.Rows), matched)
	}
	c.render(w, r, s, status, "subscribers", d)
}

// removeSubscriber deletes one subscriber, audited as the session.
func (c *console) removeSubscriber(w http.ResponseWriter, r *http.Request, s *session) {
	if c.api.opts.Subscribers == nil {
		c.notFound(w, r, s)
		return
	}
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		c.notFound(w, r, s)
		return
	}
	if err := c.api.removeSubscriber(id, s.Actor()); err != nil {
		c.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/admin/subscribers?removed="+strconv.FormatUint(id, 10), http.StatusSeeOther)
}
