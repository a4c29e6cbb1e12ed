package practicebynumbers_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// Records yields, for every entity, the same records as the typed iterator
// (as pointers to the models), over the REST client of a generated practice.
func TestRecordsMatchTheTypedIterators(t *testing.T) {
	ctx := context.Background()
	c := newSimClient(t, newSim(t, 15))
	want := readSource(t, c, pbn.ListOptions{})
	for _, e := range pbn.Entities() {
		seq, err := pbn.Records(ctx, c, e, pbn.ListOptions{})
		require.NoError(t, err, e)
		var got []any
		for r, err := range seq {
			require.NoError(t, err, e)
			rv := reflect.ValueOf(r)
			require.Equal(t, reflect.Pointer, rv.Kind(), "%s: a pointer to the model", e)
			got = append(got, rv.Elem().Interface())
		}
		assert.Equal(t, want[e], got, e)
		if e != pbn.EntityKPIValues && e != pbn.EntityAutomations {
			assert.NotEmpty(t, got, "%s: the generated practice has some", e)
		}
	}
	// List options reach the typed iterator.
	seq, err := pbn.Records(ctx, c, pbn.EntityAppointments, pbn.ListOptions{PatientID: "1"})
	require.NoError(t, err)
	for r, err := range seq {
		require.NoError(t, err)
		assert.Equal(t, pbn.Key("1"), r.(*pbn.Appointment).PatientID)
	}
}

// A bad row is passed on as the typed iterator reports it, and iteration
// goes on; stopping early stops the source.
func TestRecordsRowErrorsAndEarlyStop(t *testing.T) {
	ctx := context.Background()
	r, err := pbn.OpenExport("testdata/export", pbn.ExportOptions{})
	require.NoError(t, err)
	var typedGood, typedBad int
	for _, err := range r.Patients(ctx, pbn.ListOptions{}) {
		if err != nil {
			typedBad++
		} else {
			typedGood++
		}
	}
	require.Positive(t, typedBad, "the fixture export has a bad patient row")
	seq, err := pbn.Records(ctx, r, pbn.EntityPatients, pbn.ListOptions{})
	require.NoError(t, err)
	var good, bad int
	for rec, err := range seq {
		var re *pbn.RowError
		if errors.As(err, &re) {
			assert.Nil(t, rec)
			bad++
			continue
		}
		require.NoError(t, err)
		require.IsType(t, &pbn.Patient{}, rec)
		good++
	}
	assert.Equal(t, [2]int{typedGood, typedBad}, [2]int{good, bad})

	n := 0
	for range seq {
		if n++; n == 1 {
			break
		}
	}
	assert.Equal(t, 1, n)
}

func TestRecordsUnknownEntity(t *testing.T) {
	r, err := pbn.OpenExport("testdata/export", pbn.ExportOptions{})
	require.NoError(t, err)
	_, err = pbn.Records(context.Background(), r, "invoices", pbn.ListOptions{})
	require.EqualError(t, err, `practicebynumbers: unknown entity "invoices"`)
}

func TestCollect(t *testing.T) {
	ctx := context.Background()
	r, err := pbn.OpenExport("testdata/export", pbn.ExportOptions{})
	require.NoError(t, err)
	offices, err := pbn.Collect(r.Offices(ctx, pbn.ListOptions{}))
	require.NoError(t, err)
	assert.Len(t, offices, 2)
	assert.Equal(t, pbn.Key("1"), offices[0].ID)

	pats, err := pbn.Collect(r.Patients(ctx, pbn.ListOptions{}))
	var re *pbn.RowError
	require.ErrorAs(t, err, &re, "the fixture's bad patient row stops it")
	assert.Nil(t, pats)
}
