package config_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outpost-status/outpost/config"
)

// TestSIPRegisterCheck reads the password of a REGISTER check from its
// file or variable, keeps it out of every printed form and takes the
// resolver.
func TestSIPRegisterCheck(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "sip-password")
	if err := os.WriteFile(pwFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := fmt.Appendf(nil, `resolver: "[2620:fe::fe]:53"
components:
  - name: Voice
    checks:
      - {name: reg, target: "sip:alice@sip.example.com", method: register, password_file: %q}
      - {name: env, target: "sips:sip.example.com", method: REGISTER, username: bob, password_env: SIP_PW}
      - {name: opt, target: "sip:sip.example.com", method: OPTIONS}
`, pwFile)
	o := opts()
	o.Getenv = func(k string) string { return map[string]string{"SIP_PW": "from-env"}[k] }
	cfg, err := config.Parse("sip.yaml", data, o)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Resolver != "[2620:fe::fe]:53" {
		t.Errorf("resolver %q", cfg.Resolver)
	}
	checks := cfg.Components[0].Checks
	if c := checks[0]; c.Method != "REGISTER" || c.Password.Reveal() != "s3cret" || c.Username != "" {
		t.Errorf("reg: method %q password %q username %q", c.Method, c.Password.Reveal(), c.Username)
	}
	if c := checks[1]; c.Password.Reveal() != "from-env" || c.Username != "bob" {
		t.Errorf("env: password %q username %q", c.Password.Reveal(), c.Username)
	}
	if c := checks[2]; c.Method != "OPTIONS" || c.Password != "" {
		t.Errorf("opt: method %q password set %v", c.Method, c.Password != "")
	}
	for _, s := range []string{fmt.Sprintf("%v %+v %#v", checks[0], checks[0], checks[0])} {
		if strings.Contains(s, "s3cret") {
			t.Errorf("password printed: %s", s)
		}
	}
}
