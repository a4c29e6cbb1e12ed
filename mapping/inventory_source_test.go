package mapping

import (
	"context"
	"errors"
	"iter"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// InventorySource over the REST client of a generated practice: each
// inventoried entity sampled as SampleRecords samples its typed records,
// capped at Records, with the custom property catalogue.
func TestInventorySourceOverREST(t *testing.T) {
	ctx := context.Background()
	srv, err := pbntest.NewServer(pbntest.Options{Seed: 42, Patients: 30})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	src, err := pbn.NewClient(pbn.Options{BaseURL: srv.URL, Token: srv.Token(), RateLimit: -1})
	require.NoError(t, err)

	inv, err := InventorySource(ctx, src, SourceOptions{Records: 20, InventoryOptions: InventoryOptions{Samples: 5}})
	require.NoError(t, err)
	names := make([]string, len(inv.Entities))
	for i, e := range inv.Entities {
		names[i] = e.Name
	}
	assert.Equal(t, []string{"offices", "staff", "patients", "appointments", "procedures", "treatment_plans",
		"insurance_carriers", "coverages", "communications", "form_submissions", "documents", "cohorts"}, names)
	assert.Len(t, inv.Properties, len(srv.Practice().CustomProperties()))

	var pats []Record
	for p, err := range src.Patients(ctx, pbn.ListOptions{}) {
		require.NoError(t, err)
		if len(pats) < 20 {
			pats = append(pats, Struct(&p))
		}
	}
	want := SampleRecords("patients", func(yield func(Record) bool) {
		for _, r := range pats {
			if !yield(r) {
				return
			}
		}
	}, nil, InventoryOptions{Samples: 5})
	assert.Equal(t, want, *inv.Entity("patients"))
	assert.EqualValues(t, 20, inv.Entity("patients").Count, "capped at Records")
	assert.Len(t, inv.Entity("patients").Fields[0].Samples, 5)

	_, err = Propose(ctx, inv, Destination{}, ProposeOptions{Name: "t"})
	require.NoError(t, err, "the inventory is what the proposer takes")
}

// A bad row of an export is skipped and the good rows are sampled.
func TestInventorySourceRejects(t *testing.T) {
	dir := t.TempDir()
	csv := "PatNum,LName,FName,Birthdate,Email\n" +
		"1,Smith,John,1980-02-14,john@example.com\n" +
		"2,Doe,Jane,1990-13-45,jane@example.com\n" +
		"3,Roe,Rick,1991-14-01,rick@example.com\n" +
		"4,Poe,Edgar,1809-01-19,\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "patients.csv"), []byte(csv), 0o600))
	src, err := pbn.OpenExport(dir, pbn.ExportOptions{})
	require.NoError(t, err)
	inv, err := InventorySource(context.Background(), src, SourceOptions{})
	require.NoError(t, err)
	p := inv.Entity("patients")
	require.NotNil(t, p)
	assert.EqualValues(t, 2, p.Count)
	require.NotEmpty(t, p.Fields)
	assert.Equal(t, []string{"1980-02-14", "1809-01-19"}, samplesOf(p, "birthDate"))
	assert.EqualValues(t, 0, inv.Entity("offices").Count, "a missing file is an empty entity")
}

// Any other error stops the inventory and names the entity.
func TestInventorySourceError(t *testing.T) {
	boom := errors.New("boom")
	_, err := InventorySource(context.Background(), failingSource{err: boom}, SourceOptions{})
	require.ErrorIs(t, err, boom)
	assert.Contains(t, err.Error(), "mapping: read custom properties")
}

// failingSource fails every list.
type failingSource struct {
	pbn.Source
	err error
}

func (f failingSource) CustomProperties(context.Context, pbn.ListOptions) iter.Seq2[pbn.CustomPropertyDefinition, error] {
	return func(yield func(pbn.CustomPropertyDefinition, error) bool) {
		yield(pbn.CustomPropertyDefinition{}, f.err)
	}
}

func samplesOf(e *EntityInventory, field string) []string {
	for _, f := range e.Fields {
		if f.Name == field {
			return f.Samples
		}
	}
	return nil
}
