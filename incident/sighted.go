package incident

import "github.com/outpost-status/outpost/store"

// allSighted reports whether every component of inc is sighted (see
// View.Sighted): blindness then keeps none of its timers, and its
// recovery is seen as it happens.
func allSighted(inc store.Incident, views map[string]View) bool {
	for _, id := range inc.Components {
		if !views[id].Sighted {
			return false
		}
	}
	return len(inc.Components) > 0
}
