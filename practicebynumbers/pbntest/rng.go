package pbntest

import (
	"math/bits"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// rng is a SplitMix64 generator. It is hand-written rather than taken from
// math/rand/v2 so that a seed produces the same practice on every Go version:
// the generator's output is a test fixture and must never drift.
type rng struct{ s uint64 }

// Domains separate the random streams of the different things derived from one
// seed, so that adding a field to one entity never reshuffles another. The
// values are part of every generated practice: never reorder or remove one
// (unused ones are reserved), only append.
const (
	domPractice uint64 = iota + 1
	domOffice
	domStaff
	domCarrier
	domFamilyBlock
	domPerson
	domPatient
	domCounts
	domAppointments
	domProcedures
	domPlans
	domCoverages
	domCommunications
	domForms
	domDocuments
	domDocumentContent
	domKPI
	domCohort
	domFaults
	domMutate
	domCustom
	domHousehold
	domNotes
)

func mix(v uint64) uint64 {
	v ^= v >> 30
	v *= 0xbf58476d1ce4e5b9
	v ^= v >> 27
	v *= 0x94d049bb133111eb
	v ^= v >> 31
	return v
}

// newRNG derives an independent stream from a seed and a path of integers
// (domain, index, ...).
func newRNG(seed int64, path ...uint64) rng {
	h := mix(uint64(seed) + 0x9e3779b97f4a7c15)
	for _, p := range path {
		h = mix(h ^ (p + 0x9e3779b97f4a7c15 + h<<6 + h>>2))
	}
	return rng{s: h}
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix(r.s)
}

// intn returns a number in [0, n); n <= 0 yields 0.
func (r *rng) intn(n int) int {
	if n <= 0 {
		return 0
	}
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.intn(hi-lo+1)
}

func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

func (r *rng) chance(p float64) bool { return r.float() < p }

// Poisson means used by the generator, as e^-mean. They are literals, not
// math.Exp calls, because math.Exp has per-architecture assembly and a last-bit
// difference would change a seed's output on another machine.
const (
	expNeg0_7  = 0.4965853037914095     // e^-0.7
	expNeg1_3  = 0.2725317930340126     // e^-1.3
	expNeg6_3  = 0.0018363047770289071  // e^-6.3
	expNeg10_5 = 2.7536449349747158e-05 // e^-10.5
	expNeg15_8 = 1.374507727921396e-07  // e^-15.8
)

// poisson draws from a Poisson distribution of mean -ln(expNegMean)
// (Knuth's method; the means here are small).
func (r *rng) poisson(expNegMean float64) int {
	l := expNegMean
	k, p := 0, 1.0
	for {
		p *= r.float()
		if p <= l {
			return k
		}
		k++
	}
}

func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

// weighted is a discrete distribution over values.
type weighted[T any] struct {
	values []T
	cum    []float64
}

func newWeighted[T any](pairs ...wv[T]) weighted[T] {
	w := weighted[T]{}
	total := 0.0
	for _, p := range pairs {
		total += p.w
		w.values = append(w.values, p.v)
		w.cum = append(w.cum, total)
	}
	for i := range w.cum {
		w.cum[i] /= total
	}
	return w
}

type wv[T any] struct {
	v T
	w float64
}

func (w weighted[T]) draw(r *rng) T {
	f := r.float()
	for i, c := range w.cum {
		if f < c {
			return w.values[i]
		}
	}
	return w.values[len(w.values)-1]
}

// kid is the source Key of a generated numeric id (0: none). The simulator
// numbers its records like PbN does; ids reach callers as Keys.
func kid(n int64) pbn.Key { return pbn.KeyOf(n) }

// num is the numeric id of a Key the simulator wrote (0 for none or a key
// that is not a canonical number).
func num(k pbn.Key) int64 {
	n, _ := k.Int()
	return n
}
