package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/notify"
	"github.com/outpost-status/outpost/store"
)

// benchFanOut measures issue 18's fan-out: one public event to n
// confirmed subscribers through the real subscriptions channel (store,
// notify.Dispatcher, SubscriberMail, the SMTP client) in this process,
// to an SMTP sink on loopback in this process too, with the rate limit
// out of the way. The event's fan-out job is enqueued as the Notifier
// enqueues it (one transaction); the worker then turns it into copies,
// notify.FanOutChunk subscribers a transaction, between its deliveries,
// as in the daemon. Enqueue time is from the job to the step that ends
// it; delivery time from the job until the sink accepted every mail.
// Seeding the subscribers (a sign-up and a confirmation each, two
// fsyncs) is not measured. CPU and RSS include the sink.
func benchFanOut(ctx context.Context, n int) (map[string]any, error) {
	db, done, err := tempStore()
	if err != nil {
		return nil, err
	}
	defer done()
	seedStart := time.Now()
	if err := seedSubscribers(db, n); err != nil {
		return nil, err
	}
	seed := time.Since(seedStart).Seconds()

	sink, err := startSMTPSink()
	if err != nil {
		return nil, err
	}
	defer sink.close()
	channels, err := notify.ChannelsFromConfig([]config.Notify{{Name: "news", Type: "email", Audience: "public",
		SMTP: sink.addr, SMTPTLS: notify.SMTPAuto, From: "Bench status <status@example.com>", To: []string{"list@example.com"},
		RateLimit: 60_000_000, RateBurst: n + 1}}, notify.ChannelOptions{})
	if err != nil {
		return nil, err
	}
	channels, err = notify.WithSubscribers(channels, "news",
		config.Page{Title: "Bench", URL: "https://status.example.com", Language: "en"}, db)
	if err != nil {
		return nil, err
	}
	steps := &countingFanOut{db: db}
	d := notify.NewDispatcher(db, channels, notify.DispatcherOptions{FanOut: steps, Poll: 10 * time.Millisecond})
	db.OnEnqueue(d.Wake)

	cpu0 := cpuSeconds()
	start := time.Now()
	job := store.OutboxMessage{Key: "inc-1-published-subscribers", Channel: "news", Event: "incident_published", Audience: "public",
		IncidentID: 1, Thread: "inc-1", Topic: "Web is down", Subject: "Web is down", URL: "https://status.example.com/incidents/1",
		Text:      "We are investigating reports that the web site does not load.\n\nhttps://status.example.com/incidents/1",
		Incident:  &store.MessageIncident{ID: 1, Name: "Web is down", State: "published", Status: "investigating"},
		CreatedAt: start, FanOut: true}
	list := job
	list.Key, list.FanOut = "inc-1-published", false
	if err := db.Enqueue([]store.OutboxMessage{job, list}); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = d.Run(runCtx) })
	want := int64(n + 1) // every subscriber and the channel's own list
	for sink.mails.Load() < want && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond) // polling interval; the run ends with ctx
	}
	delivery := time.Since(start).Seconds()
	cancel()
	wg.Wait()
	cpu := cpuSeconds() - cpu0
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	enqueue, txs := steps.result(start)
	return map[string]any{
		"bench": "fanout", "subscribers": n, "seed_seconds": seed,
		"enqueue_seconds": enqueue, "transactions": txs, "chunk": notify.FanOutChunk,
		"delivery_seconds": delivery, "mails": sink.mails.Load(), "connections": sink.conns.Load(),
		"mails_per_second": float64(want) / delivery,
		"cpu_seconds":      cpu, "peak_rss_bytes": peakRSS(),
		"note": "in process, loopback SMTP sink in the same process; enqueue runs between deliveries as in the daemon; transactions = the job + fan-out steps",
	}, nil
}

// seedSubscribers signs up and confirms n subscribers through the store
// API, as the public pages do.
func seedSubscribers(db *store.DB, n int) error {
	at := time.Now().Add(-time.Hour)
	for i := range n {
		var token string
		if _, _, err := db.AddSubscriber(store.SignUp{Email: fmt.Sprintf("sub%06d@example.com", i),
			Consent: store.Consent{Time: at, ClientAddr: "192.0.2.1", Text: "I agree"}},
			func(_ store.Subscriber, tok string) []store.OutboxMessage { token = tok; return nil }); err != nil {
			return err
		}
		if _, err := db.ConfirmSubscriber(token, at.Add(time.Minute), 48*time.Hour); err != nil {
			return err
		}
	}
	return nil
}

// countingFanOut counts the fan-out steps (one transaction each) and
// notes when the job ended.
type countingFanOut struct {
	db    *store.DB
	mu    sync.Mutex
	steps int
	end   time.Time
}

func (c *countingFanOut) FanOutStep(channel string, limit int, copies store.FanOutCopy, at time.Time) (int, bool, error) {
	n, more, err := c.db.FanOutStep(channel, limit, copies, at)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil && (n > 0 || more) {
		c.steps++
		if !more && c.end.IsZero() {
			c.end = time.Now()
		}
	}
	return n, more, err
}

// result is the enqueue time since start and the transactions: the
// job's and one per step.
func (c *countingFanOut) result(start time.Time) (float64, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.end.Sub(start).Seconds(), 1 + c.steps
}

// smtpSink is a minimal SMTP server on loopback that accepts and counts
// every message (no TLS, no AUTH), to measure the sender and not a
// mail server.
type smtpSink struct {
	addr  string
	ln    net.Listener
	mails atomic.Int64
	conns atomic.Int64
	wg    sync.WaitGroup
}

func startSMTPSink() (*smtpSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &smtpSink{addr: ln.Addr().String(), ln: ln}
	s.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			s.wg.Go(func() { s.serve(c) })
		}
	})
	return s, nil
}

func (s *smtpSink) close() {
	_ = s.ln.Close()
	s.wg.Wait()
}

func (s *smtpSink) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	reply := func(line string) bool {
		_, err := w.WriteString(line + "\r\n")
		return err == nil && w.Flush() == nil
	}
	if !reply("220 sink ESMTP") {
		return
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.TrimSpace(line))
		if i := strings.IndexAny(verb, " :"); i >= 0 {
			verb = verb[:i]
		}
		switch verb {
		case "EHLO":
			if !reply("250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8") {
				return
			}
		case "DATA":
			if !reply("354 go ahead") {
				return
			}
			if err := readData(r); err != nil {
				return
			}
			s.mails.Add(1)
			if !reply("250 accepted") {
				return
			}
		case "QUIT":
			reply("221 bye")
			return
		default: // HELO, MAIL, RCPT, RSET, NOOP
			if !reply("250 ok") {
				return
			}
		}
	}
}

// readData reads a message up to the line with a single dot.
func readData(r *bufio.Reader) error {
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if line == ".\r\n" || line == ".\n" {
			return nil
		}
	}
}
