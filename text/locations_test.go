package text

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestLocationsEveryLanguage: every language words every message of
// Locations, with the verbs of English in the same order.
func TestLocationsEveryLanguage(t *testing.T) {
	english := LocationsFor("en")
	if got := LocationsFor("xx"); got != english {
		t.Errorf("an unknown language is not English: %+v", got)
	}
	for _, lang := range Languages() {
		t.Run(lang, func(t *testing.T) {
			l := LocationsFor(lang)
			if lang != "en" && l == english {
				t.Fatalf("%s has no wording of its own", lang)
			}
			v, e := reflect.ValueOf(l), reflect.ValueOf(english)
			for i := range v.NumField() {
				name, s := v.Type().Field(i).Name, v.Field(i).String()
				if strings.TrimSpace(s) == "" {
					t.Errorf("%s is empty", name)
				}
				if got, want := verb.FindAllString(s, -1), verb.FindAllString(e.Field(i).String(), -1); !slices.Equal(got, want) {
					t.Errorf("%s has verbs %q, English %q", name, got, want)
				}
			}
		})
	}
}
