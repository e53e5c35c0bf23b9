package config_test

import (
	"os"
	"strings"
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

// TestExampleSubscriptions uncomments the subscriptions block of
// config.example.yaml and its public email channel, and loads them.
func TestExampleSubscriptions(t *testing.T) {
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	block := func(start, prefix, indent string) string {
		var out []string
		for _, line := range strings.Split(string(data), "\n") {
			if len(out) == 0 && line != start {
				continue
			}
			if len(out) > 0 && !strings.HasPrefix(line, prefix) {
				break
			}
			out = append(out, indent+strings.TrimPrefix(strings.TrimPrefix(line, start), prefix))
		}
		return strings.Join(out, "\n")
	}
	var channel []string
	lines := strings.Split(string(data), "\n")
	for i, line := range lines {
		if line == "  #   name: news                       # subscriptions.channel below names it" {
			for j := i - 1; j < len(lines) && strings.HasPrefix(lines[j], "  #"); j++ {
				if j > i && strings.HasPrefix(lines[j], "  # -") {
					break
				}
				channel = append(channel, "  "+strings.TrimPrefix(lines[j], "  # "))
			}
			break
		}
	}
	subs := block("# subscriptions:", "#   ", "  ")
	if len(channel) < 5 || !strings.Contains(subs, "channel: news") {
		t.Fatalf("no commented channel or subscriptions in config.example.yaml:\n%q\n%s", channel, subs)
	}
	subs = strings.Replace(subs, "enabled: false", "enabled: true", 1)
	yaml := "page: {url: \"https://status.example.com\"}\ncomponents:\n  - {name: Web, checks: [{name: Home, target: \"https://www.example.com/\"}]}\n" +
		"notify:\n" + strings.Join(channel, "\n") + "\nsubscriptions:\n" + subs + "\n"
	yaml = strings.ReplaceAll(yaml, "password_file: /etc/outpost/smtp.password", "password_env: SMTP_PASSWORD")
	o := opts()
	o.Getenv = func(k string) string { return map[string]string{"SMTP_PASSWORD": "secret"}[k] }
	cfg, err := config.Parse("example-subscriptions.yaml", []byte(yaml), o)
	if err != nil {
		t.Fatalf("the example's subscriptions are invalid:\n%v\n%s", err, yaml)
	}
	if s := cfg.Subscriptions; !s.Enabled || s.Channel != "news" || s.ConfirmTTL.D() != 48*time.Hour || s.PerClientPerHour != 5 {
		t.Errorf("example subscriptions: %+v", s)
	}
}
