package cdp

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/internal/testpeer"
)

// testPage is a page with something to click, type into and submit.
const testPage = `<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>cdp test page</title>
<style>body{margin:0;font:16px sans-serif} #veil{position:fixed;left:0;top:0;width:200px;height:60px;background:#ccc}
.low{margin-top:1500px}</style></head>
<body>
<h1 id="title">Hello</h1>
<p id="out">not clicked</p>
<button id="btn" onclick="document.getElementById('out').textContent = 'clicked ' + event.isTrusted">Click me</button>
<form method="post" action="/submit" id="f">
<input name="note" id="note" value="old text" oninput="document.getElementById('echo').textContent = this.value">
<textarea name="body" id="body">first line
second line</textarea>
<button id="send" class="low">Send</button>
</form>
<p id="echo"></p>
<div id="hidden" style="display:none">hidden</div>
<div id="veil">veil</div><button id="under" style="position:fixed;left:10px;top:10px">under</button>
<script>document.getElementById('veil').style.zIndex = 10</script>
</body></html>`

func testServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, testPage)
	})
	mux.HandleFunc("POST /submit", func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		q := url.Values{"note": {r.PostForm.Get("note")}, "lines": {fmt.Sprint(strings.Count(r.PostForm.Get("body"), "\n") + 1)}}
		http.Redirect(w, r, "/done?"+q.Encode(), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /done", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>done</title><p id=got>%s/%s</p>",
			html.EscapeString(r.URL.Query().Get("note")), html.EscapeString(r.URL.Query().Get("lines")))
	})
	mux.HandleFunc("GET /wide", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta name="viewport" content="width=device-width, initial-scale=1"><div style="width:600px">wide</div>`)
	})
	mux.HandleFunc("GET /csp", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'")
		fmt.Fprint(w, `<!doctype html><title>csp</title><script>document.title = "ran"</script><p>blocked script above</p>`)
	})
	mux.HandleFunc("GET /cookie", func(w http.ResponseWriter, r *http.Request) {
		if v := r.URL.Query().Get("set"); v != "" {
			http.SetCookie(w, &http.Cookie{Name: "who", Value: v, Path: "/"})
		}
		who := "nobody"
		if c, err := r.Cookie("who"); err == nil {
			who = c.Value
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>%s</title>", html.EscapeString(who))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// launch starts chromium for one test and closes it at cleanup.
func launch(t *testing.T) *Browser {
	t.Helper()
	bin := testpeer.Require(t, "chromium", "chromium")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	b, err := Launch(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func newPage(t *testing.T, b *Browser) (*Page, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	p, err := b.NewPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return p, ctx
}

func evalString(t *testing.T, ctx context.Context, p *Page, js string) string {
	t.Helper()
	s, err := p.EvalString(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPageAsAPersonUsesIt(t *testing.T) {
	srv := testServer(t)
	b := launch(t)
	p, ctx := newPage(t, b)
	if err := p.Navigate(ctx, srv.URL+"/"); err != nil {
		t.Fatal(err)
	}

	t.Run("eval", func(t *testing.T) {
		if got := evalString(t, ctx, p, "document.title"); got != "cdp test page" {
			t.Errorf("title = %q", got)
		}
		raw, err := p.Eval(ctx, `Promise.resolve({n: 2, s: "x"})`)
		if err != nil || string(raw) != `{"n":2,"s":"x"}` {
			t.Errorf("awaited promise = %s, %v", raw, err)
		}
		if raw, err := p.Eval(ctx, "undefined"); err != nil || string(raw) != "null" {
			t.Errorf("undefined = %s, %v", raw, err)
		}
		if raw, err := p.Eval(ctx, "1/0"); err != nil || string(raw) != `"Infinity"` {
			t.Errorf("1/0 = %s, %v", raw, err)
		}
	})
	t.Run("eval exception is an error", func(t *testing.T) {
		_, err := p.Eval(ctx, `(() => { throw new Error("boom 42") })()`)
		if err == nil || !strings.Contains(err.Error(), "boom 42") {
			t.Errorf("err = %v, want the exception's message", err)
		}
		if _, err := p.Eval(ctx, "this is not javascript"); err == nil || !strings.Contains(err.Error(), "SyntaxError") {
			t.Errorf("syntax error: %v", err)
		}
		if _, err := p.Eval(ctx, `Promise.reject(new Error("rejected 7"))`); err == nil || !strings.Contains(err.Error(), "rejected 7") {
			t.Errorf("rejected promise: %v", err)
		}
	})
	t.Run("click is a trusted event", func(t *testing.T) {
		if err := p.Click(ctx, "#btn"); err != nil {
			t.Fatal(err)
		}
		if err := p.WaitFor(ctx, `document.getElementById("out").textContent === "clicked true"`); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("click refuses what a person could not click", func(t *testing.T) {
		for sel, want := range map[string]string{
			"#missing": "no element matches",
			"#hidden":  "not visible",
			"#under":   "covered at its centre by <div id=\"veil\"",
		} {
			if err := p.Click(ctx, sel); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("click %s: %v, want %q", sel, err, want)
			}
		}
	})
	t.Run("type replaces the value with input events", func(t *testing.T) {
		if err := p.Type(ctx, "#note", "new <text> ünïcode"); err != nil {
			t.Fatal(err)
		}
		if got := evalString(t, ctx, p, `document.getElementById("note").value`); got != "new <text> ünïcode" {
			t.Errorf("value = %q", got)
		}
		if got := evalString(t, ctx, p, `document.getElementById("echo").textContent`); got != "new <text> ünïcode" {
			t.Errorf("input event saw %q", got)
		}
		if err := p.Type(ctx, "#body", "one\ntwo\nthree"); err != nil {
			t.Fatal(err)
		}
		if got := evalString(t, ctx, p, `document.getElementById("body").value`); got != "one\ntwo\nthree" {
			t.Errorf("textarea = %q", got)
		}
		if err := p.Type(ctx, "#title", "x"); err == nil {
			t.Error("typing into a heading succeeded")
		}
	})
	t.Run("submit a form below the fold", func(t *testing.T) {
		if err := p.Click(ctx, "#send"); err != nil {
			t.Fatal(err)
		}
		if err := p.WaitFor(ctx, `location.pathname === "/done" && document.readyState === "complete"`); err != nil {
			t.Fatal(err)
		}
		if got := evalString(t, ctx, p, `document.getElementById("got").textContent`); got != "new <text> ünïcode/3" {
			t.Errorf("server got %q", got)
		}
	})
	t.Run("screenshot", func(t *testing.T) {
		if err := p.Navigate(ctx, srv.URL+"/"); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(artifactDir(t), "cdp-test-page.png")
		if err := p.Screenshot(ctx, path); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil || !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) || len(data) < 2000 {
			t.Fatalf("screenshot %s: %d bytes, %v", path, len(data), err)
		}
	})
	t.Run("mobile viewport", func(t *testing.T) {
		if err := p.SetViewport(ctx, 390, 844, true); err != nil {
			t.Fatal(err)
		}
		if err := p.Navigate(ctx, srv.URL+"/"); err != nil {
			t.Fatal(err)
		}
		raw, err := p.Eval(ctx, `[window.innerWidth, document.documentElement.scrollWidth, window.devicePixelRatio]`)
		if err != nil || string(raw) != "[390,390,2]" {
			t.Errorf("innerWidth, scrollWidth, devicePixelRatio = %s, %v; want [390,390,2]", raw, err)
		}
		// A phone zooms out to fit content wider than the screen, and so does
		// the emulation: the layout viewport grows with the content, so
		// scrollWidth <= innerWidth alone cannot catch an overflow.
		if err := p.Navigate(ctx, srv.URL+"/wide"); err != nil {
			t.Fatal(err)
		}
		raw, err = p.Eval(ctx, `window.innerWidth > 390 && document.documentElement.scrollWidth >= 600`)
		if err != nil || string(raw) != "true" {
			t.Errorf("wide page on a phone: %s, %v; want a layout viewport grown past 390", raw, err)
		}
	})
}

func TestNavigateErrors(t *testing.T) {
	srv := testServer(t)
	b := launch(t)
	p, ctx := newPage(t, b)
	var status *StatusError
	if err := p.Navigate(ctx, srv.URL+"/nothing-here"); !errors.As(err, &status) || status.Status != 404 {
		t.Errorf("404 page: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/"
	ln.Close()
	if err := p.Navigate(ctx, closed); err == nil || !strings.Contains(err.Error(), "ERR_CONNECTION_REFUSED") {
		t.Errorf("closed port: %v", err)
	}
	// The host resolver rules keep the browser on loopback.
	if err := p.Navigate(ctx, "http://example.com/"); err == nil || !strings.Contains(err.Error(), "ERR_NAME_NOT_RESOLVED") {
		t.Errorf("external name: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := p.WaitFor(short, "false"); err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "it was false") {
		t.Errorf("WaitFor a false condition: %v", err)
	}
}

func TestProblemsReportsBlockedScripts(t *testing.T) {
	srv := testServer(t)
	b := launch(t)
	p, ctx := newPage(t, b)
	if err := p.Navigate(ctx, srv.URL+"/csp"); err != nil {
		t.Fatal(err)
	}
	if got := evalString(t, ctx, p, "document.title"); got != "csp" {
		t.Errorf("title = %q: the inline script ran despite the policy", got)
	}
	if _, err := p.Eval(ctx, `console.error("from the page", 7)`); err != nil {
		t.Fatal(err)
	}
	probs := strings.Join(p.Problems(), "\n")
	for _, want := range []string{"Content Security Policy", "console.error: from the page 7"} {
		if !strings.Contains(probs, want) {
			t.Errorf("problems lack %q:\n%s", want, probs)
		}
	}
	if again := p.Problems(); len(again) != 0 {
		t.Errorf("problems not cleared: %q", again)
	}
}

// TestPagesShareNoCookies: each page is a person of its own.
func TestPagesShareNoCookies(t *testing.T) {
	srv := testServer(t)
	b := launch(t)
	ada, ctx := newPage(t, b)
	bob, _ := newPage(t, b)
	for _, step := range []struct {
		p          *Page
		path, want string
	}{
		{ada, "/cookie?set=ada", "nobody"},
		{ada, "/cookie", "ada"},
		{bob, "/cookie", "nobody"},
		{bob, "/cookie?set=bob", "nobody"},
		{ada, "/cookie", "ada"},
		{bob, "/cookie", "bob"},
	} {
		if err := step.p.Navigate(ctx, srv.URL+step.path); err != nil {
			t.Fatal(err)
		}
		if got := evalString(t, ctx, step.p, "document.title"); got != step.want {
			t.Errorf("%s: the server saw %q, want %q", step.path, got, step.want)
		}
	}
	if err := ada.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := ada.Eval(ctx, "1"); err == nil {
		t.Error("eval on a closed page succeeded")
	}
	if got := evalString(t, ctx, bob, "document.title"); got != "bob" {
		t.Errorf("closing one page disturbed the other: %q", got)
	}
}

func TestClosedBrowserFailsFast(t *testing.T) {
	b := launch(t)
	p, ctx := newPage(t, b)
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b.Close() // twice is fine
	start := time.Now()
	if _, err := p.Eval(ctx, "1"); !errors.Is(err, ErrClosed) {
		t.Errorf("eval after close: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("eval after close took %s", d)
	}
	if b.profile != "" {
		if _, err := os.Stat(b.profile); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("profile %s left behind: %v", b.profile, err)
		}
	}
}

func TestLaunchFailureSaysWhy(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := Launch(ctx, filepath.Join(t.TempDir(), "no-such-chromium")); err == nil || !strings.Contains(err.Error(), "no-such-chromium") {
		t.Errorf("missing binary: %v", err)
	}
	// A program that holds the pipe but never speaks: Launch gives up
	// when ctx ends, and the program is killed.
	silent := filepath.Join(t.TempDir(), "silent")
	if err := os.WriteFile(silent, []byte("#!/bin/sh\nexec sleep 30\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	short, cancel2 := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel2()
	start := time.Now()
	if _, err := Launch(short, silent); err == nil || !strings.Contains(err.Error(), "did not answer on the pipe") {
		t.Errorf("silent program: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("giving up on a silent program took %s", d)
	}
}

func TestReadMessageBounds(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"two messages", "{\"id\":1}\x00{\"id\":2}\x00", []string{`{"id":1}`, `{"id":2}`}},
		{"cut off", "{\"id\":1", nil},
		{"empty", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := bufioReader(tc.in)
			for _, w := range tc.want {
				got, err := readMessage(r, maxMessage)
				if err != nil || string(got) != w {
					t.Fatalf("got %q, %v; want %q", got, err, w)
				}
			}
			if _, err := readMessage(r, maxMessage); err == nil {
				t.Error("read past the end")
			}
		})
	}
	t.Run("over the limit", func(t *testing.T) {
		r := bufioReader(strings.Repeat("x", 1001) + "\x00")
		if _, err := readMessage(r, 1000); err == nil || !strings.Contains(err.Error(), "longer than") {
			t.Errorf("err = %v", err)
		}
	})
}

func bufioReader(s string) *bufio.Reader {
	return bufio.NewReaderSize(strings.NewReader(s), 16)
}

func artifactDir(t *testing.T) string {
	dir := os.Getenv("OUTPOST_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
