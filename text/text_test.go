package text

import (
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fields calls fn with the path and value of every string in v, which
// may hold only strings, arrays and structs: a copy of a Table then
// shares nothing with the original.
func fields(t *testing.T, path string, v reflect.Value, fn func(path, s string)) {
	switch v.Kind() {
	case reflect.String:
		fn(path, v.String())
	case reflect.Array:
		for i := range v.Len() {
			fields(t, path+"["+strconv.Itoa(i)+"]", v.Index(i), fn)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			fields(t, strings.TrimPrefix(path+"."+v.Type().Field(i).Name, "."), v.Field(i), fn)
		}
	default:
		t.Errorf("%s is a %s: a Table holds only strings, arrays and structs", path, v.Kind())
	}
}

func strs(t *testing.T, tb *Table) map[string]string {
	out := map[string]string{}
	fields(t, "", reflect.ValueOf(*tb), func(path, s string) { out[path] = s })
	return out
}

var verb = regexp.MustCompile(`%[-+# 0]*[0-9]*(\.[0-9]+)?[a-zA-Z%]`)

func TestEveryTableHasEveryString(t *testing.T) {
	english := strs(t, &en)
	if len(english) < 100 {
		t.Fatalf("only %d strings in English: the walk misses fields", len(english))
	}
	for _, tb := range all() {
		t.Run(tb.Lang, func(t *testing.T) {
			for path, s := range strs(t, tb) {
				if strings.TrimSpace(s) == "" {
					t.Errorf("%s is empty", path)
				}
				if got, want := verb.FindAllString(s, -1), verb.FindAllString(english[path], -1); !slices.Equal(got, want) {
					t.Errorf("%s has verbs %q, English %q", path, got, want)
				}
				if strings.Contains(s, "{") && !strings.HasPrefix(path, "Dates.") {
					t.Errorf("%s has a date placeholder outside Dates: %q", path, s)
				}
			}
		})
	}
}

func TestLanguages(t *testing.T) {
	langs := Languages()
	if len(langs) == 0 || langs[0] != DefaultLanguage {
		t.Fatalf("Languages() = %q, want %s first", langs, DefaultLanguage)
	}
	for _, lang := range langs {
		if got := For(lang).Lang; got != lang {
			t.Errorf("For(%q).Lang = %q", lang, got)
		}
		if n := strings.Count(strings.Join(langs, " ")+" ", lang+" "); n != 1 {
			t.Errorf("%s listed %d times", lang, n)
		}
	}
	for _, lang := range []string{"", "xx", "EN", "de-DE"} {
		if got := For(lang).Lang; got != DefaultLanguage {
			t.Errorf("For(%q).Lang = %q, want the default", lang, got)
		}
	}
}

func TestTablesAreReadOnly(t *testing.T) {
	for _, lang := range Languages() {
		tb := For(lang)
		want := tb.IncidentStatus.Resolved
		tb.IncidentStatus.Resolved = "changed"
		tb.Dates.Months[0] = "changed"
		if got := For(lang); got.IncidentStatus.Resolved != want || got.Dates.Months[0] == "changed" {
			t.Errorf("%s: a caller changed the table", lang)
		}
	}
	langs := Languages()
	langs[0] = "changed"
	if Languages()[0] != DefaultLanguage {
		t.Error("a caller changed the language list")
	}
}

func TestLookups(t *testing.T) {
	tb := For("en")
	tests := []struct {
		name   string
		lookup func(string) (string, bool)
		key    string
		want   string
	}{
		{"investigating", tb.IncidentStatus.Lookup, "investigating", tb.IncidentStatus.Investigating},
		{"identified", tb.IncidentStatus.Lookup, "identified", tb.IncidentStatus.Identified},
		{"monitoring", tb.IncidentStatus.Lookup, "monitoring", tb.IncidentStatus.Monitoring},
		{"resolved", tb.IncidentStatus.Lookup, "resolved", tb.IncidentStatus.Resolved},
		{"operational", tb.ComponentStatus.Lookup, "operational", tb.ComponentStatus.Operational},
		{"degraded", tb.ComponentStatus.Lookup, "degraded_performance", tb.ComponentStatus.DegradedPerformance},
		{"partial", tb.ComponentStatus.Lookup, "partial_outage", tb.ComponentStatus.PartialOutage},
		{"major outage", tb.ComponentStatus.Lookup, "major_outage", tb.ComponentStatus.MajorOutage},
		{"maintenance", tb.ComponentStatus.Lookup, "under_maintenance", tb.ComponentStatus.UnderMaintenance},
		{"no impact", tb.Impact.Lookup, "none", tb.Impact.None},
		{"minor", tb.Impact.Lookup, "minor", tb.Impact.Minor},
		{"major", tb.Impact.Lookup, "major", tb.Impact.Major},
		{"critical", tb.Impact.Lookup, "critical", tb.Impact.Critical},
		{"maintenance impact", tb.Impact.Lookup, "maintenance", tb.Impact.Maintenance},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := tt.lookup(tt.key); !ok || got != tt.want {
				t.Errorf("Lookup(%q) = %q, %v, want %q", tt.key, got, ok, tt.want)
			}
		})
	}
	for _, lookup := range []func(string) (string, bool){tb.IncidentStatus.Lookup, tb.ComponentStatus.Lookup, tb.Impact.Lookup} {
		if s, ok := lookup("exploded"); ok || s != "" {
			t.Errorf("Lookup(exploded) = %q, %v", s, ok)
		}
	}
	if got := tb.IncidentStatus.Text("postmortem"); got != "postmortem" {
		t.Errorf("an unknown status reads %q, want itself", got)
	}
	if got := tb.Impact.Text("huge"); got != "huge" {
		t.Errorf("an unknown impact reads %q, want itself", got)
	}
}

func TestJoin(t *testing.T) {
	tests := []struct {
		lang  string
		names []string
		want  string
	}{
		{"en", nil, ""},
		{"en", []string{"Web"}, "Web"},
		{"en", []string{"Web", "API"}, "Web and API"},
		{"en", []string{"Web", "API", "Telephony"}, "Web, API and Telephony"},
		{"de", []string{"Web", "API", "Telefonie"}, "Web, API und Telefonie"},
		{"sv", []string{"Webb", "API"}, "Webb och API"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+" "+tt.want, func(t *testing.T) {
			if got := For(tt.lang).Join(tt.names); got != tt.want {
				t.Errorf("Join(%q) = %q, want %q", tt.names, got, tt.want)
			}
		})
	}
}

func TestFormats(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	summer := time.Date(2026, 7, 3, 7, 5, 0, 0, time.UTC).In(berlin)
	tests := []struct {
		lang, dateTime, date, dayMonth, month, pct, dur string
	}{
		{"en", "Jul 3, 2026, 09:05 CEST", "Jul 3, 2026", "Jul 3", "July 2026", "99.95%", "1 h 1 min"},
		{"de", "3. Juli 2026, 09:05 CEST", "3. Juli 2026", "3. Juli", "Juli 2026", "99,95 %", "1 Std. 1 Min."},
		{"sv", "3 juli 2026 09:05 CEST", "3 juli 2026", "3 juli", "juli 2026", "99,95 %", "1 tim 1 min"},
		{"xx", "Jul 3, 2026, 09:05 CEST", "Jul 3, 2026", "Jul 3", "July 2026", "99.95%", "1 h 1 min"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			l := For(tt.lang)
			got := []string{l.DateTime(summer), l.Date(summer), l.DayMonth(summer, summer), l.Month(summer), l.Percent(0.99959), l.Duration(3660)}
			want := []string{tt.dateTime, tt.date, tt.dayMonth, tt.month, tt.pct, tt.dur}
			if !slices.Equal(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
	en := For("en")
	for _, tt := range []struct {
		got, want string
	}{
		{en.Percent(0.99999), "99.99%"}, {en.Percent(1), "100%"},
		{en.DayMonth(summer, summer.AddDate(1, 0, 0)), "Jul 3, 2026"},
		{en.Duration(7200), "2 h"}, {en.Duration(120), "2 min"}, {en.Duration(45), "45 s"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
