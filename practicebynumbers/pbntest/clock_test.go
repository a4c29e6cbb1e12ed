package pbntest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A simulator replacing another (a restarted pbnsim) on WallClock, started
// RestartMargin after the other stopped, never hands out a serverTime older
// than one the first handed out, even right after a Mutate pushed the
// first one's clock a second ahead of the wall clock.
func TestClockNeverRunsBackwardsAcrossRestart(t *testing.T) {
	p, err := NewPractice(5, 20)
	require.NoError(t, err)
	var last time.Time
	for i := range 2 {
		if i > 0 {
			time.Sleep(RestartMargin)
		}
		s, err := New(Options{Practice: p, Now: WallClock(p)})
		require.NoError(t, err)
		first := s.Now()
		assert.False(t, first.Before(last), "restarted clock %s is before %s, handed out by the previous simulator", first, last)
		ch := s.Mutate(1)
		last = s.Now()
		assert.True(t, last.After(ch.At), "the clock steps past the mutation stamp")
		assert.True(t, ch.At.After(p.AsOf()), "mutation stamps are later than generated ones")
	}
}

// The default clock counts from the simulator's start: a replacement
// runs backwards. This is what WallClock is for.
func TestDefaultClockRestartsAtAsOf(t *testing.T) {
	p, err := NewPractice(5, 20)
	require.NoError(t, err)
	a, err := New(Options{Practice: p})
	require.NoError(t, err)
	a.Mutate(1)
	a.Mutate(1)
	b, err := New(Options{Practice: p})
	require.NoError(t, err)
	assert.True(t, b.Now().Before(a.Now()))
}

// The clock never reads earlier than NotBefore (rounded up to the second),
// never runs backwards when Options.Now does, and a Mutate is a floor, not
// a shift.
func TestClockFloor(t *testing.T) {
	p, err := NewPractice(5, 20)
	require.NoError(t, err)
	now := p.AsOf().Add(2 * time.Hour)
	nb := now.Add(90*time.Second + 300*time.Millisecond)
	s, err := New(Options{Practice: p, Now: func() time.Time { return now }, NotBefore: nb})
	require.NoError(t, err)
	assert.Equal(t, now.Add(91*time.Second), s.Now())
	now = now.Add(time.Hour)
	assert.Equal(t, now, s.Now())
	now = now.Add(-time.Minute)
	assert.Equal(t, now.Add(time.Minute), s.Now(), "no running backwards")
	ch := s.Mutate(1)
	assert.Equal(t, ch.At.Add(time.Second), s.Now())
	now = now.Add(time.Hour)
	assert.Equal(t, now, s.Now(), "the mutation's floor does not shift a clock already past it")
}
