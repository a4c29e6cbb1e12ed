//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// dumpSignal delivers SIGUSR1: write the -dump file now, keep serving.
func dumpSignal() (<-chan os.Signal, func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1)
	return ch, func() { signal.Stop(ch) }
}
