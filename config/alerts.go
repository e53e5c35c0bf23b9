package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Alerts configures the Alertmanager (and Grafana) webhook receiver at
// POST /api/alerts/alertmanager. Without routes the receiver is off.
type Alerts struct {
	// TokenFile or TokenEnv holds the bearer token Alertmanager sends
	// (http_config.authorization.credentials_file on its side).
	TokenFile string `yaml:"token_file"`
	TokenEnv  string `yaml:"token_env"`
	// TTL is how long a firing alert counts without being sent again;
	// after it the signal is unknown. Alertmanager's repeat_interval
	// must be shorter.
	TTL    Duration     `yaml:"ttl"`
	Routes []AlertRoute `yaml:"routes"`

	// Token is the bearer token, read at load time.
	Token Secret `yaml:"-"`
}

// AlertRoute maps alerts whose labels match to a component and an
// impact. Routes are tried in order; the first that matches wins.
type AlertRoute struct {
	Match     map[string]string `yaml:"match"`    // label: exact value
	MatchRE   map[string]string `yaml:"match_re"` // label: regular expression, anchored
	Component string            `yaml:"component"`
	Impact    string            `yaml:"impact"` // partial (default) or major

	// Regexps are MatchRE compiled, anchored at both ends as Prometheus
	// and Alertmanager anchor label matchers.
	Regexps map[string]*regexp.Regexp `yaml:"-"`
}

// Alert route impacts.
const (
	AlertImpactPartial = "partial"
	AlertImpactMajor   = "major"
)

// DefaultAlertTTL is alerts.ttl's default: longer than Alertmanager's
// usual repeat_interval of a few minutes when set for outpost, short
// enough that a silent Alertmanager is noticed within the quarter hour.
const DefaultAlertTTL = 15 * time.Minute

// minAlertTokenLen is the shortest bearer token accepted, as for the
// admin token.
const minAlertTokenLen = 16

// Matches reports whether labels satisfy every matcher of the route.
func (r AlertRoute) Matches(labels map[string]string) bool {
	for name, want := range r.Match {
		if labels[name] != want {
			return false
		}
	}
	for name, re := range r.Regexps {
		if !re.MatchString(labels[name]) {
			return false
		}
	}
	return true
}

// alertDefaults fills in alerts.ttl and each route's impact.
func (v *validator) alertDefaults() {
	a := &v.cfg.Alerts
	if !v.has("alerts.ttl") {
		a.TTL = Duration(DefaultAlertTTL)
	}
	for i := range a.Routes {
		if !v.has(fmt.Sprintf("alerts.routes[%d].impact", i)) {
			a.Routes[i].Impact = AlertImpactPartial
		}
	}
}

// alertComponents returns the ids of the components alert routes feed:
// these may have no checks.
func (c *Config) alertComponents() map[string]bool {
	out := map[string]bool{}
	for _, r := range c.Alerts.Routes {
		out[r.Component] = true
	}
	return out
}

// validateAlerts checks the receiver's token and routes.
func (v *validator) validateAlerts() {
	a := &v.cfg.Alerts
	if v.has("alerts.ttl") {
		v.positive("alerts.ttl", a.TTL)
	}
	v.alertToken(a)
	known := map[string]bool{}
	for _, comp := range v.cfg.Components {
		known[comp.ID] = true
	}
	for i := range a.Routes {
		r := &a.Routes[i]
		p := fmt.Sprintf("alerts.routes[%d]", i)
		if len(r.Match) == 0 && len(r.MatchRE) == 0 {
			v.errorf(p, "a route needs match or match_re (e.g. match: {service: telephony}); a route matching every alert would hide the others")
		}
		if r.Component == "" {
			v.errorf(p+".component", "name the id of the component these alerts affect")
		} else if !known[r.Component] {
			v.errorf(p+".component", "no component with id %q", r.Component)
		}
		v.oneOf(p+".impact", r.Impact, AlertImpactPartial, AlertImpactMajor)
		r.Regexps = map[string]*regexp.Regexp{}
		names := make([]string, 0, len(r.MatchRE))
		for name := range r.MatchRE {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			if _, err := regexp.Compile(r.MatchRE[name]); err != nil {
				v.errorf(p+".match_re."+name, "invalid regular expression %q: %v", r.MatchRE[name], err)
				continue
			}
			re, err := regexp.Compile("^(?:" + r.MatchRE[name] + ")$")
			if err != nil { // "a|b)(c": fine alone, not inside the group
				v.errorf(p+".match_re."+name, "invalid regular expression %q: %v", r.MatchRE[name], err)
				continue
			}
			r.Regexps[name] = re
		}
	}
}

// alertToken reads the receiver's bearer token; routes without one are
// an error, since the receiver would accept anybody's alerts.
func (v *validator) alertToken(a *Alerts) {
	if a.TokenFile == "" && a.TokenEnv == "" {
		if len(a.Routes) > 0 {
			v.errorf("alerts", "alerts.routes needs token_file or token_env with the bearer token Alertmanager sends")
		}
		return
	}
	if a.TokenFile != "" && a.TokenEnv != "" {
		v.errorf("alerts.token_env", "set either token_file or token_env, not both")
		return
	}
	tok, err := v.readSecret(SecretSource{Env: a.TokenEnv, File: a.TokenFile})
	path := sourcePath("alerts.token", a.TokenEnv)
	switch {
	case err != nil:
		v.errorf(path, "%v", err)
	case len(tok) < minAlertTokenLen:
		v.errorf(path, "the token holds fewer than %d characters; use a long random token (openssl rand -hex 32)", minAlertTokenLen)
	case strings.ContainsAny(tok, " \t\r\n"):
		v.errorf(path, "the token contains white space; use one line of letters and digits (openssl rand -hex 32)")
	default:
		a.Token = Secret(tok)
	}
}
