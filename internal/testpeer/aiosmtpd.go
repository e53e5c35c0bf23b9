package testpeer

import (
	"bytes"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// SMTP is a running aiosmtpd (Debian's python3-aiosmtpd) on loopback
// whose Mailbox handler writes every message it accepts into a Maildir.
type SMTP struct {
	Addr    string // host:port
	maildir string
	out     *lockedBuffer
}

// StartSMTP starts aiosmtpd on a free loopback port and returns once it
// answers; t.Cleanup stops it. The peer is required as Require says.
func StartSMTP(t testing.TB) *SMTP {
	t.Helper()
	bin := Require(t, "aiosmtpd", "python3-aiosmtpd")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &SMTP{Addr: ln.Addr().String(), maildir: filepath.Join(t.TempDir(), "maildir"), out: &lockedBuffer{}}
	ln.Close()
	// The Maildir must not exist yet: the handler creates it.
	cmd := exec.Command(bin, "-n", "-l", s.Addr, "-c", "aiosmtpd.handlers.Mailbox", s.maildir)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("aiosmtpd output:\n%s", s.out.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err == nil {
			c.Close()
			return s
		}
		select {
		case <-exited:
			t.Fatalf("aiosmtpd exited: %s", s.out.String())
		case <-time.After(20 * time.Millisecond): // polling interval of a deadline-bounded wait
		}
		if time.Now().After(deadline) {
			t.Fatalf("aiosmtpd does not listen on %s: %v\n%s", s.Addr, err, s.out.String())
		}
	}
}

// Mails returns the messages received so far. aiosmtpd adds X-MailFrom
// and X-RcptTo (the envelope) to each.
func (s *SMTP) Mails(t testing.TB) []*mail.Message {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(s.maildir, "new"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []*mail.Message
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(s.maildir, "new", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		out = append(out, m)
	}
	return out
}

// WaitMails waits up to d for at least n messages and returns them all.
func (s *SMTP) WaitMails(t testing.TB, n int, d time.Duration) []*mail.Message {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		got := s.Mails(t)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("aiosmtpd got %d mails in %v, want %d\n%s", len(got), d, n, s.out.String())
		}
		time.Sleep(20 * time.Millisecond) // polling interval of a deadline-bounded wait
	}
}

// lockedBuffer collects a child's output for failure messages.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
