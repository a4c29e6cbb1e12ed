package progressview

import (
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/pbnhl/pbnhl"
)

// Mode chooses how a View draws.
type Mode int

const (
	// Auto draws live on a terminal and in lines elsewhere.
	Auto Mode = iota
	// Live draws bars in place (ANSI escape codes).
	Live
	// Lines writes one plain line every interval.
	Lines
)

// ParseMode reads a -progress flag value: auto, live or lines.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "", "auto":
		return Auto, nil
	case "live", "tty":
		return Live, nil
	case "lines", "line", "plain":
		return Lines, nil
	}
	return Auto, fmt.Errorf("progress mode %q: want auto, live or lines", s)
}

// Options shape a View.
type Options struct {
	Mode Mode
	// Interval is the line mode's period (default 5 s).
	Interval time.Duration
	// Quota gives the daily-quota position (a *highlevel.Limiter); nil
	// leaves it out.
	Quota Quota
	// MaxCallRate caps the call rate the ETA assumes: the limiter's
	// requests per window (0: no cap).
	MaxCallRate float64
	// RateWindow is the window over which the call rate is measured
	// (default 30 s).
	RateWindow time.Duration
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// IsTerminal reports whether w is a terminal (an *os.File on a TTY).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// View receives progress events and draws them. Update is safe for
// concurrent use; Close once when the phase (or command) ends.
type View struct {
	w    io.Writer
	opts Options
	live bool

	mu      sync.Mutex
	objects map[string]pbnhl.Progress
	order   []string
	rate    rateWindow
	callR   float64
	closed  bool

	// line mode
	stop chan struct{}
	done chan struct{}

	// live mode
	p       *mpb.Progress
	bars    map[string]*mpb.Bar
	overall *mpb.Bar
	// What the decorators print, set under mu and read without it: mpb
	// calls decorators from its render goroutine while Update (holding
	// mu) may wait on that goroutine to take a new count.
	head, tail atomic.Pointer[string]
	figures    map[string]*atomic.Pointer[string]
}

func load(p *atomic.Pointer[string]) string {
	if s := p.Load(); s != nil {
		return *s
	}
	return ""
}

// New starts a view writing to w.
func New(w io.Writer, opts Options) *View {
	if opts.Interval <= 0 {
		opts.Interval = 5 * time.Second
	}
	if opts.RateWindow <= 0 {
		opts.RateWindow = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	v := &View{w: w, opts: opts, objects: map[string]pbnhl.Progress{}, rate: rateWindow{window: opts.RateWindow}}
	switch opts.Mode {
	case Live:
		v.live = true
	case Auto:
		v.live = IsTerminal(w)
	}
	if v.live {
		v.p = mpb.New(mpb.WithOutput(w), mpb.WithWidth(24), mpb.WithRefreshRate(200*time.Millisecond), mpb.WithAutoRefresh())
		v.bars = map[string]*mpb.Bar{}
		// The overall bar stays last (highest priority is drawn lowest).
		// Total 0 until known: a bar made with a total completes (and stops
		// drawing) when it first reaches it, and ours grow.
		v.overall = v.p.New(0, mpb.BarStyle(), mpb.BarPriority(math.MaxInt),
			mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return load(&v.head) })),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return load(&v.tail) })))
		v.figures = map[string]*atomic.Pointer[string]{}
		v.setOverallLocked()
	} else {
		v.stop, v.done = make(chan struct{}), make(chan struct{})
		go v.lines()
	}
	return v
}

// Live reports whether the view draws in place.
func (v *View) Live() bool { return v.live }

// Update takes one progress event (pbnhl.Options.Progress).
func (v *View) Update(p pbnhl.Progress) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return
	}
	key := p.Phase + "/" + p.Object
	prev, seen := v.objects[key]
	if !seen {
		v.order = append(v.order, key)
	}
	v.objects[key] = p
	var calls int64
	for _, o := range v.objects {
		calls += o.Calls
	}
	v.callR = v.rate.add(v.opts.Now(), calls)
	if v.live {
		v.drawLocked(key, p)
		return
	}
	if p.Finished && !(seen && prev.Finished) {
		fmt.Fprintln(v.w, ObjectLine(p))
	}
}

func (v *View) drawLocked(key string, p pbnhl.Progress) {
	b, ok := v.bars[key]
	if !ok {
		name := p.Object
		if p.Phase != "" {
			name = p.Phase + " " + p.Object
		}
		fig := &atomic.Pointer[string]{}
		v.figures[key] = fig
		b = v.p.New(0, mpb.BarStyle(), mpb.BarPriority(len(v.bars)),
			mpb.PrependDecorators(decor.Name(fmt.Sprintf("%-22s", name)), decor.Percentage(decor.WC{W: 5})),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return load(fig) })))
		v.bars[key] = b
	}
	f := objectFigures(p)
	v.figures[key].Store(&f)
	b.SetTotal(max(objectTotal(p), 1), false)
	b.SetCurrent(p.Done)
	if p.Finished {
		b.SetTotal(max(p.Done, 1), true)
		if p.Done == 0 {
			b.SetCurrent(1) // an empty object is complete, not stuck at 0 %
		}
	}
	s := v.setOverallLocked()
	v.overall.SetTotal(max(s.Total, 1), false)
	v.overall.SetCurrent(s.Done)
}

// setOverallLocked computes the summary and stores the overall bar's text.
func (v *View) setOverallLocked() Summary {
	s := v.summaryLocked()
	phase := s.Phase
	if phase == "" {
		phase = "overall"
	}
	head := fmt.Sprintf("%-22s %4s", phase+" overall", s.State())
	tail := s.Figures()
	v.head.Store(&head)
	v.tail.Store(&tail)
	return s
}

func objectFigures(p pbnhl.Progress) string {
	total := "?"
	if p.Total > 0 || p.Finished {
		total = human(objectTotal(p))
	}
	s := fmt.Sprintf("%s/%s · %s calls", human(p.Done), total, human(p.Calls))
	if n := p.Invalid + p.Rejected; n > 0 {
		s += fmt.Sprintf(" · %s refused", human(n))
	}
	if g := growth(p); g > 0 {
		s += fmt.Sprintf(" · +%s new since start", human(g))
	}
	return s
}

// Summary returns the overall figures now.
func (v *View) Summary() Summary {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.summaryLocked()
}

func (v *View) summaryLocked() Summary {
	objs := make([]pbnhl.Progress, 0, len(v.order))
	for _, k := range v.order {
		objs = append(objs, v.objects[k])
	}
	return Summarize(objs, v.callR, v.opts.MaxCallRate, v.opts.Quota)
}

// lines writes the overall line every interval until Close.
func (v *View) lines() {
	defer close(v.done)
	t := time.NewTicker(v.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-v.stop:
			return
		case <-t.C:
			v.mu.Lock()
			if len(v.order) > 0 {
				// Every object so far may be finished with more to come
				// (phases start objects one after the other): only Close
				// says finished.
				sum := v.summaryLocked()
				sum.Finished = false
				fmt.Fprintln(v.w, sum.Line())
			}
			v.mu.Unlock()
		}
	}
}

// Println writes a line of other news (a warning, a note) without
// breaking the view: above the bars while they are live, else as is.
func (v *View) Println(line string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.live && !v.closed {
		fmt.Fprintln(v.p, line) // mpb prints it above the bars
		return
	}
	fmt.Fprintln(v.w, line)
}

// Close draws the final state and stops the view. Later events are
// ignored.
func (v *View) Close() {
	v.mu.Lock()
	if v.closed {
		v.mu.Unlock()
		return
	}
	v.closed = true
	if !v.live {
		v.mu.Unlock()
		close(v.stop)
		<-v.done
		v.mu.Lock()
		if len(v.order) > 0 {
			fmt.Fprintln(v.w, v.summaryLocked().Line())
		}
		v.mu.Unlock()
		return
	}
	for _, b := range v.bars {
		if !b.Completed() {
			b.Abort(false) // stopped early: left drawn where it stopped
		}
	}
	s := v.setOverallLocked()
	if s.Finished {
		v.overall.SetTotal(max(s.Total, 1), true)
	} else {
		v.overall.Abort(false)
	}
	v.mu.Unlock()
	v.p.Wait()
}
