package main

import (
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/outpost-status/outpost/admin"
	"github.com/outpost-status/outpost/metrics"
)

// pushHandler builds the push endpoint of push checks, mounted at
// /api/v1/push/: the monitor takes the pushes (and holds the tokens,
// reloaded with the configuration), the metrics count them.
func (a *app) pushHandler(reg prometheus.Registerer) (http.Handler, error) {
	counter, err := metrics.NewPushCounter(reg, admin.PushResults)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return admin.NewPushAPI(admin.PushOptions{Receiver: a.mon, Counter: counter, Logger: a.log}).Handler(), nil
}
