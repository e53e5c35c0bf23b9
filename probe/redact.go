package probe

import (
	"net/url"
	"regexp"
	"strings"
)

// redactedValue replaces secrets in anything that leaves the process.
const redactedValue = "redacted"

// secretNames matches query or parameter names whose values are secrets.
var secretNames = regexp.MustCompile(`(?i)(token|key|secret|passw|pwd|auth|signature|sig$|credential)`)

// Redact returns raw with credentials removed: URL userinfo and the values
// of query parameters named like token, key, secret or password. It never
// fails; unparseable input is redacted conservatively.
func Redact(raw string) string {
	if t, err := ParseTarget(raw); err == nil {
		return t.Redacted
	}
	return redactString(raw)
}

func redactURL(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User(redactedValue)
	}
	if c.RawQuery != "" {
		c.RawQuery = redactParams(c.RawQuery, "&;")
	}
	return c.String()
}

// redactParams redacts values of secret-named parameters in a k=v list
// separated by any of seps, keeping the separators.
func redactParams(s, seps string) string {
	var b strings.Builder
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && !strings.ContainsRune(seps, rune(s[i])) {
			continue
		}
		part := s[start:i]
		if k, _, ok := strings.Cut(part, "="); ok && secretNames.MatchString(k) {
			part = k + "=" + redactedValue
		}
		b.WriteString(part)
		if i < len(s) {
			b.WriteByte(s[i])
		}
		start = i + 1
	}
	return b.String()
}

// redactSIP keeps the SIP user (it is the address being probed) but drops a
// password and secret-named parameters.
func redactSIP(uri string, hasPassword bool) string {
	scheme, rest, _ := strings.Cut(uri, ":")
	if hasPassword {
		if userinfo, hostport, ok := strings.Cut(rest, "@"); ok {
			user, _, _ := strings.Cut(userinfo, ":")
			rest = user + ":" + redactedValue + "@" + hostport
		}
	}
	if main, params, ok := strings.Cut(rest, ";"); ok {
		rest = main + ";" + redactParams(params, ";")
	}
	return scheme + ":" + rest
}

// userinfoRe finds "scheme://userinfo@" in free text such as error messages.
var userinfoRe = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s"]*@`)

// redactString removes URL userinfo and secret query values from free text.
func redactString(s string) string {
	s = userinfoRe.ReplaceAllString(s, "${1}"+redactedValue+"@")
	if i := strings.IndexAny(s, "?"); i >= 0 {
		s = s[:i+1] + redactParams(s[i+1:], "&;")
	}
	return s
}
