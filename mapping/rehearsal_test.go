package mapping

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// TestRehearsalOnHLTest moves a small generated practice into the HighLevel
// simulator using only this package's API (a crude runner without journal
// or retries): schema plan, owners, objects in Order, Applier + Validator,
// Inputs, associations, the business link and the aggregated JSON fields.
// Every valid payload must land, linked, and nothing else.
func TestRehearsalOnHLTest(t *testing.T) {
	if testing.Short() {
		t.Skip("rehearsal: skipped with -short")
	}
	ctx := context.Background()
	p := pbntest.MustPractice(21, 12)
	// Families share phones and emails: the location allows duplicate
	// contacts (identity is the external id, not HighLevel's matching).
	s := scaledServer(hltest.Options{CompanyID: "co", Locations: []hltest.Location{{ID: hltest.DefaultLocationID,
		Token: hltest.DefaultToken, AllowDuplicates: true}}, Users: []hltest.User{
		{ID: "fallback", Name: "Front desk", Email: "desk@practice.example", LocationIDs: []string{hltest.DefaultLocationID}},
	}})
	defer s.Close()
	var calls atomic.Int64
	c := hlClient(t, s, &calls)

	m, err := Default(p.CustomProperties())
	require.NoError(t, err)
	require.NoError(t, m.Approve("rehearsal", fixedTime))
	plan, err := DeriveSchema(m)
	require.NoError(t, err)
	api := NewHighLevelSchema(c)
	_, err = plan.Apply(ctx, api)
	require.NoError(t, err)
	diff, err := plan.Diff(ctx, api)
	require.NoError(t, err)
	require.True(t, diff.Ready())
	pipes, err := c.Pipelines.List(ctx)
	require.NoError(t, err)
	in := Inputs{FieldIDs: diff.FieldIDs(), Pipelines: pipes}
	assocIDs := diff.AssociationIDs()

	owners, err := ResolveOwnersFrom(ctx, HighLevelUsers{Client: c, CompanyID: "co"}, StaffMembers(p.Staff()), OwnerOptions{FallbackEmail: "desk@practice.example"})
	require.NoError(t, err)
	a, err := NewApplier(m, ApplierOptions{Owners: owners})
	require.NoError(t, err)
	v := NewValidator(m, ValidatorOptions{})
	agg := NewAggregator(m)
	rep := &Report{}

	ids := map[string]map[string]string{} // object → source key → HighLevel id
	idOf := func(object, key string) string { return ids[object][key] }
	put := func(object, key, id string) {
		if ids[object] == nil {
			ids[object] = map[string]string{}
		}
		ids[object][key] = id
	}
	bizMembers := map[string][]string{}
	order, err := m.Order()
	require.NoError(t, err)
	sources := map[string]func(func(Record) bool){}
	for _, src := range objectSources(p) {
		sources[src.object] = src.recs
	}
	sent := map[string]int{}
	for _, o := range order {
		recs, ok := sources[o.Name]
		require.True(t, ok, o.Name)
		for rec := range recs {
			ps, err := a.Apply(o.Name, rec)
			require.NoError(t, err)
			for i := range ps {
				pl := &ps[i]
				v.Check(pl)
				rep.Add(pl)
				if pl.Skipped != "" || !pl.Valid() || pl.DuplicateOf != "" {
					continue
				}
				var id string
				switch pl.Target {
				case TargetBusiness:
					bi, err := in.Business(pl)
					require.NoError(t, err)
					b, err := c.Businesses.Create(ctx, bi)
					require.NoError(t, err)
					id = b.ID
				case TargetContact:
					ci, err := in.Contact(pl)
					require.NoError(t, err)
					ct, err := c.Contacts.Create(ctx, ci)
					require.NoError(t, err)
					id = ct.ID
					if l, ok := pl.Link(LinkBusiness); ok {
						if b := idOf("offices", l.Key); b != "" {
							bizMembers[b] = append(bizMembers[b], id)
						}
					}
				case TargetCustomObject:
					ri, err := in.Record(pl)
					require.NoError(t, err)
					r, err := c.Objects.CreateRecord(ctx, pl.Key, ri)
					require.NoError(t, err)
					id = r.ID
					for _, l := range pl.Links {
						if l.To != LinkAssociation {
							continue
						}
						other := idOf(l.Object, l.Key)
						require.NotEmpty(t, other, "%s %s → %s %s", pl.Object, pl.SourceKey, l.Object, l.Key)
						_, err := c.Associations.CreateRelation(ctx, highlevel.RelationInput{AssociationID: assocIDs[l.Association], FirstRecordID: id, SecondRecordID: other})
						require.NoError(t, err)
					}
				case TargetOpportunity:
					l, _ := pl.Link(LinkContact)
					oi, err := in.Opportunity(pl, idOf(l.Object, l.Key))
					require.NoError(t, err)
					op, err := c.Opportunities.Create(ctx, oi)
					require.NoError(t, err)
					id = op.ID
				case TargetNote:
					l, _ := pl.Link(LinkContact)
					ni, err := in.Note(pl)
					require.NoError(t, err)
					n, err := c.Contacts.CreateNote(ctx, idOf(l.Object, l.Key), ni)
					require.NoError(t, err)
					id = n.ID
				case TargetContactField:
					require.True(t, agg.Add(pl))
					continue
				case TargetUser:
					continue
				case TargetMedia:
					// The upload streams the file from the source: the root
					// package's media target does it (TestMediaTarget); here
					// the payload is only checked to name its contact.
					_, ok := pl.Link(LinkContact)
					require.True(t, ok, "document %s links its contact", pl.SourceKey)
					sent[string(pl.Target)]++
					continue
				}
				require.NotEmpty(t, id)
				put(pl.Object, pl.SourceKey, id)
				sent[string(pl.Target)]++
			}
		}
	}
	for b, members := range bizMembers {
		_, err := c.Businesses.LinkContacts(ctx, b, members)
		require.NoError(t, err)
	}
	vals, err := agg.All()
	require.NoError(t, err)
	for _, cv := range vals {
		cfi, err := in.ContactField(cv)
		require.NoError(t, err)
		_, err = c.Contacts.Update(ctx, idOf("patients", cv.ContactKey), highlevel.ContactUpdate{CustomFields: []highlevel.CustomFieldInput{cfi}})
		require.NoError(t, err)
	}

	loc := hltest.DefaultLocationID
	objs := rep.Objects()
	assert.Equal(t, objs["patients"].Valid, s.Count(loc, hltest.KindContact))
	assert.Equal(t, objs["offices"].Valid, s.Count(loc, hltest.KindBusiness))
	assert.Equal(t, objs["treatment_plans"].Valid, s.Count(loc, hltest.KindOpportunity))
	assert.Equal(t, objs["communications"].Valid, s.Count(loc, hltest.KindNote))
	assert.Equal(t, objs["appointments"].Valid, len(s.Records(loc, hltest.Kind("custom_objects.pbn_appointment"))))
	assert.Equal(t, objs["procedures"].Valid+objs["treatment_notes"].Valid, len(s.Records(loc, hltest.Kind("custom_objects.pbn_treatment"))))
	var withOwner, withBusiness int
	for _, ct := range s.Contacts(loc) {
		if ct.AssignedTo != "" {
			withOwner++
		}
		if ct.BusinessID != "" {
			withBusiness++
		}
	}
	assert.Equal(t, s.Count(loc, hltest.KindContact), withOwner, "every contact has an owner")
	assert.Positive(t, withBusiness)
	t.Logf("rehearsal: %v sent, %d contact fields, %d API calls (%.2f per record)", sent, len(vals), calls.Load(),
		float64(calls.Load())/float64(total(sent)))
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
