package transport

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"
)

// BreakerOptions configure a [Breaker].
type BreakerOptions struct {
	// Name identifies the breaker in errors and logs (a tenant key, never a
	// secret). Default "default".
	Name string
	// ConsecutiveFailures trips the breaker. Default 5.
	ConsecutiveFailures uint32
	// OpenTimeout is how long it stays open before letting probes through.
	// Default 30s.
	OpenTimeout time.Duration
	// HalfOpenProbes is how many requests may probe while half-open, and
	// how many must succeed to close it. Default 1.
	HalfOpenProbes uint32
	// OnStateChange, if set, is told about every transition ("closed",
	// "open", "half-open").
	OnStateChange func(name, from, to string)
}

// Breaker is a circuit breaker for one tenant (sony/gobreaker). Only server
// failures (5xx) and transport failures count; 4xx answers count as
// successes (the server is up), and a cancelled context counts as nothing.
type Breaker struct {
	name string
	cb   *gobreaker.TwoStepCircuitBreaker[struct{}]
	// openUntil is when the breaker, open, lets probes through (Unix ns);
	// probeWait how long a refusal while half-open (its probes in flight)
	// asks to wait. They make BreakerOpenError.RetryAt.
	openUntil atomic.Int64
	probeWait time.Duration
}

type outcome int

const (
	outcomeSuccess outcome = iota
	outcomeFailure
	outcomeIgnored
)

var (
	errFailure  = errors.New("failure")
	errIgnored  = errors.New("ignored")
	outcomeErrs = [...]error{outcomeSuccess: nil, outcomeFailure: errFailure, outcomeIgnored: errIgnored}
)

// NewBreaker returns a closed breaker.
func NewBreaker(o BreakerOptions) *Breaker {
	if o.Name == "" {
		o.Name = "default"
	}
	if o.ConsecutiveFailures == 0 {
		o.ConsecutiveFailures = 5
	}
	if o.OpenTimeout <= 0 {
		o.OpenTimeout = 30 * time.Second
	}
	if o.HalfOpenProbes == 0 {
		o.HalfOpenProbes = 1
	}
	threshold := o.ConsecutiveFailures
	st := gobreaker.Settings{
		Name:        o.Name,
		MaxRequests: o.HalfOpenProbes,
		Timeout:     o.OpenTimeout,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= threshold },
		IsExcluded:  func(err error) bool { return errors.Is(err, errIgnored) },
	}
	b := &Breaker{name: o.Name, probeWait: min(max(o.OpenTimeout/10, 10*time.Millisecond), time.Second)}
	f := o.OnStateChange
	timeout := o.OpenTimeout
	st.OnStateChange = func(name string, from, to gobreaker.State) {
		if to == gobreaker.StateOpen {
			b.openUntil.Store(time.Now().Add(timeout).UnixNano())
		}
		if f != nil {
			f(name, from.String(), to.String())
		}
	}
	b.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](st)
	return b
}

// openError is the refusal of a call: it says when the breaker will let a
// call through again (the end of its cooldown, or, half-open with its
// probes in flight, a short while), so that a caller repeating refused
// calls waits for the breaker rather than on a schedule of its own.
func (b *Breaker) openError() *BreakerOpenError {
	now := time.Now()
	at := time.Unix(0, b.openUntil.Load())
	if !at.After(now) {
		at = now.Add(b.probeWait)
	}
	return &BreakerOpenError{Name: b.name, RetryAt: at}
}

// State returns "closed", "open" or "half-open".
func (b *Breaker) State() string { return b.cb.State().String() }

// Name returns the breaker's name.
func (b *Breaker) Name() string { return b.name }

func (b *Breaker) open() bool { return b.cb.State() == gobreaker.StateOpen }

// allow asks to send one request; report must be called exactly once.
func (b *Breaker) allow() (report func(outcome), err error) {
	done, err := b.cb.Allow()
	if err != nil {
		return nil, b.openError()
	}
	return func(o outcome) { done(outcomeErrs[o]) }, nil
}
