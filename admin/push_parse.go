package admin

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/outpost-status/outpost/monitor"
)

// maxPushDuration is the longest duration a push may report: a job that
// runs longer than a month is no cron job.
const maxPushDuration = 31 * 24 * time.Hour

// secretKeys are parts of query keys that name a credential.
var secretKeys = []string{"token", "key", "secret", "passw", "auth", "bearer", "credential", "sig"}

// tokenInQuery reports whether raw carries something that looks like a
// credential: a key naming one (token=, access_token=, api_key=, …) or,
// when the check's token is known, that token anywhere in it, escaped or
// not.
func tokenInQuery(raw, token string) bool {
	if raw == "" {
		return false
	}
	if token != "" && strings.Contains(raw, token) {
		return true
	}
	for _, pair := range strings.Split(raw, "&") {
		k, v, _ := strings.Cut(pair, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		lower := strings.ToLower(k)
		for _, s := range secretKeys {
			if strings.Contains(lower, s) {
				return true
			}
		}
		if token != "" && (strings.Contains(k, token) || strings.Contains(v, token)) {
			return true
		}
	}
	return false
}

// parsePushQuery reads the parameters of a push strictly: status (up or
// down, default up), msg and duration, each at most once; anything else
// is an error that says what to send instead.
func parsePushQuery(raw string) (monitor.Push, error) {
	var p monitor.Push
	seen := map[string]bool{}
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		if strings.Contains(pair, ";") {
			return p, errors.New("separate parameters with &, not ;")
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return p, errors.New("the query is badly escaped; encode it with curl --data-urlencode or %XX")
		}
		switch key {
		case "status", "msg", "duration":
		default:
			return p, fmt.Errorf("unknown parameter %s (use status, msg, duration)", quoteShort(key, 40))
		}
		if seen[key] {
			return p, fmt.Errorf("parameter %s given twice", key)
		}
		seen[key] = true
		switch key {
		case "status":
			switch val {
			case "up":
			case "down":
				p.Down = true
			default:
				return p, fmt.Errorf("status %s is not up or down", quoteShort(val, 20))
			}
		case "msg":
			p.Message = val
		case "duration":
			d, err := parsePushDuration(val)
			if err != nil {
				return p, err
			}
			p.Duration = d
		}
	}
	return p, nil
}

// parsePushDuration reads a job's run time: Go syntax (1m30s, 250ms) or
// plain seconds (90, 12.5), from 0 to 31 days.
func parsePushDuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("duration %s is not a duration such as 90s, 1m30s or 12.5 (seconds), from 0 to 31 days", quoteShort(s, 32))
	if s == "" || len(s) > 32 {
		return 0, bad
	}
	var d time.Duration
	if strings.Trim(s, "0123456789.") == "" {
		secs, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(secs) || secs < 0 || secs > maxPushDuration.Seconds() {
			return 0, bad
		}
		d = time.Duration(secs * float64(time.Second))
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil || strings.HasPrefix(s, "+") {
			return 0, bad
		}
	}
	if d < 0 || d > maxPushDuration {
		return 0, bad
	}
	return d, nil
}

// quoteShort quotes at most n bytes of s, so that an error echoes a
// bounded part of what a client sent (at most 4n+2 bytes, escaped).
func quoteShort(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strconv.Quote(s)
}
