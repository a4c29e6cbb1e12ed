//go:build !unix

package main

import "os"

// dumpSignal: there is no SIGUSR1 here; use GET /_hltest/dump.
func dumpSignal() (<-chan os.Signal, func()) { return nil, func() {} }
