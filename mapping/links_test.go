package mapping

import (
	"context"
	"errors"
	"iter"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// TestDraftLinks: over the REST client of a generated practice, the
// default map gets its cohort tags, staff names and other offices from the
// source, exactly what TagCohorts, NameStaff and CarryOffices draft from
// the practice's lists, and Notes says each.
func TestDraftLinks(t *testing.T) {
	ctx := context.Background()
	srv, err := pbntest.NewServer(pbntest.Options{Seed: 42, Patients: 40})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	src, err := pbn.NewClient(pbn.Options{BaseURL: srv.URL, Token: srv.Token(), RateLimit: -1})
	require.NoError(t, err)
	p := srv.Practice()
	require.NotEmpty(t, p.Cohorts())
	require.GreaterOrEqual(t, len(p.Offices()), 2)

	m, err := Default(nil)
	require.NoError(t, err)
	l, err := DraftLinks(ctx, src, m)
	require.NoError(t, err)
	assert.Equal(t, Links{Cohorts: len(p.Cohorts()), CohortsTagged: true, FirstTag: CohortTag(p.Cohorts()[0]),
		Staff: len(p.Staff()), StaffFields: 3, Offices: len(p.Offices()), OfficesCarried: true}, l)

	want, err := Default(nil)
	require.NoError(t, err)
	require.NoError(t, want.TagCohorts(p.Cohorts()))
	require.Equal(t, 3, want.NameStaff(p.Staff()))
	require.NoError(t, want.CarryOffices(p.Offices()))
	assert.Equal(t, want.Objects, m.Objects, "the drafts of the three steps, from the source read through the client")

	notes := strings.Join(l.Notes(), "\n")
	assert.Contains(t, notes, "cohorts → contact tags")
	assert.Contains(t, notes, "staff named on 3 provider/hygienist fields")
	assert.Contains(t, notes, "go in "+OtherOfficesKey)
	assert.NotContains(t, notes, "refused")

	// A redraft keeps what a person renamed.
	f := m.Object("patients").Field("tags")
	require.NotNil(t, f)
	f.Values[0].To = "vip"
	_, err = DraftLinks(ctx, src, m)
	require.NoError(t, err)
	assert.Equal(t, "vip", m.Object("patients").Field("tags").Values[0].To)
}

// A map the links do not apply to is left as it is and said; refused rows
// are counted; any other read error stops the draft and names the list.
func TestDraftLinksEdges(t *testing.T) {
	ctx := context.Background()
	src := linksSource{
		cohorts: []pbn.Cohort{{ID: "c1", Name: "Recall due"}},
		staff:   []pbn.Staff{{ID: "3", FirstName: "Ann", LastName: "Lee"}},
		offices: []pbn.Office{{ID: "1", Name: "North"}, {ID: "2", Name: "South"}},
		refuse:  1,
	}
	// Only offices: no contact object, no custom object.
	m := &Map{Objects: []Object{{Name: "offices", Source: "offices", Target: TargetBusiness}}}
	l, err := DraftLinks(ctx, src, m)
	require.NoError(t, err)
	assert.Equal(t, Links{Cohorts: 1, CohortsRefused: 1, Staff: 1, StaffRefused: 1, Offices: 2, OfficesRefused: 1}, l)
	assert.Len(t, m.Objects, 1, "the map is unchanged")
	notes := strings.Join(l.Notes(), "\n")
	assert.Contains(t, notes, "1 cohort rows refused by the reader")
	assert.Contains(t, notes, "1 cohorts are not carried: no contact object reads patients")
	assert.Contains(t, notes, "1 staff rows refused by the reader")
	assert.NotContains(t, notes, "staff named")
	assert.NotContains(t, notes, OtherOfficesKey)

	// One office: no other offices field.
	def, err := Default(nil)
	require.NoError(t, err)
	src.offices = src.offices[:1]
	l, err = DraftLinks(ctx, src, def)
	require.NoError(t, err)
	assert.True(t, l.CohortsTagged)
	assert.False(t, l.OfficesCarried)
	assert.Nil(t, def.Object(OtherOfficesObject))

	// A draft that skipped cohortIds (no value sampled in a small
	// practice) loads once the tags rule maps it.
	skipped, err := Default(nil)
	require.NoError(t, err)
	skipped.Object("patients").Skip = append(skipped.Object("patients").Skip, Skip{From: CohortsField, Reason: "no values sampled"})
	_, err = DraftLinks(ctx, src, skipped)
	require.NoError(t, err)
	assert.Empty(t, skipped.Object("patients").Skip)
	out, err := skipped.Marshal()
	require.NoError(t, err)
	_, err = Parse(out, "skipped.yaml")
	require.NoError(t, err, "cohortIds is mapped, no longer skipped")

	boom := errors.New("boom")
	src.fail = boom
	_, err = DraftLinks(ctx, src, def)
	require.ErrorIs(t, err, boom)
	assert.Contains(t, err.Error(), "mapping: read cohorts")

	_, err = DraftLinks(ctx, nil, def)
	require.Error(t, err)
}

// linksSource serves fixed cohorts, staff and offices, each list after
// refuse refused rows, or fails every list with fail.
type linksSource struct {
	pbn.Source
	cohorts []pbn.Cohort
	staff   []pbn.Staff
	offices []pbn.Office
	refuse  int
	fail    error
}

func serve[T any](s linksSource, rows []T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if s.fail != nil {
			yield(zero, s.fail)
			return
		}
		for range s.refuse {
			if !yield(zero, &pbn.RowError{Line: 2, Err: errors.New("bad row")}) {
				return
			}
		}
		for _, r := range rows {
			if !yield(r, nil) {
				return
			}
		}
	}
}

func (s linksSource) Cohorts(context.Context, pbn.ListOptions) iter.Seq2[pbn.Cohort, error] {
	return serve(s, s.cohorts)
}
func (s linksSource) Staff(context.Context, pbn.ListOptions) iter.Seq2[pbn.Staff, error] {
	return serve(s, s.staff)
}
func (s linksSource) Offices(context.Context, pbn.ListOptions) iter.Seq2[pbn.Office, error] {
	return serve(s, s.offices)
}
