package monitor

// specOf builds a spec whose components group checks by Check.Component.
func specOf(checks ...Check) Spec {
	spec := Spec{Checks: checks}
	index := map[string]int{}
	for _, c := range checks {
		i, ok := index[c.Component]
		if !ok {
			i = len(spec.Components)
			index[c.Component] = i
			spec.Components = append(spec.Components, Component{ID: c.Component, Name: c.Component})
		}
		spec.Components[i].Checks = append(spec.Components[i].Checks, c.Key)
	}
	return spec
}
