package handover_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/handover"
	"github.com/pbnhl/pbnhl/internal/browsertest"
)

// TestGuideInABrowser: headless Chromium opens guide.html from a pack as a
// file: it logs no error, throws nothing, fetches nothing (self-contained),
// shows one checklist entry and one section per automation, each checklist
// link lands on its section, and the title names the practice. A PNG
// screenshot is left in $PBNHL_ARTEFACTS when set. Without Chromium the
// test skips and says how to get one.
func TestGuideInABrowser(t *testing.T) {
	bin := browsertest.RequireChromium(t)
	dir := browsertest.Artefacts(t)
	src := source(t, 20)
	p, err := handover.Write(context.Background(), filepath.Join(dir, "handover-pack"), handover.Inputs{Source: src, Map: goldenMap(), Practice: "Maple Street Dental"})
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bctx := browsertest.New(t, ctx, bin)
	errs := &browsertest.PageErrors{}
	require.NoError(t, errs.Listen(bctx), "start %s", bin)
	errs.RequireLive(t, bctx)

	file := filepath.Join(p.Dir, handover.FileGuideHTML)
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(browsertest.FileURL(file)), chromedp.WaitReady(chromedp.CSS("footer"))))
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

	browsertest.Screenshot(t, bctx, filepath.Join(dir, "handover-guide.png"))
	errs.AssertNoErrors(t, "the guide")
}
