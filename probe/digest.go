package probe

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
)

// Bounds on a digest challenge; a longer or busier one is refused as
// hostile rather than echoed into the next request.
const (
	maxChallengeLen    = 4096
	maxChallengeParams = 32
	maxChallengeValue  = 1024
	maxChallenges      = 8 // WWW-Authenticate plus Proxy-Authenticate fields kept per response
)

var (
	// errChallenge means a challenge could not be parsed.
	errChallenge = errors.New("malformed digest challenge")
	// errChallengeUnsupported means a well-formed challenge outpost cannot
	// answer (another scheme, an unknown algorithm, auth-int only).
	errChallengeUnsupported = errors.New("unsupported challenge")
)

// digestChallenge is one Digest challenge of a WWW-Authenticate (401) or
// Proxy-Authenticate (407) header field (RFC 3261 §22.4, RFC 7616, RFC 8760).
type digestChallenge struct {
	proxy     bool
	realm     string
	nonce     string
	opaque    string
	hasOpaque bool
	algorithm string // as the server wrote it: MD5, SHA-256, SHA-512-256, each maybe -sess
	qopAuth   bool   // qop offered and includes auth
	stale     bool
}

// parseDigestChallenge parses `Digest realm="…", nonce="…", …`: one
// challenge per header field value. Parameter names are case-insensitive;
// values are tokens or quoted strings (backslash escapes); values with
// control characters are refused, since realm, nonce and opaque are echoed
// into the next request.
func parseDigestChallenge(value string, proxy bool) (digestChallenge, error) {
	if len(value) > maxChallengeLen {
		return digestChallenge{}, fmt.Errorf("%w: %d bytes (at most %d)", errChallenge, len(value), maxChallengeLen)
	}
	s := strings.TrimLeft(value, " \t")
	scheme, rest, _ := strings.Cut(s, " ")
	if !strings.EqualFold(scheme, "Digest") {
		return digestChallenge{}, fmt.Errorf("%w: scheme %q, not Digest", errChallengeUnsupported, snippet([]byte(scheme)))
	}
	params, err := parseAuthParams(rest)
	if err != nil {
		return digestChallenge{}, err
	}
	c := digestChallenge{proxy: proxy, algorithm: "MD5"}
	var qopOffered bool
	for _, p := range params {
		switch p[0] {
		case "realm":
			c.realm = p[1]
		case "nonce":
			c.nonce = p[1]
		case "opaque":
			c.opaque, c.hasOpaque = p[1], true
		case "algorithm":
			c.algorithm = p[1]
		case "stale":
			c.stale = strings.EqualFold(p[1], "true")
		case "qop":
			qopOffered = true
			for _, q := range strings.Split(p[1], ",") {
				if strings.EqualFold(strings.TrimSpace(q), "auth") {
					c.qopAuth = true
				}
			}
		}
	}
	if c.nonce == "" {
		return digestChallenge{}, fmt.Errorf("%w: no nonce", errChallenge)
	}
	if _, ok := digestHash(c.algorithm); !ok {
		return digestChallenge{}, fmt.Errorf("%w: algorithm %q (outpost answers MD5, SHA-256 and SHA-512-256)", errChallengeUnsupported, snippet([]byte(c.algorithm)))
	}
	if qopOffered && !c.qopAuth {
		return digestChallenge{}, fmt.Errorf("%w: qop without auth (outpost answers qop=auth)", errChallengeUnsupported)
	}
	return c, nil
}

// parseAuthParams parses a comma separated list of name=value pairs.
// Names come back lower case; a name twice is an error.
func parseAuthParams(s string) ([][2]string, error) {
	var out [][2]string
	seen := map[string]bool{}
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return out, nil
		}
		i := 0
		for i < len(s) && isTokenChar(s[i]) {
			i++
		}
		name := strings.ToLower(s[:i])
		s = strings.TrimLeft(s[i:], " \t")
		if name == "" || !strings.HasPrefix(s, "=") {
			return nil, fmt.Errorf("%w: expected name=value at %q", errChallenge, snippet([]byte(s)))
		}
		s = strings.TrimLeft(s[1:], " \t")
		var (
			val string
			err error
		)
		if val, s, err = authParamValue(s); err != nil {
			return nil, err
		}
		if seen[name] {
			return nil, fmt.Errorf("%w: parameter %s appears twice", errChallenge, name)
		}
		if seen[name] = true; len(seen) > maxChallengeParams {
			return nil, fmt.Errorf("%w: more than %d parameters", errChallenge, maxChallengeParams)
		}
		out = append(out, [2]string{name, val})
		s = strings.TrimLeft(s, " \t")
		if s != "" && s[0] != ',' {
			return nil, fmt.Errorf("%w: expected a comma at %q", errChallenge, snippet([]byte(s)))
		}
	}
}

// authParamValue reads a token or a quoted string from the start of s.
func authParamValue(s string) (val, rest string, err error) {
	if !strings.HasPrefix(s, `"`) {
		i := 0
		for i < len(s) && isTokenChar(s[i]) {
			i++
		}
		if i == 0 {
			return "", "", fmt.Errorf("%w: expected a value at %q", errChallenge, snippet([]byte(s)))
		}
		return s[:i], s[i:], checkValue(s[:i])
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return b.String(), s[i+1:], checkValue(b.String())
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("%w: unterminated quoted string", errChallenge)
}

func checkValue(v string) error {
	if len(v) > maxChallengeValue {
		return fmt.Errorf("%w: a value of %d bytes (at most %d)", errChallenge, len(v), maxChallengeValue)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return fmt.Errorf("%w: control character 0x%02x in a value", errChallenge, c)
		}
	}
	return nil
}

// digestHash returns the hash of an algorithm name (RFC 8760 §2.2), with
// or without -sess.
func digestHash(algorithm string) (func() hash.Hash, bool) {
	switch strings.ToUpper(strings.TrimSuffix(strings.ToUpper(algorithm), "-SESS")) {
	case "MD5":
		return md5.New, true
	case "SHA-256":
		return sha256.New, true
	case "SHA-512-256":
		return sha512.New512_256, true
	}
	return nil, false
}

// chooseChallenge picks the challenge to answer: the topmost one outpost
// supports (RFC 8760 §2.4 leaves the order to the server). It reports the
// reason when none can be answered.
func chooseChallenge(www, proxy []string) (digestChallenge, error) {
	var firstErr error
	for _, set := range []struct {
		values []string
		proxy  bool
	}{{www, false}, {proxy, true}} {
		for _, v := range set.values {
			c, err := parseDigestChallenge(v, set.proxy)
			if err == nil {
				return c, nil
			}
			if firstErr == nil || errors.Is(firstErr, errChallengeUnsupported) && errors.Is(err, errChallenge) {
				firstErr = err
			}
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("%w: the response carries no WWW-Authenticate or Proxy-Authenticate field", errChallenge)
	}
	return digestChallenge{}, firstErr
}

// digestCredentials answers challenges for one user.
type digestCredentials struct {
	username string
	password Secret
}

// authorization returns the Authorization (or Proxy-Authorization) header
// line for a request, without CRLF: RFC 7616 §3.4.1 with qop=auth when
// offered, RFC 2069's form otherwise. nc counts the uses of this nonce;
// cnonce is fresh and random for each request (rand.Text).
func (d digestCredentials) authorization(c digestChallenge, method, uri string, nc int, cnonce string) string {
	newHash, _ := digestHash(c.algorithm)
	h := func(parts ...string) string {
		hh := newHash()
		hh.Write([]byte(strings.Join(parts, ":")))
		return hex.EncodeToString(hh.Sum(nil))
	}
	ha1 := h(d.username, c.realm, d.password.Reveal())
	if strings.HasSuffix(strings.ToUpper(c.algorithm), "-SESS") {
		ha1 = h(ha1, c.nonce, cnonce)
	}
	ha2 := h(method, uri)
	ncText := fmt.Sprintf("%08x", nc)
	var b strings.Builder
	name := "Authorization"
	if c.proxy {
		name = "Proxy-Authorization"
	}
	fmt.Fprintf(&b, `%s: Digest username=%s, realm=%s, nonce=%s, uri=%s`, name,
		quote(d.username), quote(c.realm), quote(c.nonce), quote(uri))
	if c.qopAuth {
		fmt.Fprintf(&b, `, response="%s", qop=auth, nc=%s, cnonce="%s"`, h(ha1, c.nonce, ncText, cnonce, "auth", ha2), ncText, cnonce)
	} else {
		fmt.Fprintf(&b, `, response="%s"`, h(ha1, c.nonce, ha2))
	}
	fmt.Fprintf(&b, `, algorithm=%s`, c.algorithm)
	if c.hasOpaque {
		fmt.Fprintf(&b, `, opaque=%s`, quote(c.opaque))
	}
	return b.String()
}

// quote writes s as a quoted string, escaping " and \.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
