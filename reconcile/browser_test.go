package reconcile_test

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/reconcile"
)

// chromium finds a Chromium or Chrome binary on PATH.
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// artefacts is where the test leaves what a person may want to look at:
// $PBNHL_ARTEFACTS when set (CI keeps it), a test temp dir otherwise.
func artefacts(t *testing.T) string {
	if d := os.Getenv("PBNHL_ARTEFACTS"); d != "" {
		require.NoError(t, os.MkdirAll(d, 0o755))
		return d
	}
	return t.TempDir()
}

// pageErrors collects what a page reports as wrong: console errors and
// assertions, uncaught exceptions, and the browser's own error log (a
// resource that failed to load, a blocked request).
type pageErrors struct {
	mu   sync.Mutex
	msgs []string
}

func (p *pageErrors) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			msg = "console." + string(ev.Type)
			for _, a := range ev.Args {
				msg += " " + string(a.Value)
			}
		}
	case *runtime.EventExceptionThrown:
		msg = "exception: " + (&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error()
	case *log.EventEntryAdded:
		if ev.Entry != nil && ev.Entry.Level == log.EntryLevelError {
			msg = "log: " + ev.Entry.Text + " " + ev.Entry.URL
		}
	}
	if msg == "" {
		return
	}
	p.mu.Lock()
	p.msgs = append(p.msgs, msg)
	p.mu.Unlock()
}

func (p *pageErrors) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.msgs
	p.msgs = nil
	return out
}

// chartBox is what the page says of one chart once laid out.
type chartBox struct {
	ID     string  `json:"id"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
	Rects  int     `json:"rects"`
	Texts  int     `json:"texts"`
}

// The HTML report in a real browser: headless Chromium loads the file
// (file://, nothing served), the page logs no error and throws nothing,
// fetches no resource, every chart is laid out with a non-zero size and
// draws something, and a full-page PNG screenshot is left as an artefact.
// Without a Chromium binary the test skips and says how to get one.
func TestReportInABrowser(t *testing.T) {
	t.Parallel() // mostly waiting for Chromium: overlap it with the migrations
	bin := chromium()
	if bin == "" {
		t.Skip("no chromium, chromium-browser or google-chrome on PATH: install Debian's chromium (apt-get install -y chromium; .ci/run does) to run the browser test")
	}
	dir := artefacts(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox, // containers and CI run as root, where Chromium's sandbox refuses to start
		chromedp.WindowSize(1100, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	// Chromium starts (seconds) while the practice migrates.
	errs := &pageErrors{}
	started := make(chan error, 1)
	go func() { started <- chromedp.Listen(bctx, errs.listen) }()

	// Two pages: the fixed report with every section, and a real one — a
	// migrated practice with one contact changed since, reconciled in full
	// (not under -short: the migration is the slow part under -race).
	type page struct {
		name string
		rep  *reconcile.Report
	}
	pages := []page{{"reconcile-report", evidenceReport()}}
	if !testing.Short() {
		e := migrated(t, 8)
		_, id := contactOf(t, e, 3)
		city := "Elsewhere"
		_, err := e.hl.Contacts.Update(context.Background(), id, highlevel.ContactUpdate{City: &city})
		require.NoError(t, err)
		real := e.run(t, reconcile.Options{Full: true, Practice: "Maple Street Dental", LeafSize: 4})
		require.NotEmpty(t, real.Buckets.Differences)
		pages = append(pages, page{"reconcile-report-migrated", real})
	}
	require.NoError(t, <-started, "start %s", bin)

	// The listener is live: a page that logs an error and throws is caught
	// (else a silent listener would let any page pass).
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate("data:text/html,<p>x</p><script>console.error('planted');null.planted</script>")))
	var planted []string
	for deadline := time.Now().Add(5 * time.Second); len(planted) < 2 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		planted = append(planted, errs.take()...)
	}
	require.Len(t, planted, 2, "the planted console error and exception are seen: %q", planted)

	for _, pg := range pages {
		var html bytes.Buffer
		require.NoError(t, pg.rep.WriteHTML(&html))
		file := filepath.Join(dir, pg.name+".html")
		require.NoError(t, os.WriteFile(file, html.Bytes(), 0o644))
		u := (&url.URL{Scheme: "file", Path: file}).String()
		require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(u), chromedp.WaitReady(chromedp.CSS("footer"))))
		charts, err := chromedp.Run(bctx, chromedp.Evaluate[[]chartBox](`Array.from(document.querySelectorAll("svg.chart")).map(s => {
			const r = s.getBoundingClientRect();
			return {id: s.id, width: r.width, height: r.height, rects: s.querySelectorAll("rect").length, texts: s.querySelectorAll("text").length};
		})`))
		require.NoError(t, err)
		require.Len(t, charts, 3, "three charts: %+v", charts)
		for _, c := range charts {
			assert.Positive(t, c.Width, c.ID)
			assert.Positive(t, c.Height, c.ID)
			assert.Positive(t, c.Rects, "%s draws bars", c.ID)
			assert.Positive(t, c.Texts, "%s draws labels", c.ID)
		}
		resources, err := chromedp.Run(bctx, chromedp.Evaluate[int](`performance.getEntriesByType("resource").length`))
		require.NoError(t, err)
		assert.Zero(t, resources, "the page fetches nothing")
		title, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.title`))
		require.NoError(t, err)
		assert.Contains(t, title, "Maple Street Dental")

		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		require.True(t, bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")), "a PNG")
		shot := filepath.Join(dir, pg.name+".png")
		require.NoError(t, os.WriteFile(shot, png, 0o644))
		t.Logf("screenshot: %s (%d bytes); page: %s", shot, len(png), file)

		// Errors arrive as events: give a late one a moment to land.
		time.Sleep(100 * time.Millisecond)
		assert.Empty(t, errs.take(), "%s logs no error", pg.name)
	}
}
