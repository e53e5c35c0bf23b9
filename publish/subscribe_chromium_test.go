package publish

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestChromiumRendersSubscribePage renders the form in a real browser, on
// a phone and a desktop, light and dark: it loads nothing but itself.
func TestChromiumRendersSubscribePage(t *testing.T) {
	bin := requirePeer(t, "chromium", "chromium")
	var log requestLog
	rig := newSubRig(t, 5)
	srv := httptest.NewServer(log.wrap(rig.srv.Handler()))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	dom := string(chromium(t, bin, "--dump-dom", srv.URL+"/subscribe"))
	for _, want := range []string{"Subscribe to updates", "Telephony", "I agree to receive status updates by email."} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered form lacks %q", want)
		}
	}
	dir := artifactDir(t)
	for _, s := range []struct {
		name, size string
		extra      []string
	}{
		{"mobile", "390,844", nil},
		{"desktop", "1280,900", nil},
		{"mobile-dark", "390,844", []string{"--force-dark-mode", "--blink-settings=preferredColorScheme=0"}},
	} {
		t.Run("screenshot "+s.name, func(t *testing.T) {
			file := filepath.Join(dir, "subscribe-"+s.name+".png")
			chromium(t, bin, append([]string{"--screenshot=" + file, "--window-size=" + s.size}, append(s.extra, srv.URL+"/subscribe")...)...)
			data, err := os.ReadFile(file)
			if err != nil || !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
				t.Fatalf("screenshot %s: %v", file, err)
			}
			t.Logf("screenshot: %s", file)
		})
	}
	for _, r := range log.take() {
		if r != "GET "+host+"/subscribe" {
			t.Errorf("unexpected request %q (only the page itself may be fetched)", r)
		}
	}
}
