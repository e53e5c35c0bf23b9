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

// buildMail renders m as a MIME message with CRLF line ends.
func buildMail(m store.OutboxMessage, from *mail.Address, to []*mail.Address) []byte {
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
	header("X-Outpost-Event", m.Event)
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(m.Subject + "\n\n" + m.Text + "\n"))
	_ = qp.Close()
	return b.Bytes()
}

// oneLine keeps header values on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
