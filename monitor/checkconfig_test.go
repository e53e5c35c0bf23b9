package monitor

import (
	"context"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/probe"
)

// fullCheck sets every field of a check, so that each can be changed.
func fullCheck() config.Check {
	return config.Check{
		ID: "home", Name: "Home", Target: "https://www.example.com/", Component: "web",
		Interval: config.Duration(30 * time.Second), Timeout: config.Duration(10 * time.Second),
		RetryInterval: config.Duration(5 * time.Second), FailAfter: 3, RecoverAfter: 2,
		DegradedLatency: config.Duration(2 * time.Second), CertMinDays: 14,
		Method: "GET", Headers: map[string]string{"Accept": "text/html"},
		SecretHeaders: map[string]config.SecretSource{"Authorization": {Env: "TOKEN", Value: "s3cret"}},
		Body:          "ping", MaxRedirects: 10, InsecureSkipVerify: false, ServerName: "www.example.com", Send: "HELO",
		Expect: config.Expect{Status: config.StatusRanges{{Min: 200, Max: 299}}, BodyContains: "Welcome",
			BodyRegex: config.Regexp{Regexp: regexp.MustCompile("ok")}, Rcodes: config.Rcodes{0}, MinAnswers: 1,
			Answer: config.Regexp{Regexp: regexp.MustCompile("1.2.3.4")}},
	}
}

// leafFields lists the index paths of every setting of a check: struct
// fields are followed, anything else (a regular expression included) is
// one setting.
func leafFields(t reflect.Type, prefix []int) [][]int {
	var out [][]int
	for i := range t.NumField() {
		f := t.Field(i)
		path := append(append([]int(nil), prefix...), i)
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[config.Regexp]() {
			out = append(out, leafFields(f.Type, path)...)
			continue
		}
		out = append(out, path)
	}
	return out
}

// change gives the setting v another value.
func change(t *testing.T, name string, v reflect.Value) {
	t.Helper()
	if v.Type() == reflect.TypeFor[config.Regexp]() {
		v.Set(reflect.ValueOf(config.Regexp{Regexp: regexp.MustCompile("changed")}))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Int, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Slice:
		v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
	case reflect.Map:
		v.SetMapIndex(reflect.ValueOf("X-Added"), reflect.Zero(v.Type().Elem()))
	default:
		t.Fatalf("%s: no way to change a %s; teach the test", name, v.Kind())
	}
}

// TestChangingAnyCheckSettingRestartsTheCheck changes each setting of a
// check in turn (found by reflection, so a setting added to config.Check
// later is covered too) and reloads: the check starts over as unknown,
// while a reload without a change keeps its state.
func TestChangingAnyCheckSettingRestartsTheCheck(t *testing.T) {
	base := fingerprint(fullCheck())
	if again := fingerprint(fullCheck()); again != base {
		t.Fatalf("the same settings give two fingerprints: %s, %s", base, again)
	}
	paths := leafFields(reflect.TypeFor[config.Check](), nil)
	if len(paths) < 20 {
		t.Fatalf("found only %d settings", len(paths))
	}
	cases := map[string]func(*config.Check){
		"secret header value": func(c *config.Check) {
			c.SecretHeaders = map[string]config.SecretSource{"Authorization": {Env: "TOKEN", Value: "rotated"}}
		},
	}
	for _, p := range paths {
		name := reflect.TypeFor[config.Check]().FieldByIndex(p).Name
		if keepsState[name] {
			continue
		}
		cases[strings.Join(append(fieldNames(p), name), ".")] = func(c *config.Check) {
			change(t, name, reflect.ValueOf(c).Elem().FieldByIndex(p))
		}
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			c := fullCheck()
			edit(&c)
			fp := fingerprint(c)
			if fp == base {
				t.Fatalf("changing %s leaves the fingerprint as it was", name)
			}
			if !restartsOnReload(fullCheck(), c) {
				t.Errorf("a reload after changing %s kept the check's state", name)
			}
		})
	}
	if restartsOnReload(fullCheck(), fullCheck()) {
		t.Error("a reload without a change lost the check's state")
	}
}

// keepsState lists the settings whose change is no new check: a push
// check's token (rotated on a reload) and where it is read from.
var keepsState = map[string]bool{"Token": true, "TokenFile": true, "TokenEnv": true}

// TestNewPushTokenKeepsTheCheck: rotating a push check's token, or moving
// it to another file or variable, keeps the check's state.
func TestNewPushTokenKeepsTheCheck(t *testing.T) {
	before := fullCheck()
	before.Token, before.TokenFile = "0123456789abcdef", "/etc/outpost/a.token"
	after := before
	after.Token, after.TokenFile, after.TokenEnv = "fedcba9876543210", "", "PUSH_TOKEN"
	if restartsOnReload(before, after) {
		t.Error("a new token restarted the check")
	}
}

func fieldNames(path []int) []string {
	var names []string
	t := reflect.TypeFor[config.Check]()
	for _, i := range path[:len(path)-1] {
		f := t.Field(i)
		names = append(names, f.Name)
		t = f.Type
	}
	return names
}

// restartsOnReload runs a monitor with before, marks the check up,
// reloads with after, and reports whether the check started over.
func restartsOnReload(before, after config.Check) bool {
	spec := func(c config.Check) Spec {
		return Spec{Checks: []Check{{Key: c.Key(), ID: c.ID, Name: c.Name, Component: "web", Interval: time.Minute,
			Timeout: time.Second, Thresholds: Thresholds{FailAfter: 1, RecoverAfter: 1}, Fingerprint: fingerprint(c)}},
			Components: []Component{{ID: "web", Name: "Web", Checks: []string{c.Key()}}}}
	}
	noop := probe.ProberFunc(func(context.Context, probe.Target) probe.Result { return probe.Result{Outcome: probe.Up} })
	m := New(spec(before), Options{Prober: noop})
	m.mu.Lock()
	m.entries[before.Key()].state = CheckState{State: StateUp, Since: time.Now()}
	m.mu.Unlock()
	m.Reload(spec(after))
	return m.Snapshot()[0].State == StateUnknown
}
