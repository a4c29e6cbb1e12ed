package progressview

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
)

// syncBuffer is a bytes.Buffer safe for the view's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// feed plays a small run: patients (that outgrow their count by 2) then
// appointments, with calls at a steady pace on a fake clock.
func feed(v *View, clock *fakeClock, pause time.Duration) {
	for i := int64(1); i <= 12; i++ {
		clock.advance(time.Second)
		v.Update(pbnhl.Progress{Phase: "run", Object: "patients", Total: 10, Done: i, Written: i, Calls: i, Finished: i == 12})
		time.Sleep(pause)
	}
	for i := int64(1); i <= 5; i++ {
		clock.advance(time.Second)
		v.Update(pbnhl.Progress{Phase: "run", Object: "appointments", Total: 20, Done: i, Written: i, Calls: 2 * i})
		time.Sleep(pause)
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Off a terminal (a buffer) Auto writes plain lines: one per interval
// with the overall figures, one per finished object, no escape codes.
func TestLineModeOffATerminal(t *testing.T) {
	var out syncBuffer
	clock := &fakeClock{t: time.Unix(0, 0)}
	v := New(&out, Options{Interval: 40 * time.Millisecond, Quota: quota{limit: 1000, left: 900}, MaxCallRate: 100, Now: clock.now})
	require.False(t, v.Live())
	feed(v, clock, 10*time.Millisecond)
	v.Close()
	text := out.String()
	assert.NotContains(t, text, "\x1b", "no ANSI escape codes off a terminal")
	lines := strings.Split(strings.TrimSpace(text), "\n")
	periodic := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "run ") && strings.Contains(l, "% · ") {
			periodic++
			assert.Regexp(t, `^run \d+% · [\d,]+/[\d,]+ records`, l)
			assert.Contains(t, l, "daily quota 100/1,000 used (900 left)")
		}
	}
	// 17 events 10 ms apart at a 40 ms interval: about four lines.
	assert.GreaterOrEqual(t, periodic, 2, text)
	assert.Contains(t, text, "run patients 12/12 done · 12 written · 0 existing · 0 invalid · 0 rejected · 12 calls · +2 new since start")
	// The last line is the closing summary: appointments unfinished, ETA
	// from 30 calls left at the 1.x calls/s the clock saw.
	last := lines[len(lines)-1]
	assert.Regexp(t, `^run \d+% · 17/32 records \(\+2 new since start\) · 22 calls · [\d.]+ calls/s · ETA `, last)
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

// On a pseudo-terminal Auto draws the live view: bars redrawn in place
// (cursor movement between frames), one per object and an overall bar
// with its percentage, ETA and quota.
func TestLiveViewOnATerminal(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal on this machine: %v", err)
	}
	defer ptmx.Close()
	require.NoError(t, pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 200}))
	var out syncBuffer
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(&out, ptmx); close(copied) }()

	clock := &fakeClock{t: time.Unix(0, 0)}
	v := New(tty, Options{Quota: quota{limit: 1000, left: 900}, MaxCallRate: 100, Now: clock.now})
	require.True(t, v.Live(), "a TTY gets the live view")
	feed(v, clock, 60*time.Millisecond)
	time.Sleep(300 * time.Millisecond) // a frame with the last counts
	v.Close()
	_ = tty.Close()
	select {
	case <-copied:
	case <-time.After(5 * time.Second):
	}
	raw := out.String()
	assert.Regexp(t, `\x1b\[\d*A`, raw, "frames redrawn in place (cursor up)")
	plain := ansi.ReplaceAllString(raw, "")
	assert.Contains(t, plain, "run patients")
	assert.Contains(t, plain, "run appointments")
	assert.Regexp(t, `run overall\s+\d+%`, plain)
	assert.Contains(t, plain, "+2 new since start")
	assert.Regexp(t, `ETA \d`, plain)
	assert.Contains(t, plain, "daily quota 100/1,000 used (900 left)")
	assert.Regexp(t, `run overall\s+53% \[=+`, plain, "the overall bar follows the counts to the end")
}
