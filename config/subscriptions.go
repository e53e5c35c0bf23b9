package config

import (
	"fmt"
	"time"

	"github.com/outpost-status/outpost/text"
)

// Subscriptions configures email subscriptions (SPEC §16): the public
// /subscribe pages, double opt-in and the fan-out of public news to
// confirmed subscribers through the email channel named by Channel.
type Subscriptions struct {
	Enabled bool `yaml:"enabled"`
	// Channel names an email channel of notify: (audience public): its
	// SMTP server and from address send the confirmation mails and every
	// subscriber's copy, at its rate limit.
	Channel string `yaml:"channel"`
	// ConfirmTTL is how long a confirmation link works; an address not
	// confirmed by then is deleted.
	ConfirmTTL Duration `yaml:"confirm_ttl"`
	// PerClientPerHour bounds sign-ups from one client address per hour.
	PerClientPerHour int `yaml:"per_client_per_hour"`
	// ConsentText is the sentence a person agrees to on the form; it is
	// stored with each sign-up. Default: package text's, in the page
	// language.
	ConsentText string `yaml:"consent_text"`
}

// Defaults of subscriptions.
const (
	DefaultConfirmTTL       = 48 * time.Hour
	DefaultPerClientPerHour = 5
)

// maxConsentText bounds consent_text: one or two sentences beside a
// checkbox.
const maxConsentText = 500

// subscriptionDefaults fills in confirm_ttl, per_client_per_hour and
// consent_text (package text's sentence in the page language).
func (v *validator) subscriptionDefaults() {
	s := &v.cfg.Subscriptions
	if !v.has("subscriptions.confirm_ttl") {
		s.ConfirmTTL = Duration(DefaultConfirmTTL)
	}
	if !v.has("subscriptions.per_client_per_hour") {
		s.PerClientPerHour = DefaultPerClientPerHour
	}
	if !v.has("subscriptions.consent_text") {
		s.ConsentText = text.For(v.cfg.Page.Language).Subscribe.Consent
	}
}

// validateSubscriptions checks subscriptions when they are enabled: the
// channel must be an email channel for the public.
func (v *validator) validateSubscriptions() {
	s := &v.cfg.Subscriptions
	if !s.Enabled {
		return
	}
	v.positive("subscriptions.confirm_ttl", s.ConfirmTTL)
	v.atLeast("subscriptions.per_client_per_hour", s.PerClientPerHour, 1)
	if len([]rune(s.ConsentText)) > maxConsentText {
		v.errorf("subscriptions.consent_text", "is %d characters long (at most %d): keep it to a sentence or two",
			len([]rune(s.ConsentText)), maxConsentText)
	}
	if s.Channel == "" {
		v.errorf("subscriptions", "subscriptions need channel: the name of an email channel of notify: with audience public")
		return
	}
	var names []string
	for _, n := range v.cfg.Notify {
		if n.Type == "email" && n.Audience == "public" {
			names = append(names, n.Name)
		}
		if n.Name != s.Channel {
			continue
		}
		if n.Type != "email" || n.Audience != "public" {
			v.errorf("subscriptions.channel", "channel %q is a %s channel for %s; subscriptions need an email channel with audience public",
				s.Channel, n.Type, n.Audience)
		}
		return
	}
	hint := "add an email channel with audience public under notify:"
	if len(names) > 0 {
		hint = fmt.Sprintf("use one of %q", names)
	}
	v.errorf("subscriptions.channel", "no notify channel is named %q; %s", s.Channel, hint)
}
