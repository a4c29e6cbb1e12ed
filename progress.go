package pbnhl

import (
	"sync"
	"sync/atomic"
	"time"
)

// Progress is one object's state during a phase.
type Progress struct {
	Phase  string // "sample", "run", "delta", "resolve", "links"
	Object string // the map object ("patients"), or "business_links"
	// Total is the number of source records expected (0 when unknown).
	Total int64
	// Done counts records handled: written, already present, unchanged,
	// skipped by a filter, invalid or rejected.
	Done     int64
	Written  int64 // created or updated at HighLevel (would be, in a dry run)
	Existing int64 // already in HighLevel from an earlier run (resume), or unchanged
	Skipped  int64 // excluded by a map filter
	Folded   int64 // entries folded into their contact's JSON field (written by the contact's call)
	Invalid  int64 // refused by our validation, never sent
	Rejected int64 // refused by HighLevel
	Calls    int64 // HighLevel calls made (or that a dry run would make)
	Bytes    int64 // file bytes sent by uploads (documents)
	Rate     float64
	ETA      time.Duration
	Elapsed  time.Duration
	Finished bool
}

// tracker counts one object's progress and emits events.
type tracker struct {
	m                                                            *Migration
	phase                                                        string
	object                                                       string
	total                                                        int64
	start                                                        time.Time
	written, existing, skipped, invalid, rejected, calls, folded atomic.Int64
	bytes                                                        atomic.Int64 // file bytes uploaded (documents)

	mu   sync.Mutex
	last time.Time
}

func (m *Migration) track(phase, object string, total int64) *tracker {
	return &tracker{m: m, phase: phase, object: object, total: total, start: m.now()}
}

func (t *tracker) snapshot(finished bool) Progress {
	p := Progress{Phase: t.phase, Object: t.object, Total: t.total, Written: t.written.Load(), Existing: t.existing.Load(),
		Skipped: t.skipped.Load(), Folded: t.folded.Load(), Invalid: t.invalid.Load(), Rejected: t.rejected.Load(), Calls: t.calls.Load(),
		Bytes: t.bytes.Load(), Finished: finished}
	p.Done = p.Written + p.Existing + p.Skipped + p.Invalid + p.Rejected + p.Folded
	p.Elapsed = t.m.now().Sub(t.start)
	if s := p.Elapsed.Seconds(); s > 0 {
		p.Rate = float64(p.Done) / s
	}
	if p.Rate > 0 && p.Total > p.Done && !finished {
		p.ETA = time.Duration(float64(p.Total-p.Done) / p.Rate * float64(time.Second))
	}
	return p
}

// tick emits an event when the interval has passed.
func (t *tracker) tick() {
	if t.m.opts.Progress == nil {
		return
	}
	now := t.m.now()
	t.mu.Lock()
	if now.Sub(t.last) < t.m.opts.ProgressInterval {
		t.mu.Unlock()
		return
	}
	t.last = now
	p := t.snapshot(false)
	t.m.emit(p)
	t.mu.Unlock()
}

// finish emits the final event and returns it.
func (t *tracker) finish() Progress {
	p := t.snapshot(true)
	if t.m.opts.Progress != nil {
		t.mu.Lock()
		t.m.emit(p)
		t.mu.Unlock()
	}
	return p
}

func (m *Migration) emit(p Progress) {
	m.progressMu.Lock()
	defer m.progressMu.Unlock()
	m.opts.Progress(p)
}

// Totals is the report's one line of totals: the sum of its objects'
// counters (the table a host prints, steps such as business_links
// included), under the report's phase, finished, with Elapsed the phase's
// duration and Rate its records per second.
//
// An object's Total is 0 when it was not known up front (an expanded
// object, a sample, a delta, the folded objects); what it handled is then
// all that is known of it, so it counts as its own total. Total is
// therefore never below Done: the sum of known totals alone was (Total
// 334 beside Done 481), with an empty phase.
func (r *Report) Totals() Progress {
	t := Progress{Phase: r.Phase, Elapsed: r.Duration, Finished: true}
	for _, p := range r.Objects {
		t.Total += max(p.Total, p.Done)
		t.Done += p.Done
		t.Written += p.Written
		t.Existing += p.Existing
		t.Skipped += p.Skipped
		t.Folded += p.Folded
		t.Invalid += p.Invalid
		t.Rejected += p.Rejected
		t.Calls += p.Calls
		t.Bytes += p.Bytes
	}
	if s := r.Duration.Seconds(); s > 0 {
		t.Rate = float64(t.Done) / s
	}
	return t
}
