package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/outpost-status/outpost/admin"
	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/metrics"
	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/notify"
	"github.com/outpost-status/outpost/publish"
	"github.com/outpost-status/outpost/store"
)

func cmdRun(ctx context.Context, args []string, env func(string) string, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := configFlag(fs, env)
	level := fs.String("log-level", "", "override log.level: debug, info, warn or error")
	format := fs.String("log-format", "", "override log.format: text or json")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to `FILE` (for performance work)")
	memProfile := fs.String("memprofile", "", "write a heap profile at shutdown to `FILE` (for performance work)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return exitUsage
	}
	cfg, err := loadConfig(*path, env)
	if err != nil {
		fmt.Fprintf(stderr, "outpost: invalid configuration:\n%v\n", err)
		return exitFail
	}
	if *level != "" {
		cfg.Log.Level = *level
	}
	if *format != "" {
		cfg.Log.Format = *format
	}
	log, err := newLogger(cfg.Log, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "outpost: %v\n", err)
		return exitFail
	}
	// net/http reports some peer misbehaviour (an unsolicited response from
	// a hostile target, say) through the standard logger; route it through
	// the daemon's structured log instead of raw text in the middle of it.
	slog.SetDefault(log)
	if *cpuProfile != "" {
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "outpost: %v\n", err)
			return exitFail
		}
		defer stopProfile()
	}
	if *memProfile != "" {
		defer writeHeapProfile(*memProfile, log)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	reload := func() (*config.Config, error) { return loadConfig(*path, env) }
	if err := daemon(ctx, cfg, reload, log); err != nil {
		log.Error("outpost stopped", "err", err)
		return exitFail
	}
	log.Info("outpost stopped")
	return exitOK
}

// app is the wired daemon.
type app struct {
	cfg       *config.Config
	log       *slog.Logger
	db        *store.DB
	writer    *store.Writer
	mon       *monitor.Monitor
	incidents *incident.Engine
	srv       *publish.Server
	admin     *admin.API
	alerts    *admin.AlertReceiver
	hub       *notifyHub
	peering   *peering // peers.go
	// channels are the configured notification channels, started by run.
	channels []notify.Channel
}

// daemon wires store → probers → incidents → monitor → notify → publish
// and runs them until ctx ends. Shutdown order: stop serving and probing
// (probes in flight drain), then notification delivery, then flush the
// store, then close the database.
func daemon(ctx context.Context, cfg *config.Config, reload func() (*config.Config, error), log *slog.Logger) (err error) {
	db, err := store.Open(filepath.Join(cfg.DataDir, store.FileName), store.Options{Location: cfg.Page.Location})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	a := &app{cfg: cfg, log: log, db: db,
		writer: store.NewWriter(db, store.WriterOptions{FlushInterval: cfg.Store.FlushInterval.D(), Logger: log})}
	if err := a.build(); err != nil {
		return err
	}
	return a.run(ctx, reload)
}

// build creates the monitor, metrics and HTTP server.
func (a *app) build() error {
	cfg := a.cfg
	spec, err := monitor.SpecFromConfig(cfg)
	if err != nil {
		return err
	}
	windows := make([]time.Duration, len(cfg.Availability.Windows))
	for i, w := range cfg.Availability.Windows {
		windows[i] = w.D()
	}
	availability := publish.AvailabilityOptions{History: a.db, Windows: windows, PartialWeight: cfg.Availability.PartialWeight}
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{
		Build: buildInfo(), StoreStats: a.writer.Stats, StoreSize: a.db.Size,
	})
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	notifier, err := a.buildNotify(reg)
	if err != nil {
		return err
	}
	notifier = forRole(cfg.Role, notifier) // a confirmer tells operators only (locations.go)
	a.incidents = incident.New(a.db, incident.Options{Settings: incident.SettingsFromConfig(cfg), Notifier: notifier, Logger: a.log})
	a.mon = monitor.New(spec, monitor.Options{Prober: newProbers(proberSettings{resolver: resolverOf(cfg), log: a.log}), Sink: a.writer, Observer: m,
		History: store.BufferedHistory{DB: a.db, Writer: a.writer}, Incidents: a.incidents, MaintenanceStore: a.db, Notifier: notifier, Logger: a.log,
		Locations: locationsOf(cfg, a.db)})
	for _, c := range []prometheus.Collector{metrics.NewStateCollector(a.mon, a.db), metrics.NewSubscriberCollector(a.db), metrics.NewConfirmationCollector(a.mon),
		metrics.NewAvailabilityCollector(a.mon, metrics.AvailabilityOptions{
			History: a.db, Windows: windows, PartialWeight: cfg.Availability.PartialWeight}, nil)} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	if a.peering, err = newPeering(cfg, a.mon, reg, a.log); err != nil {
		return err
	}
	if len(cfg.Peers) > 0 {
		a.mon.UsePeers(a.peering.client) // the monitor asks them before a check changes to or from down
	}
	token, why := config.AdminToken(cfg, os.Getenv)
	a.log.Info("admin API", "enabled", token != "", "reason", why)
	page := cfg.Page
	preview := newPreviewer(page, a.mon)
	a.admin = admin.New(admin.Options{Incidents: a.incidents, Monitor: a.mon, Store: a.db, Subscribers: a.db, Token: token.Reveal(),
		Present: publish.NewPresenter(page, a.mon), Preview: preview, Page: page, Location: cfg.Page.Location, Logger: a.log})
	alertCounters, err := metrics.NewAlertCounters(reg)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	a.alerts = admin.NewAlertReceiver(admin.AlertOptions{Router: a.mon, Observer: alertCounters, Token: cfg.Alerts.Token.Reveal(), Logger: a.log})
	pushes, err := a.pushHandler(reg)
	if err != nil {
		return err
	}
	a.srv = publish.NewServer(publish.ServerOptions{Monitor: a.mon, Incidents: a.db, Metrics: m.Handler(reg, a.mon, a.log), Logger: a.log,
		Routes: map[string]http.Handler{"/api/admin/": a.admin.Handler(), "/admin/": a.admin.ConsoleHandler(), "/api/v1/push/": pushes,
			"/api/alerts/": a.alerts.Handler(), "/api/peer/": a.peering.api.Handler()},
		Availability: availability, Page: page, Subscriptions: subscribePages(cfg, a.db), Confirmer: cfg.Role == config.RoleConfirmer})
	preview.srv = a.srv
	return nil
}

// buildNotify creates the notification channels, their metrics and the
// hub that runs their dispatcher; the hub is the monitor's notifier.
func (a *app) buildNotify(reg prometheus.Registerer) (incident.Notifier, error) {
	channels, err := notify.ChannelsFromConfig(a.cfg.Notify, notify.ChannelOptions{})
	if err != nil {
		return nil, err
	}
	nm, err := notify.NewMetrics(reg, nil, a.db.Pending)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	a.channels = channels
	a.hub = &notifyHub{db: a.db, log: a.log, metrics: nm}
	return a.hub, nil
}

// run starts every part and waits for ctx, then stops them in order.
func (a *app) run(ctx context.Context, reload func() (*config.Config, error)) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	writerCtx, stopWriter := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWriter()
	writerDone := make(chan error, 1)
	go func() { writerDone <- a.writer.Run(writerCtx) }()
	notifyCtx, stopNotify := context.WithCancel(context.WithoutCancel(ctx))
	defer stopNotify()
	a.hub.start(notifyCtx, a.cfg, a.channels)
	retentionDone := make(chan struct{})
	go func() {
		defer close(retentionDone)
		a.db.RunRetention(runCtx, store.RetentionOptions{Logger: a.log, Retention: store.Retention{
			Results: a.cfg.Retention.Results.D(), History: a.cfg.Retention.History.D(),
			Unconfirmed: a.cfg.Subscriptions.ConfirmTTL.D()}})
	}()
	serveDone := make(chan error, 1)
	go func() {
		err := a.srv.Serve(runCtx, a.cfg.Listen, func(net.Addr) {
			if err := sdNotify("READY=1\nSTATUS=probing"); err != nil {
				a.log.Warn("telling systemd we are ready failed", "err", err)
			}
		})
		cancel() // a server that cannot listen stops the daemon
		serveDone <- err
	}()
	go reloadOnHUP(runCtx, a.cfg, reload, a.mon, a.incidents, func(cfg *config.Config) error { return a.hub.reload(notifyCtx, cfg) },
		a.reloadToken, a.log)
	// publish.static_dir: keep a static export of the public site there.
	staticDone := make(chan struct{})
	if dir := a.cfg.Publish.StaticDir; dir != "" {
		go func() { defer close(staticDone); a.srv.RunStaticExport(runCtx, dir, time.Second) }()
	} else {
		close(staticDone)
	}
	a.log.Info("outpost started", "checks", len(a.mon.Snapshot()), "components", len(a.cfg.Components),
		"data_dir", a.cfg.DataDir, "version", buildInfo().Version)
	monErr := a.mon.Run(runCtx)
	_ = sdNotify("STOPPING=1")
	cancel()
	serveErr := <-serveDone
	<-staticDone
	notifyErr := a.hub.stopDispatcher() // after the monitor and the admin API: nothing enqueues any more
	stopNotify()
	<-retentionDone
	stopWriter()
	return errors.Join(monErr, serveErr, notifyErr, <-writerDone)
}

func newLogger(c config.Log, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		return nil, fmt.Errorf("log.level %q: %w", c.Level, err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.Format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q is unknown (use text or json)", c.Format)
}

// reloadToken reads the admin token again after a reload: a new token
// file (or an emptied one) takes effect at once, and every review console
// session opened with the old token ends.
func (a *app) reloadToken(cfg *config.Config) {
	token, why := config.AdminToken(cfg, os.Getenv)
	a.admin.SetToken(token.Reveal())
	a.log.Info("admin API", "enabled", token != "", "reason", why)
	a.alerts.SetToken(cfg.Alerts.Token.Reveal()) // the alert receiver's, read by config
	a.peering.reload(cfg)                        // the peers' and the peer API's tokens too
}

// reloadOnHUP reloads the configuration on SIGHUP. An invalid file is
// rejected and the running configuration kept. Incident settings go to
// the incident engine, checks and components to the monitor (which tells
// the engine the components); a changed notify or page section to
// reloadNotify; the configuration to reloadToken, which reads the admin
// token file again.
func reloadOnHUP(ctx context.Context, running *config.Config, load func() (*config.Config, error), mon *monitor.Monitor,
	incidents *incident.Engine, reloadNotify func(*config.Config) error, reloadToken func(*config.Config), log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		_ = sdNotify("RELOADING=1")
		cfg, err := load()
		var spec monitor.Spec
		if err == nil {
			spec, err = monitor.SpecFromConfig(cfg)
		}
		if err != nil {
			_ = sdNotify("READY=1")
			log.Error("configuration reload rejected; keeping the running configuration", "err", err)
			continue
		}
		incidents.SetSettings(incident.SettingsFromConfig(cfg))
		mon.Reload(spec) // evaluates, and plans the tick for the engine's timers as they now are
		if cfg.Listen != running.Listen || cfg.DataDir != running.DataDir || cfg.Resolver != running.Resolver {
			log.Warn("listen, data_dir and resolver changes take effect only after a restart")
		}
		if !reflect.DeepEqual(cfg.Notify, running.Notify) || !reflect.DeepEqual(cfg.Page, running.Page) {
			if err := reloadNotify(cfg); err != nil {
				log.Error("notification channels not reloaded; keeping the running ones", "err", err)
				cfg.Notify = running.Notify // so that the next reload tries again
			}
		}
		reloadToken(cfg)
		running = cfg
		_ = sdNotify("READY=1")
	}
}

func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func writeHeapProfile(path string, log *slog.Logger) {
	f, err := os.Create(path)
	if err == nil {
		err = errors.Join(pprof.Lookup("heap").WriteTo(f, 0), f.Close())
	}
	if err != nil {
		log.Error("writing the heap profile failed", "err", err)
	}
}
