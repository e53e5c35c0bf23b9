package publish

import "github.com/outpost-status/outpost/monitor"

// What outpost does not know it does not state: a component whose checks are
// all unknown (never answered yet, paused, or the monitor is blind) is
// shown as "No data", never as operational. The Statuspage documents keep
// the component's status (the last known one, operational when none):
// their enum has no value for it and strict clients reject others. Their
// status description says instead that data is delayed or missing.

// statusNoData is the page's and badge's status of such a component; it
// is not a Statuspage status.
const statusNoData = "nodata"

// noDataComponents returns the components with at least one check whose
// checks are all unknown. The snapshot reads unknown for every check
// while the monitor is blind.
func noDataComponents(components []monitor.ComponentState, checks []monitor.CheckStatus) map[string]bool {
	known := make(map[string]bool, len(components))
	seen := make(map[string]bool, len(components))
	for _, c := range checks {
		seen[c.Component] = true
		if c.State != monitor.StateUnknown {
			known[c.Component] = true
		}
	}
	out := map[string]bool{}
	for _, c := range components {
		if seen[c.ID] && !known[c.ID] {
			out[c.ID] = true
		}
	}
	return out
}

// shownStatus is a component's status on the page and its badge:
// maintenance (which is known) first, then "no data", then the monitor's.
func (v *view) shownStatus(c monitor.ComponentState) string {
	if v.noData[c.ID] && c.Status != monitor.UnderMaintenance {
		return statusNoData
	}
	return string(c.Status)
}

// Overall states beyond the indicator, as text keys of the page banner.
const (
	overallBlind       = "banner.blind"
	overallNoData      = "banner.nodata"     // no component not under maintenance has data
	overallSomeNoData  = "banner.somenodata" // some have none, the others show no problem
	overallMaintenance = "banner.maintenance"
)

// overall is the page's headline as a text key: blindness, then a
// problem the indicator shows, then missing data, then maintenance, else
// "banner.none". The banner and the Statuspage description both follow
// it, so they never disagree.
func (v *view) overall() string {
	if v.blind {
		return overallBlind
	}
	if v.indicator != monitor.IndicatorNone {
		return "banner." + string(v.indicator)
	}
	active, missing, maintenance := 0, 0, false
	for _, c := range v.components {
		switch {
		case c.Status == monitor.UnderMaintenance:
			maintenance = true
		case v.noData[c.ID]:
			missing++
			active++
		default:
			active++
		}
	}
	switch {
	case missing > 0 && missing == active:
		return overallNoData
	case missing > 0:
		return overallSomeNoData
	case maintenance:
		return overallMaintenance
	}
	return "banner.none"
}

// statusDescription is status.json's (and summary.json's) description:
// Statuspage's own for the indicator, unless outpost lacks data; then the
// page's English headline, so a person reading any client learns it.
func (v *view) statusDescription() string {
	switch key := v.overall(); key {
	case overallBlind, overallNoData, overallSomeNoData:
		return localeFor("en").T(key)
	}
	return indicatorDescriptions[v.indicator]
}
