package probe

import "strings"

// phaseNames lists phase names in order, comma separated.
func phaseNames(ps []Phase) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return strings.Join(names, ",")
}
