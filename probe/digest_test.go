package probe

import (
	"errors"
	"strings"
	"testing"
)

// TestDigestRFC7616Example answers the example challenge of RFC 7616
// §3.9.1 (MD5 and SHA-256, qop=auth) and expects the RFC's responses.
func TestDigestRFC7616Example(t *testing.T) {
	creds := digestCredentials{username: "Mufasa", password: "Circle of Life"}
	const cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
	tests := []struct{ algorithm, response string }{
		{"MD5", "8ca523f5e9506fed4657c9700eebdbec"},
		{"SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
	}
	for _, tt := range tests {
		t.Run(tt.algorithm, func(t *testing.T) {
			c, err := parseDigestChallenge(`Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=`+tt.algorithm+
				`, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`, false)
			if err != nil {
				t.Fatal(err)
			}
			got := creds.authorization(c, "GET", "/dir/index.html", 1, cnonce)
			for _, want := range []string{`Authorization: Digest username="Mufasa"`, `response="` + tt.response + `"`,
				"qop=auth, nc=00000001", `cnonce="` + cnonce + `"`, "algorithm=" + tt.algorithm,
				`opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`} {
				if !strings.Contains(got, want) {
					t.Errorf("missing %s in\n%s", want, got)
				}
			}
		})
	}
}

func TestParseDigestChallenge(t *testing.T) {
	tests := []struct {
		name, in string
		want     digestChallenge
	}{
		{"kamailio", `Digest realm="outpost.test", nonce="aw+XgmsP", qop="auth"`,
			digestChallenge{realm: "outpost.test", nonce: "aw+XgmsP", algorithm: "MD5", qopAuth: true}},
		{"tokens, odd spacing and case", `digest REALM = x ,NONCE=abc,algorithm=sha-256 , stale=TRUE,opaque=""`,
			digestChallenge{realm: "x", nonce: "abc", algorithm: "sha-256", stale: true, hasOpaque: true}},
		{"escapes", `Digest realm="a \"quoted\" \\ realm", nonce="n"`,
			digestChallenge{realm: `a "quoted" \ realm`, nonce: "n", algorithm: "MD5"}},
		{"unknown parameters ignored", `Digest realm="r", domain="sip:x", nonce="n", charset=UTF-8, algorithm=SHA-512-256-sess`,
			digestChallenge{realm: "r", nonce: "n", algorithm: "SHA-512-256-sess"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDigestChallenge(tt.in, false)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestParseDigestChallengeRejects covers hostile and malformed challenges:
// each is refused with the error kind that sets the probe's class.
func TestParseDigestChallengeRejects(t *testing.T) {
	tests := []struct {
		name, in string
		want     error
	}{
		{"huge", `Digest realm="r", nonce="` + strings.Repeat("n", maxChallengeLen) + `"`, errChallenge},
		{"huge value", `Digest realm="r", nonce="` + strings.Repeat("n", maxChallengeValue+1) + `"`, errChallenge},
		{"many parameters", "Digest nonce=n" + strings.Repeat(", x=1", 10) + func() string {
			var b strings.Builder
			for i := range maxChallengeParams {
				b.WriteString(", p" + strings.Repeat("x", i) + "=1")
			}
			return b.String()
		}(), errChallenge},
		{"no nonce", `Digest realm="r"`, errChallenge},
		{"unterminated quote", `Digest realm="r, nonce=n`, errChallenge},
		{"control character", "Digest realm=\"r\r\nVia: evil\", nonce=n", errChallenge},
		{"nul", "Digest realm=\"r\x00\", nonce=n", errChallenge},
		{"duplicate", `Digest nonce=a, nonce=b`, errChallenge},
		{"bare token", `Digest realm="r" nonce="n"`, errChallenge},
		{"missing value", `Digest realm=, nonce=n`, errChallenge},
		{"empty", ``, errChallengeUnsupported},
		{"basic", `Basic realm="r"`, errChallengeUnsupported},
		{"unknown algorithm", `Digest realm="r", nonce="n", algorithm=SHA-1`, errChallengeUnsupported},
		{"algorithm with spaces", `Digest realm="r", nonce="n", algorithm="MD5, SHA-256"`, errChallengeUnsupported},
		{"auth-int only", `Digest realm="r", nonce="n", qop="auth-int"`, errChallengeUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseDigestChallenge(tt.in, false)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if len(err.Error()) > 300 {
				t.Errorf("error message of %d bytes", len(err.Error()))
			}
		})
	}
}

func TestChooseChallenge(t *testing.T) {
	c, err := chooseChallenge([]string{`Basic realm="r"`, `Digest realm="r", nonce="a", algorithm=SHA-1`,
		`Digest realm="r", nonce="b", algorithm=SHA-256`, `Digest realm="r", nonce="c"`}, nil)
	if err != nil || c.nonce != "b" || c.proxy {
		t.Errorf("got %+v, %v; want the topmost supported (nonce b)", c, err)
	}
	c, err = chooseChallenge(nil, []string{`Digest realm="p", nonce="x"`})
	if err != nil || !c.proxy || c.nonce != "x" {
		t.Errorf("proxy: got %+v, %v", c, err)
	}
	if got := creds().authorization(c, "REGISTER", "sip:x", 1, "cn"); !strings.HasPrefix(got, "Proxy-Authorization: Digest ") {
		t.Errorf("proxy answer %q", got)
	}
	if _, err := chooseChallenge([]string{`Digest realm="r"`, `Basic x=y`}, nil); !errors.Is(err, errChallenge) {
		t.Errorf("malformed and unsupported: err %v, want the malformed one", err)
	}
	if _, err := chooseChallenge(nil, nil); !errors.Is(err, errChallenge) {
		t.Errorf("none: err %v", err)
	}
}

func creds() digestCredentials { return digestCredentials{username: `al"ice`, password: "pw"} }

// TestDigestAnswerWithoutQop uses RFC 2069's response and quotes the
// username's special characters.
func TestDigestAnswerWithoutQop(t *testing.T) {
	c, err := parseDigestChallenge(`Digest realm="r", nonce="n"`, false)
	if err != nil {
		t.Fatal(err)
	}
	got := creds().authorization(c, "REGISTER", "sip:x", 1, "cn")
	if strings.Contains(got, "qop=") || strings.Contains(got, "cnonce") || !strings.Contains(got, `username="al\"ice"`) {
		t.Errorf("got %q", got)
	}
}

func FuzzDigestChallenge(f *testing.F) {
	for _, s := range []string{`Digest realm="outpost.test", nonce="aw+XgmsP", qop="auth"`,
		`Digest realm="a \"q\" \\", nonce=n, algorithm=SHA-256-sess, stale=true, opaque="o"`,
		`Basic realm="x"`, `Digest nonce="`, "Digest realm=\"\r\n\"", `Digest , , ,nonce=1`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseDigestChallenge(s, false)
		if err != nil {
			if !errors.Is(err, errChallenge) && !errors.Is(err, errChallengeUnsupported) {
				t.Fatalf("error of another kind: %v", err)
			}
			return
		}
		if c.nonce == "" {
			t.Fatal("accepted without a nonce")
		}
		line := creds().authorization(c, "REGISTER", "sip:x", 1, "cn")
		if strings.ContainsAny(line, "\r\n\x00") {
			t.Fatalf("answer line carries a control character: %q", line)
		}
	})
}
