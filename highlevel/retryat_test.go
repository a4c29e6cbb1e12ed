package highlevel

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRetryAtFollowsTheBreaker: once server failures open the breaker, a
// refused call says when the breaker lets calls through again — the end
// of its cooldown — and a call made then goes out.
func TestRetryAtFollowsTheBreaker(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"contact":{"id":"c1"}}`))
	}))
	defer srv.Close()
	lim, err := NewLimiter(LimiterOptions{Name: "loc", Requests: 1000, Window: time.Second, BreakerFailures: 2, BreakerCooldown: 300 * time.Millisecond})
	require.NoError(t, err)
	c, err := NewClient(Options{BaseURL: srv.URL, LocationID: "loc", Auth: StaticToken("t"), Limiter: lim,
		Retry: RetryPolicy{MaxAttempts: 1}})
	require.NoError(t, err)
	ctx := context.Background()
	for range 2 {
		_, err := c.Contacts.Get(ctx, "c1")
		require.Error(t, err)
	}
	start := time.Now()
	_, err = c.Contacts.Get(ctx, "c1")
	require.ErrorIs(t, err, ErrCircuitOpen)
	at, ok := RetryAt(err)
	require.True(t, ok)
	assert.WithinDuration(t, start.Add(300*time.Millisecond), at, 300*time.Millisecond)
	assert.True(t, at.After(start), "the cooldown is not over")

	fail.Store(false)
	time.Sleep(time.Until(at))
	got, err := c.Contacts.Get(ctx, "c1")
	require.NoError(t, err, "the breaker lets the call through at RetryAt")
	assert.Equal(t, "c1", got.ID)

	_, ok = RetryAt(errors.New("other"))
	assert.False(t, ok)
	_, ok = RetryAt(&RateLimitError{Daily: true})
	assert.False(t, ok, "the daily limit is not a refusal to repeat")
	at, ok = RetryAt(&RateLimitError{RetryAfter: time.Minute})
	assert.True(t, ok)
	assert.WithinDuration(t, time.Now().Add(time.Minute), at, time.Second)
}
