package practicebynumbers_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// TestExportWatermark: two exports of a practice, a day apart in the
// practice's life. The first export's Inventory().ServerTime (its newest
// change stamp: the folder has no manifest) is the watermark; the second
// export read with it yields every changed record, and any other record it
// yields is one stamped exactly at the watermark (the filter is inclusive).
func TestExportWatermark(t *testing.T) {
	if time.Now().Before(pbntest.DefaultAsOf) {
		t.Skip("this host's clock is before the generated practice's stamps")
	}
	ctx := context.Background()
	srv := newSim(t, 120)
	export := func() *pbn.ExportReader {
		dir := t.TempDir()
		_, err := srv.WriteExport(ctx, dir, pbntest.ExportOptions{})
		require.NoError(t, err)
		r, err := pbn.OpenExport(dir, pbn.ExportOptions{})
		require.NoError(t, err)
		return r
	}
	inv, err := export().Inventory(ctx)
	require.NoError(t, err)
	watermark := inv.ServerTime
	require.False(t, watermark.IsZero())
	apiInv, err := newSimClient(t, srv).Inventory(ctx)
	require.NoError(t, err)
	assert.False(t, watermark.After(apiInv.ServerTime), "never later than the source's clock")

	ch := srv.MutateWith(pbntest.MutateOptions{Update: 30, Create: 10, Delete: 5, Touch: 5})
	delta := readSource(t, export(), pbn.ListOptions{UpdatedSince: watermark})
	for _, e := range pbn.Entities() {
		got := ids(delta[e])
		for _, id := range ch.Changed(e) {
			assert.Contains(t, got, id, "%s %s changed after the export", e, id)
		}
		for i, id := range got {
			if !slices.Contains(ch.Changed(e), id) {
				assert.Equal(t, watermark, updatedAt(delta[e][i]), "%s %s is in the delta only through the inclusive bound", e, id)
			}
		}
	}
	var deleted int
	for _, d := range delta["deletions"] {
		if d.(pbn.Deletion).DeletedAt.Equal(ch.At) {
			deleted++
		}
	}
	wantDeleted := 0
	for _, ids := range ch.Deleted {
		wantDeleted += len(ids)
	}
	require.Positive(t, wantDeleted)
	assert.Equal(t, wantDeleted, deleted, "deletions after the export")
}

func updatedAt(rec any) time.Time {
	switch v := rec.(type) {
	case pbn.Office:
		return v.UpdatedAt
	case pbn.Staff:
		return v.UpdatedAt
	case pbn.CustomPropertyDefinition:
		return v.UpdatedAt
	case pbn.Cohort:
		return v.UpdatedAt
	case pbn.Patient:
		return v.UpdatedAt
	case pbn.InsuranceCarrier:
		return v.UpdatedAt
	case pbn.Coverage:
		return v.UpdatedAt
	case pbn.Appointment:
		return v.UpdatedAt
	case pbn.Procedure:
		return v.UpdatedAt
	case pbn.TreatmentPlan:
		return v.UpdatedAt
	case pbn.Communication:
		return v.UpdatedAt
	case pbn.FormSubmission:
		return v.UpdatedAt
	case pbn.Document:
		return v.UpdatedAt
	case pbn.KPIDefinition:
		return v.UpdatedAt
	case pbn.KPIValue:
		return v.UpdatedAt
	case pbn.Automation:
		return v.UpdatedAt
	}
	return time.Time{}
}
