package transport

import (
	"sync"
)

// Tenant is the limiter and breaker of one rate-limit scope (a HighLevel
// location, a PbN practice).
type Tenant struct {
	Limiter *Limiter
	Breaker *Breaker
}

// Registry hands out one Tenant per key, so that every client talking to the
// same scope shares its limiter and breaker. Safe for concurrent use.
type Registry struct {
	limiter LimiterOptions
	breaker BreakerOptions
	mu      sync.Mutex
	tenants map[string]*Tenant
}

// NewRegistry returns a Registry creating tenants with these options; the
// breaker's Name is replaced by the tenant key.
func NewRegistry(lo LimiterOptions, bo BreakerOptions) (*Registry, error) {
	if _, err := NewLimiter(lo); err != nil {
		return nil, err
	}
	return &Registry{limiter: lo, breaker: bo, tenants: map[string]*Tenant{}}, nil
}

// Tenant returns the tenant for key, creating it on first use.
func (r *Registry) Tenant(key string) *Tenant {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t, ok := r.tenants[key]; ok {
		return t
	}
	l, _ := NewLimiter(r.limiter) // options validated by NewRegistry
	bo := r.breaker
	bo.Name = key
	t := &Tenant{Limiter: l, Breaker: NewBreaker(bo)}
	r.tenants[key] = t
	return t
}
