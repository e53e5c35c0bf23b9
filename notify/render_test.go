package notify_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/notify"
	"github.com/outpost-status/outpost/notify/notifytest"
	"github.com/outpost-status/outpost/store"
	"github.com/outpost-status/outpost/text"
)

var (
	renderT0 = time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	berlin   = mustLoad("Europe/Berlin")
	names    = map[string]string{"telephony": "Telephony", "web": "Website"}
)

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// published is incident 12, published with one update and a second one.
func published() store.Incident {
	return store.Incident{ID: 12, State: store.IncidentPublished, Status: store.StatusIdentified, Name: "Telephony unavailable",
		Body: "Calls fail.", Impact: "major", Components: []string{"telephony", "web"}, CreatedAt: renderT0,
		PublishedAt: renderT0.Add(time.Minute), RemindedAt: renderT0.Add(time.Hour),
		Updates: []store.IncidentUpdate{
			{ID: 1, Status: store.StatusInvestigating, Body: "Calls fail.", CreatedAt: renderT0.Add(time.Minute)},
			{ID: 2, Status: store.StatusIdentified, Body: "A carrier link is down.", CreatedAt: renderT0.Add(2 * time.Minute)},
			{ID: 3, Status: store.StatusResolved, Body: "draft", Draft: true},
		}}
}

func draft() store.Incident {
	return store.Incident{ID: 12, State: store.IncidentDraft, Status: store.StatusInvestigating, Name: "Telephony unavailable",
		Body: "Calls fail.", Impact: "major", Components: []string{"telephony"}, CreatedAt: renderT0}
}

func TestRender(t *testing.T) {
	const base = "inc-12-1795489200"
	page := config.Page{URL: "https://status.example.com/", Language: "en", Location: berlin}
	maint := &store.Maintenance{ID: "3", Title: "SBC upgrade", Body: "Calls may drop briefly.", Components: []string{"telephony"},
		Start: renderT0.Add(24 * time.Hour), End: renderT0.Add(26 * time.Hour), CreatedAt: renderT0}
	tests := []struct {
		name, lang string
		notice     incident.Notice
		noURL      bool
		key        string
		topic      string
		subject    string
		text       []string // substrings
		notText    []string
	}{
		{"draft", "en", incident.Notice{Event: incident.EventDraftOpened, Incident: draft()}, false, base + "-draft",
			"outpost: incident #12", "New draft: Telephony unavailable",
			[]string{"Draft incident #12 (Major impact) for Telephony is waiting for review. Nothing is public yet.",
				"Draft: Telephony unavailable\nCalls fail.", "Review: https://status.example.com/admin/incidents/12",
				"Publish: outpost incident publish 12", "Discard: outpost incident discard 12"}, nil},
		{"draft without page url", "en", incident.Notice{Event: incident.EventDraftOpened, Incident: draft()}, true, base + "-draft",
			"outpost: incident #12", "New draft: Telephony unavailable", []string{"Publish: outpost incident publish 12"}, []string{"Review", "http"}},
		{"draft de", "de", incident.Notice{Event: incident.EventDraftOpened, Incident: draft()}, false, base + "-draft",
			"outpost: Störung #12", "Neuer Entwurf: Telephony unavailable",
			[]string{"wartet auf Prüfung", "Veröffentlichen: outpost incident publish 12"}, nil},
		{"draft sv", "sv", incident.Notice{Event: incident.EventDraftOpened, Incident: draft()}, false, base + "-draft",
			"outpost: störning #12", "Nytt utkast: Telephony unavailable", []string{"väntar på granskning", "Publicera: outpost incident publish 12"}, nil},
		{"reminder", "en", incident.Notice{Event: incident.EventReminder, Incident: published(), After: 30 * time.Minute}, false,
			base + "-reminder-1795492800", "outpost: incident #12", "Reminder: post an update on Telephony unavailable",
			[]string{`no public update since 2026-11-24 04:02 CET (remind_after 30m0s)`, `outpost incident update 12 -status identified -body "…"`,
				"Review: https://status.example.com/admin/incidents/12", "Public page: https://status.example.com/incidents/12"}, nil},
		{"auto published", "en", incident.Notice{Event: incident.EventAutoPublished, Incident: published(), After: 10 * time.Minute}, false,
			base + "-auto-published", "outpost: incident #12", "Published automatically: Telephony unavailable",
			[]string{"after auto_publish_after (10m0s) and is now public", "Review: https://status.example.com/admin/incidents/12",
				"Public page: https://status.example.com/incidents/12"}, nil},
		{"published", "en", incident.Notice{Event: incident.EventIncidentPublished, Incident: published()}, false, base + "-published",
			"Telephony unavailable", "Telephony unavailable",
			[]string{"Identified: A carrier link is down.", "Affects: Telephony and Website", "Details: https://status.example.com/incidents/12"},
			[]string{"draft", "outpost incident"}},
		{"updated de", "de", incident.Notice{Event: incident.EventIncidentUpdated, Incident: published()}, false, base + "-update-2",
			"Telephony unavailable", "Aktualisierung: Telephony unavailable", []string{"Ursache gefunden: A carrier link is down.", "Betrifft: Telephony und Website"}, nil},
		{"resolved sv", "sv", incident.Notice{Event: incident.EventIncidentResolved, Incident: published()}, false, base + "-resolved",
			"Telephony unavailable", "Löst: Telephony unavailable", []string{"Orsak hittad: A carrier link is down.", "Påverkar: Telephony och Website", "Detaljer: "}, nil},
		{"maintenance", "en", incident.Notice{Event: incident.EventMaintenanceScheduled, Maintenance: maint}, false,
			"maint-3-1795489200-scheduled", "Scheduled maintenance: SBC upgrade", "Scheduled maintenance: SBC upgrade",
			[]string{"Calls may drop briefly.", "When: 2026-11-25 04:00 – 06:00 CET", "Affects: Telephony", "Details: https://status.example.com"}, nil},
	}
	dotAtom := regexp.MustCompile(`^[a-z0-9-]+$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := page
			p.Language = tt.lang
			if tt.noURL {
				p.URL = ""
			}
			tt.notice.Names = names
			r, ok := notify.NewRenderer(p).Render(tt.notice)
			if !ok {
				t.Fatal("not rendered")
			}
			if r.Key != tt.key || r.Topic != tt.topic || r.Subject != tt.subject {
				t.Errorf("key %q topic %q subject %q\nwant %q %q %q", r.Key, r.Topic, r.Subject, tt.key, tt.topic, tt.subject)
			}
			if !dotAtom.MatchString(r.Key) || !dotAtom.MatchString(r.Thread) || !strings.HasPrefix(r.Key, r.Thread+"-") {
				t.Errorf("key %q / thread %q unusable in a Message-ID", r.Key, r.Thread)
			}
			for _, s := range tt.text {
				if !strings.Contains(r.Text, s) {
					t.Errorf("text lacks %q:\n%s", s, r.Text)
				}
			}
			for _, s := range tt.notText {
				if strings.Contains(r.Text, s) {
					t.Errorf("text contains %q:\n%s", s, r.Text)
				}
			}
		})
	}
}

func TestNotifierAddressesAudiences(t *testing.T) {
	chans := []notify.Channel{{Name: "ops-hook", Audience: notify.AudienceOperators}, {Name: "ops-mail", Audience: notify.AudienceOperators},
		{Name: "public-chat", Audience: notify.AudiencePublic}}
	n := notify.NewNotifier(notify.NewRenderer(config.Page{URL: "https://status.example.com"}), chans)
	discarded := published()
	discarded.State = store.IncidentDiscarded
	tests := []struct {
		name   string
		notice incident.Notice
		want   []string
	}{
		{"draft to operators", incident.Notice{Event: incident.EventDraftOpened, Incident: draft()}, []string{"ops-hook", "ops-mail"}},
		{"published to the public", incident.Notice{Event: incident.EventIncidentPublished, Incident: published()}, []string{"public-chat"}},
		{"public event of a draft", incident.Notice{Event: incident.EventIncidentPublished, Incident: draft()}, nil},
		{"public event of a discarded incident", incident.Notice{Event: incident.EventIncidentResolved, Incident: discarded}, nil},
		{"unknown event", incident.Notice{Event: "exploded", Incident: published()}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.notice.At = renderT0
			msgs := n.Messages(tt.notice)
			var got []string
			for _, m := range msgs {
				got = append(got, m.Channel)
				if m.Subject != msgs[0].Subject || m.Text != msgs[0].Text || m.Key != msgs[0].Key || m.Text == "" {
					t.Errorf("channels say different things: %+v vs %+v", m, msgs[0])
				}
				if !m.CreatedAt.Equal(renderT0) || m.Event != string(tt.notice.Event) || m.IncidentID != 12 {
					t.Errorf("message = %+v", m)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("channels %q, want %q", got, tt.want)
			}
		})
	}
}

// TestEveryMessageSaysWhatTheTableSays sends a notice for every incident
// status in every language through the mail, Slack and webhook channels
// and compares the words that arrive with package text's table: the
// status before the update, the affected components, the resolved
// subject and the impact in the operators' draft notice. The status
// page's side is publish's TestEveryOutputSaysWhatTheTableSays.
func TestEveryMessageSaysWhatTheTableSays(t *testing.T) {
	smtp := startSMTP(t, &smtpServer{behaviour: notifytest.Accept})
	mailer := newEmail(t, smtp, notify.EmailOptions{Security: notify.SMTPAuto})
	slackRecv, hookRecv := startHTTP(t, notifytest.Accept, slackKey), startHTTP(t, notifytest.Accept, webhookKey)
	slack, err := notify.NewSlack(notify.SlackOptions{URL: slackRecv.url, Timeout: httpWait, Client: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	hook, err := notify.NewWebhook(notify.WebhookOptions{URL: hookRecv.url, Timeout: httpWait, Client: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	// send delivers m on every channel and returns the subject and text
	// each receiver got.
	send := func(t *testing.T, m store.OutboxMessage) map[string][2]string {
		t.Helper()
		for _, s := range []notify.Sender{mailer, slack, hook} {
			if _, err := s.Send(t.Context(), m); err != nil {
				t.Fatal(err)
			}
		}
		mails := smtp.Mails()
		_, body := readMail(t, mails[len(mails)-1].Data)
		subject, text, _ := strings.Cut(strings.ReplaceAll(body, "\r\n", "\n"), "\n\n")
		out := map[string][2]string{"email": {subject, strings.TrimSuffix(text, "\n")}}
		slackRecv.mu.Lock()
		var post struct{ Text string }
		_ = json.Unmarshal(slackRecv.bodies[len(slackRecv.bodies)-1], &post)
		slackRecv.mu.Unlock()
		subject, text, _ = strings.Cut(post.Text, "\n")
		unescape := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
		out["slack"] = [2]string{unescape.Replace(strings.Trim(subject, "*")), unescape.Replace(text)}
		hookRecv.mu.Lock()
		var doc notify.WebhookBody
		_ = json.Unmarshal(hookRecv.bodies[len(hookRecv.bodies)-1], &doc)
		hookRecv.mu.Unlock()
		out["webhook"] = [2]string{doc.Subject, doc.Text}
		return out
	}
	chans := []notify.Channel{{Name: "public", Audience: notify.AudiencePublic}, {Name: "ops", Audience: notify.AudienceOperators}}
	for _, lang := range text.Languages() {
		t.Run(lang, func(t *testing.T) {
			tb := text.For(lang)
			n := notify.NewNotifier(notify.NewRenderer(config.Page{URL: "https://status.example.com", Language: lang, Location: berlin}), chans)
			affects := tb.Affects + ": " + tb.Join([]string{"Telephony", "Website"})
			tests := []struct {
				status, want string
				event        incident.Event
			}{
				{store.StatusInvestigating, tb.IncidentStatus.Investigating, incident.EventIncidentPublished},
				{store.StatusIdentified, tb.IncidentStatus.Identified, incident.EventIncidentUpdated},
				{store.StatusMonitoring, tb.IncidentStatus.Monitoring, incident.EventIncidentUpdated},
				{store.StatusResolved, tb.IncidentStatus.Resolved, incident.EventIncidentResolved},
			}
			for _, tt := range tests {
				inc := published()
				inc.Status, inc.Updates = tt.status, []store.IncidentUpdate{{ID: 1, Status: tt.status, Body: "What we know.", CreatedAt: renderT0}}
				if tt.status == store.StatusResolved {
					inc.State, inc.ResolvedAt = store.IncidentResolved, renderT0
				}
				msgs := n.Messages(incident.Notice{Event: tt.event, Incident: inc, Names: names, At: renderT0})
				if len(msgs) != 1 {
					t.Fatalf("%s: %d messages", tt.status, len(msgs))
				}
				for channel, got := range send(t, msgs[0]) {
					lines := strings.Split(got[1], "\n")
					if status, _, _ := strings.Cut(lines[0], ": "); status != tt.want {
						t.Errorf("%s by %s: status %q, table %q (text %q)", tt.status, channel, status, tt.want, got[1])
					}
					if !slices.Contains(lines, affects) {
						t.Errorf("%s by %s: no line %q in %q", tt.status, channel, affects, got[1])
					}
					if tt.status == store.StatusResolved && got[0] != tt.want+": "+inc.Name {
						t.Errorf("resolved by %s: subject %q, want %q", channel, got[0], tt.want+": "+inc.Name)
					}
				}
			}
			msgs := n.Messages(incident.Notice{Event: incident.EventDraftOpened, Incident: draft(), Names: names, At: renderT0})
			if len(msgs) != 1 {
				t.Fatalf("draft: %d messages", len(msgs))
			}
			for channel, got := range send(t, msgs[0]) {
				if want := "(" + tb.Impact.Major + ")"; !strings.Contains(got[1], want) {
					t.Errorf("draft notice by %s lacks the impact %q: %q", channel, want, got[1])
				}
			}
			// Every operators' message links to the incident's console page,
			// in the text of every channel and in the webhook's url.
			const console = "https://status.example.com/admin/incidents/12"
			for _, no := range []incident.Notice{{Event: incident.EventDraftOpened, Incident: draft()},
				{Event: incident.EventReminder, Incident: published(), After: time.Hour},
				{Event: incident.EventAutoPublished, Incident: published(), After: 10 * time.Minute}} {
				no.Names, no.At = names, renderT0
				msgs := n.Messages(no)
				if len(msgs) != 1 || msgs[0].URL != console {
					t.Fatalf("%s: %d messages, %+v", no.Event, len(msgs), msgs)
				}
				for channel, got := range send(t, msgs[0]) {
					if want := tb.Notify.Review + ": " + console; !slices.Contains(strings.Split(got[1], "\n"), want) {
						t.Errorf("%s by %s: no line %q in %q", no.Event, channel, want, got[1])
					}
				}
				hookRecv.mu.Lock()
				body := hookRecv.bodies[len(hookRecv.bodies)-1]
				hookRecv.mu.Unlock()
				var doc notify.WebhookBody
				_ = json.Unmarshal(body, &doc)
				if doc.URL != console || strings.Contains(string(body), "/api/admin/") {
					t.Errorf("%s by webhook: url %q, want %q", no.Event, doc.URL, console)
				}
			}
		})
	}
}
