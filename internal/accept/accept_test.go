package accept

import "testing"

func TestGzip(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{"", false}, {"gzip", true}, {"deflate, gzip", true}, {"GZIP;q=0.5", true}, {"gzip;q=0", false},
		{"gzip; q=0.000", false}, {"br", false}, {"*", true}, {"identity", false},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			if got := Gzip(tt.header); got != tt.want {
				t.Errorf("Gzip(%q) = %v", tt.header, got)
			}
		})
	}
}
