package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/outpost-status/outpost/probe"
	"github.com/outpost-status/outpost/publish"
)

// newProbers builds the scheme → Prober map used by the daemon and the CLI.
func newProbers() probe.Set {
	clock := probe.SystemClock{}
	return probe.Set{
		probe.KindHTTP: probe.NewHTTP(probe.HTTPConfig{Clock: clock, UserAgent: "outpost/" + buildInfo().Version}),
		probe.KindTCP:  probe.NewTCP(clock, nil),
		probe.KindTLS:  probe.NewTLS(probe.TLSConfig{Clock: clock}),
		probe.KindDNS:  probe.NewDNS(probe.DNSConfig{Clock: clock}),
		probe.KindSIP:  probe.NewSIP(probe.SIPConfig{Clock: clock, UserAgent: "outpost/" + buildInfo().Version}),
	}
}

// probeLine is one target's result in `outpost probe -json` (JSON lines).
type probeLine struct {
	Target string `json:"target"`
	*publish.ResultJSON
}

func cmdProbe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	timeout := fs.Duration("timeout", 10*time.Second, "deadline of each probe")
	asJSON := fs.Bool("json", false, "print one JSON object per target")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: outpost probe [-timeout D] [-json] TARGET...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() == 0 || *timeout <= 0 {
		fs.Usage()
		return exitUsage
	}
	targets := make([]probe.Target, fs.NArg())
	for i, raw := range fs.Args() {
		t, err := probe.ParseTarget(raw)
		if err != nil {
			fmt.Fprintf(stderr, "outpost probe: %v\n", err)
			return exitUsage
		}
		targets[i] = t
	}
	results := make([]probe.Result, len(targets))
	probers := newProbers()
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			pctx, cancel := context.WithTimeout(ctx, *timeout)
			defer cancel()
			results[i] = probers.Probe(pctx, t)
		})
	}
	wg.Wait()
	code := exitOK
	enc := json.NewEncoder(stdout)
	for i, r := range results {
		if !r.Outcome.Passed() {
			code = exitFail
		}
		if *asJSON {
			if err := enc.Encode(probeLine{Target: targets[i].Redacted, ResultJSON: publish.ResultToJSON(r)}); err != nil {
				fmt.Fprintf(stderr, "outpost probe: %v\n", err)
				return exitFail
			}
			continue
		}
		fmt.Fprintln(stdout, formatResult(targets[i], r))
	}
	return code
}

// formatResult renders one readable line: verdict, target, facts, time.
func formatResult(t probe.Target, r probe.Result) string {
	var facts []string
	d := r.Details
	// A status failure's message already names the status.
	if d.HTTPStatus != 0 && r.Class != probe.ClassStatus {
		facts = append(facts, fmt.Sprintf("HTTP %d", d.HTTPStatus))
	}
	if d.SIPStatus != 0 && r.Class != probe.ClassStatus {
		facts = append(facts, strings.TrimSpace(fmt.Sprintf("SIP %d %s", d.SIPStatus, d.SIPReason)))
	}
	if d.DNSRcode != "" {
		facts = append(facts, fmt.Sprintf("%s, %d answers", d.DNSRcode, d.DNSAnswers))
	}
	if !d.CertExpiry.IsZero() {
		facts = append(facts, fmt.Sprintf("cert expires %s", d.CertExpiry.UTC().Format("2006-01-02")))
	}
	if r.Class != probe.ClassNone {
		facts = append(facts, fmt.Sprintf("%s: %s", r.Class, r.Message))
	}
	line := fmt.Sprintf("%-8s %s", strings.ToUpper(string(r.Outcome)), t.Redacted)
	if len(facts) > 0 {
		line += "  " + strings.Join(facts, "; ")
	}
	return line + fmt.Sprintf("  (%s)", formatDuration(r.Duration))
}

func formatDuration(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return d.Round(time.Millisecond).String()
}
