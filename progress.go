package pbnhl

import (
	"sync"
	"sync/atomic"
	"time"
	"weak"
)

// Progress is one object's state during a phase.
type Progress struct {
	Phase  string // PhaseRun, PhaseSample, PhaseDelta, PhaseResolve, ...
	Object string // the map object ("patients"), or "business_links"
	// Total is the number of source records expected, as counted when the
	// object started (0 when unknown). It does not move: Done above it
	// means records appeared during the run (the practice kept working),
	// which a view shows as growth ("+8 new since start"). A phase
	// announces every object it will write whose count is known, with an
	// event of Total and nothing done, before it writes its first record,
	// so a view's overall figures cover the whole phase from its start.
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
	// Waiting counts the writes the migration is waiting on right now
	// before looking them up (answers lost, or intents a killed run left)
	// until they can no longer land: migration-wide, the same figure in
	// every object's event. A view shows it so a run that seems to stand
	// still says why.
	Waiting int64
	Rate    float64 // records handled per second
	// ETA is the time the records left will take at HighLevel's pace:
	// their calls (at the calls per record so far) over the calls per
	// second so far, capped by the client's limiter rate (0 when unknown).
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

	mu       sync.Mutex
	last     time.Time
	finished bool // no event after the final one
	silent   bool // counts only: its figures are added to another tracker's
}

func (m *Migration) track(phase, object string, total int64) *tracker {
	t := &tracker{m: m, phase: phase, object: object, total: total, start: m.now()}
	if m.opts.Progress != nil {
		go heartbeat(weak.Make(t), max(m.opts.ProgressInterval, 100*time.Millisecond))
	}
	return t
}

// counter is a tracker that emits no event: its counts are added to
// another object's (a document's note is counted in the document's line).
func (m *Migration) counter(phase, object string) *tracker {
	return &tracker{m: m, phase: phase, object: object, start: m.now(), silent: true}
}

// heartbeat ticks t every interval until it is finished or gone, so an
// object whose last records wait (a write whose answer was lost is looked
// up only once it can no longer land, up to a minute; the daily limit)
// still reports its figures and elapsed time instead of the ones of its
// last tick. It holds t weakly: a phase that returns on an error without
// finish leaves a tracker the collector takes, and the heartbeat ends.
func heartbeat(wp weak.Pointer[tracker], interval time.Duration) {
	tk := time.NewTicker(interval)
	defer tk.Stop()
	for range tk.C {
		t := wp.Value()
		if t == nil || !t.tick() {
			return
		}
	}
}

func (t *tracker) snapshot(finished bool) Progress {
	p := Progress{Phase: t.phase, Object: t.object, Total: t.total, Written: t.written.Load(), Existing: t.existing.Load(),
		Skipped: t.skipped.Load(), Folded: t.folded.Load(), Invalid: t.invalid.Load(), Rejected: t.rejected.Load(), Calls: t.calls.Load(),
		Bytes: t.bytes.Load(), Waiting: t.m.inflightWaiting.Load(), Finished: finished}
	p.Done = p.Written + p.Existing + p.Skipped + p.Invalid + p.Rejected + p.Folded
	p.Elapsed = t.m.now().Sub(t.start)
	if s := p.Elapsed.Seconds(); s > 0 {
		p.Rate = float64(p.Done) / s
	}
	if p.Total > p.Done && !finished {
		maxRate := 0.0
		if c := t.m.opts.Client; c != nil && c.Limiter() != nil {
			if n, window := c.Limiter().Limit(); n > 0 && window > 0 {
				maxRate = float64(n) / window.Seconds()
			}
		}
		p.ETA = etaAtCallPace(p.Total, p.Done, p.Calls, p.Elapsed, maxRate)
	}
	return p
}

// etaAtCallPace is the time the records left will take at HighLevel's
// pace: the calls they need (at the calls per record seen so far) over the
// calls per second seen so far, never above maxRate (the limiter's
// requests per window; 0: none) — a fast start (records that needed no
// call, a burst the window allowed) does not promise a pace the limiter
// will not keep. Without a call yet it falls back to records per second.
func etaAtCallPace(total, done, calls int64, elapsed time.Duration, maxRate float64) time.Duration {
	s := elapsed.Seconds()
	if total <= done || done == 0 || s <= 0 {
		return 0
	}
	if calls == 0 {
		return time.Duration(float64(total-done) / (float64(done) / s) * float64(time.Second))
	}
	rate := float64(calls) / s
	if maxRate > 0 && rate > maxRate {
		rate = maxRate
	}
	left := float64(total-done) * float64(calls) / float64(done)
	return time.Duration(left / rate * float64(time.Second))
}

// tick emits an event when the interval has passed. It reports whether
// the tracker is still running (false once finished).
func (t *tracker) tick() bool {
	if t.m.opts.Progress == nil || t.silent {
		return false
	}
	now := t.m.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.finished {
		return false
	}
	if now.Sub(t.last) < t.m.opts.ProgressInterval {
		return true
	}
	t.last = now
	t.m.emit(t.snapshot(false))
	return true
}

// finish emits the final event and returns it; no event follows it.
func (t *tracker) finish() Progress {
	p := t.snapshot(true)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.finished = true
	if t.m.opts.Progress != nil && !t.silent {
		t.m.emit(p)
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
