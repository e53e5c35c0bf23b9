package config

import (
	"net/netip"
	"strings"
	"unicode"
)

// SIP checks (SPEC §19) send OPTIONS (the default) or, with method:
// REGISTER, register the target's user with digest authentication and
// remove the binding again. What the keys mean for them:
//   - method is OPTIONS or REGISTER (any case; stored upper case);
//   - username is the digest username, by default the target's user
//     (sip:alice@example.com); one of the two must be there for REGISTER;
//   - password_file or password_env (exactly one) holds the password,
//     read at load and on every reload; inline passwords are refused;
//   - username and password_* are errors on any other check.
//
// resolver: (top level) is the DNS server, an IP address and port, that
// every probe asks; a name would need a resolver to find the resolver.

// validateResolver checks resolver: when set.
func (v *validator) validateResolver() {
	r := v.cfg.Resolver
	if r == "" {
		return
	}
	ap, err := netip.ParseAddrPort(r)
	switch {
	case err == nil && ap.Port() != 0:
	case isIP(strings.Trim(r, "[]")):
		v.errorf("resolver", "%q has no port; add :53 (e.g. 9.9.9.9:53 or [2620:fe::fe]:53)", r)
	default:
		v.errorf("resolver", "%q is not an IP address and port (e.g. 9.9.9.9:53 or [2620:fe::fe]:53); a name would need a resolver itself", r)
	}
}

func isIP(s string) bool { _, err := netip.ParseAddr(s); return err == nil }

// validateSIP checks method, username and password_* of a check and reads
// the password of a REGISTER check.
func (v *validator) validateSIP(ch *Check, p string) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(ch.Target), ":")
	isSIP := strings.EqualFold(scheme, "sip") || strings.EqualFold(scheme, "sips")
	credKey := ""
	for _, k := range []string{"username", "password_file", "password_env"} {
		if v.has(p+"."+k) && credKey == "" {
			credKey = k
		}
	}
	if !isSIP {
		if credKey != "" {
			v.errorf(p+"."+credKey, "%s is for sip checks with method: REGISTER; remove it", credKey)
		}
		return
	}
	if v.has(p + ".method") {
		switch m := strings.ToUpper(ch.Method); m {
		case "OPTIONS", "REGISTER":
			ch.Method = m
		default:
			v.errorf(p+".method", "%q is not a SIP method outpost sends (use OPTIONS or REGISTER)", ch.Method)
			return
		}
	}
	if ch.Method != "REGISTER" {
		if credKey != "" {
			v.errorf(p+"."+credKey, "%s is only used by method: REGISTER; set that or remove %s", credKey, credKey)
		}
		return
	}
	if ch.Username == "" && sipUser(rest) == "" {
		v.errorf(p+".username", "method REGISTER needs a username, or a user in the target (sip:alice@sip.example.com)")
	}
	if strings.ContainsFunc(ch.Username, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) {
		v.errorf(p+".username", "username %q contains white space or control characters", ch.Username)
	}
	switch {
	case ch.PasswordFile == "" && ch.PasswordEnv == "":
		v.errorf(p+".method", "method REGISTER needs password_file or password_env")
	case ch.PasswordFile != "" && ch.PasswordEnv != "":
		v.errorf(p+".password_env", "set either password_env or password_file, not both")
	default:
		pw, err := v.readSecret(SecretSource{Env: ch.PasswordEnv, File: ch.PasswordFile})
		if err != nil {
			v.errorf(sourcePath(p+".password", ch.PasswordEnv), "%v", err)
			return
		}
		ch.Password = Secret(pw)
	}
}

// sipUser returns the user part of a sip: URI after the scheme, or "".
func sipUser(rest string) string {
	main, _, _ := strings.Cut(rest, ";")
	main, _, _ = strings.Cut(main, "?")
	userinfo, _, ok := strings.Cut(main, "@")
	if !ok {
		return ""
	}
	user, _, _ := strings.Cut(userinfo, ":")
	return user
}
