package probe

import (
	"bufio"
	"context"
	"net"
	"regexp"
	"testing"
	"time"
)

// serveTCP accepts connections on loopback and hands each to handle.
func serveTCP(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); handle(c) }()
		}
	}()
	return ln.Addr().String()
}

func TestTCPProbe(t *testing.T) {
	smtp := serveTCP(t, func(c net.Conn) {
		c.Write([]byte("220 mail.example.com ESMTP\r\n"))
		line, _ := bufio.NewReader(c).ReadString('\n')
		if line == "EHLO outpost\r\n" {
			c.Write([]byte("250 hello\r\n"))
		}
	})
	silent := serveTCP(t, func(c net.Conn) {
		buf := make([]byte, 1)
		c.Read(buf) // until the client gives up
	})
	withExpect := func(send, re string) Options {
		o := DefaultOptions()
		o.Send = send
		o.Expect.BodyRegex = regexp.MustCompile(re)
		return o
	}
	tests := []struct {
		name    string
		addr    string
		opts    Options
		outcome Outcome
		class   Class
	}{
		{"connect", smtp, DefaultOptions(), Up, ClassNone},
		{"banner", smtp, withExpect("", "^220 "), Up, ClassNone},
		{"send and expect", smtp, withExpect("EHLO outpost\r\n", "(?m)^250 "), Up, ClassNone},
		{"banner mismatch closes", smtp, withExpect("QUIT\r\n", "^554"), Down, ClassBody},
		{"silent server times out", silent, withExpect("", "^220"), Down, ClassTimeout},
		{"refused", closedAddr(t, "tcp"), DefaultOptions(), Down, ClassRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg, err := NewTarget("tcp://"+tt.addr, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			r := NewTCP(nil, nil).Probe(ctx, tg)
			if r.Outcome != tt.outcome || r.Class != tt.class {
				t.Fatalf("got %s/%q (%s), want %s/%q", r.Outcome, r.Class, r.Message, tt.outcome, tt.class)
			}
			if r.Duration <= 0 || r.Duration > time.Second {
				t.Errorf("duration %s", r.Duration)
			}
		})
	}
}

func BenchmarkTCPProbe(b *testing.B) {
	addr := serveTCP(b, func(c net.Conn) { c.Write([]byte("220 ok\r\n")) })
	tg, _ := NewTarget("tcp://"+addr, DefaultOptions())
	tg.Options.Expect.BodyRegex = regexp.MustCompile("^220")
	p := NewTCP(nil, nil)
	benchProbes(b, p, tg, nil)
}
