package probe

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// Kind is the protocol family of a target; the scheme → Prober map is keyed by it.
type Kind string

// Target kinds. https is KindHTTP with a TLS URL; sips is KindSIP over TLS.
const (
	KindHTTP Kind = "http"
	KindTCP  Kind = "tcp"
	KindTLS  Kind = "tls"
	KindDNS  Kind = "dns"
	KindSIP  Kind = "sip"
	// KindPush is a push check's target, push: (see push.go): nothing
	// is probed, the monitored job reports in.
	KindPush Kind = "push"
)

// Transport is the socket type a DNS or SIP probe uses.
type Transport string

// Transports.
const (
	UDP Transport = "udp"
	TCP Transport = "tcp"
	TLS Transport = "tls"
)

// Default ports.
const (
	DefaultSIPPort    = 5060
	DefaultSIPTLSPort = 5061
	DefaultDNSPort    = 53
	DefaultDoTPort    = 853
)

// ErrUnknownScheme is wrapped by ParseTarget for a scheme outpost cannot probe.
var ErrUnknownScheme = errors.New("unknown scheme")

// Target is a parsed check target plus the per-check options that shape the
// probe. Build it with ParseTarget or NewTarget; the fields are read-only after.
type Target struct {
	Kind Kind
	// Redacted is the target as given with credentials removed: safe for
	// logs, metrics and public JSON.
	Redacted string

	// Host is the host name or IP literal (no brackets) and Port the port
	// to connect to, for every kind except system-resolver DNS queries.
	Host string
	Port int
	// Transport is udp, tcp or tls for DNS and SIP; tcp for tcp; tls for tls.
	Transport Transport

	URL *url.URL // http and https only; may carry credentials, never log it
	DNS DNSQuery // dns only
	SIP SIPURI   // sip and sips only

	Options Options
}

// Address returns host:port for dialling.
func (t Target) Address() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// DNSQuery is the question of a dns: target (RFC 4501).
type DNSQuery struct {
	// System is true when the URI names no server (dns:name): the query
	// goes to the system resolver from /etc/resolv.conf.
	System bool
	Name   string // fully qualified, with trailing dot
	Type   uint16 // dns.TypeA etc.
	Class  uint16 // dns.ClassINET by default
}

// SIPURI is a parsed sip: or sips: target.
type SIPURI struct {
	// RequestURI is the Request-URI to send: the target as given (user
	// part included), password and URI headers removed.
	RequestURI string
	User       string
	Secure     bool // sips:
	// ExplicitPort and ExplicitTransport say whether the URI named them;
	// a host name without a port is located per RFC 3263 (NAPTR, SRV),
	// and a named transport skips the NAPTR step.
	ExplicitPort      bool
	ExplicitTransport bool
}

// ParseTarget parses a target URI with default options. Errors say what is
// wrong and how to write it instead.
func ParseTarget(raw string) (Target, error) {
	return NewTarget(raw, DefaultOptions())
}

// NewTarget parses raw and attaches opts.
func NewTarget(raw string, opts Options) (Target, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return Target{}, errors.New("target is empty (e.g. https://www.example.com/, sip:sip.example.com)")
	}
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok || scheme == "" {
		return Target{}, fmt.Errorf("target %q has no scheme (use http, https, tcp, tls, dns, sip, sips)", redactString(raw))
	}
	var (
		t   Target
		err error
	)
	switch strings.ToLower(scheme) {
	case "http", "https":
		t, err = parseHTTP(raw)
	case "tcp":
		t, err = parseHostPort(KindTCP, raw, 0)
	case "tls":
		t, err = parseHostPort(KindTLS, raw, 443)
	case "dns":
		t, err = parseDNS(raw)
	case "sip", "sips":
		t, err = parseSIP(strings.ToLower(scheme), rest)
	case "push":
		t, err = parsePush(rest)
	default:
		return Target{}, fmt.Errorf("%w %q (use http, https, tcp, tls, dns, sip, sips)", ErrUnknownScheme, scheme)
	}
	if err != nil {
		return Target{}, err
	}
	t.Options = opts
	if t.Kind == KindSIP {
		if t.Options.Method, err = sipMethod(opts.Method); err != nil {
			return Target{}, err
		}
	}
	return t, nil
}

// sipMethod normalises the method of a SIP target: OPTIONS (also for ""
// and GET, the HTTP default of DefaultOptions) or REGISTER.
func sipMethod(m string) (string, error) {
	switch strings.ToUpper(m) {
	case "", "GET", "OPTIONS":
		return "OPTIONS", nil
	case "REGISTER":
		return "REGISTER", nil
	}
	return "", fmt.Errorf("sip method %q is not supported (use OPTIONS or REGISTER)", m)
}

func parseHTTP(raw string) (Target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Target{}, fmt.Errorf("target is not a valid URL: %s", redactString(err.Error()))
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Opaque != "" || u.Host == "" {
		return Target{}, fmt.Errorf("%s target needs a host: %s://host/path", u.Scheme, u.Scheme)
	}
	if u.Hostname() == "" {
		return Target{}, fmt.Errorf("%s target has an empty host name", u.Scheme)
	}
	port := 80
	if u.Scheme == "https" {
		port = 443
	}
	if p := u.Port(); p != "" {
		if port, err = parsePort(p); err != nil {
			return Target{}, err
		}
	}
	return Target{Kind: KindHTTP, Redacted: redactURL(u), Host: u.Hostname(), Port: port,
		Transport: TCP, URL: u}, nil
}

func parseHostPort(kind Kind, raw string, defaultPort int) (Target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Target{}, fmt.Errorf("target is not a valid URL: %s", redactString(err.Error()))
	}
	example := fmt.Sprintf("%s://mail.example.com:25", kind)
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return Target{}, fmt.Errorf("%s target needs host and port: %s", kind, example)
	}
	if u.Path != "" && u.Path != "/" {
		return Target{}, fmt.Errorf("%s target takes no path (%q): %s", kind, u.Path, example)
	}
	port := defaultPort
	if p := u.Port(); p != "" {
		if port, err = parsePort(p); err != nil {
			return Target{}, err
		}
	} else if port == 0 {
		return Target{}, fmt.Errorf("%s target needs a port: %s", kind, example)
	}
	transport := TCP
	if kind == KindTLS {
		transport = TLS
	}
	return Target{Kind: kind, Redacted: redactURL(u), Host: u.Hostname(), Port: port, Transport: transport}, nil
}

func parsePort(p string) (int, error) {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %q is not a number from 1 to 65535", p)
	}
	return n, nil
}

// parseDNS parses dns://server[:port]/name?type=T;class=C;transport=udp|tcp|tls
// and dns:name?type=T (RFC 4501; & is accepted as well as ;).
func parseDNS(raw string) (Target, error) {
	const example = "dns://9.9.9.9/example.com?type=MX or dns:example.com?type=A"
	rest := raw[len("dns:"):]
	rest, query, _ := strings.Cut(rest, "?")
	t := Target{Kind: KindDNS, Transport: UDP}
	var name string
	if strings.HasPrefix(rest, "//") {
		authority, path, _ := strings.Cut(rest[2:], "/")
		name = path
		if authority == "" {
			t.DNS.System = true
		} else {
			host, port, err := splitHostPort(authority)
			if err != nil {
				return Target{}, fmt.Errorf("dns server %q: %v (%s)", authority, err, example)
			}
			t.Host, t.Port = host, port
		}
	} else {
		t.DNS.System = true
		name = rest
	}
	name, err := url.PathUnescape(name)
	if err != nil {
		return Target{}, fmt.Errorf("dns name %q is badly escaped", name)
	}
	name = strings.TrimSuffix(name, ".")
	if name == "" {
		return Target{}, fmt.Errorf("dns target has no name to query: %s", example)
	}
	if _, ok := dns.IsDomainName(name); !ok {
		return Target{}, fmt.Errorf("dns name %q is not a valid domain name", name)
	}
	t.DNS.Name = dns.Fqdn(name)
	t.DNS.Type, t.DNS.Class = dns.TypeA, dns.ClassINET
	if err := applyDNSParams(&t, query); err != nil {
		return Target{}, err
	}
	if !t.DNS.System && t.Port == 0 {
		t.Port = DefaultDNSPort
		if t.Transport == TLS {
			t.Port = DefaultDoTPort
		}
	}
	t.Redacted = "dns:" + rest
	if query != "" {
		t.Redacted += "?" + redactParams(query, "&;")
	}
	return t, nil
}

func applyDNSParams(t *Target, query string) error {
	for _, kv := range strings.FieldsFunc(query, func(r rune) bool { return r == ';' || r == '&' }) {
		k, v, _ := strings.Cut(kv, "=")
		switch strings.ToLower(k) {
		case "type":
			typ, ok := dns.StringToType[strings.ToUpper(v)]
			if !ok {
				return fmt.Errorf("dns type %q is unknown (use A, AAAA, MX, TXT, NS, SOA, SRV, CNAME, ...)", v)
			}
			t.DNS.Type = typ
		case "class":
			class, ok := dns.StringToClass[strings.ToUpper(v)]
			if !ok {
				return fmt.Errorf("dns class %q is unknown (use IN)", v)
			}
			t.DNS.Class = class
		case "transport":
			switch tr := Transport(strings.ToLower(v)); tr {
			case UDP, TCP, TLS:
				t.Transport = tr
			default:
				return fmt.Errorf("dns transport %q is unknown (use udp, tcp or tls)", v)
			}
		default:
			return fmt.Errorf("dns target parameter %q is unknown (use type, class, transport)", k)
		}
	}
	if t.DNS.System && t.Transport == TLS {
		return errors.New("dns transport tls needs a server: dns://9.9.9.9/example.com?transport=tls")
	}
	return nil
}

// splitHostPort splits "host", "host:port", "[v6]" or "[v6]:port"; port 0 means absent.
func splitHostPort(s string) (string, int, error) {
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 {
			return "", 0, errors.New("missing ] after IPv6 address")
		}
		host, rest := s[1:end], s[end+1:]
		if net.ParseIP(host) == nil {
			return "", 0, fmt.Errorf("%q is not an IPv6 address", host)
		}
		if rest == "" {
			return host, 0, nil
		}
		if !strings.HasPrefix(rest, ":") {
			return "", 0, fmt.Errorf("unexpected %q after IPv6 address", rest)
		}
		port, err := parsePort(rest[1:])
		return host, port, err
	}
	if strings.Count(s, ":") > 1 {
		return "", 0, errors.New("IPv6 addresses must be in brackets, e.g. [2001:db8::1]:5060")
	}
	host, p, hasPort := strings.Cut(s, ":")
	if host == "" {
		return "", 0, errors.New("empty host")
	}
	if strings.ContainsAny(host, " /\\@?#%") {
		return "", 0, fmt.Errorf("host %q contains an invalid character", host)
	}
	if !hasPort {
		return host, 0, nil
	}
	port, err := parsePort(p)
	return host, port, err
}

// parseSIP parses sip:[user[:password]@]host[:port][;params][?headers] (RFC 3261 §19.1).
func parseSIP(scheme, rest string) (Target, error) {
	const example = "sip:sip.example.com;transport=udp or sips:sip.example.com"
	if strings.HasPrefix(rest, "//") {
		return Target{}, fmt.Errorf("sip targets have no // (write %s:%s)", scheme, strings.TrimPrefix(rest, "//"))
	}
	rest, _, _ = strings.Cut(rest, "?") // URI headers do not belong in a Request-URI
	main, params, _ := strings.Cut(rest, ";")
	t := Target{Kind: KindSIP, SIP: SIPURI{Secure: scheme == "sips"}}
	userinfo, hostport, hasUser := strings.Cut(main, "@")
	if !hasUser {
		hostport, userinfo = userinfo, ""
	}
	user, _, hasPassword := strings.Cut(userinfo, ":")
	if hasUser && user == "" {
		return Target{}, fmt.Errorf("sip target has an empty user part before @: %s", example)
	}
	host, port, err := splitHostPort(hostport)
	if err != nil {
		return Target{}, fmt.Errorf("sip target host: %v (%s)", err, example)
	}
	t.Host, t.Port, t.SIP.User = host, port, user
	t.SIP.ExplicitPort = port != 0
	t.Transport = UDP
	if t.SIP.Secure {
		t.Transport = TLS
	}
	for _, kv := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(kv, "=")
		if strings.EqualFold(k, "transport") {
			t.SIP.ExplicitTransport = true
			switch tr := Transport(strings.ToLower(v)); {
			case t.SIP.Secure && (tr == TCP || tr == TLS):
				// sips over tcp is TLS (RFC 3261 §26.2.2).
			case !t.SIP.Secure && (tr == UDP || tr == TCP || tr == TLS):
				t.Transport = tr
			default:
				return Target{}, fmt.Errorf("sip transport %q is not supported for %s: (use udp, tcp or tls; sips is always tls)", v, scheme)
			}
		}
	}
	if t.Port == 0 {
		t.Port = DefaultSIPPort
		if t.Transport == TLS {
			t.Port = DefaultSIPTLSPort
		}
	}
	uri := scheme + ":"
	if user != "" {
		uri += user + "@"
	}
	uri += hostport
	if params != "" {
		uri += ";" + params
	}
	t.SIP.RequestURI = uri
	t.Redacted = redactSIP(uri, hasPassword)
	return t, nil
}
