// Package exposure says what is wrong with where a local simulator
// (examples/hlsim, examples/pbnsim) listens. The simulators are meant for
// rehearsals on one machine: a listener beyond loopback (0.0.0.0, a LAN
// address) lets other machines reach whatever data they are sent, and
// their fixed default tokens are published in the source, so anyone who
// reaches the port could use them.
package exposure

import (
	"fmt"
	"net"
)

// Warnings returns the warnings for program serving on addr, one line
// each, none on loopback (or for an address that is not TCP). defaultToken
// says the server accepts the published default token. The warnings name
// the address, never a token.
func Warnings(addr net.Addr, program string, defaultToken bool) []string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP.IsLoopback() {
		return nil
	}
	w := []string{fmt.Sprintf("warning: listening on %s, reachable from other machines; %s holds whatever data it is sent (bind 127.0.0.1 unless you mean it)", addr, program)}
	if defaultToken {
		w = append(w, "warning: serving beyond loopback with the default token, which is published in the source: anyone who reaches the port can use it (set -token)")
	}
	return w
}
