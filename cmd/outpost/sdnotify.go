package main

import (
	"fmt"
	"net"
	"os"
	"strings"
)

// sdNotify sends a state to systemd's notification socket ($NOTIFY_SOCKET)
// for Type=notify units: READY=1 once serving, RELOADING=1/READY=1 around
// SIGHUP, STOPPING=1 on shutdown. Without the variable it does nothing.
// The protocol is one datagram per message (sd_notify(3)); a few lines do
// not justify a dependency.
func sdNotify(state string) error {
	addr := os.Getenv("NOTIFY_SOCKET")
	if addr == "" {
		return nil
	}
	if strings.HasPrefix(addr, "@") {
		addr = "\x00" + addr[1:] // abstract socket namespace
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify %s: %w", state, err)
	}
	return nil
}
