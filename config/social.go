package config

import (
	"net"
	"net/url"
	"regexp"
	"strings"
)

// Social channels (notify[].type mastodon and bluesky) post to the
// public: their audience is public, their credentials come from a file
// or the environment, and every post links to the incident page.

// Defaults of the social channels.
const (
	DefaultMastodonVisibility = "public"
	DefaultBlueskyURL         = "https://bsky.social"
)

// IsSocial reports whether a notify type posts to a social network.
func IsSocial(notifyType string) bool { return notifyType == "mastodon" || notifyType == "bluesky" }

// socialKeys are the keys only a social channel of that type takes.
var socialKeys = map[string][]string{
	"mastodon": {"token_file", "token_env", "visibility", "max_chars"},
	"bluesky":  {"identifier", "app_password_file", "app_password_env"},
}

// blueskyIdentifier is a handle (a domain name) or a DID.
var blueskyIdentifier = regexp.MustCompile(`^(did:[a-z]+:[A-Za-z0-9._:%-]+|([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)$`)

// socialDefaults fills the keys of a social channel n at p the file did
// not set: its audience can only be public.
func (v *validator) socialDefaults(p string, n *Notify) {
	if !v.has(p + ".audience") {
		n.Audience = "public"
	}
	switch n.Type {
	case "mastodon":
		if !v.has(p + ".visibility") {
			n.Visibility = DefaultMastodonVisibility
		}
	case "bluesky":
		if !v.has(p + ".url") {
			n.URL = DefaultBlueskyURL
		}
	}
}

// notifyForeignKeys reports the keys of the other social type, or of a
// social type on a channel that is none.
func (v *validator) notifyForeignKeys(p string, n *Notify) {
	for typ, keys := range socialKeys {
		if typ == n.Type {
			continue
		}
		for _, k := range keys {
			if v.has(p + "." + k) {
				v.errorf(p+"."+k, "only %s channels take %s; remove it", typ, k)
			}
		}
	}
}

// notifySocial checks a mastodon or bluesky channel and reads its secret.
func (v *validator) notifySocial(p string, n *Notify) {
	if n.Audience != "public" {
		v.errorf(p+".audience", "%s channels post publicly; remove audience or set audience: public", n.Type)
	}
	if v.cfg.Page.URL == "" {
		v.errorf(p+".type", "%s posts link to the incident page; set page.url", n.Type)
	}
	for _, k := range []string{"url_env", "url_file", "secret_env", "secret_file"} {
		if v.has(p + "." + k) {
			v.errorf(p+"."+k, "%s channels do not take %s; remove it", n.Type, k)
		}
	}
	v.socialURL(p+".url", n)
	n.Language = v.cfg.Page.Language
	switch n.Type {
	case "mastodon":
		v.oneOf(p+".visibility", n.Visibility, "public", "unlisted")
		if v.has(p+".max_chars") && n.MaxChars < 100 {
			v.errorf(p+".max_chars", "%d is too small (minimum 100; remove max_chars to ask the instance)", n.MaxChars)
		}
		n.Token = Secret(v.socialSecret(p, "token", n.TokenEnv, n.TokenFile,
			"needs token_file or token_env: an access token with the write:statuses scope"))
	case "bluesky":
		switch {
		case n.Identifier == "":
			v.errorf(p, "needs identifier: the account's handle (e.g. status.example.com) or DID (did:plc:…)")
		case !blueskyIdentifier.MatchString(n.Identifier):
			v.errorf(p+".identifier", "%q is neither a handle (e.g. status.example.com) nor a DID (did:plc:…)", n.Identifier)
		}
		n.Password = Secret(v.socialSecret(p, "app_password", n.AppPasswordEnv, n.AppPasswordFile,
			"needs app_password_file or app_password_env: an app password (Settings, Privacy and security, App passwords)"))
	}
}

// socialURL checks the server's base url: https, or http to a loopback
// address (a test server).
func (v *validator) socialURL(path string, n *Notify) {
	u, err := url.Parse(n.URL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil || u.RawQuery != "" {
		v.errorf(path, "%s channel needs url: the server's https base url (e.g. %s)", n.Type,
			map[string]string{"mastodon": "https://mastodon.social", "bluesky": DefaultBlueskyURL}[n.Type])
		return
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		v.errorf(path, "%s channel url must use https (http only for a loopback test server)", n.Type)
	}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// socialSecret reads the secret key_env or key_file of the channel at p.
func (v *validator) socialSecret(p, key, env, file, missing string) string {
	switch {
	case env == "" && file == "":
		v.errorf(p, "%s", missing)
		return ""
	case env != "" && file != "":
		v.errorf(p+"."+key+"_env", "set either %s_env or %s_file, not both", key, key)
		return ""
	}
	s, err := v.readSecret(SecretSource{Env: env, File: file})
	if err != nil {
		v.errorf(sourcePath(p+"."+key, env), "%v", err)
	}
	return s
}
