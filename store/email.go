package store

import "strings"

// NormaliseEmail checks an address typed into the subscribe form and
// returns it trimmed and lower-cased (one address per mailbox in practice).
// It accepts only a plain addr-spec: ASCII atext local part (dots inside,
// at most 64 bytes), a domain of at least two labels of letters, digits
// and hyphens (IDNs in their xn-- form), at most 254 bytes in all. No
// quoted local parts, comments, display names, spaces or control
// characters: nothing that could change a mail header.
func NormaliseEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > 254 {
		return "", ErrEmailTooLong
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return "", ErrEmailInvalid
	}
	local, domain := s[:at], strings.ToLower(s[at+1:])
	if len(local) > 64 || !validLocal(local) || !validDomain(domain) {
		return "", ErrEmailInvalid
	}
	return strings.ToLower(local) + "@" + domain, nil
}

func validLocal(l string) bool {
	if l == "" || l[0] == '.' || l[len(l)-1] == '.' || strings.Contains(l, "..") {
		return false
	}
	for _, c := range []byte(l) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.' || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func validDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(d) > 253 || len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range []byte(l) {
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
