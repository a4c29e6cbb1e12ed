package pbnhl

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 19.2: the ETA follows HighLevel's pace, capped by the limiter's
// rate, not a burst of records.
func TestETAAtCallPace(t *testing.T) {
	// 100 of 1,000 records in 10 s with 200 calls: 1,800 calls left at
	// 20 calls/s.
	assert.Equal(t, 90*time.Second, etaAtCallPace(1000, 100, 200, 10*time.Second, 0))
	// A burst of 50 calls/s above a 10/s limiter: the limiter's pace.
	assert.Equal(t, 180*time.Second, etaAtCallPace(1000, 100, 200, 4*time.Second, 10))
	// No call yet (records already present): records per second.
	assert.Equal(t, 9*time.Second, etaAtCallPace(1000, 100, 0, time.Second, 10))
	// Nothing done, done past the total (growth), no time: unknown.
	assert.Zero(t, etaAtCallPace(1000, 0, 0, time.Second, 10))
	assert.Zero(t, etaAtCallPace(10, 12, 12, time.Second, 10))
	assert.Zero(t, etaAtCallPace(10, 5, 5, 0, 10))
}

// An object whose last records wait (a lost answer looked up only when it
// can no longer land, up to a minute) keeps reporting: the heartbeat emits
// its figures every interval without a tick, stops at finish (no event
// after the final one), and a counter tracker emits nothing.
func TestProgressHeartbeat(t *testing.T) {
	var mu sync.Mutex
	var events []Progress
	m := &Migration{now: time.Now, opts: Options{ProgressInterval: 20 * time.Millisecond, Progress: func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, p)
	}}}
	seen := func() []Progress {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(events)
	}
	tr := m.track("run", "patients", 40)
	tr.written.Add(35)
	require.Eventually(t, func() bool { return len(seen()) >= 3 }, 5*time.Second, 10*time.Millisecond,
		"events while no record moves")
	for _, p := range seen() {
		assert.Equal(t, int64(35), p.Written)
		assert.False(t, p.Finished)
	}
	last := tr.finish()
	assert.True(t, last.Finished)
	n := len(seen())
	time.Sleep(100 * time.Millisecond)
	got := seen()
	require.Len(t, got, n, "no event after the final one")
	assert.True(t, got[n-1].Finished)

	c := m.counter("run", "documents")
	c.calls.Add(2)
	time.Sleep(100 * time.Millisecond)
	c.finish()
	for _, p := range seen()[n:] {
		t.Errorf("a counter emitted %+v", p)
	}
}
