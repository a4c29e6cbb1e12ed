package rollback

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"sync"
	"weak"
)

// A running run records which process holds it (Run owner), so that the
// next BeginRun or ResumeRun of the ledger can close the runs a killed
// process left running as interrupted, without touching a run another live
// process is journaling into.
//
// The owner is "host/pid/start/token": the process's host name, its pid,
// the kernel's start time of that pid (where the platform tells it: it
// tells a pid reused by another process from the one that held the run),
// and a token naming the Ledger handle within the process.

var (
	hostName = sync.OnceValue(func() string {
		h, err := os.Hostname()
		if err != nil {
			return ""
		}
		return strings.ReplaceAll(h, "/", "_")
	})
	selfStart = sync.OnceValue(func() string { return processStart(os.Getpid()) })

	// ownerTokens names each open Ledger handle of this process; liveTokens
	// answers whether the handle behind a token is still open. Weak
	// pointers: a forgotten ledger is not kept alive by this bookkeeping.
	tokensMu    sync.Mutex
	ownerTokens = map[weak.Pointer[Ledger]]string{}
	liveTokens  = map[string]weak.Pointer[Ledger]{}
)

// owner returns this handle's owner string, registering it on first use.
func (l *Ledger) owner() string {
	wp := weak.Make(l)
	tokensMu.Lock()
	defer tokensMu.Unlock()
	tok, ok := ownerTokens[wp]
	if !ok {
		var b [8]byte
		_, _ = rand.Read(b[:])
		tok = hex.EncodeToString(b[:])
		ownerTokens[wp] = tok
		liveTokens[tok] = wp
	}
	return hostName() + "/" + strconv.Itoa(os.Getpid()) + "/" + selfStart() + "/" + tok
}

// ownerGone reports whether the process (or, in this process, the Ledger
// handle) named by owner is certainly gone. Anything it cannot tell — no
// owner recorded (a run written before owners were), another host, a
// platform that cannot probe a pid — counts as alive: a run is closed only
// when its holder is known to be dead.
func ownerGone(owner string) bool {
	parts := strings.Split(owner, "/")
	if len(parts) != 4 || parts[0] != hostName() || parts[0] == "" {
		return false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 {
		return false
	}
	if pid == os.Getpid() && parts[2] == selfStart() {
		tokensMu.Lock()
		wp, ok := liveTokens[parts[3]]
		tokensMu.Unlock()
		if !ok {
			return true // no handle of this process ever had that token
		}
		l := wp.Value()
		return l == nil || l.isClosed()
	}
	alive, known := processAlive(pid)
	if !known {
		return false
	}
	if !alive {
		return true
	}
	// The pid is in use: by the same process only if it started when the
	// owner did.
	start := processStart(pid)
	return parts[2] != "" && start != "" && start != parts[2]
}
