package config

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Config is the whole configuration file. After Load it is validated,
// defaults are filled in, and it must be treated as read-only.
type Config struct {
	Page         Page          `yaml:"page"`
	Listen       string        `yaml:"listen"`
	DataDir      string        `yaml:"data_dir"`
	Admin        Admin         `yaml:"admin"`
	Retention    Retention     `yaml:"retention"`
	Store        Store         `yaml:"store"`
	Availability Availability  `yaml:"availability"`
	Publish      Publish       `yaml:"publish"`
	Log          Log           `yaml:"log"`
	Defaults     Defaults      `yaml:"defaults"`
	SelfCheck    SelfCheck     `yaml:"self_check"`
	Components   []Component   `yaml:"components"`
	Incidents    Incidents     `yaml:"incidents"`
	Maintenance  []Maintenance `yaml:"maintenance"`
	Notify       []Notify      `yaml:"notify"`
	Templates    []Template    `yaml:"templates"`
	Alerts       Alerts        `yaml:"alerts"` // see alerts.go
	// Email subscriptions (SPEC §16), see subscriptions.go.
	Subscriptions Subscriptions `yaml:"subscriptions"`
	// Several locations (SPEC §17), see peers.go.
	Location Location `yaml:"location"`
	Role     string   `yaml:"role"` // publisher (default) or confirmer
	Peers    []Peer   `yaml:"peers"`
	PeerAPI  PeerAPI  `yaml:"peer_api"`
	Confirm  Confirm  `yaml:"confirm"`
	// Resolver is the DNS server (IP:port) every probe asks; "" means
	// the system's (see sip.go).
	Resolver string `yaml:"resolver"`

	// File is the path the configuration was read from.
	File string `yaml:"-"`
}

// Page describes the public status page.
type Page struct {
	Title    string `yaml:"title"`
	URL      string `yaml:"url"`
	Language string `yaml:"language"`  // en, de or sv
	TimeZone string `yaml:"time_zone"` // IANA name; daily values use it

	// Location is TimeZone loaded.
	Location *time.Location `yaml:"-"`
}

// ID is a stable page id derived from the title and URL (Statuspage
// documents and feeds carry it).
func (p Page) ID() string {
	sum := sha256.Sum256([]byte(p.Title + "\x00" + p.URL))
	return hex.EncodeToString(sum[:6])
}

// Admin configures the admin API. It is off without a token.
type Admin struct {
	TokenFile string `yaml:"token_file"` // OUTPOST_ADMIN_TOKEN overrides
}

// Retention says how long data is kept.
type Retention struct {
	Results Duration `yaml:"results"` // raw probe results
	History Duration `yaml:"history"` // state intervals and daily rollups
}

// Store tunes persistence.
type Store struct {
	FlushInterval Duration `yaml:"flush_interval"`
}

// Availability configures the reported windows.
type Availability struct {
	Windows       []Duration `yaml:"windows"`
	PartialWeight float64    `yaml:"partial_weight"`
}

// Publish configures static export.
type Publish struct {
	StaticDir string `yaml:"static_dir"`
}

// Log configures log/slog output.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// Defaults apply to every check that does not set the key itself.
type Defaults struct {
	Interval        Duration `yaml:"interval"`
	Timeout         Duration `yaml:"timeout"`
	RetryInterval   Duration `yaml:"retry_interval"`
	FailAfter       int      `yaml:"fail_after"`
	RecoverAfter    int      `yaml:"recover_after"`
	DegradedLatency Duration `yaml:"degraded_latency"`
	CertMinDays     int      `yaml:"cert_min_days"`
}

// SelfCheck lists independent targets that tell whether the monitor itself can see.
type SelfCheck struct {
	Targets []string `yaml:"targets"`
}

// Component is a customer-facing service made of checks.
type Component struct {
	ID          string  `yaml:"id"`
	Name        string  `yaml:"name"`
	Description string  `yaml:"description"`
	Checks      []Check `yaml:"checks"`

	// Impact says what customers notice while the component is down
	// ("calls cannot be placed or received"), Workaround what they can
	// do meanwhile; drafted incidents use them. Both optional.
	Impact     Localized `yaml:"impact"`
	Workaround Localized `yaml:"workaround"`
}

// Check is one target probed at an interval. Unset keys come from Defaults.
type Check struct {
	ID     string `yaml:"id"`
	Name   string `yaml:"name"`
	Target string `yaml:"target"`

	Interval        Duration `yaml:"interval"`
	Timeout         Duration `yaml:"timeout"`
	RetryInterval   Duration `yaml:"retry_interval"`
	FailAfter       int      `yaml:"fail_after"`
	RecoverAfter    int      `yaml:"recover_after"`
	DegradedLatency Duration `yaml:"degraded_latency"`
	CertMinDays     int      `yaml:"cert_min_days"`

	// HTTP request shape.
	Method        string                  `yaml:"method"`
	Headers       map[string]string       `yaml:"headers"`
	SecretHeaders map[string]SecretSource `yaml:"secret_headers"`
	Body          string                  `yaml:"body"`
	MaxRedirects  int                     `yaml:"max_redirects"`
	// TLS for https, tls, sips and DNS over TLS.
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
	ServerName         string `yaml:"server_name"`
	// TCP: sent after connecting; the reply is matched by expect.body_*.
	Send string `yaml:"send"`
	// SIP method: REGISTER (see sip.go): the digest username and where
	// the password is read from; Password is it, read at load.
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
	PasswordEnv  string `yaml:"password_env"`
	Password     Secret `yaml:"-"`
	// Push checks (target push:, see push.go): where the bearer token
	// the monitored job sends is read from; Token is it, read at load.
	TokenFile string `yaml:"token_file"`
	TokenEnv  string `yaml:"token_env"`
	Token     Secret `yaml:"-"`

	Expect Expect `yaml:"expect"`

	// Component is the id of the component the check belongs to.
	Component string `yaml:"-"`
}

// Key identifies a check across the system: "component/check".
func (c Check) Key() string { return c.Component + "/" + c.ID }

// Expect describes a passing reply.
type Expect struct {
	Status       StatusRanges `yaml:"status"`        // HTTP or SIP codes and ranges: [200, "300-399", 2xx]
	BodyContains string       `yaml:"body_contains"` // HTTP body or TCP reply
	BodyRegex    Regexp       `yaml:"body_regex"`
	Rcodes       Rcodes       `yaml:"rcodes"`      // DNS, default [NOERROR]
	MinAnswers   int          `yaml:"min_answers"` // DNS, default 1
	Answer       Regexp       `yaml:"answer"`      // DNS, matched against each answer record
}

// SecretSource names where a secret comes from; inline secrets are not allowed.
type SecretSource struct {
	Env  string `yaml:"env"`
	File string `yaml:"file"`

	// Value is the secret read at load time.
	Value Secret `yaml:"-"`
}

// Incidents tunes the incident engine. Zero durations turn a timer off.
type Incidents struct {
	GroupWindow      Duration `yaml:"group_window"`
	AutoPublishAfter Duration `yaml:"auto_publish_after"`
	AutoResolveAfter Duration `yaml:"auto_resolve_after"`
	RemindAfter      Duration `yaml:"remind_after"`
}

// Maintenance is a scheduled window during which failures open no incident.
type Maintenance struct {
	ID         string    `yaml:"id"`
	Components []string  `yaml:"components"`
	Start      Timestamp `yaml:"start"`
	End        Timestamp `yaml:"end"`
	Title      string    `yaml:"title"`
	Body       string    `yaml:"body"`
}

// Template is a named start for an incident an operator opens by hand
// (the console's template select, outpost incident new -template NAME).
type Template struct {
	Name       string    `yaml:"name"` // slug-like, unique
	Title      Localized `yaml:"title"`
	Body       Localized `yaml:"body"`
	Impact     string    `yaml:"impact"`     // none, minor (default), major or critical
	Components []string  `yaml:"components"` // component ids
	Status     string    `yaml:"status"`     // investigating (default), identified or monitoring
}

// Notify is one notification channel. Its name identifies its outbox in
// the database: renaming a channel orphans messages still pending.
type Notify struct {
	Name     string `yaml:"name"`
	Type     string `yaml:"type"`     // webhook, email, slack, mastodon, bluesky
	Audience string `yaml:"audience"` // operators or public; mastodon and bluesky: public only
	// webhook and slack; mastodon: the instance; bluesky: the PDS
	URL string `yaml:"url"`
	// URLEnv and URLFile read the URL from the environment or a file, for
	// incoming-webhook URLs that are themselves secrets (Slack).
	URLEnv     string `yaml:"url_env"`
	URLFile    string `yaml:"url_file"`
	SecretEnv  string `yaml:"secret_env"` // webhook signing secret
	SecretFile string `yaml:"secret_file"`
	// email
	SMTP         string   `yaml:"smtp"`     // host:port
	SMTPTLS      string   `yaml:"smtp_tls"` // starttls (required), auto (STARTTLS when offered) or tls (implicit, port 465)
	From         string   `yaml:"from"`
	To           []string `yaml:"to"`
	Username     string   `yaml:"username"`
	PasswordEnv  string   `yaml:"password_env"`
	PasswordFile string   `yaml:"password_file"`
	// mastodon: an access token with the write:statuses scope.
	TokenFile  string `yaml:"token_file"`
	TokenEnv   string `yaml:"token_env"`
	Visibility string `yaml:"visibility"` // public (default) or unlisted
	MaxChars   int    `yaml:"max_chars"`  // 0 (default): ask the instance
	// bluesky: the account (handle or DID) and an app password.
	Identifier      string `yaml:"identifier"`
	AppPasswordFile string `yaml:"app_password_file"`
	AppPasswordEnv  string `yaml:"app_password_env"`
	// Delivery.
	RateLimit int      `yaml:"rate_limit"` // messages per minute
	RateBurst int      `yaml:"rate_burst"` // messages sent at once after a quiet time
	Timeout   Duration `yaml:"timeout"`    // per attempt
	// EscalateAfter makes an operators channel the deputy of the
	// notification plan: it gets draft_opened only when the draft is
	// still unreviewed after this long (and then what follows for that
	// incident). 0, the default, sends everything at once.
	EscalateAfter Duration `yaml:"escalate_after"`

	// Secret is the webhook signing secret, Password the SMTP password
	// or the Bluesky app password, Token the Mastodon access token, all
	// read at load time.
	Secret   Secret `yaml:"-"`
	Password Secret `yaml:"-"`
	Token    Secret `yaml:"-"`
	// Language is page.language, set at load for mastodon and bluesky
	// channels: their posts are tagged with it.
	Language string `yaml:"-"`
}
