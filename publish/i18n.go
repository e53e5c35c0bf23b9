package publish

import (
	"fmt"
	"strings"

	"github.com/outpost-status/outpost/text"
)

// locale is the page language's table (package text) with the lookup by
// key that web/page.html uses: {{.L.T "history"}}. Go code reads the
// table's fields directly.
type locale struct {
	code string
	*text.Table
}

// localeFor returns the page language's table, English by default.
func localeFor(lang string) *locale {
	t := text.For(lang)
	return &locale{code: t.Lang, Table: t}
}

// Code is the language code for <html lang>.
func (l *locale) Code() string { return l.code }

// T returns the string for key; an unknown key shows the key itself (a
// test checks that every key of web/page.html is known).
func (l *locale) T(key string) string {
	if s, ok := l.lookup(key); ok {
		return s
	}
	return key
}

// Tf formats the string for key with args.
func (l *locale) Tf(key string, args ...any) string { return fmt.Sprintf(l.T(key), args...) }

// componentStatus names a component status as the page and badges show
// it, including "no data".
func (l *locale) componentStatus(status string) string {
	if status == statusNoData {
		return l.ComponentStatus.NoData
	}
	if s, ok := l.ComponentStatus.Lookup(status); ok {
		return s
	}
	return status
}

// lookup maps the template's keys to the table.
func (l *locale) lookup(key string) (string, bool) {
	if st, ok := strings.CutPrefix(key, "status."); ok {
		s := l.componentStatus(st)
		return s, s != st
	}
	if st, ok := strings.CutPrefix(key, "update."); ok {
		return l.IncidentStatus.Lookup(st)
	}
	if imp, ok := strings.CutPrefix(key, "impact."); ok {
		return l.Impact.Lookup(imp)
	}
	p, b := &l.Page, &l.Page.Banner
	switch key {
	case "banner.none":
		return b.None, true
	case "banner.minor":
		return b.Minor, true
	case "banner.major":
		return b.Major, true
	case "banner.critical":
		return b.Critical, true
	case overallMaintenance:
		return b.Maintenance, true
	case overallBlind:
		return b.Blind, true
	case "blind.note":
		return b.BlindNote, true
	case overallNoData:
		return b.NoData, true
	case overallNoData + ".note":
		return b.NoDataNote, true
	case overallSomeNoData:
		return b.SomeNoData, true
	case overallSomeNoData + ".note":
		return b.SomeNoDataNote, true
	case "skip":
		return p.Skip, true
	case "nav":
		return p.Nav, true
	case "systems":
		return p.Systems, true
	case "affects":
		return l.Affects, true
	case "active":
		return p.Active, true
	case "past":
		return p.Past, true
	case "past.none":
		return p.PastNone, true
	case "history":
		return p.History, true
	case "history.link":
		return p.HistoryLink, true
	case "history.range":
		return p.HistoryRange, true
	case "history.none":
		return p.HistoryNone, true
	case "started.label":
		return p.Started, true
	case "resolved.label":
		return l.IncidentStatus.Resolved, true
	case "resolved":
		return p.ResolvedOn, true
	case "updates":
		return p.Updates, true
	case "maintenance":
		return p.Maintenance, true
	case "days.start":
		return p.Days90Ago, true
	case "days.start30":
		return p.Days30Ago, true
	case "days.end":
		return p.Today, true
	case "updated":
		return p.Updated, true
	case "subscribe":
		return p.Subscribe, true
	case "feed.atom":
		return p.FeedAtom, true
	case "feed.rss":
		return p.FeedRSS, true
	case "api":
		return p.API, true
	case "powered":
		return p.Powered, true
	case "notfound":
		return p.NotFound, true
	case "notfound.body":
		return p.NotFoundBody, true
	case "back":
		return p.Back, true
	}
	return "", false
}
