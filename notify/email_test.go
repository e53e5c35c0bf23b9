package notify_test

import (
	"crypto/tls"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/notify"
	"github.com/outpost-status/outpost/notify/notifytest"
	"github.com/outpost-status/outpost/store"
)

const smtpPassword = "smtp-pass-93"

func newEmail(t *testing.T, srv *smtpServer, o notify.EmailOptions) *notify.Email {
	t.Helper()
	o.Addr = srv.addr
	if o.From == "" {
		o.From = "Störungsdienst <status@example.com>"
	}
	if o.To == nil {
		o.To = []string{"ops@example.com", "Kund <kund@example.org>"}
	}
	if o.Timeout == 0 {
		o.Timeout = httpWait
	}
	e, err := notify.NewEmail(o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEmailConformance(t *testing.T) {
	cert, pool := testCerts(t)
	notifytest.Run(t, notifytest.Harness{
		Timeout: httpWait, Secrets: []string{smtpPassword},
		New: func(t *testing.T, b notifytest.Behaviour) (notifytest.Sender, notifytest.Receiver) {
			srv := startSMTP(t, &smtpServer{behaviour: b, cert: cert, offerTLS: true, user: "status", pass: smtpPassword})
			return newEmail(t, srv, notify.EmailOptions{Username: "status", Password: config.Secret(smtpPassword),
				TLSConfig: &tls.Config{RootCAs: pool}}), srv
		},
	})
}

// smtpSetup is how a test SMTP server is configured.
type smtpSetup struct {
	offerTLS, implicit bool
	user, pass         string
}

func TestEmailTransportSecurity(t *testing.T) {
	cert, pool := testCerts(t)
	trusted := &tls.Config{RootCAs: pool}
	tests := []struct {
		name      string
		srv       smtpSetup
		o         notify.EmailOptions
		wantErr   notify.Reason // "" = delivered
		wantTLS   bool
		wantRetry bool
	}{
		{"starttls with auth", smtpSetup{offerTLS: true, user: "u", pass: smtpPassword},
			notify.EmailOptions{Username: "u", Password: smtpPassword, TLSConfig: trusted}, "", true, false},
		{"starttls required but not offered", smtpSetup{},
			notify.EmailOptions{TLSConfig: trusted}, notify.ReasonTLS, false, true},
		{"auto without TLS and without auth sends in plain text", smtpSetup{},
			notify.EmailOptions{Security: notify.SMTPAuto}, "", false, false},
		{"auto uses STARTTLS when offered", smtpSetup{offerTLS: true},
			notify.EmailOptions{Security: notify.SMTPAuto, TLSConfig: trusted}, "", true, false},
		{"auto never sends a password in plain text", smtpSetup{user: "u", pass: smtpPassword},
			notify.EmailOptions{Security: notify.SMTPAuto, Username: "u", Password: smtpPassword}, notify.ReasonTLS, false, true},
		{"implicit TLS", smtpSetup{implicit: true, user: "u", pass: smtpPassword},
			notify.EmailOptions{Security: notify.SMTPTLS, Username: "u", Password: smtpPassword, TLSConfig: trusted}, "", true, false},
		{"untrusted certificate", smtpSetup{offerTLS: true},
			notify.EmailOptions{}, notify.ReasonTLS, false, true},
		{"wrong password is retried", smtpSetup{offerTLS: true, user: "u", pass: "other"},
			notify.EmailOptions{Username: "u", Password: smtpPassword, TLSConfig: trusted}, notify.ReasonAuth, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startSMTP(t, &smtpServer{behaviour: notifytest.Accept, cert: cert, offerTLS: tt.srv.offerTLS,
				implicit: tt.srv.implicit, user: tt.srv.user, pass: tt.srv.pass})
			retry, err := newEmail(t, srv, tt.o).Send(t.Context(), notifytest.Message("k1"))
			if got := notify.ReasonOf(err); got != tt.wantErr || retry != tt.wantRetry {
				t.Fatalf("Send = %v, %v (reason %q); want reason %q retry %v", retry, err, got, tt.wantErr, tt.wantRetry)
			}
			mails := srv.Mails()
			if tt.wantErr != "" {
				if len(mails) != 0 {
					t.Errorf("failed send delivered %d mails", len(mails))
				}
				return
			}
			if len(mails) != 1 || mails[0].TLS != tt.wantTLS || len(mails[0].To) != 2 {
				t.Fatalf("mails = %+v, want one with TLS %v to 2 recipients", mails, tt.wantTLS)
			}
			if srv.plainPwd {
				t.Error("a password was sent without TLS")
			}
		})
	}
}

// readMail parses a queued mail and decodes its body.
func readMail(t *testing.T, data string) (*mail.Message, string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	return msg, string(body)
}

func TestEmailFormatAndThreading(t *testing.T) {
	srv := startSMTP(t, &smtpServer{behaviour: notifytest.Accept})
	e := newEmail(t, srv, notify.EmailOptions{Security: notify.SMTPAuto})
	first, second := notifytest.Message("inc-7-1-published"), notifytest.Message("inc-7-1-resolved")
	first.Topic, second.Topic = "Webbplatsen är inte tillgänglig", "Webbplatsen är inte tillgänglig"
	second.Subject, second.Text = "Åtgärdat: Webbplatsen", "Åtgärdat: "+strings.Repeat("fungerar normalt igen ", 8)
	second.CreatedAt = first.CreatedAt.Add(time.Hour)
	for _, msg := range []store.OutboxMessage{first, second} {
		if _, err := e.Send(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
	}
	mails := srv.Mails()
	if len(mails) != 2 {
		t.Fatalf("got %d mails", len(mails))
	}
	var dec mime.WordDecoder
	var refs []string
	for i, want := range []struct {
		key, subject, body string
		date               time.Time
	}{{first.Key, first.Subject, first.Text, first.CreatedAt}, {second.Key, second.Subject, second.Text, second.CreatedAt}} {
		msg, body := readMail(t, mails[i].Data)
		h := msg.Header
		subject, err := dec.DecodeHeader(h.Get("Subject"))
		if err != nil || subject != first.Topic || !strings.HasPrefix(h.Get("Subject"), "=?utf-8?q?") {
			t.Errorf("mail %d subject %q (raw %q), want the thread topic RFC 2047 encoded", i, subject, h.Get("Subject"))
		}
		if got := h.Get("Message-ID"); got != "<outpost."+want.key+"@example.com>" {
			t.Errorf("mail %d Message-ID = %q", i, got)
		}
		if d, err := h.Date(); err != nil || !d.Equal(want.date) {
			t.Errorf("mail %d Date = %v, %v", i, d, err)
		}
		from, err := mail.ParseAddress(h.Get("From"))
		if err != nil || from.Name != "Störungsdienst" || from.Address != "status@example.com" {
			t.Errorf("mail %d From = %q (%v)", i, h.Get("From"), err)
		}
		for k, v := range map[string]string{"MIME-Version": "1.0", "Content-Type": "text/plain; charset=utf-8",
			"Content-Transfer-Encoding": "quoted-printable", "In-Reply-To": "<outpost.inc-7-1@example.com>"} {
			if h.Get(k) != v {
				t.Errorf("mail %d %s = %q, want %q", i, k, h.Get(k), v)
			}
		}
		refs = append(refs, h.Get("References"))
		if wantBody := want.subject + "\n\n" + want.body + "\n"; strings.ReplaceAll(body, "\r\n", "\n") != wantBody {
			t.Errorf("mail %d body = %q, want %q", i, body, wantBody)
		}
		for _, l := range strings.Split(mails[i].Data, "\r\n") {
			if len(l) > 78 {
				t.Errorf("mail %d has a line of %d bytes: %q", i, len(l), l)
			}
		}
	}
	if refs[0] != refs[1] || refs[0] == "" {
		t.Errorf("References differ: %q", refs)
	}
}

func TestEmailRejectsBadAddresses(t *testing.T) {
	for _, o := range []notify.EmailOptions{
		{Addr: "smtp.example.com", From: "a@example.com", To: []string{"b@example.com"}},
		{Addr: "smtp.example.com:25", From: "not an address", To: []string{"b@example.com"}},
		{Addr: "smtp.example.com:25", From: "a@example.com"},
	} {
		if _, err := notify.NewEmail(o); err == nil {
			t.Errorf("NewEmail(%+v) accepted", o)
		}
	}
}
