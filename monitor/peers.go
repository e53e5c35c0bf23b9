package monitor

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/outpost-status/outpost/config"
)

// Paths of the peer API (served by admin, asked by PeerClient).
const (
	PeerConfirmPath = "/api/peer/v1/confirm"
	PeerChecksPath  = "/api/peer/v1/checks"
)

// PeerConfig is one peer PeerClient asks.
type PeerConfig struct {
	ID    string // its location id
	URL   string // its base URL; the peer API is under it
	Token string // presented as a bearer token
}

// PeersFromConfig returns the configured peers with their tokens.
func PeersFromConfig(cfg *config.Config) []PeerConfig {
	out := make([]PeerConfig, len(cfg.Peers))
	for i, p := range cfg.Peers {
		out[i] = PeerConfig{ID: p.ID, URL: p.URL, Token: p.Token.Reveal()}
	}
	return out
}

// PeerClientOptions configure a PeerClient.
type PeerClientOptions struct {
	Peers   []PeerConfig
	Timeout time.Duration // confirm.timeout: the longest wait for any answer
	// RootCAs verifies https peers; nil uses the system roots. Tests
	// inject the pool of an httptest.NewTLSServer.
	RootCAs *x509.CertPool
	Logger  *slog.Logger
	Now     func() time.Time // default time.Now
}

// PeerClient asks the peers for confirmation over their peer API.
type PeerClient struct {
	client *http.Client
	log    *slog.Logger
	now    func() time.Time

	mu      sync.Mutex // guards below
	peers   []PeerConfig
	timeout time.Duration
	status  map[string]*peerHealth // by peer id
}

// peerHealth is what the client knows about a peer's last answer.
type peerHealth struct {
	up      bool
	last    time.Time // of the last good answer
	lastErr string    // logged when it changes
}

var _ Peers = (*PeerClient)(nil)

// NewPeerClient returns a client for o.Peers.
func NewPeerClient(o PeerClientOptions) *PeerClient {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	tr := &http.Transport{
		TLSClientConfig:       &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: time.Minute, // the request's context is shorter
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	c := &PeerClient{log: o.Logger, now: o.Now, status: map[string]*peerHealth{},
		client: &http.Client{Transport: tr,
			// A peer API does not redirect; following one would send the
			// token's request somewhere it was not configured to go.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	c.SetPeers(o.Peers, o.Timeout)
	return c
}

// SetPeers replaces the peers, their tokens and the timeout (SIGHUP).
// A peer kept under the same id keeps its health.
func (c *PeerClient) SetPeers(peers []PeerConfig, timeout time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.peers, c.timeout = slices.Clone(peers), timeout
	status := make(map[string]*peerHealth, len(peers))
	for _, p := range peers {
		if h := c.status[p.ID]; h != nil {
			status[p.ID] = h
		} else {
			status[p.ID] = &peerHealth{}
		}
	}
	c.status = status
}

func (c *PeerClient) config() ([]PeerConfig, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peers, c.timeout
}

// Confirm asks every peer to probe keys now and waits for their answers
// at most the timeout. Answers come in configuration order.
func (c *PeerClient) Confirm(ctx context.Context, keys []string) []PeerAnswer {
	peers, timeout := c.config()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	answers := make([]PeerAnswer, len(peers))
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Go(func() {
			res, err := c.confirmOne(ctx, p, keys)
			if err != nil {
				err = fmt.Errorf("peer %s: %w", p.ID, err)
				res = nil
			}
			answers[i] = PeerAnswer{Peer: p.ID, Results: res, Err: err}
			c.observe(p.ID, err)
		})
	}
	wg.Wait()
	return answers
}

// confirmOne asks one peer, in batches of MaxPeerKeys.
func (c *PeerClient) confirmOne(ctx context.Context, p PeerConfig, keys []string) (map[string]PeerVerdict, error) {
	out := make(map[string]PeerVerdict, len(keys))
	for batch := range slices.Chunk(keys, MaxPeerKeys) {
		body, err := json.Marshal(map[string][]string{"keys": batch})
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		var ans PeerConfirmAnswer
		if err := c.call(ctx, p, http.MethodPost, PeerConfirmPath, body, &ans); err != nil {
			return nil, err
		}
		if err := checkConfirmAnswer(p.ID, batch, ans); err != nil {
			return nil, err
		}
		for k, v := range ans.Results {
			out[k] = v
		}
	}
	return out, nil
}

// checkConfirmAnswer refuses an answer from another location than the
// one configured (a wrong url) or with results for keys not asked.
func checkConfirmAnswer(peer string, asked []string, ans PeerConfirmAnswer) error {
	if ans.Location != peer {
		return fmt.Errorf("answered as location %q; is its url right, and its location.id %q?", ans.Location, peer)
	}
	for k := range ans.Results {
		if !slices.Contains(asked, k) {
			return fmt.Errorf("answered for check %q, which was not asked (%d results for %d keys)",
				truncate(k, 128), len(ans.Results), len(asked))
		}
	}
	return nil
}

// PeerChecks is one peer's list of check keys (for outpost check).
type PeerChecks struct {
	Peer   string
	Checks []string // sorted
	Err    error
}

// Checks asks every peer for its check keys (GET /api/peer/v1/checks).
func (c *PeerClient) Checks(ctx context.Context) []PeerChecks {
	peers, timeout := c.config()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	out := make([]PeerChecks, len(peers))
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Go(func() {
			var ans PeerChecksAnswer
			err := c.call(ctx, p, http.MethodGet, PeerChecksPath, nil, &ans)
			if err == nil && ans.Location != p.ID {
				err = fmt.Errorf("answered as location %q; is its url right, and its location.id %q?", ans.Location, p.ID)
			}
			if err != nil {
				out[i] = PeerChecks{Peer: p.ID, Err: fmt.Errorf("peer %s: %w", p.ID, err)}
				return
			}
			slices.Sort(ans.Checks)
			out[i] = PeerChecks{Peer: p.ID, Checks: ans.Checks}
		})
	}
	wg.Wait()
	return out
}

// call sends one request to a peer and decodes its answer strictly.
func (c *PeerClient) call(ctx context.Context, p PeerConfig, method, path string, body []byte, into any) error {
	target, err := url.JoinPath(p.URL, path)
	if err != nil {
		return fmt.Errorf("peer url: %w", err)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+p.Token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("no answer in time: %w", ctx.Err())
		}
		return fmt.Errorf("request: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxPeerAnswerBody+1))
	switch {
	case err != nil && ctx.Err() != nil:
		return fmt.Errorf("no answer in time: %w", ctx.Err())
	case err != nil:
		return fmt.Errorf("read answer: %w", err)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("answered %s: %s", resp.Status, snippet(data))
	case len(data) > MaxPeerAnswerBody:
		return fmt.Errorf("answer larger than %d bytes", MaxPeerAnswerBody)
	}
	if err := strictJSON(data, into); err != nil {
		return fmt.Errorf("unusable answer: %w", err)
	}
	return nil
}

// strictJSON decodes exactly one JSON value without unknown fields.
func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON value")
	}
	return nil
}

// snippet is the start of an error answer, printable, for messages.
func snippet(b []byte) string {
	s := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, string(b))
	return strings.TrimSpace(truncate(strings.ToValidUTF8(s, "?"), 200))
}

// observe records the outcome of asking peer, logging when it changes.
func (c *PeerClient) observe(peer string, err error) {
	c.mu.Lock()
	h := c.status[peer]
	if h == nil { // removed by a reload meanwhile
		c.mu.Unlock()
		return
	}
	was := h.up
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	changed := msg != h.lastErr
	h.up, h.lastErr = err == nil, msg
	if err == nil {
		h.last = c.now()
	}
	c.mu.Unlock()
	switch {
	case err != nil && changed:
		c.log.Warn("peer did not confirm", "peer", peer, "err", err)
	case err == nil && !was && changed:
		c.log.Info("peer answers", "peer", peer)
	}
}

// PeerStatus is what the last request to a peer showed.
type PeerStatus struct {
	Peer       string
	Up         bool      // its last answer was good
	LastAnswer time.Time // of the last good answer; zero before one
}

// PeerStatus returns every configured peer's status, in configuration
// order (for outpost_peer_up).
func (c *PeerClient) PeerStatus() []PeerStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]PeerStatus, len(c.peers))
	for i, p := range c.peers {
		h := c.status[p.ID]
		out[i] = PeerStatus{Peer: p.ID, Up: h.up, LastAnswer: h.last}
	}
	return out
}

// KeyDiff compares a peer's check keys with this outpost's: missing are
// keys only here, extra keys only at the peer. Both sorted.
func KeyDiff(local, peer []string) (missing, extra []string) {
	have := map[string]bool{}
	for _, k := range peer {
		have[k] = true
	}
	mine := map[string]bool{}
	for _, k := range local {
		mine[k] = true
		if !have[k] {
			missing = append(missing, k)
		}
	}
	for _, k := range peer {
		if !mine[k] {
			extra = append(extra, k)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	return slices.Compact(missing), slices.Compact(extra)
}
