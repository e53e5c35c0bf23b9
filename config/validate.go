package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/outpost-status/outpost/text"
)

// validator checks a decoded config and reports problems at the position
// of the offending value.
type validator struct {
	cfg  *Config
	seen map[string]Pos
	bad  map[string]bool
	errs *Errors
	opts Options
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

func (v *validator) has(path string) bool { _, ok := v.seen[path]; return ok }

// at returns the position of path, or of its nearest present parent.
func (v *validator) at(path string) Pos {
	for p := path; p != ""; {
		if pos, ok := v.seen[p]; ok {
			return pos
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return Pos{1, 1}
}

func (v *validator) errorf(path, format string, args ...any) {
	if v.bad[path] {
		return
	}
	v.errs.add(v.at(path), path, fmt.Sprintf(format, args...))
}

func (v *validator) validate() {
	c := v.cfg
	v.validatePage()
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		v.errorf("listen", "%q is not host:port (e.g. 127.0.0.1:8080 or :8080)", c.Listen)
	}
	if strings.TrimSpace(c.DataDir) == "" {
		v.errorf("data_dir", "must not be empty (e.g. /var/lib/outpost)")
	}
	v.positive("retention.results", c.Retention.Results)
	v.positive("retention.history", c.Retention.History)
	v.positive("store.flush_interval", c.Store.FlushInterval)
	for i, w := range c.Availability.Windows {
		v.positive(fmt.Sprintf("availability.windows[%d]", i), w)
	}
	if w := c.Availability.PartialWeight; w < 0 || w > 1 {
		v.errorf("availability.partial_weight", "%g is out of range (use a number from 0 to 1)", w)
	}
	v.oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	v.oneOf("log.format", c.Log.Format, "text", "json")
	v.validateDefaults()
	for i, t := range c.SelfCheck.Targets {
		v.selfCheckTarget(fmt.Sprintf("self_check.targets[%d]", i), t)
	}
	v.validateResolver()
	v.validateComponents()
	// incidents.*: durations are non-negative by construction; 0 turns a timer off.
	v.validateMaintenance()
	v.validateNotify()
	v.validateTemplates()
	v.validateAlerts()
	v.validatePeers()
	v.validateSubscriptions()
}

func (v *validator) validatePage() {
	p := &v.cfg.Page
	v.oneOf("page.language", p.Language, text.Languages()...) // the languages with a table in package text
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		v.errorf("page.time_zone", "unknown time zone %q (use an IANA name such as Europe/Berlin or UTC)", p.TimeZone)
	} else {
		p.Location = loc
	}
	if p.URL != "" {
		if u, err := url.Parse(p.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.errorf("page.url", "%q is not an absolute http(s) URL", p.URL)
		}
	}
}

func (v *validator) validateDefaults() {
	d := v.cfg.Defaults
	v.positive("defaults.interval", d.Interval)
	v.positive("defaults.timeout", d.Timeout)
	v.positive("defaults.retry_interval", d.RetryInterval)
	v.atLeast("defaults.fail_after", d.FailAfter, 1)
	v.atLeast("defaults.recover_after", d.RecoverAfter, 1)
	v.atLeast("defaults.cert_min_days", d.CertMinDays, 0)
}

func (v *validator) validateComponents() {
	c := v.cfg
	if len(c.Components) == 0 {
		v.errorf("components", "no components configured; add at least one with a check (see config.example.yaml)")
	}
	ids := map[string]string{}
	for i := range c.Components {
		comp := &c.Components[i]
		p := fmt.Sprintf("components[%d]", i)
		if strings.TrimSpace(comp.Name) == "" {
			v.errorf(p+".name", "every component needs a name")
		}
		v.id(p+".id", comp.ID, ids)
		if len(comp.Checks) == 0 && !c.alertComponents()[comp.ID] {
			v.errorf(p+".checks", "component %q has no checks; add at least one (or route alerts to it under alerts.routes)", comp.Name)
		}
		checkIDs := map[string]string{}
		for j := range comp.Checks {
			v.validateCheck(&comp.Checks[j], fmt.Sprintf("%s.checks[%d]", p, j), checkIDs)
		}
	}
}

func (v *validator) validateCheck(ch *Check, p string, ids map[string]string) {
	if strings.TrimSpace(ch.Name) == "" {
		v.errorf(p+".name", "every check needs a name")
	}
	v.id(p+".id", ch.ID, ids)
	if strings.TrimSpace(ch.Target) == "" {
		v.errorf(p+".target", "every check needs a target (e.g. https://www.example.com/ or sip:sip.example.com)")
	} else {
		v.target(p+".target", ch.Target)
	}
	// Inherited values were checked under defaults; check only what the
	// check sets itself.
	for key, d := range map[string]Duration{"interval": ch.Interval, "timeout": ch.Timeout, "retry_interval": ch.RetryInterval} {
		if v.has(p + "." + key) {
			v.positive(p+"."+key, d)
		}
	}
	for key, n := range map[string]struct{ val, least int }{"fail_after": {ch.FailAfter, 1}, "recover_after": {ch.RecoverAfter, 1},
		"cert_min_days": {ch.CertMinDays, 0}, "max_redirects": {ch.MaxRedirects, 0}, "expect.min_answers": {ch.Expect.MinAnswers, 0}} {
		if v.has(p + "." + key) {
			v.atLeast(p+"."+key, n.val, n.least)
		}
	}
	if ch.Timeout > ch.Interval && ch.Interval > 0 && ch.Timeout > 0 && !ch.IsPush() {
		v.errorf(p+".timeout", "timeout %s is longer than the interval %s; lower the timeout or raise the interval", ch.Timeout, ch.Interval)
	}
	v.validatePush(ch, p)
	v.validateSIP(ch, p)
	for name, src := range ch.SecretHeaders {
		sp := p + ".secret_headers." + name
		val, err := v.readSecret(src)
		if err != nil {
			v.errorf(sp, "%v", err)
			continue
		}
		src.Value = Secret(val)
		ch.SecretHeaders[name] = src
	}
}

// readSecret reads a secret from exactly one of env or file.
func (v *validator) readSecret(s SecretSource) (string, error) {
	switch {
	case s.Env != "" && s.File != "":
		return "", fmt.Errorf("set either env or file, not both")
	case s.Env != "":
		val := v.opts.Getenv(s.Env)
		if val == "" {
			return "", fmt.Errorf("environment variable %s is empty or not set", s.Env)
		}
		return val, nil
	case s.File != "":
		b, err := os.ReadFile(s.File)
		if err != nil {
			return "", fmt.Errorf("read secret file: %v", err)
		}
		return strings.TrimSpace(string(b)), nil
	default:
		return "", fmt.Errorf("needs env: NAME or file: PATH")
	}
}

func (v *validator) validateMaintenance() {
	known := map[string]bool{}
	for _, comp := range v.cfg.Components {
		known[comp.ID] = true
	}
	for i, m := range v.cfg.Maintenance {
		p := fmt.Sprintf("maintenance[%d]", i)
		if len(m.Components) == 0 {
			v.errorf(p+".components", "list the ids of the components under maintenance")
		}
		for j, id := range m.Components {
			if !known[id] {
				v.errorf(fmt.Sprintf("%s.components[%d]", p, j), "no component with id %q", id)
			}
		}
		if m.Start.IsZero() || m.End.IsZero() {
			v.errorf(p, "needs start and end times (RFC 3339)")
		} else if !m.End.After(m.Start.Time) {
			v.errorf(p+".end", "end %s is not after start %s", m.End.Format(time.RFC3339), m.Start.Format(time.RFC3339))
		}
		if strings.TrimSpace(m.Title) == "" {
			v.errorf(p+".title", "needs a title customers will read (e.g. \"SBC upgrade\")")
		}
	}
}

func (v *validator) validateNotify() {
	names := map[string]string{}
	for i := range v.cfg.Notify {
		n := &v.cfg.Notify[i]
		p := fmt.Sprintf("notify[%d]", i)
		v.oneOf(p+".type", n.Type, "webhook", "email", "slack", "mastodon", "bluesky")
		v.oneOf(p+".audience", n.Audience, "operators", "public")
		v.id(p+".name", n.Name, names)
		v.atLeast(p+".rate_limit", n.RateLimit, 1)
		v.atLeast(p+".rate_burst", n.RateBurst, 1)
		v.positive(p+".timeout", n.Timeout)
		if n.EscalateAfter > 0 && n.Audience != "operators" {
			v.errorf(p+".escalate_after", "only operators channels escalate drafts (the public never sees one); remove escalate_after or set audience: operators")
		}
		v.notifyForeignKeys(p, n)
		switch n.Type {
		case "webhook", "slack":
			v.notifyURL(p, n)
		case "email":
			v.notifyEmail(p, n)
		case "mastodon", "bluesky":
			v.notifySocial(p, n)
		}
	}
}

func (v *validator) notifyURL(p string, n *Notify) {
	if n.URLEnv != "" || n.URLFile != "" {
		if n.URL != "" {
			v.errorf(p+".url", "set one of url, url_env and url_file")
			return
		}
		raw, err := v.readSecret(SecretSource{Env: n.URLEnv, File: n.URLFile})
		if err != nil {
			v.errorf(sourcePath(p+".url", n.URLEnv), "%v", err)
			return
		}
		n.URL = raw
	}
	if u, err := url.Parse(n.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.errorf(p+".url", "%s channel needs an absolute http(s) url", n.Type)
	}
	if n.SecretEnv == "" && n.SecretFile == "" {
		return
	}
	if n.Type == "slack" {
		v.errorf(p+".secret_env", "slack channels are not signed (their url is the secret); remove secret_env and secret_file")
		return
	}
	if n.SecretEnv != "" && n.SecretFile != "" {
		v.errorf(p+".secret_env", "set either secret_env or secret_file, not both")
		return
	}
	secret, err := v.readSecret(SecretSource{Env: n.SecretEnv, File: n.SecretFile})
	if err != nil {
		v.errorf(sourcePath(p+".secret", n.SecretEnv), "%v", err)
		return
	}
	n.Secret = Secret(secret)
}

func (v *validator) notifyEmail(p string, n *Notify) {
	if _, _, err := net.SplitHostPort(n.SMTP); err != nil {
		v.errorf(p+".smtp", "email channel needs smtp: host:port (e.g. smtp.example.com:587)")
	}
	v.oneOf(p+".smtp_tls", n.SMTPTLS, "starttls", "auto", "tls")
	if n.From == "" || len(n.To) == 0 {
		v.errorf(p, "email channel needs from and to")
	}
	if n.From != "" {
		if _, err := mail.ParseAddress(n.From); err != nil {
			v.errorf(p+".from", "%q is not an email address (e.g. Status <status@example.com>)", n.From)
		}
	}
	for j, to := range n.To {
		if _, err := mail.ParseAddress(to); err != nil {
			v.errorf(fmt.Sprintf("%s.to[%d]", p, j), "%q is not an email address", to)
		}
	}
	hasPassword := n.PasswordEnv != "" || n.PasswordFile != ""
	switch {
	case n.Username == "" && hasPassword:
		v.errorf(p+".username", "a password is set but no username; set username or remove the password")
	case n.Username != "" && !hasPassword:
		v.errorf(p+".username", "username %q needs password_env or password_file", n.Username)
	case n.Username != "" && n.PasswordEnv != "" && n.PasswordFile != "":
		v.errorf(p+".password_env", "set either password_env or password_file, not both")
	case n.Username != "":
		pw, err := v.readSecret(SecretSource{Env: n.PasswordEnv, File: n.PasswordFile})
		if err != nil {
			v.errorf(sourcePath(p+".password", n.PasswordEnv), "%v", err)
			return
		}
		n.Password = Secret(pw)
	}
}

// sourcePath is the path of the key a secret was read from.
func sourcePath(prefix, env string) string {
	if env != "" {
		return prefix + "_env"
	}
	return prefix + "_file"
}

func (v *validator) target(path, raw string) {
	if v.opts.ValidateTarget == nil {
		return
	}
	if err := v.opts.ValidateTarget(raw); err != nil {
		v.errorf(path, "%v", err)
	}
}

func (v *validator) id(path, id string, taken map[string]string) {
	if !idPattern.MatchString(id) {
		v.errorf(path, "id %q must be 1-63 lower case letters, digits, - or _ (set id explicitly if the name has none)", id)
		return
	}
	if prev, dup := taken[id]; dup {
		v.errorf(path, "duplicate id %q (also used by %s); give one of them another id", id, prev)
		return
	}
	taken[id] = path
}

func (v *validator) positive(path string, d Duration) {
	if d <= 0 {
		v.errorf(path, "must be longer than 0 (e.g. 30s)")
	}
}

func (v *validator) atLeast(path string, n, least int) {
	if n < least {
		v.errorf(path, "%d is too small (minimum %d)", n, least)
	}
}

func (v *validator) oneOf(path, val string, allowed ...string) {
	for _, a := range allowed {
		if val == a {
			return
		}
	}
	v.errorf(path, "%q is not allowed (use %s)", val, strings.Join(allowed, ", "))
}
