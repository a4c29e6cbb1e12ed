package pbnhl_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pbnhl "github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
	"github.com/pbnhl/pbnhl/rollback"
)

// An export folder written without its documents' files (practices often
// export the CSV reports and leave the attachments out): preflight says so
// and leaves their calls and bytes out of the estimate; the run lists them
// as invalid — known before any call, no request made — and, once the
// files are copied in, the next run uploads them.
func TestExportWithoutDocumentFiles(t *testing.T) {
	x := newExportEnv(t)
	ctx := context.Background()
	docs := int64(len(slices.Collect(x.pbn.Practice().Documents())))
	require.Positive(t, docs)

	rep := x.preflight(t, pbn.ExportOptions{}, nil)
	i := slices.IndexFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, "have no file in the export folder") })
	require.GreaterOrEqual(t, i, 0, "warnings: %q", rep.Warnings)
	assert.Contains(t, rep.Warnings[i], "documents: ")
	assert.Zero(t, rep.Estimate.Bytes, "nothing will be uploaded")
	for _, o := range rep.Estimate.Objects {
		assert.Zero(t, o.Bytes, o.Object)
	}

	src, err := pbn.OpenExport(x.dir, pbn.ExportOptions{})
	require.NoError(t, err)
	m := x.migration(func(o *pbnhl.Options) { o.Source = src })
	run, err := m.Load(ctx)
	require.NoError(t, err)
	d, ok := run.Object("documents")
	require.True(t, ok)
	assert.Zero(t, d.Rejected, "not a refusal: nothing was sent")
	assert.Zero(t, d.Calls)
	assert.Zero(t, d.Written)
	assert.Positive(t, d.Invalid)
	assert.Empty(t, x.hl.Records(hltest.DefaultLocationID, hltest.KindMedia))
	var listed int64
	for pr, err := range x.ledger.Problems(ctx) {
		require.NoError(t, err)
		if pr.Kind == rollback.ProblemInvalid && strings.Contains(strings.Join(pr.Reasons, ";"), "the export has no file for this document") {
			listed++
		}
	}
	require.Positive(t, listed, "listed with the reason")
	assert.LessOrEqual(t, listed, d.Invalid, "the others are invalid for their own reasons (no contact, over the cap)")
	firstInvalid := d.Invalid

	// The files arrive: the next run uploads them.
	_, err = x.pbn.Practice().WriteExport(ctx, x.dir, pbntest.ExportOptions{Documents: true})
	require.NoError(t, err)
	rep = x.preflight(t, pbn.ExportOptions{}, nil)
	assert.False(t, slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, "have no file") }), "warnings: %q", rep.Warnings)
	assert.Positive(t, rep.Estimate.Bytes)
	src, err = pbn.OpenExport(x.dir, pbn.ExportOptions{})
	require.NoError(t, err)
	run, err = x.migration(func(o *pbnhl.Options) { o.Source = src }).Load(ctx)
	require.NoError(t, err)
	d, _ = run.Object("documents")
	assert.Equal(t, firstInvalid-listed, d.Invalid, "the documents without a file then are no longer invalid")
	assert.Positive(t, d.Written, "uploaded once the files are there")
	assert.NotEmpty(t, x.hl.Records(hltest.DefaultLocationID, hltest.KindMedia))
}
