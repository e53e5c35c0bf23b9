package publish

// The subscription pages (SPEC §16): /subscribe (the form and its POST),
// /subscribe/confirm, /subscribe/manage and /unsubscribe. They exist only
// when ServerOptions.Subscriptions is set (404 otherwise), are rendered
// per request (never by the render cache: they depend on the person and
// the token) and answer with Cache-Control: no-store and
// Referrer-Policy: same-origin, since their URLs carry tokens. (Not
// no-referrer: under it a browser sends "Origin: null" with the forms'
// POSTs, and foreignOrigin refuses every real sign-up.)
//
// A sign-up is answered with the same "check your inbox" page whether the
// address is new, waiting for confirmation or already subscribed: the
// store mails a new or unconfirmed address (at most once per ResendAfter)
// and a confirmed one nothing, so the answer tells nobody whether an
// address is on the list. GET never changes anything except following a
// confirmation link, which SPEC §16 makes the confirmation; the
// unsubscribe link's GET only shows a button (mail scanners follow
// links), and its POST, also RFC 8058's one-click POST
// (List-Unsubscribe=One-Click) from a mail provider, unsubscribes.

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/outpost-status/outpost/store"
	"github.com/outpost-status/outpost/text"
)

// SubscriberStore is what the subscription pages need of the store;
// *store.DB implements it.
type SubscriberStore interface {
	AddSubscriber(r store.SignUp, mail store.ConfirmMail) (store.Subscriber, bool, error)
	ConfirmSubscriber(token string, now time.Time, ttl time.Duration) (store.Subscriber, error)
	SubscriberByToken(token, purpose string) (store.Subscriber, error)
	SubscriberToken(id uint64, purpose string) (string, error)
	SetSubscriberComponents(id uint64, components []string) (store.Subscriber, error)
	DeleteSubscriber(id uint64, audit store.AuditEntry) error
}

var _ SubscriberStore = (*store.DB)(nil)

// Subscriptions turn the subscription pages on.
type Subscriptions struct {
	Store SubscriberStore
	// Mail builds the confirmation mail for the subscriptions channel's
	// outbox (notify's renderer, wired in main; publish does not import
	// notify). Nil stores sign-ups without mailing anyone (tests).
	Mail             store.ConfirmMail
	ConfirmTTL       time.Duration // default 48 h
	PerClientPerHour int           // default 5
	// ConsentText is shown beside the required checkbox and stored with
	// each sign-up; empty: the page language's default.
	ConsentText string
	// ResendAfter: an unconfirmed address asked for again sooner gets no
	// second mail (default 10 min), whoever asks.
	ResendAfter time.Duration
}

// Limits of the subscription pages.
const (
	maxSubscribeBody = 16 << 10 // a form of an address and some component ids
	maxTokenLen      = 128      // a token is 55 or 66 characters
	maxEmailLen      = 254
	defaultResend    = 10 * time.Minute
)

// subscriptions is the running state of the pages.
type subscriptions struct {
	Subscriptions
	limit *clientLimiter
}

// registerSubscribe adds the subscription routes when they are on.
func (s *Server) registerSubscribe() {
	o := s.opts.Subscriptions
	if o == nil || o.Store == nil {
		return
	}
	if o.ConfirmTTL <= 0 {
		o.ConfirmTTL = 48 * time.Hour
	}
	if o.PerClientPerHour <= 0 {
		o.PerClientPerHour = 5
	}
	if o.ResendAfter <= 0 {
		o.ResendAfter = defaultResend
	}
	if o.ConsentText == "" {
		o.ConsentText = localeFor(s.opts.Page.Language).Subscribe.Consent
	}
	s.subs = &subscriptions{Subscriptions: *o, limit: newClientLimiter(o.PerClientPerHour, time.Hour)}
	for pattern, h := range map[string]http.HandlerFunc{
		"GET /subscribe":         s.handleSubscribeForm,
		"POST /subscribe":        s.handleSubscribe,
		"GET /subscribe/confirm": s.handleConfirm,
		"GET /subscribe/manage":  s.handleManage,
		"POST /subscribe/manage": s.handleManagePost,
		"GET /unsubscribe":       s.handleUnsubscribeForm,
		"POST /unsubscribe":      s.handleUnsubscribe,
		"GET /subscribe/{$}":     s.handleSubscribeForm,
	} {
		s.mux.Handle(pattern, s.admit.wrap(subscribeHeaders(h)))
	}
}

// subscribeHeaders sets the headers of every subscription page: never
// stored by a cache, no token leaked in a Referer, no framing.
func subscribeHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Cache-Control", "no-store")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Content-Security-Policy",
			"default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		r.Body = http.MaxBytesReader(w, r.Body, maxSubscribeBody)
		h.ServeHTTP(w, r)
	})
}

// subPage is the data of every subscription page.
type subPage struct {
	pageBase
	S          *text.Subscribe
	Email      string
	Token      string
	UnsubToken string // the manage page's link to unsubscribe
	All        bool
	Agreed     bool
	Consent    string
	Components []subComponent
	Error      string
	Heading    string
	Lines      []string
	Links      []subLink
}

type subComponent struct {
	ID, Name string
	Checked  bool
}

type subLink struct{ Href, Text string }

// subPage starts the data of a page with docTitle.
func (s *Server) subPage(r *http.Request, docTitle string) subPage {
	b := s.base(r, nil, docTitle)
	return subPage{pageBase: b, S: &b.L.Subscribe, All: true, Consent: s.subs.ConsentText}
}

// components lists the page's components, ticking those in chosen.
func (s *Server) components(chosen []string) []subComponent {
	if s.opts.Monitor == nil {
		return nil
	}
	var out []subComponent
	for _, c := range s.opts.Monitor.Components() {
		checked := false
		for _, id := range chosen {
			checked = checked || id == c.ID
		}
		out = append(out, subComponent{ID: c.ID, Name: c.Name, Checked: checked})
	}
	return out
}

// names writes the components a subscriber follows, "all components"
// for none.
func (s *Server) names(l *locale, ids []string) string {
	if len(ids) == 0 {
		return l.Subscribe.AllNames
	}
	var names []string
	known := map[string]bool{}
	for _, c := range s.components(nil) { // in the page's order
		known[c.ID] = true
		if slices.Contains(ids, c.ID) {
			names = append(names, c.Name)
		}
	}
	for _, id := range ids {
		if !known[id] {
			names = append(names, id) // removed from the configuration since
		}
	}
	return l.Join(names)
}

// message renders a page of a heading, lines and links.
func (s *Server) message(w http.ResponseWriter, r *http.Request, status int, p subPage) {
	s.render(w, status, "sub-message", p, 8<<10)
}

// badLink answers a token that is forged, used, expired or of a removed
// subscriber: the same page for all, so it tells nothing.
func (s *Server) badLink(w http.ResponseWriter, r *http.Request) {
	p := s.subPage(r, "")
	p.Heading = p.S.BadLink
	p.DocTitle = p.S.BadLink + " – " + p.Title
	p.Lines = []string{fmt.Sprintf(p.S.BadLinkBody, p.L.Duration(s.subs.ConfirmTTL.Seconds()))}
	p.Links = []subLink{{Href: p.Root + "subscribe", Text: p.S.Again}, {Href: p.Home, Text: p.S.Back}}
	s.message(w, r, http.StatusBadRequest, p)
}

// storeFailed answers a store error (disk full, closed database).
func (s *Server) storeFailed(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("subscription request failed", "err", err)
	p := s.subPage(r, "")
	p.Heading, p.Lines = p.S.Heading, []string{p.S.Unavailable}
	p.Links = []subLink{{Href: p.Home, Text: p.S.Back}}
	w.Header().Set("Retry-After", "60")
	s.message(w, r, http.StatusServiceUnavailable, p)
}

// tokenOf returns the request's token (query or form), "" when absent or
// too long to be one.
func tokenOf(r *http.Request) string {
	t := r.URL.Query().Get("token")
	if t == "" && r.Method == http.MethodPost {
		t = r.PostFormValue("token")
	}
	if len(t) > maxTokenLen {
		return ""
	}
	return t
}

// lookup returns the subscriber of the request's token for purpose, or
// answers the bad-link page (or the store error) and returns false.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request, purpose string) (store.Subscriber, bool) {
	sub, err := s.subs.Store.SubscriberByToken(tokenOf(r), purpose)
	switch {
	case errors.Is(err, store.ErrBadToken):
		s.badLink(w, r)
		return sub, false
	case err != nil:
		s.storeFailed(w, r, err)
		return sub, false
	}
	return sub, true
}
