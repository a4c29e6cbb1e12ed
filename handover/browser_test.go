package handover_test

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

	"github.com/pbnhl/pbnhl/handover"
)

// The helpers below are reconcile/browser_test.go's (test files cannot be
// imported): find Chromium, and collect what a page reports as wrong.

func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

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

// TestGuideInABrowser: headless Chromium opens guide.html from a pack as a
// file: it logs no error, throws nothing, fetches nothing (self-contained),
// shows one checklist entry and one section per automation, each checklist
// link lands on its section, and the title names the practice. A PNG
// screenshot is left in $PBNHL_ARTEFACTS when set. Without Chromium the
// test skips and says how to get one.
func TestGuideInABrowser(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("no chromium, chromium-browser or google-chrome on PATH: install Debian's chromium (apt-get install -y chromium; .ci/run does) to run the browser test")
	}
	dir := t.TempDir()
	if d := os.Getenv("PBNHL_ARTEFACTS"); d != "" {
		require.NoError(t, os.MkdirAll(d, 0o755))
		dir = d
	}
	src := source(t, 20)
	p, err := handover.Write(context.Background(), filepath.Join(dir, "handover-pack"), handover.Inputs{Source: src, Map: goldenMap(), Practice: "Maple Street Dental"})
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.WindowSize(1100, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	errs := &pageErrors{}
	require.NoError(t, chromedp.Listen(bctx, errs.listen), "start %s", bin)

	// The listener is live: a planted error and exception are seen.
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate("data:text/html,<p>x</p><script>console.error('planted');null.planted</script>")))
	var planted []string
	for deadline := time.Now().Add(5 * time.Second); len(planted) < 2 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		planted = append(planted, errs.take()...)
	}
	require.Len(t, planted, 2, "the planted console error and exception are seen: %q", planted)

	file := filepath.Join(p.Dir, handover.FileGuideHTML)
	u := (&url.URL{Scheme: "file", Path: file}).String()
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(u), chromedp.WaitReady(chromedp.CSS("footer"))))
	items, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("ol.check li").length`))
	require.NoError(t, err)
	assert.Equal(t, len(p.Automations), items, "one checklist entry per automation")
	sections, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("main section").length`))
	require.NoError(t, err)
	assert.Equal(t, len(p.Automations), sections)
	broken, err := chromedp.Run(bctx, chromedp.Evaluate[int](`Array.from(document.querySelectorAll("ol.check a")).filter(a => !document.querySelector(a.getAttribute("href"))).length`))
	require.NoError(t, err)
	assert.Zero(t, broken, "every checklist link lands on its section")
	height, err := chromedp.Run(bctx, chromedp.Evaluate[float64](`document.querySelector("main").getBoundingClientRect().height`))
	require.NoError(t, err)
	assert.Positive(t, height, "the page is laid out")
	resources, err := chromedp.Run(bctx, chromedp.Evaluate[int](`performance.getEntriesByType("resource").length`))
	require.NoError(t, err)
	assert.Zero(t, resources, "the page fetches nothing")
	title, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.title`))
	require.NoError(t, err)
	assert.Contains(t, title, "Maple Street Dental")

	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")), "a PNG")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "handover-guide.png"), png, 0o644))

	time.Sleep(100 * time.Millisecond) // a late error event
	assert.Empty(t, errs.take(), "the guide logs no error")
}
