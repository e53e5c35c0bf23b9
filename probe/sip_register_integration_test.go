package probe

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestIntegrationKamailioRegister registers against a real kamailio (auth,
// usrloc and registrar modules; see kamailioConfig): the right password
// is up over udp and tcp with MD5 and SHA-256 and the binding is removed
// again; a wrong one is down with class auth, through a new challenge or
// a 403.
func TestIntegrationKamailioRegister(t *testing.T) {
	bin := requirePeer(t, "kamailio", "kamailio")
	tests := []struct {
		name     string
		uri      string
		password string
		outcome  Outcome
		class    Class
		status   int
		message  string
	}{
		{"right password over udp", "sip:alice@127.0.0.1:%d", "s3cret", Up, ClassNone, 200, ""},
		{"right password over tcp", "sip:alice@127.0.0.1:%d;transport=tcp", "s3cret", Up, ClassNone, 200, ""},
		{"wrong password over udp", "sip:alice@127.0.0.1:%d", "wrong", Down, ClassAuth, 401,
			"password rejected: the server challenged again (401 Unauthorized)"},
		{"wrong password over tcp", "sip:alice@127.0.0.1:%d;transport=tcp", "wrong", Down, ClassAuth, 401,
			"password rejected: the server challenged again"},
		{"wrong password forbidden over udp", "sip:bob@127.0.0.1:%d", "wrong", Down, ClassAuth, 403, "password rejected: 403 Forbidden"},
		{"wrong password forbidden over tcp", "sip:bob@127.0.0.1:%d;transport=tcp", "wrong", Down, ClassAuth, 403, "password rejected: 403 Forbidden"},
	}
	for _, algorithm := range []string{"MD5", "SHA-256"} {
		t.Run(algorithm, func(t *testing.T) {
			port := startKamailio(t, bin, algorithm)
			p := NewSIP(SIPConfig{})
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					r := probeWithin(p, sipTestTarget(t, fmt.Sprintf(tt.uri, port), registerOptions(tt.password)), 5*time.Second)
					if r.Outcome != tt.outcome || r.Class != tt.class || r.Details.SIPStatus != tt.status || !strings.Contains(r.Message, tt.message) {
						t.Fatalf("got %s/%q status %d (%s), want %s/%q status %d (%s)",
							r.Outcome, r.Class, r.Details.SIPStatus, r.Message, tt.outcome, tt.class, tt.status, tt.message)
					}
					if r.Details.SIPServer != "outpost-test-kamailio" || !hasPhase(r, "challenge") {
						t.Errorf("details %+v phases %+v", r.Details, r.Phases)
					}
					if tt.outcome == Up && (r.Details.SIPUnregister != "200 OK" || !hasPhase(r, "register") || !hasPhase(r, "unregister")) {
						t.Errorf("unregister %q phases %s", r.Details.SIPUnregister, phaseNames(r.Phases))
					}
				})
			}
		})
	}
}
