package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/internal/human"
)

// view prints progress without spamming: on a terminal one status line is
// redrawn in place; otherwise a status line is printed at most every
// interval. Lines that stay (an object finished) go above the status line.
type view struct {
	mu       sync.Mutex
	out      io.Writer
	live     bool
	every    time.Duration
	last     time.Time
	drawn    bool
	finished int
}

func newView(out io.Writer, live bool, every time.Duration) *view {
	return &view{out: out, live: live, every: every, last: time.Now()}
}

// status shows a transient line; text is only built when it is shown.
func (v *view) status(text func() string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := time.Now()
	if v.live {
		if now.Sub(v.last) < 100*time.Millisecond {
			return
		}
		v.last = now
		// Clipped so that it never wraps: a wrapped line cannot be redrawn.
		fmt.Fprintf(v.out, "\r\033[K%s", clip(text(), 110))
		v.drawn = true
		return
	}
	if now.Sub(v.last) < v.every {
		return
	}
	v.last = now
	fmt.Fprintf(v.out, "  … %s\n", text())
}

// line prints a line that stays.
func (v *view) line(s string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.clearLocked()
	fmt.Fprintln(v.out, s)
}

func (v *view) clear() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.clearLocked()
}

func (v *view) clearLocked() {
	if v.drawn {
		fmt.Fprint(v.out, "\r\033[K")
		v.drawn = false
	}
}

// phaseView follows one phase's progress events.
type phaseView struct {
	*view
	d      *demo
	lines  bool
	start  time.Time
	calls0 int64
	active map[string]pbnhl.Progress
}

func (p *phaseView) event(ev pbnhl.Progress) {
	if ev.Finished {
		p.mu.Lock()
		delete(p.active, ev.Object)
		p.mu.Unlock()
		if p.lines {
			p.line(p.d.objectLine(ev))
		}
		return
	}
	p.mu.Lock()
	p.active[ev.Object] = ev
	p.mu.Unlock()
	p.status(p.text)
}

// text is the status line: the objects in progress and the call rate
// against the limit. Called with p.mu held.
func (p *phaseView) text() string {
	var parts []string
	names := make([]string, 0, len(p.active))
	for n := range p.active {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ev := p.active[n]
		s := fmt.Sprintf("%s %s", n, human.Int(ev.Done))
		if ev.Total > 0 {
			s += fmt.Sprintf("/%s (%d%%)", human.Int(ev.Total), 100*ev.Done/max(ev.Total, 1))
		}
		s += fmt.Sprintf(" %.0f rec/s", ev.Rate)
		if ev.ETA > 0 {
			s += " ETA " + human.Duration(ev.ETA)
		}
		parts = append(parts, s)
	}
	el := time.Since(p.start).Seconds()
	calls := p.d.calls.Load() - p.calls0
	return fmt.Sprintf("%s · %s calls, %.0f/s of %.0f allowed", strings.Join(parts, " · "), human.Int(calls), float64(calls)/max(el, 1e-3), p.d.allowedRate())
}

// objectLine is an object's final line in a phase.
func (d *demo) objectLine(ev pbnhl.Progress) string {
	name := fmt.Sprintf("  %-18s", ev.Object)
	// An object without records of its own either folds into the contacts
	// or resolves owners.
	if o := d.m.Object(ev.Object); o != nil && o.RecordType() == "" {
		if f := o.FoldedField(); f != "" && o.List {
			return fmt.Sprintf("%s folded into the contacts' multi-option field %s (sent in the contact's call, none of its own)", name, f)
		}
		if f := o.FoldedField(); f != "" {
			return fmt.Sprintf("%s folded into the contacts' JSON field %s (sent in the contact's call, none of its own)", name, f)
		}
		return fmt.Sprintf("%s %7s staff resolved to owners (users are matched, never created)", name, human.Int(ev.Done))
	}
	if ev.Object == "deletions" && d.cfg.deletions == "keep" {
		return fmt.Sprintf("%s %7s source deletions read: kept in HighLevel and reported (-deletions keep)", name, human.Int(ev.Done))
	}
	if ev.Object == "deletions" {
		return fmt.Sprintf("%s %7s records deleted in HighLevel because the source deleted them · %s calls", name, human.Int(ev.Written), human.Int(ev.Calls))
	}
	s := fmt.Sprintf("%s %7s written", name, human.Int(ev.Written))
	if ev.Existing > 0 {
		s += fmt.Sprintf(", %s already there", human.Int(ev.Existing))
	}
	if ev.Invalid > 0 {
		s += fmt.Sprintf(", %s invalid", human.Int(ev.Invalid))
	}
	if ev.Skipped > 0 {
		s += fmt.Sprintf(", %s skipped", human.Int(ev.Skipped))
	}
	if ev.Rejected > 0 {
		s += fmt.Sprintf(", %s REJECTED", human.Int(ev.Rejected))
	}
	s += fmt.Sprintf(" · %s calls", human.Int(ev.Calls))
	if ev.Written > 0 && ev.Calls > 0 {
		s += fmt.Sprintf(" (%.2f/record)", float64(ev.Calls)/float64(ev.Written))
	}
	return s + " · " + ev.Elapsed.Round(10*time.Millisecond).String()
}

// phase runs one data phase with its progress shown.
func (d *demo) phase(ctx context.Context, fn func(context.Context) (*pbnhl.Report, error), lines bool) (*pbnhl.Report, error) {
	pv := &phaseView{view: newView(d.out, d.cfg.live, d.cfg.statusEvery), d: d, lines: lines, start: time.Now(),
		calls0: d.calls.Load(), active: map[string]pbnhl.Progress{}}
	d.progress.Store(pv)
	defer d.progress.Store(nil)
	rep, err := fn(ctx)
	pv.clear()
	return rep, err
}

func (d *demo) onProgress(ev pbnhl.Progress) {
	if pv := d.progress.Load(); pv != nil {
		pv.event(ev)
	}
}

func (d *demo) allowedRate() float64 { return realLimit / d.window.Seconds() }

// summary prints a phase's totals and how full the limiter was kept.
func (d *demo) summary(rep *pbnhl.Report) {
	t := d.recordTotals(rep)
	// The most a sliding window of 100 per W admits in a span D is
	// 100 × (⌊D/W⌋+1): a fresh window starts with a full burst.
	allowed := float64(realLimit) * (math.Floor(float64(rep.Duration)/float64(d.window)) + 1)
	d.say("Total: %s records written, %s already there, %s invalid, %s skipped, %s rejected; %s calls in %s.",
		human.Int(t.Written), human.Int(t.Existing), human.Int(t.Invalid), human.Int(t.Skipped), human.Int(t.Rejected), human.Int(rep.Calls), rep.Duration.Round(100*time.Millisecond))
	if rep.Duration > 0 {
		d.say("Pace: %.0f calls/s against a limit of %.0f/s: %.0f%% of what the limit admits in that time; %s answered 429 so far.",
			float64(rep.Calls)/rep.Duration.Seconds(), d.allowedRate(), 100*float64(rep.Calls)/allowed, human.Int(d.r429.Load()))
		if float64(rep.Calls) < 0.8*allowed {
			d.say("  (Below the limit: this machine, not HighLevel's limit, set the pace; a larger -speedup changes nothing then.)")
		}
	}
	d.say("At HighLevel's real limit these calls take %s.", human.Duration(time.Duration(float64(rep.Calls)/realLimit*float64(realWindow))))
}

// recordTotals sums the objects that write records of their own: not the
// folded JSON fields, owner resolution, links or deletions.
func (d *demo) recordTotals(rep *pbnhl.Report) pbnhl.Progress {
	var t pbnhl.Progress
	for _, ev := range rep.Objects {
		o := d.m.Object(ev.Object)
		if o == nil || o.RecordType() == "" {
			continue
		}
		t.Written += ev.Written
		t.Existing += ev.Existing
		t.Invalid += ev.Invalid
		t.Skipped += ev.Skipped
		t.Rejected += ev.Rejected
		t.Calls += ev.Calls
	}
	return t
}
