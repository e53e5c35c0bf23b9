package config

import (
	"fmt"
	"strings"
	"time"
)

// Default values, in one place. Documented in config.example.yaml.
const (
	DefaultListen          = "127.0.0.1:8080"
	DefaultDataDir         = "/var/lib/outpost"
	DefaultTitle           = "Status"
	DefaultLanguage        = "en"
	DefaultTimeZone        = "UTC"
	DefaultInterval        = 30 * time.Second
	DefaultTimeout         = 10 * time.Second
	DefaultRetryInterval   = 5 * time.Second
	DefaultFailAfter       = 3
	DefaultRecoverAfter    = 2
	DefaultDegradedLatency = 2 * time.Second
	DefaultCertMinDays     = 14
	DefaultMaxRedirects    = 10
	DefaultResults         = 14 * 24 * time.Hour
	DefaultHistory         = 400 * 24 * time.Hour
	DefaultFlushInterval   = time.Second
	DefaultPartialWeight   = 0.3
	DefaultGroupWindow     = 5 * time.Minute
	DefaultRemindAfter     = 30 * time.Minute
	DefaultNotifyRate      = 30 // messages per minute and channel
	DefaultNotifyBurst     = 10
	DefaultNotifyTimeout   = 10 * time.Second
	DefaultSMTPTLS         = "starttls"
	DefaultTemplateImpact  = "minor"
	DefaultTemplateStatus  = "investigating"
)

// DefaultWindows are the standard availability windows.
func DefaultWindows() []Duration {
	return []Duration{Duration(24 * time.Hour), Duration(7 * 24 * time.Hour),
		Duration(14 * 24 * time.Hour), Duration(30 * 24 * time.Hour), Duration(90 * 24 * time.Hour)}
}

// applyDefaults fills every key the file did not set.
func (v *validator) applyDefaults() {
	c := v.cfg
	str := func(dst *string, path, def string) {
		if !v.has(path) {
			*dst = def
		}
	}
	dur := func(dst *Duration, path string, def time.Duration) {
		if !v.has(path) {
			*dst = Duration(def)
		}
	}
	num := func(dst *int, path string, def int) {
		if !v.has(path) {
			*dst = def
		}
	}
	str(&c.Page.Title, "page.title", DefaultTitle)
	str(&c.Page.Language, "page.language", DefaultLanguage)
	str(&c.Page.TimeZone, "page.time_zone", DefaultTimeZone)
	str(&c.Listen, "listen", DefaultListen)
	str(&c.DataDir, "data_dir", DefaultDataDir)
	dur(&c.Retention.Results, "retention.results", DefaultResults)
	dur(&c.Retention.History, "retention.history", DefaultHistory)
	dur(&c.Store.FlushInterval, "store.flush_interval", DefaultFlushInterval)
	if !v.has("availability.windows") {
		c.Availability.Windows = DefaultWindows()
	}
	if !v.has("availability.partial_weight") {
		c.Availability.PartialWeight = DefaultPartialWeight
	}
	str(&c.Log.Level, "log.level", "info")
	str(&c.Log.Format, "log.format", "text")
	dd := &c.Defaults
	dur(&dd.Interval, "defaults.interval", DefaultInterval)
	dur(&dd.Timeout, "defaults.timeout", DefaultTimeout)
	dur(&dd.RetryInterval, "defaults.retry_interval", DefaultRetryInterval)
	num(&dd.FailAfter, "defaults.fail_after", DefaultFailAfter)
	num(&dd.RecoverAfter, "defaults.recover_after", DefaultRecoverAfter)
	dur(&dd.DegradedLatency, "defaults.degraded_latency", DefaultDegradedLatency)
	num(&dd.CertMinDays, "defaults.cert_min_days", DefaultCertMinDays)
	dur(&c.Incidents.GroupWindow, "incidents.group_window", DefaultGroupWindow)
	dur(&c.Incidents.RemindAfter, "incidents.remind_after", DefaultRemindAfter)
	for i := range c.Components {
		comp := &c.Components[i]
		p := fmt.Sprintf("components[%d]", i)
		str(&comp.ID, p+".id", Slug(comp.Name))
		for j := range comp.Checks {
			v.checkDefaults(comp, j, fmt.Sprintf("%s.checks[%d]", p, j))
		}
	}
	v.alertDefaults()
	v.subscriptionDefaults()
	v.peerDefaults() // after the checks': confirm.timeout follows their timeouts
	for i := range c.Templates {
		p := fmt.Sprintf("templates[%d]", i)
		str(&c.Templates[i].Impact, p+".impact", DefaultTemplateImpact)
		str(&c.Templates[i].Status, p+".status", DefaultTemplateStatus)
	}
	for i := range c.Notify {
		p := fmt.Sprintf("notify[%d]", i)
		str(&c.Notify[i].Audience, p+".audience", "operators")
		str(&c.Notify[i].Name, p+".name", fmt.Sprintf("%s-%d", c.Notify[i].Type, i+1))
		num(&c.Notify[i].RateLimit, p+".rate_limit", DefaultNotifyRate)
		num(&c.Notify[i].RateBurst, p+".rate_burst", DefaultNotifyBurst)
		dur(&c.Notify[i].Timeout, p+".timeout", DefaultNotifyTimeout)
		if c.Notify[i].Type == "email" {
			str(&c.Notify[i].SMTPTLS, p+".smtp_tls", DefaultSMTPTLS)
		}
		if IsSocial(c.Notify[i].Type) {
			v.socialDefaults(p, &c.Notify[i])
		}
	}
}

func (v *validator) checkDefaults(comp *Component, j int, p string) {
	ch := &comp.Checks[j]
	dd := v.cfg.Defaults
	ch.Component = comp.ID
	if !v.has(p + ".id") {
		ch.ID = Slug(ch.Name)
	}
	inherit := func(dst *Duration, key string, def Duration) {
		if !v.has(p + "." + key) {
			*dst = def
		}
	}
	inheritInt := func(dst *int, key string, def int) {
		if !v.has(p + "." + key) {
			*dst = def
		}
	}
	inherit(&ch.Interval, "interval", dd.Interval)
	inherit(&ch.Timeout, "timeout", dd.Timeout)
	inherit(&ch.RetryInterval, "retry_interval", dd.RetryInterval)
	inherit(&ch.DegradedLatency, "degraded_latency", dd.DegradedLatency)
	inheritInt(&ch.FailAfter, "fail_after", dd.FailAfter)
	inheritInt(&ch.RecoverAfter, "recover_after", dd.RecoverAfter)
	inheritInt(&ch.CertMinDays, "cert_min_days", dd.CertMinDays)
	inheritInt(&ch.MaxRedirects, "max_redirects", DefaultMaxRedirects)
	inheritInt(&ch.Expect.MinAnswers, "expect.min_answers", 1)
	if !v.has(p+".method") && strings.HasPrefix(strings.ToLower(ch.Target), "http") {
		ch.Method = "GET"
	}
	// A timeout longer than the interval would overlap probes of one check;
	// an inherited timeout is clipped, an explicit one is an error (validate).
	if !v.has(p+".timeout") && !v.has("defaults.timeout") && ch.Timeout > ch.Interval {
		ch.Timeout = ch.Interval
	}
}

// Slug turns a display name into an id: lower case letters, digits and
// dashes ("SIP UDP" → "sip-udp").
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		repl, isLetter := slugLetters[r]
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case isLetter:
			b.WriteString(repl)
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
			continue
		}
		dash = false
	}
	return strings.TrimSuffix(b.String(), "-")
}

// slugLetters spells the letters of outpost's page languages in ASCII.
var slugLetters = map[rune]string{'ä': "ae", 'ö': "oe", 'ü': "ue", 'å': "aa", 'ß': "ss", 'é': "e"}
