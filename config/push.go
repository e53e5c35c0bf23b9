package config

import (
	"strings"
	"time"
)

// Push checks (target push:) are dead man's switches: the monitored job
// (a cron job, an internal check) reports to outpost with
// POST /api/v1/push/{component}/{check} and a bearer token, and a check
// that hears nothing within interval + retry_interval fails. What the
// keys mean for them:
//   - interval is how often the job pushes; it must be set on the check
//     (a default meant for probes, 30 s, is no cron schedule);
//   - retry_interval is the grace after it (a late job), and fail_after
//     and recover_after count pushed and missed results alike;
//   - degraded_latency applies only when set on the check: a pushed
//     duration above it is degraded (the default, 2 s, is a probe's
//     latency, not a job's run time);
//   - token_file or token_env (exactly one) holds the token, at least 16
//     characters without white space, read at load and on every reload;
//     inline tokens are refused like every secret;
//   - the probe settings (timeout, method, headers, body, expect, ...)
//     mean nothing for a push check and are errors when set.

// minPushTokenLen is the shortest push token accepted, as for the admin
// token.
const minPushTokenLen = 16

// minPushInterval is the shortest push interval: pushes are rate limited
// to about one a second per check.
const minPushInterval = time.Second

// pushOnlyKeys are the check keys that mean something for push checks
// only; probeOnlyKeys those that mean nothing for them.
var (
	pushOnlyKeys  = []string{"token_file", "token_env"}
	probeOnlyKeys = []string{"timeout", "cert_min_days", "method", "headers", "secret_headers", "body",
		"max_redirects", "insecure_skip_verify", "server_name", "send", "expect"}
)

// IsPush reports whether the check is a push check: its target has the
// scheme push (only push: itself is valid, which the target check says).
func (c Check) IsPush() bool {
	t := strings.TrimSpace(c.Target)
	return len(t) >= 5 && strings.EqualFold(t[:5], "push:")
}

// validatePush checks the keys of a push check, reads its token, and
// reports push-only keys on other checks.
func (v *validator) validatePush(ch *Check, p string) {
	if !ch.IsPush() {
		for _, key := range pushOnlyKeys {
			if v.has(p + "." + key) {
				v.errorf(p+"."+key, "only push checks (target: push:) take %s; remove it", key)
			}
		}
		return
	}
	for _, key := range probeOnlyKeys {
		if v.has(p + "." + key) {
			v.errorf(p+"."+key, "push checks are not probed, so %s means nothing here; remove it", key)
		}
	}
	if !v.has(p + ".interval") {
		v.errorf(p+".target", "a push check needs interval: how often the job pushes (e.g. interval: 1d for a nightly job)")
	} else if ch.Interval > 0 && ch.Interval.D() < minPushInterval {
		v.errorf(p+".interval", "%s is shorter than %s; pushes are limited to about one a second", ch.Interval, FormatDuration(minPushInterval))
	}
	if !v.has(p + ".degraded_latency") {
		ch.DegradedLatency = 0 // see above: only an explicit one applies
	}
	v.pushToken(ch, p)
}

// pushToken reads the check's token from exactly one of token_file and
// token_env.
func (v *validator) pushToken(ch *Check, p string) {
	switch {
	case ch.TokenFile == "" && ch.TokenEnv == "":
		v.errorf(p+".target", "a push check needs token_file or token_env with the bearer token the job sends (openssl rand -hex 32 > FILE)")
		return
	case ch.TokenFile != "" && ch.TokenEnv != "":
		v.errorf(p+".token_env", "set either token_file or token_env, not both")
		return
	}
	tok, err := v.readSecret(SecretSource{Env: ch.TokenEnv, File: ch.TokenFile})
	path := sourcePath(p+".token", ch.TokenEnv)
	switch {
	case err != nil:
		v.errorf(path, "%v", err)
	case len(tok) < minPushTokenLen:
		v.errorf(path, "the token holds fewer than %d characters; use a long random token (openssl rand -hex 32)", minPushTokenLen)
	case strings.IndexFunc(tok, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0:
		v.errorf(path, "the token contains white space or control characters; use one line of letters and digits (openssl rand -hex 32)")
	default:
		ch.Token = Secret(tok)
	}
}

// selfCheckTarget validates a self-check target: any probe target, but
// not push:, which nobody would push to.
func (v *validator) selfCheckTarget(path, raw string) {
	if strings.EqualFold(strings.TrimSpace(raw), "push:") {
		v.errorf(path, "push: cannot tell whether outpost can see; use a public target such as dns://9.9.9.9/example.com")
		return
	}
	v.target(path, raw)
}
