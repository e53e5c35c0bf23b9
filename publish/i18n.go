package publish

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// locale holds every user-visible string of the status page, feeds and
// badges in one language. The tables below are read-only.
type locale struct {
	code   string
	months [12]string // full month names, for history headings
	short  [12]string // abbreviated month names, for dates
	// dateFmt, dayFmt (a date without the year) and dateTimeFmt use {d}
	// day, {m} short month, {M} full month, {y} year, {t} HH:MM, {z} zone
	// abbreviation.
	dateFmt, dayFmt, dateTimeFmt, monthFmt string
	decimal                                string // decimal separator
	percent                                string // after the number: "%" in English, " %" in German and Swedish
	text                                   map[string]string
}

// Code is the language code for <html lang>.
func (l *locale) Code() string { return l.code }

// T returns the string for key; a missing key shows the key itself (a
// test checks that every language has every key).
func (l *locale) T(key string) string {
	if s, ok := l.text[key]; ok {
		return s
	}
	return key
}

// updateStatus names an incident status; an unknown one shows as is.
func (l *locale) updateStatus(status string) string {
	if s, ok := l.text["update."+status]; ok {
		return s
	}
	return status
}

// Tf formats the string for key with args.
func (l *locale) Tf(key string, args ...any) string { return fmt.Sprintf(l.T(key), args...) }

// format expands pattern's placeholders; it runs for every day bar, so
// it avoids building a strings.Replacer.
func (l *locale) format(pattern string, t time.Time) string {
	var sb strings.Builder
	sb.Grow(len(pattern) + 16)
	for i := 0; i < len(pattern); i++ {
		if pattern[i] != '{' || i+2 >= len(pattern) || pattern[i+2] != '}' {
			sb.WriteByte(pattern[i])
			continue
		}
		switch pattern[i+1] {
		case 'd':
			sb.WriteString(strconv.Itoa(t.Day()))
		case 'm':
			sb.WriteString(l.short[t.Month()-1])
		case 'M':
			sb.WriteString(l.months[t.Month()-1])
		case 'y':
			sb.WriteString(strconv.Itoa(t.Year()))
		case 't':
			sb.WriteString(t.Format("15:04"))
		case 'z':
			zone, _ := t.Zone()
			sb.WriteString(zone)
		default:
			sb.WriteString(pattern[i : i+3])
		}
		i += 2
	}
	return sb.String()
}

// Date formats a calendar day.
func (l *locale) Date(t time.Time) string { return l.format(l.dateFmt, t) }

// DayMonth formats a calendar day, without the year when it is now's.
func (l *locale) DayMonth(t, now time.Time) string {
	if t.Year() != now.Year() {
		return l.Date(t)
	}
	return l.format(l.dayFmt, t)
}

// DateTime formats a moment with the zone abbreviation; t must already be
// in the page time zone.
func (l *locale) DateTime(t time.Time) string { return l.format(l.dateTimeFmt, t) }

// Month formats a month heading.
func (l *locale) Month(t time.Time) string { return l.format(l.monthFmt, t) }

// Percent formats a ratio as a percentage with two decimals, never
// rounding up to 100 % when something was lost, written as the language
// writes it: 99.87% in English, 99,87 % in German and Swedish.
func (l *locale) Percent(r float64) string {
	p := math.Floor(r*10000) / 100
	s := strconv.FormatFloat(p, 'f', 2, 64)
	if p == 100 {
		s = "100"
	}
	return strings.Replace(s, ".", l.decimal, 1) + l.percent
}

// Duration formats a number of seconds briefly: "2 h 5 min", "45 s".
func (l *locale) Duration(sec float64) string {
	d := time.Duration(math.Round(sec)) * time.Second
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0 && m > 0:
		return fmt.Sprintf("%d %s %d %s", h, l.T("unit.h"), m, l.T("unit.min"))
	case h > 0:
		return fmt.Sprintf("%d %s", h, l.T("unit.h"))
	case m > 0:
		return fmt.Sprintf("%d %s", m, l.T("unit.min"))
	}
	return fmt.Sprintf("%d %s", s, l.T("unit.s"))
}

// localeFor returns the page language's table, English by default.
func localeFor(lang string) *locale {
	switch lang {
	case "de":
		return &localeDE
	case "sv":
		return &localeSV
	}
	return &localeEN
}

var localeEN = locale{
	code:        "en",
	months:      [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	short:       [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
	dateFmt:     "{m} {d}, {y}",
	dayFmt:      "{m} {d}",
	dateTimeFmt: "{m} {d}, {y}, {t} {z}",
	monthFmt:    "{M} {y}",
	decimal:     ".",
	percent:     "%",
	text: map[string]string{
		"skip":                        "Skip to content",
		"banner.none":                 "All systems operational",
		"banner.minor":                "Some systems are experiencing problems",
		"banner.major":                "Partial system outage",
		"banner.critical":             "Major system outage",
		"banner.maintenance":          "Scheduled maintenance in progress",
		"banner.blind":                "Monitoring data is delayed",
		"blind.note":                  "Our external monitor cannot currently confirm the state of our services, so the systems below show no data until it can see them again.",
		"banner.nodata":               "Monitoring data is not yet available",
		"banner.nodata.note":          "Our external monitor has not received results for our services yet. Their status will show here as soon as it does.",
		"banner.somenodata":           "Some systems have no monitoring data yet",
		"banner.somenodata.note":      "No problems detected on the other systems.",
		"systems":                     "Systems",
		"status.operational":          "Operational",
		"status.degraded_performance": "Degraded performance",
		"status.partial_outage":       "Partial outage",
		"status.major_outage":         "Major outage",
		"status.under_maintenance":    "Under maintenance",
		"status.nodata":               "No data",
		"update.investigating":        "Investigating",
		"update.identified":           "Identified",
		"update.monitoring":           "Monitoring",
		"update.resolved":             "Resolved",
		"impact.none":                 "No impact",
		"impact.minor":                "Minor impact",
		"impact.major":                "Major impact",
		"impact.critical":             "Critical impact",
		"impact.maintenance":          "Maintenance",
		"active":                      "Active incidents",
		"maintenance":                 "Scheduled maintenance",
		"maint.scheduled":             "Scheduled",
		"maint.in_progress":           "In progress",
		"maint.window":                "%s – %s",
		"past":                        "Past incidents",
		"past.none":                   "No incidents in the last 7 days.",
		"history":                     "Incident history",
		"history.link":                "View incident history",
		"history.range":               "Incidents of the last 90 days, newest first.",
		"history.none":                "No incidents in the last 90 days.",
		"affects":                     "Affects",
		"days.start":                  "90 days ago",
		"days.end":                    "Today",
		"uptime":                      "%s uptime",
		"uptime.since":                "%s uptime since %s",
		"uptime.share":                "%s uptime, %s of the time monitored",
		"bars":                        "Daily availability of %s over the last 90 days",
		"bar.nodata":                  "No data",
		"bar.availability":            "%s available",
		"bar.down":                    "Outage: %s",
		"bar.partial":                 "Partial outage: %s",
		"bar.maintenance":             "Maintenance: %s",
		"bar.unknown":                 "Not monitored: %s",
		"bar.clean":                   "No downtime",
		"updated":                     "Last updated",
		"subscribe":                   "Subscribe",
		"feed.atom":                   "Atom feed",
		"feed.rss":                    "RSS feed",
		"api":                         "JSON API",
		"feed.title":                  "%s – incident history",
		"feed.description":            "Incidents reported on %s",
		"notfound":                    "Page not found",
		"notfound.body":               "This page does not exist, or it is not public.",
		"back":                        "Back to the status page",
		"started.label":               "Started",
		"resolved.label":              "Resolved",
		"days.start30":                "30 days ago",
		"resolved":                    "Resolved %s",
		"updates":                     "Updates",
		"unit.h":                      "h",
		"unit.min":                    "min",
		"unit.s":                      "s",
		"powered":                     "Powered by outpost",
		"nav":                         "Main",
		"badge.na":                    "n/a",
		"badge.since":                 "%s (since %s)",
		"badge.share":                 "%s (%s, %s monitored)",
		"badge.unknown":               "unknown component",
	},
}

var localeDE = locale{
	code:        "de",
	months:      [12]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
	short:       [12]string{"Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez."},
	dateFmt:     "{d}. {m} {y}",
	dayFmt:      "{d}. {m}",
	dateTimeFmt: "{d}. {m} {y}, {t} {z}",
	monthFmt:    "{M} {y}",
	decimal:     ",",
	percent:     " %",
	text: map[string]string{
		"skip":                        "Zum Inhalt springen",
		"banner.none":                 "Alle Systeme betriebsbereit",
		"banner.minor":                "Bei einigen Systemen gibt es Probleme",
		"banner.major":                "Teilweiser Systemausfall",
		"banner.critical":             "Schwerer Systemausfall",
		"banner.maintenance":          "Geplante Wartung läuft",
		"banner.blind":                "Überwachungsdaten sind verzögert",
		"blind.note":                  "Unsere externe Überwachung kann den Zustand unserer Dienste derzeit nicht bestätigen. Bis sie die Dienste wieder erreicht, zeigen die Systeme unten keine Daten.",
		"banner.nodata":               "Überwachungsdaten liegen noch nicht vor",
		"banner.nodata.note":          "Unsere externe Überwachung hat noch keine Ergebnisse zu unseren Diensten. Ihr Zustand erscheint hier, sobald sie vorliegen.",
		"banner.somenodata":           "Für einige Systeme liegen noch keine Überwachungsdaten vor",
		"banner.somenodata.note":      "Bei den übrigen Systemen sind keine Probleme erkennbar.",
		"systems":                     "Systeme",
		"status.operational":          "Betriebsbereit",
		"status.degraded_performance": "Eingeschränkte Leistung",
		"status.partial_outage":       "Teilweiser Ausfall",
		"status.major_outage":         "Schwerer Ausfall",
		"status.under_maintenance":    "In Wartung",
		"status.nodata":               "Keine Daten",
		"update.investigating":        "Wird untersucht",
		"update.identified":           "Ursache gefunden",
		"update.monitoring":           "Wird beobachtet",
		"update.resolved":             "Behoben",
		"impact.none":                 "Keine Auswirkung",
		"impact.minor":                "Geringe Auswirkung",
		"impact.major":                "Starke Auswirkung",
		"impact.critical":             "Kritische Auswirkung",
		"impact.maintenance":          "Wartung",
		"active":                      "Aktuelle Störungen",
		"maintenance":                 "Geplante Wartungen",
		"maint.scheduled":             "Geplant",
		"maint.in_progress":           "Läuft",
		"maint.window":                "%s – %s",
		"past":                        "Vergangene Störungen",
		"past.none":                   "Keine Störungen in den letzten 7 Tagen.",
		"history":                     "Störungsverlauf",
		"history.link":                "Störungsverlauf ansehen",
		"history.range":               "Störungen der letzten 90 Tage, neueste zuerst.",
		"history.none":                "Keine Störungen in den letzten 90 Tagen.",
		"affects":                     "Betrifft",
		"days.start":                  "vor 90 Tagen",
		"days.end":                    "Heute",
		"uptime":                      "%s Verfügbarkeit",
		"uptime.since":                "%s Verfügbarkeit seit %s",
		"uptime.share":                "%s Verfügbarkeit, %s der Zeit überwacht",
		"bars":                        "Tägliche Verfügbarkeit von %s in den letzten 90 Tagen",
		"bar.nodata":                  "Keine Daten",
		"bar.availability":            "%s verfügbar",
		"bar.down":                    "Ausfall: %s",
		"bar.partial":                 "Teilausfall: %s",
		"bar.maintenance":             "Wartung: %s",
		"bar.unknown":                 "Nicht überwacht: %s",
		"bar.clean":                   "Keine Ausfälle",
		"updated":                     "Zuletzt aktualisiert",
		"subscribe":                   "Abonnieren",
		"feed.atom":                   "Atom-Feed",
		"feed.rss":                    "RSS-Feed",
		"api":                         "JSON-API",
		"feed.title":                  "%s – Störungsverlauf",
		"feed.description":            "Gemeldete Störungen auf %s",
		"notfound":                    "Seite nicht gefunden",
		"notfound.body":               "Diese Seite gibt es nicht, oder sie ist nicht öffentlich.",
		"back":                        "Zurück zur Statusseite",
		"started.label":               "Begonnen",
		"resolved.label":              "Behoben",
		"days.start30":                "vor 30 Tagen",
		"resolved":                    "Behoben %s",
		"updates":                     "Meldungen",
		"unit.h":                      "Std.",
		"unit.min":                    "Min.",
		"unit.s":                      "Sek.",
		"powered":                     "Betrieben mit outpost",
		"nav":                         "Hauptnavigation",
		"badge.na":                    "k. A.",
		"badge.since":                 "%s (seit %s)",
		"badge.share":                 "%s (%s, %s überwacht)",
		"badge.unknown":               "unbekannte Komponente",
	},
}

var localeSV = locale{
	code:        "sv",
	months:      [12]string{"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"},
	short:       [12]string{"jan.", "feb.", "mars", "apr.", "maj", "juni", "juli", "aug.", "sep.", "okt.", "nov.", "dec."},
	dateFmt:     "{d} {m} {y}",
	dayFmt:      "{d} {m}",
	dateTimeFmt: "{d} {m} {y} {t} {z}",
	monthFmt:    "{M} {y}",
	decimal:     ",",
	percent:     " %",
	text: map[string]string{
		"skip":                        "Hoppa till innehållet",
		"banner.none":                 "Alla system fungerar",
		"banner.minor":                "Vissa system har problem",
		"banner.major":                "Delvis systemavbrott",
		"banner.critical":             "Större systemavbrott",
		"banner.maintenance":          "Planerat underhåll pågår",
		"banner.blind":                "Övervakningsdata är försenade",
		"blind.note":                  "Vår externa övervakning kan just nu inte bekräfta hur våra tjänster mår, så systemen nedan visar inga data tills den ser tjänsterna igen.",
		"banner.nodata":               "Övervakningsdata saknas ännu",
		"banner.nodata.note":          "Vår externa övervakning har ännu inga resultat för våra tjänster. Deras status visas här så snart den har det.",
		"banner.somenodata":           "Vissa system saknar ännu övervakningsdata",
		"banner.somenodata.note":      "Inga problem har upptäckts i övriga system.",
		"systems":                     "System",
		"status.operational":          "I drift",
		"status.degraded_performance": "Försämrad prestanda",
		"status.partial_outage":       "Delvis avbrott",
		"status.major_outage":         "Större avbrott",
		"status.under_maintenance":    "Underhåll pågår",
		"status.nodata":               "Inga data",
		"update.investigating":        "Undersöks",
		"update.identified":           "Orsak hittad",
		"update.monitoring":           "Bevakas",
		"update.resolved":             "Löst",
		"impact.none":                 "Ingen påverkan",
		"impact.minor":                "Liten påverkan",
		"impact.major":                "Stor påverkan",
		"impact.critical":             "Kritisk påverkan",
		"impact.maintenance":          "Underhåll",
		"active":                      "Pågående störningar",
		"maintenance":                 "Planerat underhåll",
		"maint.scheduled":             "Planerat",
		"maint.in_progress":           "Pågår",
		"maint.window":                "%s – %s",
		"past":                        "Tidigare störningar",
		"past.none":                   "Inga störningar de senaste 7 dagarna.",
		"history":                     "Störningshistorik",
		"history.link":                "Visa störningshistorik",
		"history.range":               "Störningar de senaste 90 dagarna, nyaste först.",
		"history.none":                "Inga störningar de senaste 90 dagarna.",
		"affects":                     "Påverkar",
		"days.start":                  "för 90 dagar sedan",
		"days.end":                    "Idag",
		"uptime":                      "%s tillgänglighet",
		"uptime.since":                "%s tillgänglighet sedan %s",
		"uptime.share":                "%s tillgänglighet, %s av tiden övervakad",
		"bars":                        "Daglig tillgänglighet för %s de senaste 90 dagarna",
		"bar.nodata":                  "Inga data",
		"bar.availability":            "%s tillgänglig",
		"bar.down":                    "Avbrott: %s",
		"bar.partial":                 "Delvis avbrott: %s",
		"bar.maintenance":             "Underhåll: %s",
		"bar.unknown":                 "Ej övervakat: %s",
		"bar.clean":                   "Inga avbrott",
		"updated":                     "Senast uppdaterad",
		"subscribe":                   "Prenumerera",
		"feed.atom":                   "Atom-flöde",
		"feed.rss":                    "RSS-flöde",
		"api":                         "JSON-API",
		"feed.title":                  "%s – störningshistorik",
		"feed.description":            "Rapporterade störningar på %s",
		"notfound":                    "Sidan hittades inte",
		"notfound.body":               "Sidan finns inte, eller så är den inte offentlig.",
		"back":                        "Tillbaka till statussidan",
		"started.label":               "Började",
		"resolved.label":              "Löst",
		"days.start30":                "för 30 dagar sedan",
		"resolved":                    "Löst %s",
		"updates":                     "Uppdateringar",
		"unit.h":                      "tim",
		"unit.min":                    "min",
		"unit.s":                      "s",
		"powered":                     "Drivs med outpost",
		"nav":                         "Huvudmeny",
		"badge.na":                    "saknas",
		"badge.since":                 "%s (sedan %s)",
		"badge.share":                 "%s (%s, %s övervakat)",
		"badge.unknown":               "okänd komponent",
	},
}
