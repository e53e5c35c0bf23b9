package config_test

import (
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
)

func TestSubscriptionsDefaultsAndAChannel(t *testing.T) {
	base := `components:
  - {name: Voice, checks: [{name: SIP, target: "sip:127.0.0.1"}]}
notify:
  - {name: news, type: email, audience: public, smtp: "smtp.example.com:587", from: "status@example.com", to: ["list@example.com"]}
`
	const en = "I agree to receive status updates by email. I can unsubscribe at any time."
	for _, tc := range []struct {
		name, yaml string
		want       config.Subscriptions
	}{
		{"absent", "", config.Subscriptions{ConfirmTTL: config.Duration(48 * time.Hour), PerClientPerHour: 5, ConsentText: en}},
		{"enabled", "subscriptions: {enabled: true, channel: news}\n",
			config.Subscriptions{Enabled: true, Channel: "news", ConfirmTTL: config.Duration(48 * time.Hour), PerClientPerHour: 5, ConsentText: en}},
		{"german", "page: {language: de}\nsubscriptions: {enabled: true, channel: news}\n",
			config.Subscriptions{Enabled: true, Channel: "news", ConfirmTTL: config.Duration(48 * time.Hour), PerClientPerHour: 5,
				ConsentText: "Ich möchte Statusmeldungen per E-Mail erhalten. Ich kann sie jederzeit abbestellen."}},
		{"set", "subscriptions: {enabled: true, channel: news, confirm_ttl: 2d, per_client_per_hour: 20, consent_text: Ja.}\n",
			config.Subscriptions{Enabled: true, Channel: "news", ConfirmTTL: config.Duration(48 * time.Hour),
				PerClientPerHour: 20, ConsentText: "Ja."}},
		{"disabled with a wrong channel", "subscriptions: {channel: nowhere}\n",
			config.Subscriptions{Channel: "nowhere", ConfirmTTL: config.Duration(48 * time.Hour), PerClientPerHour: 5, ConsentText: en}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Parse("c.yaml", []byte(base+tc.yaml), opts())
			if err != nil {
				t.Fatal(err)
			}
			if c.Subscriptions != tc.want {
				t.Errorf("subscriptions = %+v, want %+v", c.Subscriptions, tc.want)
			}
		})
	}
}
