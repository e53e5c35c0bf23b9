package notify

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/store"
)

const escalateAfter = 10 * time.Minute

// plan is a notification plan on a fake clock: the first person's
// channel "ops", the deputy's "deputy" (escalate_after 10m), the
// incident engine writing to a real store, and a dispatcher whose
// workers the test steps.
type plan struct {
	t             *testing.T
	clock         *fakeClock
	path          string
	db            *store.DB
	e             *incident.Engine
	ops, deputy   *receiver
	channels      []Channel
	opsW, deputyW *worker
	settings      incident.Settings
}

func newPlan(t *testing.T, s incident.Settings) *plan {
	t.Helper()
	p := &plan{t: t, clock: newFakeClock(dispT0), path: filepath.Join(t.TempDir(), store.FileName), settings: s}
	p.ops, p.deputy = newReceiver(t, p.clock.Now, nil), newReceiver(t, p.clock.Now, nil)
	ops, deputy := webhookChannel(t, "ops", p.ops.url, 60, 10), webhookChannel(t, "deputy", p.deputy.url, 60, 10)
	ops.Audience, deputy.Audience, deputy.EscalateAfter = AudienceOperators, AudienceOperators, escalateAfter
	p.channels = []Channel{ops, deputy}
	p.open()
	t.Cleanup(func() { p.db.Close() })
	return p
}

// open opens the store, engine and dispatcher, as a start of outpost does.
func (p *plan) open() {
	p.t.Helper()
	db, err := store.Open(p.path, store.Options{})
	if err != nil {
		p.t.Fatal(err)
	}
	p.db = db
	n := NewNotifier(NewRenderer(config.Page{URL: "https://status.example.com", Language: "en"}), p.channels)
	p.e = incident.New(db, incident.Options{Settings: p.settings, Notifier: n, Now: p.clock.Now,
		Components: []incident.Component{{ID: "web", Name: "Website"}}})
	if err := p.e.Load(p.clock.Now()); err != nil {
		p.t.Fatal(err)
	}
	d := NewDispatcher(db, p.channels, DispatcherOptions{Clock: p.clock})
	p.opsW, p.deputyW = d.workers[0], d.workers[1]
}

// restart closes everything and opens it again on the same file.
func (p *plan) restart() {
	p.t.Helper()
	if err := p.db.Close(); err != nil {
		p.t.Fatal(err)
	}
	p.open()
}

// evaluate runs the engine with component web failing or not.
func (p *plan) evaluate(failing bool) {
	p.t.Helper()
	views := map[string]incident.View{"web": {Failing: failing, Major: failing, FirstFail: dispT0}}
	if err := p.e.Evaluate(p.clock.Now(), views, false); err != nil {
		p.t.Fatal(err)
	}
}

// until evaluates (web failing) and steps both workers as the daemon
// would, moving the clock to each wake-up, until at.
func (p *plan) until(at time.Time, failing bool) {
	p.t.Helper()
	for {
		p.evaluate(failing)
		wait := min(p.opsW.step(p.t.Context()), p.deputyW.step(p.t.Context()))
		if wait <= 0 {
			continue
		}
		now := p.clock.Now()
		if !now.Before(at) {
			return
		}
		if deadline := p.e.NextDeadline(now); !deadline.IsZero() && deadline.Sub(now) < wait {
			wait = deadline.Sub(now)
		}
		p.clock.Advance(min(wait, at.Sub(now)))
	}
}

// events returns the suffixes of the keys a receiver accepted ("draft",
// "auto-published", "reminder").
func events(r *receiver) []string {
	out := []string{}
	for _, k := range r.keys() {
		parts := strings.SplitN(k, "-", 4)
		e := parts[len(parts)-1]
		if strings.HasPrefix(e, "reminder-") {
			e = "reminder"
		}
		out = append(out, e)
	}
	return out
}

func TestEscalation(t *testing.T) {
	at := func(d time.Duration) time.Time { return dispT0.Add(d) }
	tests := []struct {
		name string
		// act is what a person does at +5m (nil: nothing).
		act     func(e *incident.Engine) error
		recover bool // web recovers at +5m
		want    []string
	}{
		{"still a draft after escalate_after", nil, false, []string{"draft"}},
		{"published before", func(e *incident.Engine) error {
			_, err := e.PublishIncident(1, "", "", "alice")
			return err
		}, false, []string{}},
		{"discarded before", func(e *incident.Engine) error {
			_, err := e.DiscardIncident(1, "alice")
			return err
		}, false, []string{}},
		{"recovered before", nil, true, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPlan(t, incident.Settings{Language: "en"})
			p.until(at(5*time.Minute), true)
			if got := events(p.ops); !slices.Equal(got, []string{"draft"}) {
				t.Fatalf("ops got %q at once, want the draft", got)
			}
			if got := events(p.deputy); len(got) != 0 {
				t.Fatalf("deputy got %q before escalate_after", got)
			}
			if tt.act != nil {
				if err := tt.act(p.e); err != nil {
					t.Fatal(err)
				}
			}
			p.until(at(escalateAfter-time.Second), !tt.recover)
			if got := events(p.deputy); len(got) != 0 {
				t.Fatalf("deputy got %q before escalate_after", got)
			}
			p.until(at(time.Hour), !tt.recover)
			if got := events(p.deputy); !slices.Equal(got, tt.want) {
				t.Errorf("deputy got %q, want %q", got, tt.want)
			}
			if len(tt.want) == 0 {
				return
			}
			if first := p.deputy.at[0]; first.Before(at(escalateAfter)) || first.After(at(escalateAfter+time.Second)) {
				t.Errorf("escalated at +%s, want +%s", first.Sub(dispT0), escalateAfter)
			}
		})
	}
}

// TestEscalationWording: the deputy's message says it is an escalation,
// links to the console and keeps the publish command.
func TestEscalationWording(t *testing.T) {
	p := newPlan(t, incident.Settings{Language: "en"})
	p.until(dispT0.Add(escalateAfter), true)
	msgs, err := p.db.Outbox("deputy", 0)
	if err != nil || len(msgs) != 0 {
		t.Fatalf("deputy queue %v %v, want it delivered", msgs, err)
	}
	n := NewNotifier(NewRenderer(config.Page{URL: "https://status.example.com", Language: "en"}), p.channels)
	inc, err := p.db.Incident(1)
	if err != nil {
		t.Fatal(err)
	}
	out := n.Messages(incident.Notice{Event: incident.EventDraftOpened, Incident: inc, At: inc.CreatedAt})
	if len(out) != 2 {
		t.Fatalf("%d messages", len(out))
	}
	esc := out[1]
	for _, want := range []string{"Unreviewed for 10m: draft incident #1 – ", "Review: https://status.example.com/admin/incidents/1",
		"Publish: outpost incident publish 1", "within 10m"} {
		if !strings.Contains(esc.Subject+"\n"+esc.Text, want) {
			t.Errorf("escalation lacks %q:\n%s\n%s", want, esc.Subject, esc.Text)
		}
	}
	if esc.Key != out[0].Key || esc.Event != "draft_opened" || !esc.NotBefore.Equal(inc.CreatedAt.Add(escalateAfter)) || !esc.IfDraft ||
		esc.URL != "https://status.example.com/admin/incidents/1" || out[0].Subject == esc.Subject || !out[0].NotBefore.IsZero() {
		t.Errorf("escalation %+v\nfirst person's %+v", esc, out[0])
	}
}

// TestEscalationSurvivesRestarts: a restart while the escalation waits
// loses it not, and restarts after it was sent repeat it not.
func TestEscalationSurvivesRestarts(t *testing.T) {
	p := newPlan(t, incident.Settings{Language: "en"})
	p.until(dispT0.Add(5*time.Minute), true)
	p.restart()
	p.until(dispT0.Add(escalateAfter+time.Minute), true)
	if got := events(p.deputy); !slices.Equal(got, []string{"draft"}) {
		t.Fatalf("deputy got %q after a restart while it waited", got)
	}
	for range 2 {
		p.restart()
		p.until(dispT0.Add(time.Hour), true)
	}
	if got, ops := events(p.deputy), events(p.ops); !slices.Equal(got, []string{"draft"}) || !slices.Equal(ops, []string{"draft"}) {
		t.Errorf("after restarts deputy got %q, ops %q; want each draft once", got, ops)
	}
}

// TestEscalationDueDuringDowntime: outpost is stopped when the escalation
// is due; the next start sends it if the incident is still a draft.
func TestEscalationDueDuringDowntime(t *testing.T) {
	p := newPlan(t, incident.Settings{Language: "en"})
	p.until(dispT0.Add(time.Minute), true)
	if err := p.db.Close(); err != nil {
		t.Fatal(err)
	}
	p.clock.Advance(time.Hour)
	p.open()
	p.until(dispT0.Add(time.Hour+time.Minute), true)
	if got := events(p.deputy); !slices.Equal(got, []string{"draft"}) {
		t.Errorf("deputy got %q after a start past the escalation time", got)
	}
}

// TestDeputyGetsFollowUpsOfEscalatedIncidentsOnly: reminders and the
// auto-publish notice reach the deputy for an incident escalated to it,
// and not for one published before escalate_after.
func TestDeputyGetsFollowUpsOfEscalatedIncidentsOnly(t *testing.T) {
	tests := []struct {
		name        string
		autoPublish time.Duration
		want        []string
	}{
		{"auto-published after the escalation", 15 * time.Minute, []string{"draft", "auto-published", "reminder"}},
		{"auto-published before the escalation", 5 * time.Minute, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPlan(t, incident.Settings{Language: "en", AutoPublishAfter: tt.autoPublish, RemindAfter: 30 * time.Minute})
			p.until(dispT0.Add(tt.autoPublish+31*time.Minute), true)
			if got := events(p.ops); !slices.Equal(got, []string{"draft", "auto-published", "reminder"}) {
				t.Errorf("ops got %q", got)
			}
			if got := events(p.deputy); !slices.Equal(got, tt.want) {
				t.Errorf("deputy got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{10 * time.Minute: "10m", time.Hour: "1h", 90 * time.Minute: "1h30m",
		90 * time.Second: "1m30s", 45 * time.Second: "45s", 48 * time.Hour: "2d"} {
		t.Run(want, func(t *testing.T) {
			if got := shortDuration(d); got != want {
				t.Errorf("shortDuration(%s) = %q, want %q", d, got, want)
			}
		})
	}
}

func TestChannelsFromConfigEscalate(t *testing.T) {
	chans, err := ChannelsFromConfig([]config.Notify{
		{Name: "ops", Type: "webhook", Audience: AudienceOperators, URL: "https://ops.example.com/hook"},
		{Name: "deputy", Type: "webhook", Audience: AudienceOperators, URL: "https://deputy.example.com/hook",
			EscalateAfter: config.Duration(escalateAfter)},
	}, ChannelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if chans[0].EscalateAfter != 0 || chans[1].EscalateAfter != escalateAfter {
		t.Errorf("escalate_after %s, %s; want 0, %s", chans[0].EscalateAfter, chans[1].EscalateAfter, escalateAfter)
	}
}
