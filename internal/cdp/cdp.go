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
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

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
	all = append(append(all, args...), "about:blank")
	if err := b.start(ctx, bin, all); err != nil {
		b.removeProfile()
		return nil, err
	}
	go b.read()
	go func() {
		_ = b.cmd.Wait() // how it ended shows in what the calls return
		close(b.exited)
	}()

	hctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := b.call(hctx, "", "Browser.getVersion", nil, nil); err != nil {
		b.Close()
		return nil, fmt.Errorf("cdp: %s did not answer on the pipe: %w\n%s", bin, err, b.stderr.String())
	}
	return b, nil
}

// start runs bin with args, reading commands from one new pipe as its
// fd 3 and writing to another as its fd 4.
func (b *Browser) start(ctx context.Context, bin string, args []string) error {
	cmdRead, toChrome, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("cdp: pipe: %w", err)
	}
	fromChrome, evWrite, err := os.Pipe()
	if err != nil {
		cmdRead.Close()
		toChrome.Close()
		return fmt.Errorf("cdp: pipe: %w", err)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.ExtraFiles = []*os.File{cmdRead, evWrite} // fd 3 and fd 4 in the child
	cmd.Stdout, cmd.Stderr = io.Discard, b.stderr
	// Chromium forks a zygote, renderers and a GPU process; its own
	// process group lets Close end the stragglers of a killed browser.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second // a child still holding stderr must not block Wait
	err = cmd.Start()
	cmdRead.Close() // the child's ends
	evWrite.Close()
	if err != nil {
		toChrome.Close()
		fromChrome.Close()
		return fmt.Errorf("cdp: start %s: %w", bin, err)
	}
	b.cmd, b.toChrome, b.fromChrome = cmd, toChrome, fromChrome
	return nil
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
