package probe

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

const sipOK = "SIP/2.0 200 OK\r\n" +
	"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKabc;rport=5060;received=127.0.0.1\r\n" +
	"From: <sip:outpost@127.0.0.1>;tag=1\r\n" +
	"To: <sip:127.0.0.1>;tag=2\r\n" +
	"Call-ID: id1@127.0.0.1\r\n" +
	"CSeq: 1 OPTIONS\r\n" +
	"Server: kamailio (5.6.3 (x86_64/linux))\r\n" +
	"Content-Length: 0\r\n\r\n"

func TestParseSIPResponse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want sipResponse
	}{
		{"full", sipOK, sipResponse{Status: 200, Reason: "OK",
			Via:    "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKabc;rport=5060;received=127.0.0.1",
			CallID: "id1@127.0.0.1", Server: "kamailio (5.6.3 (x86_64/linux))"}},
		{"compact forms and case", "sip/2.0 486 Busy Here\r\nv: SIP/2.0/TCP a;branch=z9hG4bKx\r\nI: c@d\r\nL: 3\r\nuser-agent: ua\r\n\r\nabc",
			sipResponse{Status: 486, Reason: "Busy Here", Via: "SIP/2.0/TCP a;branch=z9hG4bKx", CallID: "c@d", UserAgent: "ua", ContentLength: 3}},
		{"folded header and bare LF", "SIP/2.0 404 Not Found\nServer: a\n  b\n\tc\nCall-ID : x\n\n",
			sipResponse{Status: 404, Reason: "Not Found", Server: "a b c", CallID: "x", ContentLength: -1}},
		{"first of several Via", "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=one, SIP/2.0/UDP b;branch=two\r\nVia: SIP/2.0/UDP c;branch=three\r\n\r\n",
			sipResponse{Status: 200, Reason: "OK", Via: "SIP/2.0/UDP a;branch=one", ContentLength: -1}},
		{"empty reason, no end of header", "SIP/2.0 100 ", sipResponse{Status: 100, ContentLength: -1}},
		{"no reason", "SIP/2.0 180", sipResponse{Status: 180, ContentLength: -1}},
		{"control characters dropped", "SIP/2.0 200 O\x1bK\x00\r\nServer: x\x7fy\r\n\r\n", sipResponse{Status: 200, Reason: "OK", Server: "xy", ContentLength: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSIPResponse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseSIPResponseRejects(t *testing.T) {
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"http", "HTTP/1.1 200 OK\r\n\r\n"},
		{"request", "OPTIONS sip:a SIP/2.0\r\n\r\n"},
		{"short code", "SIP/2.0 20 OK\r\n\r\n"},
		{"code not a number", "SIP/2.0 2x0 OK\r\n\r\n"},
		{"code out of range", "SIP/2.0 700 Weird\r\n\r\n"},
		{"header without colon", "SIP/2.0 200 OK\r\nVia SIP/2.0/UDP a\r\n\r\n"},
		{"header name with space", "SIP/2.0 200 OK\r\nCall ID: x\r\n\r\n"},
		{"continuation first", "SIP/2.0 200 OK\r\n folded\r\n\r\n"},
		{"negative length", "SIP/2.0 200 OK\r\nContent-Length: -1\r\n\r\n"},
		{"huge length", "SIP/2.0 200 OK\r\nl: 99999999999999999999\r\n\r\n"},
		{"conflicting lengths", "SIP/2.0 200 OK\r\nContent-Length: 1\r\nl: 2\r\n\r\nab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r, err := parseSIPResponse([]byte(tt.in)); !errors.Is(err, errSIPMessage) {
				t.Errorf("parseSIPResponse = %+v, %v; want an errSIPMessage", r, err)
			}
		})
	}
}

func TestViaBranch(t *testing.T) {
	tests := []struct{ via, want string }{
		{"SIP/2.0/UDP 1.2.3.4:5060;branch=z9hG4bKabc;rport=1", "z9hG4bKabc"},
		{"SIP/2.0/UDP 1.2.3.4;rport ; BRANCH = z9hG4bKx ", "z9hG4bKx"},
		{"SIP/2.0/UDP 1.2.3.4", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.via, func(t *testing.T) {
			if got := viaBranch(tt.via); got != tt.want {
				t.Errorf("viaBranch = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReadSIPMessage(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []int // statuses read before err
		wantErr error
	}{
		{"two messages with bodies", "SIP/2.0 100 Trying\r\nl: 2\r\n\r\nhiSIP/2.0 200 OK\r\n\r\n", []int{100, 200}, io.EOF},
		{"keep-alive CRLFs", "\r\n\r\nSIP/2.0 200 OK\r\n\r\n\r\n", []int{200}, io.EOF},
		{"garbage first line", "GET / HTTP/1.1\r\n", nil, errSIPMessage},
		{"garbage before end of line", "GET / HTTP/1.1 and no newline yet", nil, errSIPMessage},
		{"status line cut short", "SIP/2", nil, io.ErrUnexpectedEOF},
		{"truncated header", "SIP/2.0 200 OK\r\nVia: x", nil, io.ErrUnexpectedEOF},
		{"truncated body", "SIP/2.0 200 OK\r\nContent-Length: 5\r\n\r\nab", nil, io.ErrUnexpectedEOF},
		{"header too large", "SIP/2.0 200 OK\r\nX: " + strings.Repeat("a", maxSIPMessage) + "\r\n\r\n", nil, errSIPTooLarge},
		{"body too large", "SIP/2.0 200 OK\r\nContent-Length: 65536\r\n\r\n", nil, errSIPTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			br := bufio.NewReaderSize(strings.NewReader(tt.in), 16)
			var (
				got  []int
				head []byte
				err  error
			)
			for {
				var r sipResponse
				r, head, err = readSIPMessage(br, head)
				if err != nil {
					break
				}
				got = append(got, r.Status)
			}
			if !errors.Is(err, tt.wantErr) || len(got) != len(tt.want) {
				t.Fatalf("read %v then %v; want %v then %v", got, err, tt.want, tt.wantErr)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("message %d status %d, want %d", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestSIPRequestIPv6(t *testing.T) {
	tg := sipTestTarget(t, "sip:[::1]:5070;transport=tcp", DefaultOptions())
	req := newSIPRequest(tg, &net.TCPAddr{IP: net.ParseIP("::1"), Port: 40000}, "outpost")
	b := string(req.bytes())
	for _, want := range []string{
		"OPTIONS sip:[::1]:5070;transport=tcp SIP/2.0\r\n",
		"Via: SIP/2.0/TCP [::1]:40000;branch=z9hG4bK",
		"From: <sip:outpost@[::1]>;tag=",
		"To: <sip:[::1]:5070;transport=tcp>\r\n",
		"Contact: <sip:outpost@[::1]:40000;transport=tcp>\r\n",
		"@[::1]\r\n",
	} {
		if !strings.Contains(b, want) {
			t.Errorf("request lacks %q:\n%s", want, b)
		}
	}
}

func FuzzParseSIPResponse(f *testing.F) {
	for _, seed := range []string{
		sipOK,
		"SIP/2.0 100 Trying\r\nv: SIP/2.0/UDP a;branch=b\r\ni: x\r\nl: 0\r\n\r\n",
		"SIP/2.0 404 Not Found\nServer: a\n  b\n\n",
		"SIP/2.0 200 OK\r\nContent-Length: 4\r\n\r\nbodySIP/2.0 503 x\r\n\r\n",
		"\r\n\r\nSIP/2.0 486 Busy\r\nVia: ,;branch=\r\n\r\n",
		"HTTP/1.1 200 OK\r\n\r\n",
		"SIP/2.0 200 \xff\xfe\r\nServer: \x00\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseSIPResponse(data)
		if err == nil {
			if r.Status < 100 || r.Status > 699 {
				t.Errorf("status %d out of range", r.Status)
			}
			for _, s := range []string{r.Reason, r.Server, r.UserAgent} {
				if !utf8.ValidString(s) || len(s) > maxSIPText+len("…") || strings.ContainsAny(s, "\r\n\x00") {
					t.Errorf("unclean text %q", s)
				}
			}
			if r.ContentLength < -1 || r.ContentLength > maxSIPMessage {
				t.Errorf("content length %d", r.ContentLength)
			}
			_ = viaBranch(r.Via)
		}
		// The same bytes as a stream: every call consumes input or fails.
		br := bufio.NewReaderSize(bytes.NewReader(data), 16)
		var head []byte
		for range len(data) + 1 {
			if _, head, err = readSIPMessage(br, head); err != nil {
				break
			}
		}
		if err == nil {
			t.Fatal("readSIPMessage kept succeeding past the end of its input")
		}
		if len(head) > maxSIPMessage {
			t.Fatalf("head grew to %d bytes", len(head))
		}
	})
}
