package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// kamailioConfig answers OPTIONS statelessly: user "busy" gets 486, user
// "down" 503, anything else 200. REGISTER is authenticated with the auth
// module against the password "s3cret" in the script (algorithm %[3]s;
// pv_www_authenticate with flags 0 takes a plain password), the
// authentication user must be the To user, and bindings go to usrloc in
// memory (db_mode 0); a wrong password is challenged again, except for
// user "bob", who gets 403. Other methods get 405. No database, no DNS,
// logs on stderr.
const kamailioConfig = `#!KAMAILIO
debug=1
log_stderror=yes
fork=yes
children=2
tcp_children=1
auto_aliases=no
dns=no
rev_dns=no
listen=udp:127.0.0.1:%[1]d
listen=tcp:127.0.0.1:%[1]d
server_header="Server: outpost-test-kamailio"
mpath="%[2]s"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "auth.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
modparam("auth", "algorithm", "%[3]s")
modparam("usrloc", "db_mode", 0)
request_route {
	if ($rm == "REGISTER") { route(REGISTRAR); exit; }
	if ($rU == "busy") { sl_send_reply("486", "Busy Here"); exit; }
	if ($rU == "down") { sl_send_reply("503", "Service Unavailable"); exit; }
	if ($rm == "OPTIONS") { sl_send_reply("200", "OK"); exit; }
	sl_send_reply("405", "Method Not Allowed");
}
route[REGISTRAR] {
	pv_www_authenticate("outpost.test", "s3cret", "0");
	$var(rc) = $rc;
	if ($var(rc) == 1) {
		if ($au != $tU) { sl_send_reply("403", "Forbidden"); exit; }
		if (!save("location")) { sl_reply_error(); }
		exit;
	}
	if ($var(rc) == -2 && $tU == "bob") { sl_send_reply("403", "Forbidden"); exit; }
	www_challenge("outpost.test", "1");
	exit;
}
`

func TestIntegrationKamailio(t *testing.T) {
	bin := requirePeer(t, "kamailio", "kamailio")
	port := startKamailio(t, bin, "MD5")
	tests := []struct {
		name    string
		uri     string
		outcome Outcome
		class   Class
		status  int
	}{
		{"options over udp", "sip:127.0.0.1:%d", Up, ClassNone, 200},
		{"options over tcp", "sip:127.0.0.1:%d;transport=tcp", Up, ClassNone, 200},
		{"busy user is a live server", "sip:busy@127.0.0.1:%d", Up, ClassNone, 486},
		{"busy user over tcp", "sip:busy@127.0.0.1:%d;transport=tcp", Up, ClassNone, 486},
		{"down user is down", "sip:down@127.0.0.1:%d", Down, ClassStatus, 503},
	}
	p := NewSIP(SIPConfig{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := probeWithin(p, sipTestTarget(t, fmt.Sprintf(tt.uri, port), DefaultOptions()), 5*time.Second)
			if r.Outcome != tt.outcome || r.Class != tt.class || r.Details.SIPStatus != tt.status {
				t.Fatalf("got %s/%q status %d (%s), want %s/%q status %d",
					r.Outcome, r.Class, r.Details.SIPStatus, r.Message, tt.outcome, tt.class, tt.status)
			}
			if r.Details.SIPServer != "outpost-test-kamailio" || r.Details.Retransmits != 0 || !hasPhase(r, "response") {
				t.Errorf("details %+v phases %+v", r.Details, r.Phases)
			}
		})
	}
}

// startKamailio runs kamailio in the foreground on a free loopback port
// (udp and tcp) with digest algorithm (MD5 or SHA-256), waits until both
// transports answer and stops its process group in t.Cleanup.
func startKamailio(t *testing.T, bin, algorithm string) int {
	t.Helper()
	mods, _ := filepath.Glob("/usr/lib/*/kamailio/modules/sl.so")
	more, _ := filepath.Glob("/usr/lib*/kamailio/modules/sl.so")
	mods = append(mods, more...)
	if len(mods) == 0 {
		t.Fatal("kamailio module sl.so not found under /usr/lib*/; is the kamailio package complete?")
	}
	dir := t.TempDir()
	port := freeUDPAndTCPPort(t)
	cfg := filepath.Join(dir, "kamailio.cfg")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, kamailioConfig, port, filepath.Dir(mods[0])+"/", algorithm), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "kamailio.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	// -DD: stay in the foreground; -E: log to stderr; -Y/-P/-w: run files in dir.
	cmd := exec.Command(bin, "-DD", "-E", "-f", cfg, "-Y", dir, "-P", filepath.Join(dir, "kamailio.pid"),
		"-w", dir, "-m", "32", "-M", "4")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start kamailio: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { stopProcessGroup(t, cmd.Process.Pid, exited) })
	waitForSIP(t, port, exited, logPath)
	return port
}

// waitForSIP polls with OPTIONS over udp and tcp until both get a final
// response, kamailio exits, or 15 s pass.
func waitForSIP(t *testing.T, port int, exited <-chan error, logPath string) {
	t.Helper()
	p := NewSIP(SIPConfig{})
	deadline := time.Now().Add(15 * time.Second)
	for _, transport := range []string{"udp", "tcp"} {
		target := sipTestTarget(t, fmt.Sprintf("sip:127.0.0.1:%d;transport=%s", port, transport), DefaultOptions())
		for {
			r := probeWithin(p, target, 300*time.Millisecond)
			if r.Details.SIPStatus != 0 {
				break
			}
			select {
			case err := <-exited:
				log, _ := os.ReadFile(logPath)
				t.Fatalf("kamailio exited (%v) before answering on %s:\n%s", err, transport, lastLines(string(log), 30))
			case <-time.After(50 * time.Millisecond): // poll interval
			}
			if time.Now().After(deadline) {
				log, _ := os.ReadFile(logPath)
				t.Fatalf("kamailio did not answer on %s within 15s (last: %s %s):\n%s", transport, r.Class, r.Message, lastLines(string(log), 30))
			}
		}
	}
}

// stopProcessGroup sends SIGTERM to the group led by pid (kamailio and the
// children it forked), and SIGKILL if it has not exited after 5 s.
func stopProcessGroup(t *testing.T, pid int, exited <-chan error) {
	if err := syscall.Kill(-pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		t.Errorf("stop kamailio: %v", err)
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		syscall.Kill(-pid, syscall.SIGKILL)
		<-exited
	}
}

// freeUDPAndTCPPort finds a loopback port free for both udp and tcp.
func freeUDPAndTCPPort(t *testing.T) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		ln.Close()
		if err == nil {
			pc.Close()
			return port
		}
	}
	t.Fatal("no loopback port free for both udp and tcp")
	return 0
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
