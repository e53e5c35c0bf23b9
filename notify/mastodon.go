package notify

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/store"
)

// Mastodon defaults: the length of a status on an instance that does not
// say, and what every URL counts towards it.
const (
	MastodonDefaultMaxChars = 500
	mastodonCharsPerURL     = 23
)

// MastodonOptions configure NewMastodon.
type MastodonOptions struct {
	URL        string        // the instance, e.g. https://mastodon.social
	Token      config.Secret // an access token with the write:statuses scope
	Visibility string        // public (default) or unlisted
	// MaxChars is the instance's status length; 0 asks the instance
	// (GET /api/v2/instance) at the first post and falls back to 500.
	MaxChars int
	Language string        // ISO 639 code of the posts; "" lets the instance guess
	Timeout  time.Duration // per attempt, instance lookup included; default 10 s
	Client   *http.Client
	Now      func() time.Time // rate-limit reset times; default time.Now
}

// Mastodon posts each message as a status of one account.
//
// The message key is the Idempotency-Key: an instance that got a status
// but whose answer was lost returns the same status for the retry
// instead of posting it twice (instances remember keys for an hour,
// longer than the dispatcher's longest backoff).
type Mastodon struct {
	api apiClient
	o   MastodonOptions

	mu    sync.Mutex
	limit postLimit // zero until known
}

var _ Sender = (*Mastodon)(nil)

// NewMastodon returns a Mastodon channel.
func NewMastodon(o MastodonOptions) (*Mastodon, error) {
	if o.Token.Reveal() == "" {
		return nil, fmt.Errorf("notify: mastodon channel needs an access token (token_file or token_env)")
	}
	if o.Visibility == "" {
		o.Visibility = "public"
	}
	if o.Visibility != "public" && o.Visibility != "unlisted" {
		return nil, fmt.Errorf("notify: mastodon visibility %q: use public or unlisted (the channel is for the public)", o.Visibility)
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	s := &Mastodon{o: o}
	api, err := newAPIClient(o.Client, o.URL, o.Now, func() []string { return []string{s.o.Token.Reveal()} })
	if err != nil {
		return nil, err
	}
	s.api = api
	if o.MaxChars > 0 {
		s.limit = postLimit{chars: o.MaxChars, linkChars: mastodonCharsPerURL}
	}
	return s, nil
}

// mastodonStatus is the body of POST /api/v1/statuses.
type mastodonStatus struct {
	Status     string `json:"status"`
	Visibility string `json:"visibility"`
	Language   string `json:"language,omitempty"`
}

// Send implements Sender.
func (s *Mastodon) Send(ctx context.Context, m store.OutboxMessage) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	text, _ := composePost(m.Text, m.URL, s.limits(ctx))
	h := http.Header{}
	h.Set("Authorization", "Bearer "+s.o.Token.Reveal())
	h.Set(HeaderIdempotencyKey, m.Key)
	r, err := s.api.call(ctx, http.MethodPost, "/api/v1/statuses", h,
		mastodonStatus{Status: text, Visibility: s.o.Visibility, Language: s.o.Language})
	switch {
	case err != nil:
		return true, err
	case r.ok():
		return false, nil
	}
	return s.api.fail("mastodon: post status", r, mastodonHint(r.code))
}

// mastodonHint says what a final answer means for the operator.
func mastodonHint(code int) string {
	switch code {
	case http.StatusUnauthorized:
		return "the instance refused the access token; check token_file or token_env"
	case http.StatusForbidden:
		return "the token may not post: it needs the write:statuses scope, and the account must not be suspended"
	case http.StatusUnprocessableEntity:
		return "the instance refused the status; if it is too long, set max_chars to the instance's limit"
	case http.StatusNotFound:
		return "no Mastodon API there; url must be the instance's base url (e.g. https://mastodon.social)"
	}
	return ""
}

// limits returns the instance's status length: max_chars if configured,
// else what the instance says, asked once. While the instance cannot be
// asked (network, 5xx) the default is used and it is asked again next
// time; an instance without the answer keeps the default.
func (s *Mastodon) limits(ctx context.Context) postLimit {
	s.mu.Lock()
	lim := s.limit
	s.mu.Unlock()
	if lim.chars > 0 {
		return lim
	}
	lim, known := s.askInstance(ctx)
	if known {
		s.mu.Lock()
		s.limit = lim
		s.mu.Unlock()
	}
	return lim
}

// mastodonInstance is the part of GET /api/v2/instance outpost reads.
type mastodonInstance struct {
	Configuration struct {
		Statuses struct {
			MaxCharacters            int `json:"max_characters"`
			CharactersReservedPerURL int `json:"characters_reserved_per_url"`
		} `json:"statuses"`
	} `json:"configuration"`
}

// askInstance reads the status length from the instance; known is false
// when it should be asked again.
func (s *Mastodon) askInstance(ctx context.Context) (lim postLimit, known bool) {
	lim = postLimit{chars: MastodonDefaultMaxChars, linkChars: mastodonCharsPerURL}
	r, err := s.api.call(ctx, http.MethodGet, "/api/v2/instance", nil, nil)
	if err != nil || r.code == http.StatusTooManyRequests || r.code >= 500 {
		return lim, false
	}
	var inst mastodonInstance
	if !r.ok() || s.api.decode("mastodon: instance", r, &inst) != nil {
		return lim, true
	}
	st := inst.Configuration.Statuses
	if st.MaxCharacters >= 50 && st.MaxCharacters <= 100_000 { // sane bounds: a hostile answer cannot make posts absurd
		lim.chars = st.MaxCharacters
	}
	if st.CharactersReservedPerURL > 0 && st.CharactersReservedPerURL <= 1000 {
		lim.linkChars = st.CharactersReservedPerURL
	}
	return lim, true
}
