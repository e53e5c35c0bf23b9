package probe

// Scheme names the target's protocol as operators write it: http, https,
// tcp, tls, dns, sip or sips. The public checks.json and the check_info
// metric label checks with it.
func (t Target) Scheme() string {
	switch {
	case t.Kind == KindHTTP && t.URL != nil:
		return t.URL.Scheme
	case t.Kind == KindSIP && t.SIP.Secure:
		return "sips"
	}
	return string(t.Kind)
}
