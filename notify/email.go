package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/store"
)

// SMTP transport security (config notify[].smtp_tls).
const (
	SMTPStartTLS = "starttls" // STARTTLS required: a server without it is an error
	SMTPAuto     = "auto"     // STARTTLS when offered; never AUTH without TLS
	SMTPTLS      = "tls"      // implicit TLS (port 465)
)

// EmailOptions configure NewEmail.
type EmailOptions struct {
	Addr     string // host:port
	Security string // SMTPStartTLS (default), SMTPAuto or SMTPTLS
	From     string
	To       []string
	Username string // empty: no AUTH
	Password config.Secret
	Timeout  time.Duration // per attempt, whole session; default 10 s
	// TLSConfig is cloned for each connection; ServerName defaults to
	// the host of Addr. Nil verifies against the system roots.
	TLSConfig *tls.Config
	Hello     string // EHLO name; default "localhost"
}

// Email sends each message as one plain-text mail over SMTP.
type Email struct {
	o    EmailOptions
	host string
	from *mail.Address
	to   []*mail.Address
}

var _ Sender = (*Email)(nil)

// NewEmail returns an email channel.
func NewEmail(o EmailOptions) (*Email, error) {
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return nil, fmt.Errorf("notify: smtp address %q: want host:port", o.Addr)
	}
	e := &Email{o: o, host: host}
	if e.from, err = mail.ParseAddress(o.From); err != nil {
		return nil, fmt.Errorf("notify: from %q: %w", o.From, err)
	}
	for _, s := range o.To {
		a, err := mail.ParseAddress(s)
		if err != nil {
			return nil, fmt.Errorf("notify: to %q: %w", s, err)
		}
		e.to = append(e.to, a)
	}
	if len(e.to) == 0 {
		return nil, errors.New("notify: email channel needs at least one recipient")
	}
	if e.o.Security == "" {
		e.o.Security = SMTPStartTLS
	}
	if e.o.Timeout <= 0 {
		e.o.Timeout = 10 * time.Second
	}
	if e.o.Hello == "" {
		e.o.Hello = "localhost"
	}
	return e, nil
}

func (e *Email) tlsConfig() *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if e.o.TLSConfig != nil {
		c = e.o.TLSConfig.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = e.host
	}
	return c
}

// Send implements Sender: one SMTP session per message. SMTP 4xx replies,
// network errors and a refused login retry; other 5xx replies are final.
func (e *Email) Send(ctx context.Context, m store.OutboxMessage) (bool, error) {
	if m.Subscriber != 0 {
		// A subscriber's copy (or confirmation link) on a channel that is
		// not the subscriptions channel (any more): the channel's
		// recipients must never get it.
		return false, &Error{Reason: ReasonRejected, Err: fmt.Errorf(
			"message %s is for subscriber %d, and this channel is not the subscriptions channel (subscriptions.channel)", m.Key, m.Subscriber)}
	}
	return e.send(ctx, m, envelope{to: e.to})
}

// send runs one session for m to env within the channel's timeout.
func (e *Email) send(ctx context.Context, m store.OutboxMessage, env envelope) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, e.o.Timeout)
	defer cancel()
	return e.classify(ctx, e.session(ctx, m, env))
}

// classify turns a session's error into Send's answer.
func (e *Email) classify(ctx context.Context, err error) (bool, error) {
	if err == nil {
		return false, nil
	}
	var te *textproto.Error
	var oe *Error
	text := fmt.Errorf("smtp %s: %s", e.host, snippet(scrub(err.Error(), e.o.Password.Reveal())))
	switch {
	case errors.As(err, &oe):
		return oe.Reason != ReasonRejected, &Error{Reason: oe.Reason, Err: text}
	case errors.As(err, &te) && te.Code >= 500:
		return false, &Error{Reason: ReasonRejected, Err: text}
	case errors.As(err, &te):
		return true, &Error{Reason: ReasonServer, Err: text}
	case ctx.Err() != nil:
		return true, &Error{Reason: ReasonTimeout, Err: fmt.Errorf("smtp %s: %w", e.host, ctx.Err())}
	}
	return true, &Error{Reason: ReasonOf(err), Err: text}
}

// session runs one SMTP conversation bounded by ctx.
func (e *Email) session(ctx context.Context, m store.OutboxMessage, env envelope) error {
	conn, err := e.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() }) // sockets ignore ctx
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, e.host)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello(e.o.Hello); err != nil {
		return err
	}
	if err := e.secure(c); err != nil {
		return err
	}
	if e.o.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", e.o.Username, e.o.Password.Reveal(), e.host)); err != nil {
			// A refused login is our configuration, not this message:
			// dropping it as final would lose every notification until
			// someone notices. It is retried with backoff instead.
			return &Error{Reason: ReasonAuth, Err: fmt.Errorf("login as %q refused (check username and password_env/password_file): %w", e.o.Username, err)}
		}
	}
	if err := c.Mail(e.from.Address); err != nil {
		return err
	}
	for _, to := range env.to {
		if err := c.Rcpt(to.Address); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(buildMail(m, e.from, env)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func (e *Email) dial(ctx context.Context) (net.Conn, error) {
	if e.o.Security == SMTPTLS {
		d := tls.Dialer{Config: e.tlsConfig()}
		conn, err := d.DialContext(ctx, "tcp", e.o.Addr)
		if err != nil && ctx.Err() == nil && !isNetErr(err) {
			return nil, &Error{Reason: ReasonTLS, Err: err}
		}
		return conn, err
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", e.o.Addr)
}

func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne)
}

// secure starts TLS as the policy says. A password is never sent over a
// connection without TLS.
func (e *Email) secure(c *smtp.Client) error {
	if e.o.Security == SMTPTLS {
		return nil
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(e.tlsConfig()); err != nil {
			return &Error{Reason: ReasonTLS, Err: fmt.Errorf("starttls: %w", err)}
		}
		return nil
	}
	switch {
	case e.o.Security == SMTPStartTLS:
		return &Error{Reason: ReasonTLS, Err: errors.New("server does not offer STARTTLS (smtp_tls: starttls requires it)")}
	case e.o.Username != "":
		return &Error{Reason: ReasonTLS, Err: errors.New("server does not offer STARTTLS; refusing to send the password in plain text")}
	}
	return nil
}
