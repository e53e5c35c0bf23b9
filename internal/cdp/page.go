package cdp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// DefaultWait bounds WaitFor when its context has no deadline.
const DefaultWait = 10 * time.Second

// pollInterval is how often WaitFor evaluates its condition.
const pollInterval = 50 * time.Millisecond

// Page is one tab, attached in flat mode: its commands carry its sessionId.
type Page struct {
	b              *Browser
	browserContext string
	target         string
	session        string
	// Events kept for Problems: uncaught exceptions, console.error and
	// browser log entries (CSP violations, failed loads) of level error.
	exceptions, console, logs *subscription
}

// StatusError is returned by Navigate when the document answered with an
// HTTP error status.
type StatusError struct {
	URL    string
	Status int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("cdp: navigate to %s: HTTP status %d", e.URL, e.Status)
}

// NewPage opens a tab on about:blank in a browser context of its own,
// like a private window: pages share no cookies or storage, so two pages
// are two people. It enables the domains the other methods listen to.
func (b *Browser) NewPage(ctx context.Context) (*Page, error) {
	var bctx struct {
		ID string `json:"browserContextId"`
	}
	if err := b.call(ctx, "", "Target.createBrowserContext", map[string]any{"disposeOnDetach": true}, &bctx); err != nil {
		return nil, err
	}
	var created struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank", "browserContextId": bctx.ID}, &created); err != nil {
		return nil, err
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": created.TargetID, "flatten": true}, &attached); err != nil {
		return nil, err
	}
	p := &Page{b: b, browserContext: bctx.ID, target: created.TargetID, session: attached.SessionID}
	p.exceptions = b.subscribe(p.session, "Runtime.exceptionThrown")
	p.console = b.subscribe(p.session, "Runtime.consoleAPICalled")
	p.logs = b.subscribe(p.session, "Log.entryAdded")
	for _, m := range []string{"Page.enable", "Runtime.enable", "Log.enable", "Network.enable"} {
		if err := p.call(ctx, m, nil, nil); err != nil {
			return nil, err
		}
	}
	if err := p.call(ctx, "Page.setLifecycleEventsEnabled", map[string]any{"enabled": true}, nil); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Page) call(ctx context.Context, method string, params, result any) error {
	return p.b.call(ctx, p.session, method, params, result)
}

// Navigate loads url and returns once its load event has fired. A
// network failure (refused, name not resolved) and an HTTP status of 400
// or more (*StatusError) are errors; redirects are followed.
func (p *Page) Navigate(ctx context.Context, url string) error {
	lifecycle := p.b.subscribe(p.session, "Page.lifecycleEvent")
	defer p.b.unsubscribe(lifecycle)
	responses := p.b.subscribe(p.session, "Network.responseReceived")
	defer p.b.unsubscribe(responses)
	var nav struct {
		FrameID   string `json:"frameId"`
		LoaderID  string `json:"loaderId"`
		ErrorText string `json:"errorText"`
	}
	if err := p.call(ctx, "Page.navigate", map[string]any{"url": url}, &nav); err != nil {
		return err
	}
	if nav.ErrorText != "" {
		return fmt.Errorf("cdp: navigate to %s: %s", url, nav.ErrorText)
	}
	if nav.LoaderID == "" {
		return nil // a same-document navigation (a #fragment) loads nothing
	}
	// The load event of this navigation, not a late one of the page before.
	for {
		raw, err := lifecycle.next(ctx, p.b)
		if err != nil {
			return fmt.Errorf("cdp: navigate to %s: waiting for the load event: %w", url, err)
		}
		var ev struct {
			FrameID  string `json:"frameId"`
			LoaderID string `json:"loaderId"`
			Name     string `json:"name"`
		}
		if json.Unmarshal(raw, &ev) == nil && ev.Name == "load" && ev.FrameID == nav.FrameID && ev.LoaderID == nav.LoaderID {
			break
		}
	}
	for _, raw := range responses.drain() {
		var ev struct {
			LoaderID string `json:"loaderId"`
			Type     string `json:"type"`
			Response struct {
				Status int `json:"status"`
			} `json:"response"`
		}
		if json.Unmarshal(raw, &ev) == nil && ev.Type == "Document" && ev.LoaderID == nav.LoaderID && ev.Response.Status >= 400 {
			return &StatusError{URL: url, Status: ev.Response.Status}
		}
	}
	return nil
}

// Eval evaluates the JavaScript expression js in the page, waits for it
// if it is a promise, and returns its value as JSON (null for undefined).
// An exception thrown by js is returned as an error with its message.
func (p *Page) Eval(ctx context.Context, js string) (json.RawMessage, error) {
	var res struct {
		Result struct {
			Type                string          `json:"type"`
			Value               json.RawMessage `json:"value"`
			UnserializableValue string          `json:"unserializableValue"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Line      int    `json:"lineNumber"`
			Column    int    `json:"columnNumber"`
			Exception *struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	params := map[string]any{"expression": js, "returnByValue": true, "awaitPromise": true}
	if err := p.call(ctx, "Runtime.evaluate", params, &res); err != nil {
		return nil, err
	}
	if d := res.ExceptionDetails; d != nil {
		msg := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg = d.Exception.Description
		}
		return nil, fmt.Errorf("cdp: eval %s: %s (line %d, column %d)", short(js), msg, d.Line+1, d.Column+1)
	}
	switch {
	case res.Result.UnserializableValue != "": // NaN, Infinity, -0, a BigInt
		return json.Marshal(res.Result.UnserializableValue)
	case res.Result.Type == "undefined" || len(res.Result.Value) == 0:
		return json.RawMessage("null"), nil
	}
	return res.Result.Value, nil
}

// EvalString evaluates js and returns its value as a string: a string
// value as is, anything else as its JSON.
func (p *Page) EvalString(ctx context.Context, js string) (string, error) {
	raw, err := p.Eval(ctx, js)
	if err != nil {
		return "", err
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	return string(raw), nil
}

// WaitFor evaluates the JavaScript condition js every 50 ms until it is
// true, and fails with the last value or error when ctx ends (after
// DefaultWait when ctx has no deadline). Errors while it polls, such as a
// context destroyed by a navigation, only mean "not yet".
func (p *Page) WaitFor(ctx context.Context, js string) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultWait)
		defer cancel()
	}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	var last string
	for {
		raw, err := p.Eval(ctx, js)
		switch {
		case err == nil && bytes.Equal(raw, []byte("true")):
			return nil
		case err != nil:
			if ctx.Err() == nil { // a cut-off call says nothing about the condition
				last = err.Error()
			}
		default:
			last = "it was " + short(string(raw))
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("cdp: waiting for %s: %w; %s", short(js), ctx.Err(), last)
		case <-p.b.readDone:
			return fmt.Errorf("cdp: waiting for %s: %w", short(js), p.b.closedErr())
		}
	}
}

// SetViewport makes the page width×height CSS pixels; mobile emulates a
// phone (the page's meta viewport applies, scrollbars overlay).
func (p *Page) SetViewport(ctx context.Context, width, height int, mobile bool) error {
	scale := 1
	if mobile {
		scale = 2
	}
	return p.call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile,
	}, nil)
}

// Screenshot writes a PNG of the whole page, not only the part in view
// (at most 10000 CSS pixels tall), to path.
func (p *Page) Screenshot(ctx context.Context, path string) error {
	var metrics struct {
		Content struct {
			Width  float64 `json:"width"`
			Height float64 `json:"height"`
		} `json:"cssContentSize"`
	}
	if err := p.call(ctx, "Page.getLayoutMetrics", nil, &metrics); err != nil {
		return err
	}
	params := map[string]any{"format": "png"}
	if w, h := metrics.Content.Width, min(metrics.Content.Height, 10000); w > 0 && h > 0 {
		params["captureBeyondViewport"] = true
		params["clip"] = map[string]any{"x": 0, "y": 0, "width": w, "height": h, "scale": 1}
	}
	var shot struct {
		Data string `json:"data"`
	}
	if err := p.call(ctx, "Page.captureScreenshot", params, &shot); err != nil {
		return err
	}
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		return fmt.Errorf("cdp: screenshot: %w", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return fmt.Errorf("cdp: screenshot: %w", err)
	}
	return nil
}

// Problems returns, and forgets, what the page reported as errors since
// the last call: uncaught exceptions, console.error calls and browser log
// entries of level error (a script or style the Content-Security-Policy
// blocked, a resource that failed to load). A missing /favicon.ico is not
// one: the browser asks for it on its own, no page did.
func (p *Page) Problems() []string {
	var out []string
	for _, raw := range p.exceptions.drain() {
		var ev struct {
			Details struct {
				Text      string `json:"text"`
				URL       string `json:"url"`
				Exception *struct {
					Description string `json:"description"`
				} `json:"exception"`
			} `json:"exceptionDetails"`
		}
		if json.Unmarshal(raw, &ev) == nil {
			msg := ev.Details.Text
			if ev.Details.Exception != nil {
				msg = ev.Details.Exception.Description
			}
			out = append(out, "exception: "+msg+" "+ev.Details.URL)
		}
	}
	for _, raw := range p.console.drain() {
		var ev struct {
			Type string `json:"type"`
			Args []struct {
				Value       any    `json:"value"`
				Description string `json:"description"`
			} `json:"args"`
		}
		if json.Unmarshal(raw, &ev) != nil || (ev.Type != "error" && ev.Type != "assert") {
			continue
		}
		var parts []string
		for _, a := range ev.Args {
			if a.Value != nil {
				parts = append(parts, fmt.Sprint(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		out = append(out, "console."+ev.Type+": "+strings.Join(parts, " "))
	}
	for _, raw := range p.logs.drain() {
		var ev struct {
			Entry struct {
				Level  string `json:"level"`
				Source string `json:"source"`
				Text   string `json:"text"`
				URL    string `json:"url"`
			} `json:"entry"`
		}
		if json.Unmarshal(raw, &ev) == nil && ev.Entry.Level == "error" && !strings.HasSuffix(ev.Entry.URL, "/favicon.ico") {
			out = append(out, ev.Entry.Source+": "+ev.Entry.Text+" "+ev.Entry.URL)
		}
	}
	return out
}

// Close closes the tab and forgets its cookies and storage.
func (p *Page) Close(ctx context.Context) error {
	for _, s := range []*subscription{p.exceptions, p.console, p.logs} {
		p.b.unsubscribe(s)
	}
	return p.b.call(ctx, "", "Target.disposeBrowserContext", map[string]any{"browserContextId": p.browserContext}, nil)
}

// short cuts JavaScript or a value for an error message.
func short(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}
