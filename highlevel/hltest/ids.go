package hltest

import (
	"math/rand/v2"
	"sync"
	"time"
)

// idAlphabet is the alphabet of HighLevel's Firestore-style ids
// (e.g. "ve9EPM428h8vShlRW1KT").
const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// idLen is the length of generated ids; HighLevel ids are 20 characters.
const idLen = 20

// isoMillis is the timestamp layout HighLevel uses in JSON responses.
const isoMillis = "2006-01-02T15:04:05.000Z"

// ids produces deterministic ids and random draws from one seed. A single
// mutex is fine: a draw costs a few nanoseconds.
type ids struct {
	mu  sync.Mutex
	rng *rand.Rand
}

func newIDs(seed uint64) *ids {
	return &ids{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (g *ids) next() string {
	var b [idLen]byte
	g.mu.Lock()
	for i := range b {
		b[i] = idAlphabet[g.rng.IntN(len(idAlphabet))]
	}
	g.mu.Unlock()
	return string(b[:])
}

// uuid returns a version-4 UUID string (pipeline stage ids look like this).
func (g *ids) uuid() string {
	var b [16]byte
	g.mu.Lock()
	hi, lo := g.rng.Uint64(), g.rng.Uint64()
	g.mu.Unlock()
	for i := range 8 {
		b[i] = byte(hi >> (8 * i))
		b[8+i] = byte(lo >> (8 * i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hexd = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hexd[c>>4], hexd[c&0xf])
	}
	return string(out)
}

// float returns a uniform draw in [0, 1).
func (g *ids) float() float64 {
	g.mu.Lock()
	f := g.rng.Float64()
	g.mu.Unlock()
	return f
}

// token returns n random characters of the id alphabet.
func (g *ids) token(n int) string {
	b := make([]byte, n)
	g.mu.Lock()
	for i := range b {
		b[i] = idAlphabet[g.rng.IntN(len(idAlphabet))]
	}
	g.mu.Unlock()
	return string(b)
}

func iso(t time.Time) string { return t.UTC().Format(isoMillis) }

// isID reports whether s is shaped like a HighLevel id: 20 to 24 ASCII
// letters and digits. Malformed ids are refused before any lookup.
func isID(s string) bool {
	if len(s) < 20 || len(s) > 24 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
