package probe

import "testing"

func TestScheme(t *testing.T) {
	tests := []struct{ target, want string }{
		{"http://127.0.0.1:8080/", "http"},
		{"https://user:pw@example.com/x", "https"},
		{"tcp://mail.example.com:25", "tcp"},
		{"tls://mail.example.com:465", "tls"},
		{"dns://9.9.9.9/example.com?type=MX", "dns"},
		{"dns:example.com", "dns"},
		{"sip:sip.example.com;transport=udp", "sip"},
		{"sips:sip.example.com", "sips"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			target, err := ParseTarget(tt.target)
			if err != nil {
				t.Fatal(err)
			}
			if got := target.Scheme(); got != tt.want {
				t.Errorf("Scheme() = %q, want %q", got, tt.want)
			}
		})
	}
}
