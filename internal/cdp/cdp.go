// Package cdp is a small Chrome DevTools Protocol client for tests that
// drive a real Chromium the way a person would: open a page, click,
// type, wait for something to appear, take a screenshot.
//
// It talks to Chromium over --remote-debugging-pipe rather than through
// chromedp or another WebSocket client. With the pipe, Chromium reads
// commands from its file descriptor 3 and writes answers and events to
// descriptor 4, each message a JSON object ended by a NUL byte; so there
// is no debugging port to find or to race other processes for, no
// WebSocket to speak, and the browser dies with its pipes. The client is
// about 700 lines of standard library (without comments); chromedp would
// bring new modules (a WebSocket library and a generated binding of the
// whole protocol) into go.sum for the dozen commands the tests use.
//
// A Browser is one Chromium process; each Page is a tab attached with
// Target.attachToTarget in flat mode, so its commands and events travel
// on the same pipe tagged with the page's sessionId. No production code
// imports this package: it exists for the end-to-end tests.
package cdp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// maxMessage bounds one message from Chromium; a full-page screenshot
// of a long page is the largest thing the tests ask for.
const maxMessage = 64 << 20

// ErrClosed is returned by calls on a browser that has exited or been closed.
var ErrClosed = errors.New("cdp: browser closed")

// ProtocolError is an error answer from Chromium to a command.
type ProtocolError struct {
	Method  string
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    string `json:"data"`
}

func (e *ProtocolError) Error() string {
	s := fmt.Sprintf("cdp: %s: %s (code %d)", e.Method, e.Message, e.Code)
	if e.Data != "" {
		s += ": " + e.Data
	}
	return s
}

// message is every shape that crosses the pipe: a command (id, method,
// params), its answer (id, result or error) or an event (method, params).
type message struct {
	ID        int64           `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *ProtocolError  `json:"error,omitempty"`
}

// Browser is one running Chromium.
type Browser struct {
	cmd        *exec.Cmd
	toChrome   *os.File // our end of the pipe Chromium reads as fd 3
	fromChrome *os.File // our end of the pipe Chromium writes as fd 4
	stderr     *tail
	profile    string // a temporary --user-data-dir that Close removes

	writeMu sync.Mutex // one message at a time on toChrome

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan message
	subs    map[*subscription]struct{}

	readDone chan struct{} // closed when the reader stops
	readErr  error         // why it stopped; read after readDone
	exited   chan struct{} // closed when the process has been waited for
	waitErr  error

	closeOnce sync.Once
}

// Launch starts Chromium (bin) headless with the pipe open and returns
// once it answers. ctx bounds the browser's whole life, as with
// exec.CommandContext: when it ends the browser is killed. args come
// after the defaults (see defaultArgs), so a caller can add flags; a
// caller that passes --user-data-dir keeps its profile.
func Launch(ctx context.Context, bin string, args ...string) (*Browser, error) {
	b := &Browser{
		stderr:   &tail{max: 8 << 10},
		pending:  map[int64]chan message{},
		subs:     map[*subscription]struct{}{},
		readDone: make(chan struct{}),
		exited:   make(chan struct{}),
	}
	all := defaultArgs()
	if !hasFlag(args, "--user-data-dir") {
		dir, err := os.MkdirTemp("", "cdp-profile-")
		if err != nil {
			return nil, fmt.Errorf("cdp: profile directory: %w", err)
		}
		b.profile = dir
		all = append(all, "--user-data-dir="+dir)
	}
	all = append(all, args...)
	all = append(all, "about:blank")

	cmdRead, toChrome, err := os.Pipe()
	if err != nil {
		b.removeProfile()
		return nil, fmt.Errorf("cdp: pipe: %w", err)
	}
	fromChrome, evWrite, err := os.Pipe()
	if err != nil {
		cmdRead.Close()
		toChrome.Close()
		b.removeProfile()
		return nil, fmt.Errorf("cdp: pipe: %w", err)
	}
	b.toChrome, b.fromChrome = toChrome, fromChrome
	cmd := exec.CommandContext(ctx, bin, all...)
	cmd.ExtraFiles = []*os.File{cmdRead, evWrite} // fd 3 and fd 4 in the child
	cmd.Stdout, cmd.Stderr = io.Discard, b.stderr
	// Chromium forks a zygote, renderers and a GPU process; its own
	// process group lets Close end the stragglers of a killed browser.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second // a child still holding stderr must not block Wait
	b.cmd = cmd
	startErr := cmd.Start()
	cmdRead.Close()
	evWrite.Close()
	if startErr != nil {
		toChrome.Close()
		fromChrome.Close()
		b.removeProfile()
		return nil, fmt.Errorf("cdp: start %s: %w", bin, startErr)
	}
	go b.read()
	go func() {
		b.waitErr = cmd.Wait()
		close(b.exited)
	}()

	hctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var version struct {
		Product string `json:"product"`
	}
	if err := b.call(hctx, "", "Browser.getVersion", nil, &version); err != nil {
		b.Close()
		return nil, fmt.Errorf("cdp: %s did not answer on the pipe: %w\n%s", bin, err, b.stderr.String())
	}
	return b, nil
}

// defaultArgs keep the browser headless, quiet and on loopback: every
// host name but 127.0.0.1 fails to resolve, so nothing a page loads can
// leave the machine, and no background service phones home.
func defaultArgs() []string {
	return []string{
		"--headless", "--remote-debugging-pipe",
		"--no-sandbox", // the tests run as root in CI, where the sandbox refuses to start
		"--disable-gpu", "--disable-quic", "--no-first-run", "--no-default-browser-check",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--hide-scrollbars", "--mute-audio",
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
	}
}

func hasFlag(args []string, flag string) bool {
	for _, a := range args {
		if a == flag || strings.HasPrefix(a, flag+"=") {
			return true
		}
	}
	return false
}

// Close asks Chromium to quit, kills it (and its children) if it has not
// within five seconds, and removes the temporary profile. It is safe to
// call more than once.
func (b *Browser) Close() error {
	b.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// Chromium may close the pipe before it answers: the answer does not matter.
		_ = b.call(ctx, "", "Browser.close", nil, nil)
		select {
		case <-b.exited:
		case <-ctx.Done():
		}
		_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL) // children of an unclean exit
		<-b.exited
		b.toChrome.Close()
		b.fromChrome.Close()
		<-b.readDone
		b.removeProfile()
	})
	return nil
}

// Stderr returns the last few kilobytes Chromium wrote to its stderr,
// for a test's failure message.
func (b *Browser) Stderr() string { return b.stderr.String() }

func (b *Browser) removeProfile() {
	if b.profile != "" {
		os.RemoveAll(b.profile)
	}
}

// call sends method with params on session ("" for the browser itself)
// and decodes the result into result (nil to ignore it).
func (b *Browser) call(ctx context.Context, session, method string, params, result any) error {
	msg := message{Method: method, SessionID: session}
	if params != nil {
		raw, err := json.Marshal(params)
		if err != nil {
			return fmt.Errorf("cdp: %s: encode params: %w", method, err)
		}
		msg.Params = raw
	}
	reply := make(chan message, 1)
	b.mu.Lock()
	select {
	case <-b.readDone:
		b.mu.Unlock()
		return b.closedErr()
	default:
	}
	b.nextID++
	msg.ID = b.nextID
	b.pending[msg.ID] = reply
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.pending, msg.ID)
		b.mu.Unlock()
	}()

	data, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("cdp: %s: encode: %w", method, err)
	}
	b.writeMu.Lock()
	_, err = b.toChrome.Write(append(data, 0))
	b.writeMu.Unlock()
	if err != nil {
		return fmt.Errorf("cdp: %s: write: %w", method, err)
	}
	select {
	case r := <-reply:
		if r.Error != nil {
			r.Error.Method = method
			return r.Error
		}
		if result != nil && len(r.Result) > 0 {
			if err := json.Unmarshal(r.Result, result); err != nil {
				return fmt.Errorf("cdp: %s: decode result: %w", method, err)
			}
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("cdp: %s: %w", method, ctx.Err())
	case <-b.readDone:
		return fmt.Errorf("cdp: %s: %w", method, b.closedErr())
	}
}

func (b *Browser) closedErr() error {
	if b.readErr != nil && !errors.Is(b.readErr, io.EOF) && !errors.Is(b.readErr, os.ErrClosed) {
		return fmt.Errorf("%w: %v", ErrClosed, b.readErr)
	}
	return ErrClosed
}

// read delivers answers to their callers and events to subscribers
// until the pipe closes.
func (b *Browser) read() {
	r := bufio.NewReaderSize(b.fromChrome, 64<<10)
	var err error
	for {
		var data []byte
		if data, err = readMessage(r, maxMessage); err != nil {
			break
		}
		var m message
		if err = json.Unmarshal(data, &m); err != nil {
			err = fmt.Errorf("cdp: undecodable message from chromium: %w", err)
			break
		}
		b.dispatch(m)
	}
	b.mu.Lock()
	b.readErr = err
	close(b.readDone)
	b.mu.Unlock()
}

// readMessage reads one NUL-terminated message of at most limit bytes.
func readMessage(r *bufio.Reader, limit int) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := r.ReadSlice(0)
		if len(buf)+len(chunk) > limit {
			return nil, fmt.Errorf("cdp: message from chromium longer than %d bytes", limit)
		}
		buf = append(buf, chunk...)
		switch {
		case err == nil:
			return buf[:len(buf)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return nil, err
		}
	}
}

func (b *Browser) dispatch(m message) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if m.ID != 0 {
		if ch, ok := b.pending[m.ID]; ok {
			ch <- m // buffered: one answer per id
		}
		return
	}
	for s := range b.subs {
		if s.method == m.Method && s.session == m.SessionID {
			s.push(m.Params)
		}
	}
}

// subscribe queues every later event method on session until unsubscribed.
func (b *Browser) subscribe(session, method string) *subscription {
	s := &subscription{session: session, method: method, ready: make(chan struct{}, 1)}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

func (b *Browser) unsubscribe(s *subscription) {
	b.mu.Lock()
	delete(b.subs, s)
	b.mu.Unlock()
}

// subscription is an unbounded queue of one event's parameters: the
// reader never blocks on a slow subscriber, and no event is dropped.
type subscription struct {
	session, method string
	mu              sync.Mutex
	queue           []json.RawMessage
	ready           chan struct{}
}

func (s *subscription) push(params json.RawMessage) {
	s.mu.Lock()
	s.queue = append(s.queue, params)
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// next waits for the next event.
func (s *subscription) next(ctx context.Context, b *Browser) (json.RawMessage, error) {
	for {
		if p, ok := s.pop(); ok {
			return p, nil
		}
		select {
		case <-s.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-b.readDone:
			return nil, b.closedErr()
		}
	}
}

func (s *subscription) pop() (json.RawMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return nil, false
	}
	p := s.queue[0]
	s.queue = s.queue[1:]
	return p, true
}

// drain returns and clears everything queued.
func (s *subscription) drain() []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = nil
	return q
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.buf))
}
