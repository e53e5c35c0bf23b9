package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Location names this outpost among several (SPEC §17). Without peers it
// may stay empty.
type Location struct {
	ID   string `yaml:"id"`   // short and stable: fra, ams, par
	Name string `yaml:"name"` // shown to operators; defaults to ID
}

// Peer is another outpost that confirms this one's failures.
type Peer struct {
	ID string `yaml:"id"` // its location.id
	// URL is the peer's base URL (https://fra.status.example.com); the
	// peer API lives under /api/peer/v1/ there.
	URL string `yaml:"url"`
	// TokenFile holds the token this outpost presents to the peer: the
	// content of the peer's peer_api.token_file.
	TokenFile string `yaml:"token_file"`

	// Token is read from TokenFile at load time (and so again on SIGHUP).
	Token Secret `yaml:"-"`
}

// PeerAPI configures the peer API this outpost serves to its peers
// (POST /api/peer/v1/confirm). It is off without a token.
type PeerAPI struct {
	TokenFile string `yaml:"token_file"` // the token peers must present

	// Token is read from TokenFile at load time (and so again on SIGHUP).
	Token Secret `yaml:"-"`
}

// Confirm tunes how the peers' answers decide a check's state.
type Confirm struct {
	// Quorum is how many locations, this one included, must see a check
	// failing before it goes down. Default: a majority of all locations.
	Quorum int `yaml:"quorum"`
	// Timeout is how long this outpost waits for its peers' answers.
	// Default: the longest check timeout plus DefaultConfirmSlack, so a
	// peer can wait out a target that does not answer at all.
	Timeout Duration `yaml:"timeout"`
	// Fallback is the verdict when no peer answers in time: local (this
	// outpost's own) or unknown (nothing goes down).
	Fallback string `yaml:"fallback"`
}

// Roles of an outpost among several.
const (
	// RolePublisher opens incidents, notifies and publishes (the default).
	RolePublisher = "publisher"
	// RoleConfirmer probes, answers peers and exports metrics only.
	RoleConfirmer = "confirmer"
)

// Fallbacks when no peer answers.
const (
	FallbackLocal   = "local"
	FallbackUnknown = "unknown"
)

// DefaultConfirmSlack is added to the longest check timeout for
// confirm.timeout's default: the request's round trip and the peer's
// scheduling on top of its probe.
const DefaultConfirmSlack = 2 * time.Second

// minPeerTokenLen is the shortest peer token accepted, as for the admin token.
const minPeerTokenLen = 16

// Majority is the default quorum among locations: more than half of them.
func Majority(locations int) int { return locations/2 + 1 }

// peerDefaults fills in location.name, role and the confirm keys. It runs
// after the checks got their defaults: confirm.timeout follows their
// timeouts.
func (v *validator) peerDefaults() {
	c := v.cfg
	if !v.has("location.name") {
		c.Location.Name = c.Location.ID
	}
	if !v.has("role") {
		c.Role = RolePublisher
	}
	if !v.has("confirm.quorum") {
		c.Confirm.Quorum = Majority(len(c.Peers) + 1)
	}
	if !v.has("confirm.timeout") {
		longest := c.Defaults.Timeout
		for _, comp := range c.Components {
			for _, ch := range comp.Checks {
				longest = max(longest, ch.Timeout)
			}
		}
		c.Confirm.Timeout = longest + Duration(DefaultConfirmSlack)
	}
	if !v.has("confirm.fallback") {
		c.Confirm.Fallback = FallbackLocal
	}
}

// validatePeers checks location, role, peers, peer_api and confirm, and
// reads the tokens.
func (v *validator) validatePeers() {
	c := v.cfg
	v.oneOf("role", c.Role, RolePublisher, RoleConfirmer)
	several := len(c.Peers) > 0 || c.PeerAPI.TokenFile != "" || c.Role == RoleConfirmer
	switch {
	case c.Location.ID != "" || v.has("location.id"):
		if !idPattern.MatchString(c.Location.ID) {
			v.errorf("location.id", "id %q must be 1-63 lower case letters, digits, - or _ (e.g. fra)", c.Location.ID)
		}
	case several:
		v.errorf("location", "peers, peer_api and role need location.id, the short name of this outpost's location (e.g. location: {id: fra, name: Frankfurt})")
	}
	ids := map[string]string{}
	if c.Location.ID != "" {
		ids[c.Location.ID] = "location.id"
	}
	for i := range c.Peers {
		v.validatePeer(&c.Peers[i], fmt.Sprintf("peers[%d]", i), ids)
	}
	if c.PeerAPI.TokenFile != "" {
		c.PeerAPI.Token = v.peerToken("peer_api.token_file", c.PeerAPI.TokenFile)
	} else if c.Role == RoleConfirmer {
		v.errorf("peer_api", "a confirmer answers its peers: set peer_api.token_file to the token they present")
	}
	v.validateConfirm()
}

func (v *validator) validatePeer(p *Peer, path string, ids map[string]string) {
	switch prev, dup := ids[p.ID]; {
	case !idPattern.MatchString(p.ID):
		v.errorf(path+".id", "id %q must be 1-63 lower case letters, digits, - or _: the peer's location.id (e.g. ams)", p.ID)
	case dup && prev == "location.id":
		v.errorf(path+".id", "%q is this outpost's own location.id; a peer is another outpost, with its own id", p.ID)
	case dup:
		v.errorf(path+".id", "duplicate peer id %q (also used by %s); give each peer its own location.id", p.ID, prev)
	default:
		ids[p.ID] = path + ".id"
	}
	u, err := url.Parse(p.URL)
	switch {
	case strings.TrimSpace(p.URL) == "":
		v.errorf(path+".url", "every peer needs the base url of its outpost (e.g. https://ams.status.example.com)")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		v.errorf(path+".url", "%q is not an absolute http(s) URL (e.g. https://ams.status.example.com)", p.URL)
	case u.User != nil:
		v.errorf(path+".url", "the url holds a user name or password; put the peer's token in token_file instead")
	case u.RawQuery != "" || u.Fragment != "":
		v.errorf(path+".url", "the url must be the outpost's base url, without query or fragment")
	}
	if p.TokenFile == "" {
		v.errorf(path+".token_file", "every peer needs token_file with the token its peer_api expects")
		return
	}
	p.Token = v.peerToken(path+".token_file", p.TokenFile)
}

// peerToken reads a token file: one line of at least minPeerTokenLen
// characters without white space.
func (v *validator) peerToken(path, file string) Secret {
	tok, err := v.readSecret(SecretSource{File: file})
	switch {
	case err != nil:
		v.errorf(path, "%v", err)
	case len(tok) < minPeerTokenLen:
		v.errorf(path, "the token holds fewer than %d characters; use a long random token (openssl rand -hex 32)", minPeerTokenLen)
	case strings.ContainsAny(tok, " \t\r\n"):
		v.errorf(path, "the token contains white space; use one line of letters and digits (openssl rand -hex 32)")
	default:
		return Secret(tok)
	}
	return ""
}

func (v *validator) validateConfirm() {
	c := v.cfg
	locations := len(c.Peers) + 1
	if q := c.Confirm.Quorum; q < 1 || q > locations {
		v.errorf("confirm.quorum", "%d is out of range: there are %d locations (this one and %d peers); use 1 to %d",
			q, locations, len(c.Peers), locations)
	}
	v.positive("confirm.timeout", c.Confirm.Timeout)
	v.oneOf("confirm.fallback", c.Confirm.Fallback, FallbackLocal, FallbackUnknown)
	if len(c.Peers) == 0 || !v.has("confirm.timeout") || c.Confirm.Timeout <= 0 {
		return
	}
	// A peer probes with the check's own timeout: with a shorter wait it
	// could never confirm a target that does not answer at all.
	for i, comp := range c.Components {
		for j, ch := range comp.Checks {
			if ch.Timeout >= c.Confirm.Timeout {
				v.errorf("confirm.timeout", "%s is not longer than the timeout %s of check %s (components[%d].checks[%d]); "+
					"peers could not confirm a target that does not answer: raise confirm.timeout above it", c.Confirm.Timeout, ch.Timeout, ch.Key(), i, j)
				return
			}
		}
	}
}
