package main

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/internal/progressview"
	"github.com/pbnhl/pbnhl/rollback"
)

// progressModeValue is the -progress flag: auto (live on a terminal,
// lines elsewhere), live or lines.
type progressModeValue struct{ m *progressview.Mode }

func (v progressModeValue) String() string {
	if v.m == nil {
		return "auto"
	}
	return [...]string{"auto", "live", "lines"}[*v.m]
}

// Type names the value in the help ("--progress mode").
func (v progressModeValue) Type() string { return "mode" }

func (v progressModeValue) Set(s string) error {
	m, err := progressview.ParseMode(s)
	if err != nil {
		return err
	}
	*v.m = m
	return nil
}

// progressModeFlag is config's type for -progress.
type progressModeFlag = progressview.Mode

// progressReporter is a command's one progress view on stderr, made on
// the first event and closed before the results are printed.
type progressReporter struct {
	mu   sync.Mutex
	view *progressview.View
}

// rawStderr is the stream under the line lock: the terminal test needs
// the *os.File, and the live view does its own locking.
func (c *cli) rawStderr() io.Writer {
	if lw, ok := c.stderr.(*lockedWriter); ok {
		return lw.w
	}
	return c.stderr
}

// progressTo returns the Progress callback of a command against client:
// its limiter gives the daily-quota position and the rate the ETA may
// assume. Counts only: the events carry no record content.
func (c *cli) progressTo(client *highlevel.Client) func(pbnhl.Progress) {
	return func(p pbnhl.Progress) {
		c.progressView(client).Update(p)
	}
}

// progressView makes the command's view on first use.
func (c *cli) progressView(client *highlevel.Client) *progressview.View {
	c.progress.mu.Lock()
	defer c.progress.mu.Unlock()
	if c.progress.view != nil {
		return c.progress.view
	}
	opts := progressview.Options{Mode: c.cfg.progressMode, Interval: c.cfg.progressEvery}
	if opts.Mode == progressview.Auto {
		opts.Mode = progressview.Lines
		if progressview.IsTerminal(c.rawStderr()) && !c.cfg.verbose {
			// -v writes log records to stderr at any moment: they would
			// tear the bars drawn in place.
			opts.Mode = progressview.Live
		}
	}
	w := c.stderr
	if opts.Mode == progressview.Live {
		w = c.rawStderr()
	}
	if client != nil && client.Limiter() != nil {
		lim := client.Limiter()
		opts.Quota = lim
		if n, window := lim.Limit(); n > 0 && window > 0 {
			opts.MaxCallRate = float64(n) / window.Seconds()
		}
	}
	c.progress.view = progressview.New(w, opts)
	return c.progress.view
}

// closeProgress draws the view's final state; results and errors print
// after it. A later phase of the same command gets a new view.
func (c *cli) closeProgress() {
	c.progress.mu.Lock()
	v := c.progress.view
	c.progress.view = nil
	c.progress.mu.Unlock()
	if v != nil {
		v.Close()
	}
}

// progressLine writes a line of news to stderr without tearing a live
// view.
func (c *cli) progressLine(line string) {
	c.progress.mu.Lock()
	v := c.progress.view
	c.progress.mu.Unlock()
	if v != nil {
		v.Println(line)
		return
	}
	fmt.Fprintln(c.stderr, line)
}

// undoProgress returns the OnCompensation of an undo and the call that
// ends its progress: the view shows the compensations against the total
// of the undo's dry-run plan (ledger only, no HighLevel call).
func (c *cli) undoProgress(ctx context.Context, l *rollback.Ledger, client *highlevel.Client, opts rollback.UndoOptions) (func(rollback.Compensation), func()) {
	up, err := pbnhl.NewUndoProgress(ctx, l, client, opts, c.cfg.progressEvery, c.progressTo(client))
	if err != nil {
		// The undo itself will say what is wrong; progress goes without.
		c.progressLine(fmt.Sprintf("undo: no progress total: %v", err))
		return opts.OnCompensation, func() {}
	}
	return up.Wrap(opts.OnCompensation), func() { up.Finish(); c.closeProgress() }
}
