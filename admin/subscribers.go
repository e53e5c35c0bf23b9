package admin

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/outpost-status/outpost/internal/httpjson"
	"github.com/outpost-status/outpost/store"
)

// Subscribers lists and removes email subscribers; *store.DB implements
// it.
type Subscribers interface {
	Subscribers(keep func(store.Subscriber) bool) ([]store.Subscriber, error)
	DeleteSubscriber(id uint64, audit store.AuditEntry) error
}

var _ Subscribers = (*store.DB)(nil)

// Limits of the subscriber list.
const (
	maxSubscriberPage  = 10_000
	subscriberPage     = 1000
	maxSubscriberQuery = 254 // an address at most
)

// subscriberJSON is a subscriber as the admin API shows it.
type subscriberJSON struct {
	ID         uint64      `json:"id"`
	Email      string      `json:"email"`
	Components []string    `json:"components"` // empty: all
	Created    time.Time   `json:"created"`
	Confirmed  *time.Time  `json:"confirmed"` // null: not (yet) confirmed
	Consent    consentJSON `json:"consent"`
}

type consentJSON struct {
	Time       time.Time `json:"time"`
	ClientAddr string    `json:"client_addr"`
	Text       string    `json:"text"`
}

func toSubscriberJSON(s store.Subscriber) subscriberJSON {
	out := subscriberJSON{ID: s.ID, Email: s.Email, Components: s.Components, Created: s.Created,
		Consent: consentJSON{Time: s.Consent.Time, ClientAddr: s.Consent.ClientAddr, Text: s.Consent.Text}}
	if out.Components == nil {
		out.Components = []string{}
	}
	if s.IsConfirmed() {
		c := s.Confirmed
		out.Confirmed = &c
	}
	return out
}

// subscriberQuery is a list request: address substring, state and page.
type subscriberQuery struct {
	q     string // lower case
	state string // all, confirmed or unconfirmed
	after uint64
	limit int
}

// parseSubscriberQuery reads q, state, after and limit.
func parseSubscriberQuery(r *http.Request) (subscriberQuery, error) {
	v := r.URL.Query()
	sq := subscriberQuery{q: strings.ToLower(strings.TrimSpace(v.Get("q"))), state: v.Get("state"), limit: subscriberPage}
	if len(sq.q) > maxSubscriberQuery {
		return sq, fmt.Errorf("q is longer than %d characters; search for a part of an address", maxSubscriberQuery)
	}
	if sq.state == "" {
		sq.state = "all"
	}
	if sq.state != "all" && sq.state != "confirmed" && sq.state != "unconfirmed" {
		return sq, fmt.Errorf("state %q is unknown (use all, confirmed or unconfirmed)", sq.state)
	}
	if a := v.Get("after"); a != "" {
		n, err := strconv.ParseUint(a, 10, 64)
		if err != nil {
			return sq, fmt.Errorf("after must be a subscriber id (a number)")
		}
		sq.after = n
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxSubscriberPage {
			return sq, fmt.Errorf("limit must be a number from 1 to %d", maxSubscriberPage)
		}
		sq.limit = n
	}
	return sq, nil
}

// match reports whether s is in the query's result (before paging).
func (sq subscriberQuery) match(s store.Subscriber) bool {
	switch {
	case sq.state == "confirmed" && !s.IsConfirmed(), sq.state == "unconfirmed" && s.IsConfirmed():
		return false
	}
	return strings.Contains(s.Email, sq.q)
}

// subscriberCounts counts confirmed and unconfirmed subscribers of list.
func subscriberCounts(list []store.Subscriber) (confirmed, unconfirmed int) {
	for _, s := range list {
		if s.IsConfirmed() {
			confirmed++
		} else {
			unconfirmed++
		}
	}
	return confirmed, unconfirmed
}

// registerSubscribers adds GET /api/admin/subscribers and DELETE
// /api/admin/subscribers/{id}.
func (a *API) registerSubscribers() {
	a.mux.HandleFunc("GET /api/admin/subscribers", a.listSubscribers)
	a.mux.HandleFunc("DELETE /api/admin/subscribers/{id}", a.deleteSubscriber)
}

// listSubscribers answers {"subscribers": [...], "confirmed": n,
// "unconfirmed": n, "next": id}: the page of subscribers with ids after
// ?after= that match ?q= (address substring) and ?state=, oldest first;
// next is the ?after= of the following page, 0 on the last. The counts
// are of all subscribers.
func (a *API) listSubscribers(w http.ResponseWriter, r *http.Request) {
	if a.opts.Subscribers == nil {
		httpjson.Error(w, http.StatusNotFound, "this server keeps no subscribers")
		return
	}
	sq, err := parseSubscriberQuery(r)
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	all, err := a.opts.Subscribers.Subscribers(nil)
	if err != nil {
		a.fail(w, r, fmt.Errorf("read subscribers: %w", err))
		return
	}
	confirmed, unconfirmed := subscriberCounts(all)
	out := []subscriberJSON{}
	var next uint64
	for _, s := range all {
		if s.ID <= sq.after || !sq.match(s) {
			continue
		}
		if len(out) == sq.limit {
			next = out[len(out)-1].ID
			break
		}
		out = append(out, toSubscriberJSON(s))
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"subscribers": out, "confirmed": confirmed,
		"unconfirmed": unconfirmed, "next": next})
}

// deleteSubscriber removes a subscriber for good (audited by id, not by
// address: the point of removing one is that the address is gone).
func (a *API) deleteSubscriber(w http.ResponseWriter, r *http.Request) {
	if a.opts.Subscribers == nil {
		httpjson.Error(w, http.StatusNotFound, "this server keeps no subscribers")
		return
	}
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		httpjson.Error(w, http.StatusNotFound, fmt.Sprintf("subscriber id %q is not a positive number", r.PathValue("id")))
		return
	}
	if err := a.removeSubscriber(id, actor(r)); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// removeSubscriber deletes subscriber id with its audit entry.
func (a *API) removeSubscriber(id uint64, actor string) error {
	err := a.opts.Subscribers.DeleteSubscriber(id, store.AuditEntry{At: a.opts.Now(), Actor: actor,
		Action: "subscriber-remove", Detail: "subscriber " + strconv.FormatUint(id, 10)})
	if err != nil {
		return fmt.Errorf("subscriber %d: %w", id, err)
	}
	return nil
}
