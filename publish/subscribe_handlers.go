package publish

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/outpost-status/outpost/store"
	"github.com/outpost-status/outpost/text"
)

// handleSubscribeForm shows the sign-up form.
func (s *Server) handleSubscribeForm(w http.ResponseWriter, r *http.Request) {
	p := s.subPage(r, "")
	p.DocTitle = p.S.Heading + " – " + p.Title
	p.Components = s.components(nil)
	s.render(w, http.StatusOK, "subscribe", p, 16<<10)
}

// handleSubscribe takes a sign-up: it checks the form, counts it against
// the client's limit, stores it with its confirmation mail and answers
// "check your inbox", the same for every address (see subscribe.go).
func (s *Server) handleSubscribe(w http.ResponseWriter, r *http.Request) {
	p := s.subPage(r, "")
	p.DocTitle = p.S.Heading + " – " + p.Title
	p.Components = s.components(nil)
	fail := func(status int, msg string) {
		p.Error = msg
		s.render(w, status, "subscribe", p, 16<<10)
	}
	if foreignOrigin(r, s.opts.Page.URL) {
		fail(http.StatusForbidden, p.S.BadOrigin)
		return
	}
	if status, ok := parseForm(r); !ok {
		fail(status, formError(status, p.S))
		return
	}
	raw := r.PostForm.Get("email")
	if len(raw) <= maxEmailLen && !strings.ContainsFunc(raw, unicode.IsControl) {
		p.Email = raw // shown again to be corrected; a long or broken one is not
	}
	p.Agreed = r.PostForm.Get("consent") == "yes"
	chosen, all := formComponents(r)
	p.All, p.Components = all, s.components(chosen)
	email, err := store.NormaliseEmail(raw)
	switch {
	case errors.Is(err, store.ErrEmailTooLong):
		fail(http.StatusBadRequest, fmt.Sprintf(p.S.EmailTooLong, maxEmailLen))
		return
	case err != nil:
		fail(http.StatusBadRequest, p.S.EmailInvalid)
		return
	case !p.Agreed:
		fail(http.StatusBadRequest, p.S.NeedConsent)
		return
	}
	if msg := s.checkComponents(chosen, all); msg != "" {
		fail(http.StatusBadRequest, msg)
		return
	}
	if all {
		chosen = nil
	}
	now := s.opts.Now()
	client := clientAddr(r)
	if !s.subs.limit.allow(clientNet(client), now) {
		w.Header().Set("Retry-After", "3600")
		fail(http.StatusTooManyRequests, fmt.Sprintf(p.S.TooMany, s.subs.PerClientPerHour))
		return
	}
	_, _, err = s.subs.Store.AddSubscriber(store.SignUp{
		Email: email, Components: chosen, ResendAfter: s.subs.ResendAfter,
		Consent: store.Consent{Time: now, ClientAddr: client.String(), Text: s.subs.ConsentText},
	}, s.subs.Mail)
	if err != nil {
		s.storeFailed(w, r, err)
		return
	}
	p.Heading = p.S.CheckInbox
	p.DocTitle = p.S.CheckInbox + " – " + p.Title
	p.Lines = []string{fmt.Sprintf(p.S.CheckBody, email, p.L.Duration(s.subs.ConfirmTTL.Seconds()))}
	p.Links = []subLink{{Href: p.Home, Text: p.S.Back}}
	s.message(w, r, http.StatusOK, p)
}

// handleConfirm follows a confirmation link: once, within confirm_ttl.
func (s *Server) handleConfirm(w http.ResponseWriter, r *http.Request) {
	sub, err := s.subs.Store.ConfirmSubscriber(tokenOf(r), s.opts.Now(), s.subs.ConfirmTTL)
	switch {
	case errors.Is(err, store.ErrBadToken) || errors.Is(err, store.ErrTokenExpired):
		s.badLink(w, r)
		return
	case err != nil:
		s.storeFailed(w, r, err)
		return
	}
	p := s.subPage(r, "")
	p.Heading = p.S.Confirmed
	p.DocTitle = p.S.Confirmed + " – " + p.Title
	p.Lines = []string{fmt.Sprintf(p.S.Following, s.names(p.L, sub.Components))}
	if tok, err := s.subs.Store.SubscriberToken(sub.ID, store.PurposeManage); err == nil {
		p.Links = append(p.Links, subLink{Href: p.Root + "subscribe/manage?token=" + url.QueryEscape(tok), Text: p.S.Manage})
	}
	p.Links = append(p.Links, subLink{Href: p.Home, Text: p.S.Back})
	s.message(w, r, http.StatusOK, p)
}

// handleManage shows a subscriber's components.
func (s *Server) handleManage(w http.ResponseWriter, r *http.Request) {
	sub, ok := s.lookup(w, r, store.PurposeManage)
	if !ok {
		return
	}
	s.renderManage(w, r, http.StatusOK, sub, "", "")
}

func (s *Server) renderManage(w http.ResponseWriter, r *http.Request, status int, sub store.Subscriber, errMsg, done string) {
	p := s.subPage(r, "")
	p.DocTitle = p.S.Manage + " – " + p.Title
	p.Email, p.Token, p.Error = sub.Email, tokenOf(r), errMsg
	p.All, p.Components = len(sub.Components) == 0, s.components(sub.Components)
	if tok, err := s.subs.Store.SubscriberToken(sub.ID, store.PurposeUnsubscribe); err == nil {
		p.UnsubToken = tok
	}
	if done != "" {
		p.Lines = []string{done}
	}
	s.render(w, status, "sub-manage", p, 16<<10)
}

// handleManagePost changes a subscriber's components. The token in the
// form is what authorises it; a foreign Origin is refused all the same.
func (s *Server) handleManagePost(w http.ResponseWriter, r *http.Request) {
	status, ok := parseForm(r)
	if !ok {
		s.badRequest(w, r, status, formError(status, &localeFor(s.opts.Page.Language).Subscribe))
		return
	}
	sub, ok := s.lookup(w, r, store.PurposeManage)
	if !ok {
		return
	}
	l := localeFor(s.opts.Page.Language)
	if foreignOrigin(r, s.opts.Page.URL) {
		s.renderManage(w, r, http.StatusForbidden, sub, l.Subscribe.BadOrigin, "")
		return
	}
	chosen, all := formComponents(r)
	if msg := s.checkComponents(chosen, all); msg != "" {
		sub.Components = chosen
		s.renderManage(w, r, http.StatusBadRequest, sub, msg, "")
		return
	}
	if all {
		chosen = nil
	}
	sub, err := s.subs.Store.SetSubscriberComponents(sub.ID, chosen)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.badLink(w, r) // unsubscribed meanwhile
		return
	case err != nil:
		s.storeFailed(w, r, err)
		return
	}
	s.renderManage(w, r, http.StatusOK, sub, "", fmt.Sprintf(l.Subscribe.Saved, s.names(l, sub.Components)))
}

// handleUnsubscribeForm shows the unsubscribe button and nothing else:
// mail scanners follow links, so a GET must not unsubscribe.
func (s *Server) handleUnsubscribeForm(w http.ResponseWriter, r *http.Request) {
	sub, ok := s.lookup(w, r, store.PurposeUnsubscribe)
	if !ok {
		return
	}
	p := s.subPage(r, "")
	p.DocTitle = p.S.Unsubscribe + " – " + p.Title
	p.Email, p.Token = sub.Email, tokenOf(r)
	s.render(w, http.StatusOK, "sub-unsubscribe", p, 8<<10)
}

// handleUnsubscribe unsubscribes at once: the button of the GET page, or
// RFC 8058's one-click POST (body List-Unsubscribe=One-Click, token in the
// URL of List-Unsubscribe). Mail providers send that POST from their own
// servers, so no Origin is asked for; the token is the authority. The
// subscriber is deleted with nothing kept but an audit entry of its id.
func (s *Server) handleUnsubscribe(w http.ResponseWriter, r *http.Request) {
	if status, ok := parseForm(r); !ok {
		s.badRequest(w, r, status, formError(status, &localeFor(s.opts.Page.Language).Subscribe))
		return
	}
	sub, ok := s.lookup(w, r, store.PurposeUnsubscribe)
	if !ok {
		return
	}
	audit := store.AuditEntry{At: s.opts.Now(), Actor: "subscriber", Action: "unsubscribe",
		Detail: "subscriber " + strconv.FormatUint(sub.ID, 10)}
	err := s.subs.Store.DeleteSubscriber(sub.ID, audit)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.badLink(w, r)
		return
	case err != nil:
		s.storeFailed(w, r, err)
		return
	}
	p := s.subPage(r, "")
	p.Heading = p.S.Unsubscribe
	p.DocTitle = p.S.Unsubscribe + " – " + p.Title
	p.Lines = []string{fmt.Sprintf(p.S.Unsubbed, sub.Email)}
	p.Links = []subLink{{Href: p.Root + "subscribe", Text: p.S.Again}, {Href: p.Home, Text: p.S.Back}}
	s.message(w, r, http.StatusOK, p)
}

// badRequest answers a form that could not be read.
func (s *Server) badRequest(w http.ResponseWriter, r *http.Request, status int, msg string) {
	p := s.subPage(r, "")
	p.Heading, p.Lines = p.S.Heading, []string{msg}
	p.Links = []subLink{{Href: p.Home, Text: p.S.Back}}
	s.message(w, r, status, p)
}

// parseForm reads a form body within maxSubscribeBody; on failure it
// returns the status to answer (413 for a body over the limit).
func parseForm(r *http.Request) (int, bool) {
	if err := r.ParseForm(); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return http.StatusRequestEntityTooLarge, false
		}
		return http.StatusBadRequest, false
	}
	return 0, true
}

// formError says what was wrong with a form parseForm refused: too
// large (413) or not readable as a form (400, a bad encoding).
func formError(status int, s *text.Subscribe) string {
	if status == http.StatusRequestEntityTooLarge {
		return s.TooLarge
	}
	return s.BadForm
}

// formComponents returns the ticked component ids (deduplicated) and
// whether "all components" was chosen (the default without a choice).
func formComponents(r *http.Request) (chosen []string, all bool) {
	chosen = slices.Clone(r.PostForm["component"])
	slices.Sort(chosen)
	return slices.Compact(chosen), r.PostForm.Get("scope") != "some"
}

// checkComponents returns the error of a choice: none, or an unknown id.
// With "all" the ticks are ignored.
func (s *Server) checkComponents(chosen []string, all bool) string {
	l := localeFor(s.opts.Page.Language)
	if all {
		return ""
	}
	if len(chosen) == 0 {
		return l.Subscribe.NeedOne
	}
	known := s.components(nil)
	for _, id := range chosen {
		if !slices.ContainsFunc(known, func(c subComponent) bool { return c.ID == id }) {
			if len(id) > 64 {
				id = id[:64] + "…"
			}
			return fmt.Sprintf(l.Subscribe.BadComponent, id)
		}
	}
	return ""
}

// foreignOrigin reports whether r carries an Origin other than the host
// it was sent to or page.url's origin. Without an Origin it is not
// foreign: the token (manage) or double opt-in (sign-up) is what protects
// these forms; the check only refuses what a browser says came from
// another site.
func foreignOrigin(r *http.Request, pageURL string) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return false
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return true
	}
	if strings.EqualFold(u.Host, r.Host) {
		return false
	}
	if p, err := url.Parse(pageURL); err == nil && p.Host != "" {
		return !strings.EqualFold(u.Scheme+"://"+u.Host, p.Scheme+"://"+p.Host)
	}
	return true
}
