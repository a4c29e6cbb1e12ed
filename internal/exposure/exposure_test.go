package exposure

import (
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWarnings(t *testing.T) {
	assert.Empty(t, Warnings(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8790}, "hlsim", true))
	assert.Empty(t, Warnings(&net.TCPAddr{IP: net.IPv6loopback, Port: 8791}, "pbnsim", true))
	assert.Empty(t, Warnings(&net.UnixAddr{Name: "/tmp/sock", Net: "unix"}, "pbnsim", true))

	w := Warnings(&net.TCPAddr{IP: net.IPv4zero, Port: 8790}, "hlsim", false)
	require.Len(t, w, 1)
	assert.Equal(t, "warning: listening on 0.0.0.0:8790, reachable from other machines; hlsim holds whatever data it is sent (bind 127.0.0.1 unless you mean it)", w[0])

	w = Warnings(&net.TCPAddr{IP: net.IPv6unspecified, Port: 8791}, "pbnsim", false)
	require.Len(t, w, 1)
	assert.Contains(t, w[0], "pbnsim holds")

	w = Warnings(&net.TCPAddr{IP: net.ParseIP("192.168.1.20"), Port: 8790}, "hlsim", true)
	require.Len(t, w, 2)
	assert.Contains(t, w[1], "default token")
	assert.Contains(t, w[1], "(set -token)")
}
