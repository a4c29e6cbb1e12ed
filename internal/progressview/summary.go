package progressview

import (
	"fmt"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl"
	hu "github.com/pbnhl/pbnhl/internal/human"
)

// Quota is where the daily-quota position comes from;
// *highlevel.Limiter satisfies it.
type Quota interface {
	// DailyLimit is the whole day's quota, false before HighLevel said it.
	DailyLimit() (int, bool)
	// DailyRemaining is what is left today, false before HighLevel said it.
	DailyRemaining() (int, bool)
}

// Summary is the overall figures of a phase: what the overall bar and each
// line show.
type Summary struct {
	Phase string
	// Done and Total sum the objects; an object whose total was not known
	// up front (0) or that outgrew it counts its Done as its total.
	Done, Total int64
	// Growth is how many more records were handled than were counted at
	// the start (the practice kept working): "+N new since start".
	Growth int64
	// Unknown reports an object still running without a total.
	Unknown bool
	Percent float64 // 0..100
	Calls   int64   // HighLevel calls made so far (by this view's objects)
	// CallRate is calls per second over the rate window (capped by the
	// configured rate); 0 until the window has a second of history.
	CallRate float64
	// CallsLeft is the estimate of calls still to make.
	CallsLeft int64
	// ETA is CallsLeft at CallRate; 0 when unknown.
	ETA time.Duration
	// QuotaLimit and QuotaLeft are the day's quota and what remains;
	// QuotaKnown is false before HighLevel reported them.
	QuotaLimit, QuotaLeft int
	QuotaKnown            bool
	Finished              bool
	// Waiting is the writes the migration waits on before looking them
	// up (pbnhl.Progress.Waiting: one figure for the migration).
	Waiting int64
}

// objectTotal is what an object's bar counts to: its total as counted at
// the start, or what it has done when that is more (or the total is not
// known).
func objectTotal(p pbnhl.Progress) int64 { return max(p.Total, p.Done) }

// growth is how far an object outgrew the total counted at its start.
func growth(p pbnhl.Progress) int64 {
	if p.Total > 0 && p.Done > p.Total {
		return p.Done - p.Total
	}
	return 0
}

// callsLeft estimates an unfinished object's calls to come: its records
// left times the calls per record seen so far (one before any was seen).
func callsLeft(p pbnhl.Progress) int64 {
	if p.Finished || p.Total <= p.Done {
		return 0
	}
	left := p.Total - p.Done
	if p.Done == 0 {
		return left
	}
	return int64(float64(left) * float64(p.Calls) / float64(p.Done))
}

// Summarize computes the overall figures from each object's last event
// (in any order), the observed call rate (calls/s, 0 when unknown), the
// configured maximum rate (0: none) and the quota (nil: unknown).
func Summarize(objects []pbnhl.Progress, callRate, maxRate float64, q Quota) Summary {
	s := Summary{Finished: len(objects) > 0}
	for _, p := range objects {
		// A resume's settling of pending intents (PhaseResolve) names the
		// line only when nothing else runs: before the run's objects, or
		// at the run's end when it settles what it left unknown, the
		// line is the run's.
		if p.Phase != "" && (s.Phase == "" || p.Phase != pbnhl.PhaseResolve) {
			s.Phase = p.Phase
		}
		s.Done += p.Done
		s.Total += objectTotal(p)
		s.Growth += growth(p)
		s.Calls += p.Calls
		s.CallsLeft += callsLeft(p)
		if !p.Finished {
			s.Waiting = max(s.Waiting, p.Waiting)
		}
		if !p.Finished {
			s.Finished = false
			if p.Total == 0 {
				s.Unknown = true
			}
		}
	}
	if s.Total > 0 {
		s.Percent = 100 * float64(s.Done) / float64(s.Total)
	}
	if maxRate > 0 && callRate > maxRate {
		callRate = maxRate
	}
	s.CallRate = callRate
	if callRate > 0 && s.CallsLeft > 0 {
		s.ETA = time.Duration(float64(s.CallsLeft) / callRate * float64(time.Second)).Round(time.Second)
	}
	if q != nil {
		limit, ok1 := q.DailyLimit()
		left, ok2 := q.DailyRemaining()
		if ok1 && ok2 {
			s.QuotaLimit, s.QuotaLeft, s.QuotaKnown = limit, left, true
		}
	}
	return s
}

// Figures is the summary's figures after its percentage, as the overall
// bar and the line mode both print them.
func (s Summary) Figures() string {
	var b strings.Builder
	unit := "records"
	switch s.Phase {
	case pbnhl.PhaseUndo:
		unit = "compensations"
	case pbnhl.PhaseResolve:
		unit = "pending intents"
	}
	fmt.Fprintf(&b, "%s/%s %s", hu.Int(s.Done), hu.Int(s.Total), unit)
	if s.Unknown {
		b.WriteString(" (counting)")
	}
	if s.Growth > 0 {
		fmt.Fprintf(&b, " (+%s new since start)", hu.Int(s.Growth))
	}
	fmt.Fprintf(&b, " · %s calls", hu.Int(s.Calls))
	if s.CallRate > 0 {
		fmt.Fprintf(&b, " · %.1f calls/s", s.CallRate)
	}
	if s.Waiting > 0 && !s.Finished {
		w := "writes"
		if s.Waiting == 1 {
			w = "write"
		}
		fmt.Fprintf(&b, " · %s %s waiting to be looked up (answer lost or run killed; until they can no longer land)", hu.Int(s.Waiting), w)
	}
	switch {
	case s.Finished:
	case s.ETA > 0:
		fmt.Fprintf(&b, " · ETA %s", hu.Duration(s.ETA))
	case s.CallsLeft > 0:
		b.WriteString(" · ETA …")
	}
	if s.QuotaKnown {
		used := max(s.QuotaLimit-s.QuotaLeft, 0)
		fmt.Fprintf(&b, " · daily quota %s/%s used (%s left)", hu.Int(used), hu.Int(s.QuotaLimit), hu.Int(s.QuotaLeft))
	}
	return b.String()
}

// Line is one line of the line mode: the phase, the percentage and the
// figures.
func (s Summary) Line() string {
	phase := s.Phase
	if phase == "" {
		phase = "progress"
	}
	return fmt.Sprintf("%s %s · %s", phase, s.State(), s.Figures())
}

// State is the percentage, "finished", or "running" while the only work
// left is objects whose total is not known (a sample, an expanded object):
// a percentage then would read 100 %.
func (s Summary) State() string {
	switch {
	case s.Finished:
		return "finished"
	case s.Unknown && s.CallsLeft == 0:
		return "running"
	}
	return fmt.Sprintf("%.0f%%", s.Percent)
}

// ObjectLine is an object's figures in one line (line mode, when it
// finishes).
func ObjectLine(p pbnhl.Progress) string {
	total := "?"
	if p.Total > 0 || p.Finished {
		total = hu.Int(objectTotal(p))
	}
	line := fmt.Sprintf("%s %s %s/%s done · %s written · %s existing · %s invalid · %s rejected · %s calls", p.Phase, p.Object,
		hu.Int(p.Done), total, hu.Int(p.Written), hu.Int(p.Existing), hu.Int(p.Invalid), hu.Int(p.Rejected), hu.Int(p.Calls))
	if g := growth(p); g > 0 {
		line += fmt.Sprintf(" · +%s new since start", hu.Int(g))
	}
	if p.Finished {
		line += " · finished in " + hu.Duration(p.Elapsed)
	}
	return line
}

// rateWindow measures calls per second over a sliding window.
type rateWindow struct {
	window  time.Duration
	samples []sample
}

type sample struct {
	at    time.Time
	calls int64
}

// add records the total calls at a time and returns the rate over the
// window: 0 until it holds a second of history.
func (r *rateWindow) add(at time.Time, calls int64) float64 {
	r.samples = append(r.samples, sample{at, calls})
	// Keep one sample older than the window so the rate spans all of it.
	for len(r.samples) > 2 && at.Sub(r.samples[1].at) >= r.window {
		r.samples = r.samples[1:]
	}
	first := r.samples[0]
	dt := at.Sub(first.at).Seconds()
	if dt < 1 {
		return 0
	}
	return float64(calls-first.calls) / dt
}

func human(n int64) string { return hu.Int(n) }
