package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/probe"
	"github.com/outpost-status/outpost/publish"
)

// proberSettings are what every prober shares.
type proberSettings struct {
	// resolver gets every name a probe resolves (the config's resolver:,
	// -resolver); nil means the system's.
	resolver *probe.NameResolver
	// log gets what a result cannot carry (a SIP binding that could not
	// be removed); nil discards it.
	log *slog.Logger
}

// newProbers builds the scheme → Prober map used by the daemon and the
// CLI. The settings are optional (at most one is used) so that callers
// without a resolver or logger stay as they are.
func newProbers(settings ...proberSettings) probe.Set {
	var s proberSettings
	if len(settings) > 0 {
		s = settings[0]
	}
	if s.resolver == nil {
		s.resolver, _ = probe.NewNameResolver("") // the system's: cannot fail
	}
	clock := probe.SystemClock{}
	ua := "outpost/" + buildInfo().Version
	return probe.Set{
		probe.KindHTTP: probe.NewHTTP(probe.HTTPConfig{Clock: clock, UserAgent: ua, Resolver: s.resolver}),
		probe.KindTCP:  probe.NewTCP(clock, s.resolver),
		probe.KindTLS:  probe.NewTLS(probe.TLSConfig{Clock: clock, Resolver: s.resolver}),
		probe.KindDNS:  probe.NewDNS(probe.DNSConfig{Clock: clock, Resolver: s.resolver}),
		probe.KindSIP:  probe.NewSIP(probe.SIPConfig{Clock: clock, UserAgent: ua, Resolver: s.resolver, Logger: s.log}),
	}
}

// resolverOf returns the resolver of cfg's resolver: key, nil (the
// system's) when it is unset. config validated the address with the same
// rule NewNameResolver applies, so the error cannot happen.
func resolverOf(cfg *config.Config) *probe.NameResolver {
	r, err := probe.NewNameResolver(cfg.Resolver)
	if err != nil {
		return nil
	}
	return r
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
	resolverAddr := fs.String("resolver", "", "DNS server IP:port for every name (default: the system's)")
	var sip sipFlags
	fs.StringVar(&sip.method, "sip-method", "OPTIONS", "SIP request: OPTIONS or REGISTER")
	fs.StringVar(&sip.user, "sip-user", "", "REGISTER: digest username (default: the target's user)")
	fs.StringVar(&sip.passwordFile, "sip-password-file", "", "REGISTER: file holding the password")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: outpost probe [-timeout D] [-json] [-resolver IP:PORT] [-sip-method REGISTER -sip-user U -sip-password-file F] TARGET...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() == 0 || *timeout <= 0 {
		fs.Usage()
		return exitUsage
	}
	resolver, err := probe.NewNameResolver(*resolverAddr)
	if err != nil {
		fmt.Fprintf(stderr, "outpost probe: -resolver: %v\n", err)
		return exitUsage
	}
	sipOpts, err := sip.options()
	if err != nil {
		fmt.Fprintf(stderr, "outpost probe: %v\n", err)
		return exitUsage
	}
	targets := make([]probe.Target, fs.NArg())
	for i, raw := range fs.Args() {
		t, err := probe.ParseTarget(raw)
		if err == nil && t.Kind == probe.KindSIP {
			t, err = probe.NewTarget(raw, sipOpts)
		}
		if err == nil && t.Kind == probe.KindPush {
			err = errors.New("push: is not probed: the job pushes to outpost (README: Push checks)")
		}
		if err != nil {
			fmt.Fprintf(stderr, "outpost probe: %v\n", err)
			return exitUsage
		}
		targets[i] = t
	}
	results := make([]probe.Result, len(targets))
	probers := newProbers(proberSettings{resolver: resolver,
		log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
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

// sipFlags are the -sip-* flags of outpost probe.
type sipFlags struct{ method, user, passwordFile string }

// options returns the options of SIP targets: DefaultOptions with the
// method and, for REGISTER, the credentials (the password from a file,
// never from the command line, where ps would show it).
func (f sipFlags) options() (probe.Options, error) {
	o := probe.DefaultOptions()
	switch strings.ToUpper(f.method) {
	case "OPTIONS":
		if f.user != "" || f.passwordFile != "" {
			return o, errors.New("-sip-user and -sip-password-file need -sip-method REGISTER")
		}
		o.Method = "OPTIONS"
		return o, nil
	case "REGISTER":
	default:
		return o, fmt.Errorf("-sip-method %q is not supported (use OPTIONS or REGISTER)", f.method)
	}
	if f.passwordFile == "" {
		return o, errors.New("-sip-method REGISTER needs -sip-password-file FILE (and -sip-user unless the target names the user)")
	}
	b, err := os.ReadFile(f.passwordFile)
	if err != nil {
		return o, fmt.Errorf("-sip-password-file: %w", err)
	}
	pw := strings.TrimSpace(string(b))
	if pw == "" {
		return o, fmt.Errorf("-sip-password-file %s is empty", f.passwordFile)
	}
	o.Method, o.Username, o.Password = "REGISTER", f.user, probe.Secret(pw)
	return o, nil
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
	if d.SIPTarget != "" {
		facts = append(facts, "via "+d.SIPTarget)
	}
	if d.SIPUnregister != "" && d.SIPUnregister != "200 OK" {
		facts = append(facts, "unregister "+d.SIPUnregister)
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
