package mapping

import (
	"fmt"
	"iter"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/internal/golden"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// objectSources yields each default-map object's records from a practice,
// in migration order (parents first).
func objectSources(p *pbntest.Practice) []struct {
	object string
	recs   iter.Seq[Record]
} {
	return []struct {
		object string
		recs   iter.Seq[Record]
	}{
		{"offices", records(sliceSeq(p.Offices()))},
		{"staff", records(sliceSeq(p.Staff()))},
		{"patients", records(p.Patients())},
		{"insurance_carriers", records(sliceSeq(p.InsuranceCarriers()))},
		{"insurance", records(p.Coverages())},
		{"appointments", records(p.Appointments())},
		{"procedures", records(p.Procedures())},
		{"treatment_notes", records(p.Patients())},
		{"treatment_plans", records(p.TreatmentPlans())},
		{"communications", records(p.Communications())},
		{"communication_log", records(p.Communications())},
		{"form_submissions", records(p.FormSubmissions())},
		{"documents", records(p.Documents())},
		{"documents_index", records(p.Documents())},
	}
}

// TestDefaultMapOnGeneratedPractice runs a messy generated practice through
// the default map and the validator, and checks the messiness ends where it
// should: deleted patients and sticky notes skipped, duplicates flagged,
// deleted procedures filtered, and no value in any problem.
func TestDefaultMapOnGeneratedPractice(t *testing.T) {
	p := pbntest.MustPractice(7, 300)
	census := p.Census()
	m, err := Default(p.CustomProperties())
	require.NoError(t, err)
	require.NoError(t, m.Approve("test", fixedTime))
	users := []User{{ID: "fallback", Email: "owner@practice.example"}}
	for i, s := range p.Staff() {
		if s.Email != "" && i%2 == 0 {
			users = append(users, User{ID: fmt.Sprintf("u%s", s.ID), Email: strings.ToUpper(s.Email)})
		}
	}
	owners, err := ResolveOwners(StaffMembers(p.Staff()), users, OwnerOptions{FallbackUserID: "fallback"})
	require.NoError(t, err)
	require.NotEmpty(t, owners.Unmatched)
	// The related rules' index (a treatment row's case type is its plan's
	// pipeline), from one read of each related source, as a run builds it.
	rel := NewRelatedValues(m)
	for _, rd := range m.RelatedReads() {
		for _, src := range objectSources(p) {
			if src.object == rd.Object.Name {
				for rec := range src.recs {
					rel.Add(src.object, rec)
				}
			}
		}
	}
	a, err := NewApplier(m, ApplierOptions{Owners: owners, Related: rel})
	require.NoError(t, err)
	v := NewValidator(m, ValidatorOptions{})

	var phi []string
	for pt := range p.Patients() {
		for _, s := range []string{pt.Email, pt.LastName, pt.MobilePhone, pt.HomePhone, pt.Address.Line1} {
			if s = strings.TrimSpace(s); len(s) >= 6 {
				phi = append(phi, s)
			}
		}
	}
	slices.Sort(phi)
	phi = slices.Compact(phi)

	rep := &Report{MaxProblems: 60}
	for _, src := range objectSources(p) {
		for rec := range src.recs {
			ps, err := a.Apply(src.object, rec)
			require.NoError(t, err)
			for i := range ps {
				pl := &ps[i]
				v.Check(pl)
				rep.Add(pl)
				for _, pr := range pl.Problems {
					for _, s := range phi {
						if strings.Contains(pr.Reason, s) {
							t.Fatalf("problem reason carries a source value: %s", pr.Rule)
						}
					}
				}
				if pl.Target == TargetContact && pl.Valid() && pl.Skipped == "" {
					require.NotEmpty(t, pl.AssignedTo, "no contact lands without an owner")
				}
			}
		}
	}
	tallies := rep.Objects()
	pts := tallies["patients"]
	assert.Equal(t, census.PatientStatuses[pbn.PatientStatusDeleted], pts.Skipped, "deleted patients are filtered out")
	assert.Equal(t, census.Duplicates, pts.Rules["invalid firstName+lastName+dateOfBirth duplicate"], "every same-name-and-birth-date duplicate is flagged")
	assert.Equal(t, census.AppointmentStatuses[pbn.AppointmentPtNote]+census.AppointmentStatuses[pbn.AppointmentPtNoteCompleted], tallies["appointments"].Skipped)
	assert.Equal(t, census.ProcedureStatuses[pbn.ProcedureDeleted], tallies["procedures"].Skipped)
	assert.Positive(t, tallies["treatment_notes"].Valid, "procedure lines in free text become rows")
	assert.Positive(t, tallies["appointments"].Rules["invalid association reference"], "children of invalid or deleted patients are caught")
	for obj, tl := range tallies {
		assert.Positive(t, tl.Valid, "%s: some records are valid", obj)
	}
	// Deterministic for the seed: the report is a golden file.
	var md, csvOut strings.Builder
	require.NoError(t, rep.WriteMarkdown(&md))
	golden.Assert(t, "testdata/pbntest_validation.md", []byte(md.String()))
	require.NoError(t, rep.WriteCSV(&csvOut))
	assert.True(t, strings.HasPrefix(csvOut.String(), "object,source_key,field,rule,severity,reason\n"))
	assert.Equal(t, 121, strings.Count(csvOut.String(), "\n"))
	assert.Contains(t, rep.Summary(), "patients: 300 records")
}

// BenchmarkDefaultMapPBNTest measures records/s through the default map's
// transforms and validation on generated practice data (all twelve objects,
// parents first), on one goroutine; records are materialised beforehand so
// the generator is not timed.
func BenchmarkDefaultMapPBNTest(b *testing.B) {
	p := pbntest.MustPractice(11, 200)
	m := approvedDefault(b)
	owners, err := ResolveOwners(StaffMembers(p.Staff()), []User{{ID: "fb", Email: "fb@x.example"}}, OwnerOptions{FallbackUserID: "fb"})
	if err != nil {
		b.Fatal(err)
	}
	a, err := NewApplier(m, ApplierOptions{Owners: owners})
	if err != nil {
		b.Fatal(err)
	}
	type item struct {
		object string
		rec    Record
	}
	var items []item
	for _, src := range objectSources(p) {
		for r := range src.recs {
			items = append(items, item{src.object, r})
		}
	}
	b.ReportAllocs()
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ResetTimer()
	n, invalid := 0, 0
	var scratch Payload
	for b.Loop() {
		v := NewValidator(m, ValidatorOptions{})
		for _, it := range items {
			if it.object == "treatment_notes" {
				ps, _ := a.Apply(it.object, it.rec)
				for i := range ps {
					v.Check(&ps[i])
					n++
				}
				continue
			}
			if err := a.ApplyTo(it.object, it.rec, &scratch); err != nil {
				b.Fatal(err)
			}
			v.Check(&scratch)
			if !scratch.Valid() {
				invalid++
			}
			n++
		}
	}
	b.StopTimer()
	var ms1 runtime.MemStats
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(n)/float64(b.N), "records/op")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(n), "allocs/record")
	b.ReportMetric(float64(invalid)/float64(n), "invalid/record")
}
