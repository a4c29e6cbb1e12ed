// Package browsertest is what the tests that open a page in headless
// Chromium share (reconcile's HTML report, handover's guide): finding
// Chromium, starting it, collecting what a page reports as wrong, proving
// that collection is live, and leaving screenshots where a person can
// look at them. Without Chromium on PATH the tests skip and say how to
// get one.
package browsertest

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
)

// Chromium finds a Chromium or Chrome binary on PATH ("" when none).
func Chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// RequireChromium is Chromium's path, or skips t saying how to get one.
func RequireChromium(t testing.TB) string {
	t.Helper()
	bin := Chromium()
	if bin == "" {
		t.Skip("no chromium, chromium-browser or google-chrome on PATH: install Debian's chromium (apt-get install -y chromium; .ci/run does) to run the browser test")
	}
	return bin
}

// Artefacts is where a test leaves what a person may want to look at:
// $PBNHL_ARTEFACTS when set (CI keeps it), a test temp dir otherwise.
func Artefacts(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("PBNHL_ARTEFACTS"); d != "" {
		require.NoError(t, os.MkdirAll(d, 0o755))
		return d
	}
	return t.TempDir()
}

// New starts a headless browser from bin under ctx, 1100×900, and returns
// its context; it is closed when t ends. Nothing runs until the first
// action (Listen starts it).
func New(t testing.TB, ctx context.Context, bin string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox, // containers and CI run as root, where Chromium's sandbox refuses to start
		chromedp.WindowSize(1100, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	return bctx
}

// PageErrors collects what a page reports as wrong: console errors and
// assertions, uncaught exceptions, and the browser's own error log (a
// resource that failed to load, a blocked request).
type PageErrors struct {
	mu   sync.Mutex
	msgs []string
}

// Listen starts the browser of bctx and collects its page errors.
func (p *PageErrors) Listen(bctx context.Context) error {
	return chromedp.Listen(bctx, p.listen)
}

func (p *PageErrors) listen(ev any) {
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

// Take returns the errors collected since the last Take.
func (p *PageErrors) Take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.msgs
	p.msgs = nil
	return out
}

// RequireLive proves the listener is live: a page that logs an error and
// throws is caught (else a silent listener would let any page pass).
func (p *PageErrors) RequireLive(t testing.TB, bctx context.Context) {
	t.Helper()
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate("data:text/html,<p>x</p><script>console.error('planted');null.planted</script>")))
	var planted []string
	for deadline := time.Now().Add(5 * time.Second); len(planted) < 2 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		planted = append(planted, p.Take()...)
	}
	require.Len(t, planted, 2, "the planted console error and exception are seen: %q", planted)
}

// AssertNoErrors gives a late error a moment to land (errors arrive as
// events), then asserts the page logged none.
func (p *PageErrors) AssertNoErrors(t testing.TB, page string) {
	t.Helper()
	time.Sleep(100 * time.Millisecond)
	assert.Empty(t, p.Take(), "%s logs no error", page)
}

// Screenshot takes a full-page PNG of the current page into file.
func Screenshot(t testing.TB, bctx context.Context, file string) []byte {
	t.Helper()
	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")), "a PNG")
	require.NoError(t, os.WriteFile(file, png, 0o644))
	return png
}

// FileURL is the file:// URL of an absolute path.
func FileURL(path string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
}
