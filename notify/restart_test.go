package notify

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/outpost-status/outpost/store"
)

// Environment of the delivery child; read only by this test file.
const (
	childDBEnv   = "OUTPOST_NOTIFY_CHILD_DB"
	childURLEnv  = "OUTPOST_NOTIFY_CHILD_URL"
	childLastEnv = "OUTPOST_NOTIFY_CHILD_LAST"
)

// wire records what a receiver got, duplicates included.
type wire struct {
	mu   sync.Mutex
	keys []string
}

func (w *wire) add(k string) {
	w.mu.Lock()
	w.keys = append(w.keys, k)
	w.mu.Unlock()
}

func (w *wire) got() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.keys)
}

// distinct counts different keys received.
func (w *wire) distinct() int {
	seen := map[string]bool{}
	for _, k := range w.got() {
		seen[k] = true
	}
	return len(seen)
}

// checkWire asserts that the receiver got want in order, where a key may
// repeat only right after itself (the message in flight at a crash is
// sent again, with the same key), and returns the repeated keys.
func checkWire(t *testing.T, name string, got, want []string) []string {
	t.Helper()
	var dups []string
	collapsed := slices.CompactFunc(slices.Clone(got), func(a, b string) bool {
		if a == b {
			dups = append(dups, a)
		}
		return a == b
	})
	if !slices.Equal(collapsed, want) {
		t.Errorf("%s got %d messages (%d distinct after collapsing repeats), want %d in order\ngot  %q\nwant %q",
			name, len(got), len(collapsed), len(want), collapsed, want)
	}
	return dups
}

func keysN(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%03d", prefix, i)
	}
	return out
}

func fastChannel(t *testing.T, name, url string) Channel {
	return webhookChannel(t, name, url, 60000, 1000)
}

// TestStopMidDeliveryAndRestart stops the dispatcher while the receiver
// holds a request it has already processed (as if outpost crashed before
// recording the delivery), closes and reopens the store and starts a new
// dispatcher: everything arrives in order, and only that one message
// arrives twice, with the same idempotency key.
func TestStopMidDeliveryAndRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), store.FileName)
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hookKeys, chatKeys := keysN("h", 40), keysN("c", 40)
	enqueue(t, db, "hook", hookKeys...)
	enqueue(t, db, "chat", chatKeys...)
	var hook, chat wire
	inFlight := make(chan struct{})
	var once sync.Once
	hookSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		key := req.Header.Get(HeaderIdempotencyKey)
		hook.add(key)
		if key == "h010" {
			held := false
			once.Do(func() { held = true; close(inFlight) })
			if held {
				<-req.Context().Done() // processed, but the answer never reaches outpost
				return
			}
		}
	}))
	t.Cleanup(hookSrv.Close)
	chatSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		chat.add(req.Header.Get(HeaderIdempotencyKey))
	}))
	t.Cleanup(chatSrv.Close)
	channels := []Channel{fastChannel(t, "hook", hookSrv.URL), fastChannel(t, "chat", chatSrv.URL)}

	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- NewDispatcher(db, channels, DispatcherOptions{Poll: 10 * time.Millisecond}).Run(ctx) }()
	<-inFlight
	stop()
	<-done
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(hook.got()); n != 11 {
		t.Fatalf("hook got %d messages before the stop, want 11 (h000-h010)", n)
	}

	db, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d := NewDispatcher(db, channels, DispatcherOptions{Poll: 10 * time.Millisecond})
	ctx, stop = context.WithCancel(t.Context())
	go func() { done <- d.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for (hook.distinct() < len(hookKeys) || chat.distinct() < len(chatKeys)) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	waitEmpty(t, db)
	stop()
	<-done
	if dups := checkWire(t, "hook", hook.got(), hookKeys); !slices.Equal(dups, []string{"h010"}) {
		t.Errorf("hook repeats %q, want only h010 (in flight at the stop)", dups)
	}
	// The chat channel runs on; a message of it may be in flight at the
	// stop too, and is then repeated once (the documented at-least-once).
	if dups := checkWire(t, "chat", chat.got(), chatKeys); len(dups) > 1 {
		t.Errorf("chat repeats %q, want at most the one in flight at the stop", dups)
	}
	enqueue(t, db, "hook", hookKeys...) // sent keys are never enqueued again
	if p, _ := db.Pending(); len(p) != 0 {
		t.Errorf("pending after re-enqueueing sent keys: %v", p)
	}
	t.Logf("stop mid-delivery and restart: hook %d messages on the wire for %d keys (h010 twice), chat %d for %d",
		len(hook.got()), len(hookKeys), len(chat.got()), len(chatKeys))
}

func waitEmpty(t *testing.T, db *store.DB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := db.Pending()
		if err != nil {
			t.Fatal(err)
		}
		if len(p) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still pending after 10 s: %v", p)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestDeliveryChild is the child process of TestKillDuringDelivery: it
// delivers the outbox until killed (or, when childLastEnv is set, until
// the outbox is empty).
func TestDeliveryChild(t *testing.T) {
	path := os.Getenv(childDBEnv)
	if path == "" {
		t.Skip("child process of TestKillDuringDelivery")
	}
	db, err := store.Open(path, store.Options{LockTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- NewDispatcher(db, []Channel{fastChannel(t, "hook", os.Getenv(childURLEnv))},
			DispatcherOptions{Poll: 5 * time.Millisecond}).Run(ctx)
	}()
	for os.Getenv(childLastEnv) != "" {
		if p, err := db.Pending(); err == nil && len(p) == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if os.Getenv(childLastEnv) == "" {
		<-done // until SIGKILL
	}
	stop()
	<-done
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestKillDuringDelivery kills a delivering child process with SIGKILL
// at random moments, five times, then lets a last child finish: the
// receiver gets every message in order; a message repeats (same key,
// right after itself) at most once per kill.
func TestKillDuringDelivery(t *testing.T) {
	path := filepath.Join(t.TempDir(), store.FileName)
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	keys := keysN("k", 150)
	enqueue(t, db, "hook", keys...)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	var got wire
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		got.add(req.Header.Get(HeaderIdempotencyKey))
		time.Sleep(time.Millisecond) // widen the window between receipt and mark
	}))
	t.Cleanup(srv.Close)
	child := func(last bool) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDeliveryChild$")
		cmd.Env = append(os.Environ(), childDBEnv+"="+path, childURLEnv+"="+srv.URL)
		if last {
			cmd.Env = append(cmd.Env, childLastEnv+"=1")
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	const kills = 5
	for range kills {
		before := len(got.got())
		cmd := child(false)
		deadline := time.Now().Add(20 * time.Second)
		for len(got.got()) < before+5 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Duration(rand.IntN(5000)) * time.Microsecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
	}
	if err := child(true).Wait(); err != nil {
		t.Fatalf("last child: %v", err)
	}
	dups := checkWire(t, "receiver", got.got(), keys)
	if len(dups) > kills {
		t.Errorf("%d repeats (%q) after %d kills; want at most one per kill", len(dups), dups, kills)
	}
	t.Logf("kill -9 during delivery: %d kills, %d keys, %d on the wire, repeats %q", kills, len(keys), len(got.got()), dups)
}
