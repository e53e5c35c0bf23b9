package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/outpost-status/outpost/monitor"
)

// Limits of the alert receiver: Alertmanager's notifications are small
// (a group's alerts with their labels and annotations); anything beyond
// these is refused with a 4xx that says which limit, never buffered or
// walked without bound.
const (
	maxAlertBody        = 1 << 20 // bytes
	maxAlertsPerRequest = 1000    // set max_alerts in the webhook_config below this
	maxJSONDepth        = 16
	maxLabels           = 64 // labels or annotations per alert
	maxLabelName        = 256
	maxLabelValue       = 2048
	maxAnnotationValue  = 8192
	maxFingerprint      = 128
)

// errTooMany marks a notification with more alerts than allowed (413).
var errTooMany = errors.New("too many alerts")

// webhookMessage is the part of Alertmanager's webhook payload (version
// 4) that outpost reads; Grafana's webhook contact point sends the same
// fields (with version "1" and an orgId). Unknown fields are ignored:
// both add fields over time.
type webhookMessage struct {
	Version         *string         `json:"version"`
	GroupKey        string          `json:"groupKey"`
	TruncatedAlerts int             `json:"truncatedAlerts"`
	Status          string          `json:"status"`
	OrgID           json.RawMessage `json:"orgId"` // Grafana's mark
	Alerts          *[]webhookAlert `json:"alerts"`
}

type webhookAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	Fingerprint string            `json:"fingerprint"`
}

// notification is a decoded, checked webhook message.
type notification struct {
	groupKey  string
	truncated int
	alerts    []monitor.Alert
}

// decodeNotification parses and checks one webhook body.
func decodeNotification(body []byte) (notification, error) {
	if len(body) == 0 {
		return notification{}, errors.New("empty body; send Alertmanager's webhook JSON")
	}
	depth, objects := jsonShape(body)
	if depth > maxJSONDepth {
		return notification{}, fmt.Errorf("JSON nested deeper than %d levels", maxJSONDepth)
	}
	if objects > maxAlertsPerRequest*4 {
		// A cheap bound before allocating: each alert holds at least
		// labels and annotations objects.
		return notification{}, fmt.Errorf("%w: more than %d alerts in one notification; set max_alerts in the webhook_config", errTooMany, maxAlertsPerRequest)
	}
	var m webhookMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return notification{}, fmt.Errorf("not Alertmanager's webhook JSON: %v", err)
	}
	if m.Version == nil {
		return notification{}, errors.New(`version missing; outpost reads Alertmanager's webhook version "4"`)
	}
	if v := *m.Version; v != "4" && !(v == "1" && len(m.OrgID) > 0) {
		return notification{}, fmt.Errorf(`webhook version %q is not supported; outpost reads version "4" (Alertmanager) and Grafana's webhook`, clip(v, 16))
	}
	if m.Alerts == nil {
		return notification{}, errors.New("alerts missing")
	}
	if len(*m.Alerts) > maxAlertsPerRequest {
		return notification{}, fmt.Errorf("%w: %d alerts in one notification, at most %d; set max_alerts in the webhook_config", errTooMany, len(*m.Alerts), maxAlertsPerRequest)
	}
	if m.TruncatedAlerts < 0 {
		return notification{}, errors.New("truncatedAlerts is negative")
	}
	out := notification{groupKey: clip(m.GroupKey, 256), truncated: m.TruncatedAlerts, alerts: make([]monitor.Alert, 0, len(*m.Alerts))}
	for i, a := range *m.Alerts {
		al, err := checkAlert(a)
		if err != nil {
			return notification{}, fmt.Errorf("alerts[%d]: %w", i, err)
		}
		out.alerts = append(out.alerts, al)
	}
	return out, nil
}

// checkAlert checks one alert's required fields and sizes.
func checkAlert(a webhookAlert) (monitor.Alert, error) {
	if a.Status != "firing" && a.Status != "resolved" {
		return monitor.Alert{}, fmt.Errorf(`status %q is neither "firing" nor "resolved"`, clip(a.Status, 32))
	}
	if a.Fingerprint == "" || len(a.Fingerprint) > maxFingerprint || !utf8.ValidString(a.Fingerprint) {
		return monitor.Alert{}, fmt.Errorf("fingerprint missing or longer than %d bytes", maxFingerprint)
	}
	if err := checkMap("labels", a.Labels, maxLabelValue); err != nil {
		return monitor.Alert{}, err
	}
	if err := checkMap("annotations", a.Annotations, maxAnnotationValue); err != nil {
		return monitor.Alert{}, err
	}
	return monitor.Alert{Fingerprint: a.Fingerprint, Firing: a.Status == "firing", Name: a.Labels["alertname"],
		Summary: a.Annotations["summary"], Labels: a.Labels, StartsAt: a.StartsAt}, nil
}

func checkMap(what string, m map[string]string, maxValue int) error {
	if len(m) > maxLabels {
		return fmt.Errorf("%d %s, at most %d", len(m), what, maxLabels)
	}
	for k, v := range m {
		if len(k) > maxLabelName || len(v) > maxValue {
			return fmt.Errorf("%s %q: name longer than %d or value longer than %d bytes", what, clip(k, 32), maxLabelName, maxValue)
		}
	}
	return nil
}

// jsonShape returns the deepest nesting of objects and arrays in b and
// the number of objects, both outside strings, in one pass; it stops once
// the nesting passes maxJSONDepth (the body is refused then anyway).
func jsonShape(b []byte) (deepest, objects int) {
	depth, inString, escaped := 0, false, false
	for _, c := range b {
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case inString && c == '"':
			inString = false
		case inString:
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if c == '{' {
				objects++
			}
			depth++
			if depth > deepest {
				deepest = depth
				if deepest > maxJSONDepth {
					return deepest, objects
				}
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest, objects
}

// clip shortens s for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
