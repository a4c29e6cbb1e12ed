//go:build unix

package hltest

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time. On a shared machine,
// requests per CPU-second says what the simulator costs regardless of how
// many other processes compete for the cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
