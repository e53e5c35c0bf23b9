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
	"sync"
)

// maxMessage bounds one message from Chromium; a full-page screenshot
// of a long page is the largest thing the tests ask for.
const maxMessage = 64 << 20

// ErrClosed is returned by calls on a browser that has exited or been closed.
var ErrClosed = errors.New("cdp: browser closed")

// ProtocolError is an error answer from Chromium to a command.
type ProtocolError struct {
	Method  string `json:"-"` // the command that failed
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
