package notify

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/store"
)

var subPage = config.Page{Title: "Example", URL: "https://status.example.com/", Language: "en"}

// subscribe signs email up for components and confirms it unless
// pending is set.
func subscribe(t *testing.T, db *store.DB, email string, pending bool, components ...string) store.Subscriber {
	t.Helper()
	var token string
	s, _, err := db.AddSubscriber(store.SignUp{Email: email, Components: components,
		Consent: store.Consent{Time: dispT0.Add(-time.Hour), ClientAddr: "192.0.2.1", Text: "I agree"}},
		func(_ store.Subscriber, tok string) []store.OutboxMessage { token = tok; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if pending {
		return s
	}
	if s, err = db.ConfirmSubscriber(token, dispT0.Add(-30*time.Minute), 48*time.Hour); err != nil {
		t.Fatal(err)
	}
	return s
}

// published is a published incident on components with one published
// update and a drafted one (a proposed resolution nobody published).
func published(components ...string) store.Incident {
	return store.Incident{ID: 7, Name: "Calls fail", State: store.IncidentPublished, Status: store.StatusIdentified,
		Components: components, CreatedAt: dispT0.Add(-time.Hour), PublishedAt: dispT0.Add(-50 * time.Minute),
		Updates: []store.IncidentUpdate{
			{ID: 1, Status: store.StatusIdentified, Body: "We found the broken trunk."},
			{ID: 2, Status: store.StatusResolved, Body: "DRAFTED resolution text", Draft: true},
		}}
}

// outbox records what a subscriptions channel sends; Skip is a real
// SubscriberMail's.
type outbox struct {
	skip  Skipper
	block bool // Send waits for ctx: nothing is delivered

	mu   sync.Mutex
	keys []string
	msgs []store.OutboxMessage
}

func (o *outbox) Skip(m store.OutboxMessage) (string, error) { return o.skip.Skip(m) }

func (o *outbox) Send(ctx context.Context, m store.OutboxMessage) (bool, error) {
	if o.block {
		<-ctx.Done()
		return true, ctx.Err()
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.keys, o.msgs = append(o.keys, m.Key), append(o.msgs, m)
	return false, nil
}

func (o *outbox) subscribers() []uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	var ids []uint64
	for _, m := range o.msgs {
		if m.Subscriber != 0 {
			ids = append(ids, m.Subscriber)
		}
	}
	return ids
}

// subsChannel is a subscriptions channel over o.
func subsChannel(t *testing.T, db *store.DB, o *outbox) Channel {
	t.Helper()
	e, err := NewEmail(EmailOptions{Addr: "127.0.0.1:1", From: "status@example.com", To: []string{"list@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := NewSubscriberMail(SubscriberMailOptions{Email: e, Store: db, Page: subPage})
	if err != nil {
		t.Fatal(err)
	}
	o.skip = sm
	return Channel{Name: "subs", Type: "email", Audience: AudiencePublic, Sender: o, RatePerMinute: 6000, Burst: 1000, Subscribers: true}
}

// drain steps w as the daemon would until its outbox and fan-outs are
// empty.
func drain(t *testing.T, db *store.DB, w *worker, clock *fakeClock) {
	t.Helper()
	for range 10_000 {
		pending, err := db.Pending()
		if err != nil {
			t.Fatal(err)
		}
		jobs, err := db.FanOutJobs(w.ch.Name, 0)
		if err != nil {
			t.Fatal(err)
		}
		if pending[w.ch.Name] == 0 && len(jobs) == 0 {
			return
		}
		if wait := w.step(t.Context()); wait > 0 {
			clock.Advance(wait)
		}
	}
	t.Fatal("the channel did not empty its outbox")
}

func openAt(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestFanOutReachesEachMatchingSubscriberOnce(t *testing.T) {
	db := openDB(t)
	var want []uint64
	for i := range 12 {
		var comps []string
		switch i % 4 {
		case 1:
			comps = []string{"voice"}
		case 2:
			comps = []string{"web"}
		case 3:
			comps = []string{"web", "voice"}
		}
		s := subscribe(t, db, fmt.Sprintf("s%02d@example.com", i), false, comps...)
		if i%4 != 2 {
			want = append(want, s.ID)
		}
	}
	subscribe(t, db, "pending@example.com", true) // never confirmed
	o := &outbox{}
	ch := subsChannel(t, db, o)
	reg := prometheus.NewRegistry()
	metrics, err := NewMetrics(reg, []string{"subs"}, db.Pending)
	if err != nil {
		t.Fatal(err)
	}
	n := NewNotifier(NewRenderer(subPage), []Channel{ch})
	msgs := n.Messages(incident.Notice{Event: incident.EventIncidentUpdated, Incident: published("voice"), At: dispT0})
	if err := db.Enqueue(msgs); err != nil {
		t.Fatal(err)
	}
	if err := db.Enqueue(msgs); err != nil { // the same event again: nothing new
		t.Fatal(err)
	}
	clock := newFakeClock(dispT0)
	d := NewDispatcher(db, []Channel{ch}, DispatcherOptions{Clock: clock, FanOut: db, FanOutChunk: 5, Observer: metrics})
	drain(t, db, d.workers[0], clock)

	got := o.subscribers()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("subscribers mailed %v, want %v (all, voice, web+voice; not web only, not unconfirmed)", got, want)
	}
	if len(o.keys) != len(want)+1 || !slices.Contains(o.keys, "inc-7-"+unix(dispT0.Add(-time.Hour))+"-update-1") {
		t.Errorf("keys %q: want the channel's own message and one per subscriber", o.keys)
	}
	for _, m := range o.msgs {
		if strings.Contains(m.Text, "DRAFTED") || !strings.Contains(m.Text, "We found the broken trunk.") {
			t.Errorf("%s carries %q: want the published update only", m.Key, m.Text)
		}
	}
	if v := testutil.ToFloat64(metrics.subscribers.WithLabelValues("queued")); v != float64(len(want)) {
		t.Errorf("queued %v, want %d", v, len(want))
	}
	if v := testutil.ToFloat64(metrics.subscribers.WithLabelValues("sent")); v != float64(len(want)) {
		t.Errorf("sent %v, want %d", v, len(want))
	}
}

func TestDraftsAndOperatorEventsNeverFanOut(t *testing.T) {
	db := openDB(t)
	subscribe(t, db, "a@example.com", false)
	o := &outbox{}
	n := NewNotifier(NewRenderer(subPage), []Channel{subsChannel(t, db, o)})
	draft := published("web")
	draft.State, draft.PublishedAt, draft.Updates = store.IncidentDraft, time.Time{}, nil
	for _, no := range []incident.Notice{
		{Event: incident.EventIncidentPublished, Incident: draft, At: dispT0},
		{Event: incident.EventDraftOpened, Incident: draft, At: dispT0},
		{Event: incident.EventReminder, Incident: published("web"), At: dispT0},
		{Event: incident.EventAutoPublished, Incident: published("web"), At: dispT0},
	} {
		for _, m := range n.Messages(no) {
			if m.FanOut {
				t.Errorf("%s of a %s incident makes a fan-out job", no.Event, no.Incident.State)
			}
		}
	}
	maint := &store.Maintenance{ID: "m1", Title: "Router swap", Components: []string{"web"},
		Start: dispT0.Add(time.Hour), End: dispT0.Add(2 * time.Hour), CreatedAt: dispT0}
	msgs := n.Messages(incident.Notice{Event: incident.EventMaintenanceScheduled, Maintenance: maint, At: dispT0})
	if !slices.ContainsFunc(msgs, func(m store.OutboxMessage) bool {
		return m.FanOut && m.Key == "maint-m1-"+unix(dispT0)+"-scheduled-subscribers"
	}) {
		t.Errorf("maintenance makes no fan-out job: %+v", msgs)
	}
}

// firstStepOnly does the first fan-out step and then pretends there is
// nothing more, as a daemon that stopped right after it.
type firstStepOnly struct {
	db   *store.DB
	done bool
}

func (f *firstStepOnly) FanOutStep(channel string, limit int, copies store.FanOutCopy, at time.Time) (int, bool, error) {
	if f.done {
		return 0, false, nil
	}
	f.done = true
	return f.db.FanOutStep(channel, limit, copies, at)
}

func TestFanOutResumesAfterACrashNobodyTwiceNobodySkipped(t *testing.T) {
	path := filepath.Join(t.TempDir(), store.FileName)
	db := openAt(t, path)
	var want []uint64
	for i := range 11 {
		want = append(want, subscribe(t, db, fmt.Sprintf("s%02d@example.com", i), false).ID)
	}
	blocked := &outbox{block: true}
	ch := subsChannel(t, db, blocked)
	msgs := NewNotifier(NewRenderer(subPage), []Channel{ch}).Messages(
		incident.Notice{Event: incident.EventIncidentPublished, Incident: published("web"), At: dispT0})
	if err := db.Enqueue(msgs); err != nil {
		t.Fatal(err)
	}
	// First life: one chunk of 4 is fanned out, nothing is delivered,
	// and the process stops.
	ctx, stop := context.WithCancel(t.Context())
	clock := newFakeClock(dispT0)
	first := NewDispatcher(db, []Channel{ch}, DispatcherOptions{Clock: clock, FanOut: &firstStepOnly{db: db}, FanOutChunk: 4})
	stop() // the blocked send returns at once: the process is gone
	first.workers[0].step(ctx)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path)
	jobs, err := db.FanOutJobs("subs", 0)
	if err != nil || len(jobs) != 1 || jobs[0].Cursor != want[3] {
		t.Fatalf("after the crash: jobs %+v (%v), want one with cursor %d", jobs, err, want[3])
	}
	// Second life resumes.
	o := &outbox{}
	ch = subsChannel(t, db, o)
	d := NewDispatcher(db, []Channel{ch}, DispatcherOptions{Clock: clock, FanOut: db, FanOutChunk: 4})
	drain(t, db, d.workers[0], clock)
	if got := o.subscribers(); !slices.Equal(got, want) {
		t.Errorf("mailed %v, want every subscriber once, in order: %v", got, want)
	}
}

func TestSubscriberWhoLeftBeforeSendingGetsNothing(t *testing.T) {
	db := openDB(t)
	stay := subscribe(t, db, "stay@example.com", false)
	leave := subscribe(t, db, "leave@example.com", false)
	narrow := subscribe(t, db, "narrow@example.com", false, "web")
	o := &outbox{}
	ch := subsChannel(t, db, o)
	reg := prometheus.NewRegistry()
	metrics, err := NewMetrics(reg, []string{"subs"}, db.Pending)
	if err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock(dispT0)
	d := NewDispatcher(db, []Channel{ch}, DispatcherOptions{Clock: clock, FanOut: db, Observer: metrics})
	msgs := NewNotifier(NewRenderer(subPage), []Channel{ch}).Messages(
		incident.Notice{Event: incident.EventIncidentPublished, Incident: published("web"), At: dispT0})
	if err := db.Enqueue(msgs); err != nil {
		t.Fatal(err)
	}
	d.workers[0].fanOut(clock.Now())                                          // the copies are queued ...
	if err := db.DeleteSubscriber(leave.ID, store.AuditEntry{}); err != nil { // ... then one unsubscribes
		t.Fatal(err)
	}
	if _, err := db.SetSubscriberComponents(narrow.ID, []string{"voice"}); err != nil { // and one stops following web
		t.Fatal(err)
	}
	drain(t, db, d.workers[0], clock)
	if got := o.subscribers(); !slices.Equal(got, []uint64{stay.ID}) {
		t.Errorf("mailed %v, want only %d", got, stay.ID)
	}
	if v := testutil.ToFloat64(metrics.subscribers.WithLabelValues("skipped")); v != 2 {
		t.Errorf("skipped %v, want 2", v)
	}
}
