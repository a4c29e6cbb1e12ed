package pbnhl

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
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
