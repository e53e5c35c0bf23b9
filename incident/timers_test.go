package incident

import (
	"testing"
	"time"

	"github.com/outpost-status/outpost/store"
)

// NextDeadline is the earliest incident timer still ahead; zero when none
// runs.
func TestNextDeadline(t *testing.T) {
	const minute = time.Minute
	type at func(d time.Duration) time.Time // now+d
	cases := []struct {
		name     string
		settings Settings
		incident func(at) store.Incident
		want     time.Duration // from now; 0: no deadline
	}{
		{name: "no incident", settings: Settings{RemindAfter: 30 * minute, AutoPublishAfter: minute}, want: 0},
		{name: "auto_publish_after of a draft", settings: Settings{AutoPublishAfter: 2 * minute}, want: 115 * time.Second,
			incident: func(at at) store.Incident {
				return store.Incident{State: store.IncidentDraft, CreatedAt: at(-5 * time.Second)}
			}},
		{name: "auto_publish_after off", want: 0,
			incident: func(at at) store.Incident {
				return store.Incident{State: store.IncidentDraft, CreatedAt: at(-5 * time.Second)}
			}},
		{name: "remind_after counts from the last published update", settings: Settings{RemindAfter: 30 * minute}, want: 20 * minute,
			incident: func(at at) store.Incident {
				return store.Incident{State: store.IncidentPublished, PublishedAt: at(-20 * minute),
					Updates: []store.IncidentUpdate{{CreatedAt: at(-10 * minute)}, {CreatedAt: at(-minute), Draft: true}}}
			}},
		{name: "remind_after counts from the last reminder", settings: Settings{RemindAfter: 30 * minute}, want: 5 * minute,
			incident: func(at at) store.Incident {
				return store.Incident{State: store.IncidentPublished, PublishedAt: at(-50 * minute), RemindedAt: at(-25 * minute)}
			}},
		{name: "auto_resolve_after", settings: Settings{RemindAfter: 30 * minute, AutoResolveAfter: 10 * minute}, want: 9 * minute,
			incident: func(at at) store.Incident {
				return store.Incident{State: store.IncidentPublished, PublishedAt: at(-5 * minute), RecoveredAt: at(-minute)}
			}},
		{name: "a deadline passed is not waited for", settings: Settings{RemindAfter: 30 * minute}, want: 0,
			incident: func(at at) store.Incident {
				return store.Incident{State: store.IncidentPublished, PublishedAt: at(-40 * minute), RecoveredAt: at(-minute)}
			}},
		{name: "resolved incidents have no timers", settings: Settings{RemindAfter: 30 * minute, AutoPublishAfter: minute}, want: 0,
			incident: func(at at) store.Incident {
				return store.Incident{State: store.IncidentResolved, CreatedAt: at(-5 * time.Second), PublishedAt: at(-5 * minute)}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := New(nil, Options{Settings: tc.settings})
			now := t0
			if tc.incident != nil {
				e.cache[1] = tc.incident(func(d time.Duration) time.Time { return now.Add(d) })
			}
			got := e.NextDeadline(now)
			if tc.want == 0 {
				if !got.IsZero() {
					t.Errorf("deadline at now%+v, want none", got.Sub(now))
				}
				return
			}
			if !got.Equal(now.Add(tc.want)) {
				t.Errorf("deadline at %v, want now+%s", got, tc.want)
			}
		})
	}
}
