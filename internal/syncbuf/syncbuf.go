// Package syncbuf is a text buffer that one goroutine may write while
// another reads it: a test reads a running program's output (a logger, a
// server's stderr) with Eventually while the program is still writing.
package syncbuf

import (
	"strings"
	"sync"
)

// Buffer collects what is written to it. The zero Buffer is empty and
// ready; it must not be copied after first use.
type Buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

// Write appends p; it never fails.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
