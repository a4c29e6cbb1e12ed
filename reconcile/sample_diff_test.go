package reconcile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/reconcile"
	"github.com/pbnhl/pbnhl/rollback"
)

// TestDiffSample: every record the runs wrote is read back once and
// compared field by field; a deleted contact is missing with its key, a
// changed field differs with its key, and everything else matches. The
// diff holds no value unless asked, and the values page holds them.
func TestDiffSample(t *testing.T) {
	ctx := context.Background()
	e := migrated(t, 12)
	runs, err := e.ledger.Runs(ctx)
	require.NoError(t, err)
	var full []rollback.RunID
	for _, r := range runs {
		if r.Kind == rollback.KindFull {
			full = append(full, r.ID)
		}
	}
	require.NotEmpty(t, full)

	clean, err := reconcile.DiffSample(ctx, reconcile.SampleOptions{Client: e.hl, Ledger: e.ledger, Runs: full})
	require.NoError(t, err)
	require.True(t, clean.Agrees(), "a clean migration: %+v", clean)
	assert.Positive(t, clean.Matched)
	assert.Equal(t, clean.Records, clean.RecordsRead)
	types := map[string]bool{}
	for _, o := range clean.Objects {
		types[o.ObjectType] = true
	}
	assert.True(t, types[rollback.TypeContact] && types[rollback.TypeBusiness], "contacts and businesses compared: %v", types)

	delKey, delID := contactOf(t, e, 2)
	chgKey, chgID := contactOf(t, e, 5)
	require.NoError(t, e.hl.Contacts.Delete(ctx, delID))
	city := "Elsewhere"
	_, err = e.hl.Contacts.Update(ctx, chgID, highlevel.ContactUpdate{City: &city})
	require.NoError(t, err)

	before := len(e.hs.RequestLog())
	d, err := reconcile.DiffSample(ctx, reconcile.SampleOptions{Client: e.hl, Ledger: e.ledger, Runs: full, Values: true})
	require.NoError(t, err)
	if !assert.Equal(t, len(e.hs.RequestLog())-before, d.Calls, "calls counted = requests HighLevel served") {
		for _, r := range e.hs.RequestLog()[before:] {
			t.Log(r.Method, r.Path, r.Status)
		}
	}
	assert.Equal(t, clean.Records, d.Records)
	missing := 0
	for _, o := range d.Objects {
		missing += len(o.MissingRecords)
	}
	// HighLevel deletes a contact's opportunities with it.
	assert.Equal(t, d.Records-missing, d.RecordsRead)
	assert.LessOrEqual(t, d.ReadsPerRecord(), 1.1)
	assert.False(t, d.Agrees())

	var contact reconcile.SampleObject
	for _, o := range d.Objects {
		if o.ObjectType == rollback.TypeContact {
			contact = o
		}
	}
	assert.Equal(t, []string{delKey}, contact.MissingRecords)
	cityField := -1
	for i, f := range contact.Fields {
		if f.Field == "city" {
			cityField = i
		}
		// A field counts the records whose body carries it.
		assert.LessOrEqual(t, f.Matched+f.Differed+f.Missing, contact.Records, f.Field)
		assert.NotContains(t, f.DifferedKeys, delKey, "a missing record's fields are missing, not differing")
		if f.Missing > 0 {
			assert.Contains(t, f.MissingKeys, delKey, f.Field)
		}
	}
	require.GreaterOrEqual(t, cityField, 0)
	assert.Equal(t, []string{chgKey}, contact.Fields[cityField].DifferedKeys)
	assert.Equal(t, 1, d.Differed, "only the city differs")

	// The values: both sides of the changed field; none in the JSON.
	var found bool
	for _, v := range d.Values {
		if v.ObjectType == rollback.TypeContact && v.SourceKey == chgKey && v.Field == "city" {
			found = true
			assert.Equal(t, reconcile.FieldDiffered, v.Status)
			assert.JSONEq(t, `"Elsewhere"`, string(v.Stored))
			assert.NotEqual(t, `"Elsewhere"`, string(v.Sent))
		}
	}
	require.True(t, found)
	js, err := json.Marshal(d)
	require.NoError(t, err)
	var page bytes.Buffer
	require.NoError(t, reconcile.WriteSampleValuesHTML(&page, d, reconcile.SampleValuesHeader{LocationID: hltest.DefaultLocationID}))
	assert.Contains(t, page.String(), "CONTAINS PATIENT DATA")
	assert.Contains(t, page.String(), "Elsewhere")
	assert.NotContains(t, page.String(), "<script")
	leaked := 0
	for _, c := range e.hs.Contacts(hltest.DefaultLocationID) {
		for _, v := range []string{c.Email, c.LastName, c.City} {
			if len(v) > 3 {
				assert.NotContains(t, string(js), v, "a value in the diff's JSON")
				if bytes.Contains(page.Bytes(), []byte(v)) {
					leaked++
				}
			}
		}
	}
	assert.Positive(t, leaked, "the values page shows the values")

	// Without Values there are none to write.
	d2, err := reconcile.DiffSample(ctx, reconcile.SampleOptions{Client: e.hl, Ledger: e.ledger, Runs: full})
	require.NoError(t, err)
	assert.Empty(t, d2.Values)
	assert.ErrorIs(t, reconcile.WriteSampleValuesHTML(&page, d2, reconcile.SampleValuesHeader{}), reconcile.ErrNoValues)

	// Runs that wrote nothing compare nothing.
	none, err := reconcile.DiffSample(ctx, reconcile.SampleOptions{Client: e.hl, Ledger: e.ledger, Runs: []rollback.RunID{slices.Max(full) + 100}})
	require.NoError(t, err)
	assert.Zero(t, none.Records)
}
