package reconcile_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/internal/browsertest"
	"github.com/pbnhl/pbnhl/reconcile"
)

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
	bin := browsertest.RequireChromium(t)
	dir := browsertest.Artefacts(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bctx := browsertest.New(t, ctx, bin)
	// Chromium starts (seconds) while the practice migrates.
	errs := &browsertest.PageErrors{}
	started := make(chan error, 1)
	go func() { started <- errs.Listen(bctx) }()

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

	errs.RequireLive(t, bctx)

	for _, pg := range pages {
		var html bytes.Buffer
		require.NoError(t, pg.rep.WriteHTML(&html))
		file := filepath.Join(dir, pg.name+".html")
		require.NoError(t, os.WriteFile(file, html.Bytes(), 0o644))
		require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(browsertest.FileURL(file)), chromedp.WaitReady(chromedp.CSS("footer"))))
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

		shot := filepath.Join(dir, pg.name+".png")
		png := browsertest.Screenshot(t, bctx, shot)
		t.Logf("screenshot: %s (%d bytes); page: %s", shot, len(png), file)
		errs.AssertNoErrors(t, pg.name)
	}
}
