package notify

import (
	"bytes"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"

	"github.com/outpost-status/outpost/store"
)

// Email threading. Every message of an incident (or maintenance window)
// carries In-Reply-To and References naming one virtual root,
// <outpost.THREAD@DOMAIN>, that is never sent, and the same Subject, the
// thread's Topic (public: the incident name; operators: "outpost:
// incident #ID"). Clients that thread by References (Thunderbird, Apple
// Mail, mutt) group them under the missing root; Gmail needs the shared
// reference and an equal subject, Outlook's conversation view an equal
// subject. The message's own Subject line opens the body, so the email
// says exactly what every other channel says.

// msgID returns an RFC 5322 message id for local in domain.
func msgID(local, domain string) string { return "<outpost." + local + "@" + domain + ">" }

// envelope is who one mail goes to and what it adds to the message: a
// subscriber's copy names that subscriber alone and carries the List-*
// headers and a footer with the subscription's links.
type envelope struct {
	to     []*mail.Address
	header [][2]string // extra headers, in order; values pass headerValue
	footer string      // after the text, behind a signature separator
}

// buildMail renders m as a MIME message with CRLF line ends.
func buildMail(m store.OutboxMessage, from *mail.Address, env envelope) []byte {
	to := env.to
	domain := "outpost.invalid"
	if at := strings.LastIndexByte(from.Address, '@'); at >= 0 && at < len(from.Address)-1 {
		domain = from.Address[at+1:]
	}
	rcpts := make([]string, len(to))
	for i, a := range to {
		rcpts[i] = a.String()
	}
	topic := m.Topic
	if topic == "" {
		topic = m.Subject
	}
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", from.String())
	header("To", strings.Join(rcpts, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", oneLine(topic)))
	header("Date", m.CreatedAt.Format(time.RFC1123Z))
	header("Message-ID", msgID(m.Key, domain))
	if m.Thread != "" {
		root := msgID(m.Thread, domain)
		header("In-Reply-To", root)
		header("References", root)
	}
	header("Auto-Submitted", "auto-generated")
	header("X-Outpost-Event", headerValue(m.Event))
	for _, h := range env.header {
		header(h[0], headerValue(h[1]))
	}
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	body := m.Subject + "\n\n" + m.Text + "\n"
	if env.footer != "" {
		body += "\n-- \n" + env.footer + "\n"
	}
	_, _ = qp.Write([]byte(body))
	_ = qp.Close()
	return b.Bytes()
}

// headerValue is a header value without any control character (CR and
// LF above all), so data can neither end a header nor start another.
func headerValue(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// oneLine keeps header values on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
