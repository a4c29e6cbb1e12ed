package highlevel_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

// Integration tests of the custom field, object, association, opportunity,
// user and media services against the HighLevel simulator.

const (
	simOwnerID = "simUser0000000000001"
	simOtherID = "simUser0000000000002"
	simCompany = hltest.DefaultCompanyID
)

var simUsers = []hltest.User{
	{ID: simOwnerID, FirstName: "Ann", LastName: "Lee", Email: "ann.lee@smile.example", Role: "admin"},
	{ID: simOtherID, FirstName: "Bo", LastName: "Park", Email: "bo.park@smile.example"},
	{ID: "simUser0000000000003", FirstName: "Cy", LastName: "Gone", Email: "cy@smile.example", Deleted: true},
}

// newServicesSim starts a simulator and a client of its default location.
// Limits are high on both sides: these tests check behaviour, not pacing.
func newServicesSim(t *testing.T, mod func(*hltest.Options)) (*hltest.Server, *highlevel.Client) {
	t.Helper()
	o := hltest.Options{Users: simUsers, RateLimit: hltest.RateLimit{Max: 100_000, Window: time.Second}}
	if mod != nil {
		mod(&o)
	}
	s := hltest.NewServer(o)
	t.Cleanup(s.Close)
	lim, err := highlevel.NewLimiter(highlevel.LimiterOptions{Name: hltest.DefaultLocationID, Requests: 100_000, Window: time.Second, Margin: -1})
	require.NoError(t, err)
	c, err := highlevel.NewClient(highlevel.Options{BaseURL: s.URL, LocationID: hltest.DefaultLocationID,
		Auth: highlevel.StaticToken(hltest.DefaultToken), Limiter: lim})
	require.NoError(t, err)
	return s, c
}

func mustCollect[T any](t *testing.T, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

func TestSimCustomFields(t *testing.T) {
	s, c := newServicesSim(t, nil)
	ctx := context.Background()

	pid, err := c.CustomFields.Create(ctx, highlevel.CustomFieldCreate{Name: "PbN Patient ID", DataType: highlevel.DataTypeText, FieldKey: "pbn_patient_id"})
	require.NoError(t, err)
	assert.Equal(t, "contact.pbn_patient_id", pid.FieldKey)
	ins, err := c.CustomFields.Create(ctx, highlevel.CustomFieldCreate{Name: "Insurance", DataType: highlevel.DataTypeSingleOptions,
		Options: []string{"Delta Dental", "Cigna"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"Delta Dental", "Cigna"}, ins.PicklistOptions)
	bal, err := c.CustomFields.Create(ctx, highlevel.CustomFieldCreate{Name: "Treatment value", DataType: highlevel.DataTypeMonetary,
		Model: highlevel.FieldModelOpportunity})
	require.NoError(t, err)
	assert.Equal(t, "opportunity", bal.Model)

	contactFields, err := c.CustomFields.List(ctx, highlevel.FieldModelContact)
	require.NoError(t, err)
	assert.Len(t, contactFields, 2)
	all, err := c.CustomFields.List(ctx, highlevel.FieldModelAll)
	require.NoError(t, err)
	assert.Len(t, all, 3)

	// Values written by id come back on the contact.
	ct, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Rosa", Email: "rosa@example.com",
		CustomFields: []highlevel.CustomFieldInput{{ID: pid.ID, Value: highlevel.TextValue("PBN-1")}, {ID: ins.ID, Value: highlevel.TextValue("Cigna")}}})
	require.NoError(t, err)
	v, ok := ct.CustomField(pid.ID)
	require.True(t, ok)
	text, _ := v.Text()
	assert.Equal(t, "PBN-1", text)

	got, err := c.CustomFields.Update(ctx, ins.ID, highlevel.CustomFieldUpdate{Name: "Insurance carrier", Options: []string{"Delta Dental", "Cigna", "Aetna"}})
	require.NoError(t, err)
	assert.Equal(t, "Insurance carrier", got.Name)
	assert.Len(t, got.PicklistOptions, 3)
	got, err = c.CustomFields.Get(ctx, ins.ID)
	require.NoError(t, err)
	assert.Equal(t, "Insurance carrier", got.Name)

	require.NoError(t, c.CustomFields.Delete(ctx, ins.ID))
	_, err = c.CustomFields.Get(ctx, ins.ID)
	assert.ErrorIs(t, err, highlevel.ErrNotFound)
	assert.Equal(t, 2, s.Count(hltest.DefaultLocationID, hltest.KindCustomField))

	// A duplicate key is refused by HighLevel with a 400.
	_, err = c.CustomFields.Create(ctx, highlevel.CustomFieldCreate{Name: "PbN Patient ID", DataType: highlevel.DataTypeText, FieldKey: "pbn_patient_id"})
	var ae *highlevel.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 400, ae.StatusCode)
}

// setUpXray creates the custom object used by the object and association
// tests, with an option field and a money field.
func setUpXray(t *testing.T, c *highlevel.Client) {
	t.Helper()
	ctx := context.Background()
	_, err := c.Objects.CreateSchema(ctx, highlevel.ObjectSchemaCreate{Key: "custom_objects.xray",
		Labels:                 highlevel.ObjectLabels{Singular: "X-ray", Plural: "X-rays"},
		PrimaryDisplayProperty: highlevel.DisplayProperty{Key: "name", Name: "Name", DataType: highlevel.DataTypeText}})
	require.NoError(t, err)
	_, err = c.CustomFields.CreateObjectField(ctx, highlevel.ObjectFieldCreate{ObjectKey: "custom_objects.xray",
		FieldKey: "custom_objects.xray.tooth", Name: "Tooth", DataType: highlevel.DataTypeSingleOptions,
		Options: []highlevel.FieldOption{{Key: "t14", Label: "14"}, {Key: "t15", Label: "15"}}})
	require.NoError(t, err)
	_, err = c.CustomFields.CreateObjectField(ctx, highlevel.ObjectFieldCreate{ObjectKey: "custom_objects.xray",
		FieldKey: "custom_objects.xray.cost", Name: "Cost", DataType: highlevel.DataTypeMonetary})
	require.NoError(t, err)
}

func TestSimObjectsAndRecords(t *testing.T) {
	s, c := newServicesSim(t, nil)
	ctx := context.Background()
	setUpXray(t, c)

	schemas, err := c.Objects.ListSchemas(ctx)
	require.NoError(t, err)
	keys := map[string]bool{}
	for _, o := range schemas {
		keys[o.Key] = o.Standard
	}
	assert.Equal(t, map[string]bool{"contact": true, "opportunity": true, "business": true, "custom_objects.xray": false}, keys)

	schema, err := c.Objects.GetSchema(ctx, "custom_objects.xray")
	require.NoError(t, err)
	assert.Len(t, schema.Fields, 3, "primary display field, tooth and cost")
	fields, err := c.CustomFields.ListObjectFields(ctx, "custom_objects.xray")
	require.NoError(t, err)
	require.Len(t, fields.Folders, 1)
	for _, f := range fields.Fields {
		assert.Equal(t, fields.Folders[0].ID, f.ParentID)
	}

	schema, err = c.Objects.UpdateSchema(ctx, "custom_objects.xray", highlevel.ObjectSchemaUpdate{
		Labels: &highlevel.ObjectLabels{Singular: "Radiograph", Plural: "Radiographs"}, SearchableProperties: []string{"custom_objects.xray.name"}})
	require.NoError(t, err)
	assert.Equal(t, "Radiograph", schema.Labels.Singular)
	// Without SearchableProperties the current list is kept.
	schema, err = c.Objects.UpdateSchema(ctx, "custom_objects.xray", highlevel.ObjectSchemaUpdate{Description: highlevel.Ptr("dental imaging")})
	require.NoError(t, err)
	assert.Equal(t, []string{"custom_objects.xray.name"}, schema.SearchableProperties)

	rec, err := c.Objects.CreateRecord(ctx, "custom_objects.xray", highlevel.RecordInput{
		Properties: map[string]highlevel.FieldValue{"name": highlevel.TextValue("Bitewing left"),
			"tooth": highlevel.TextValue("t14"), "cost": highlevel.RecordMoneyValue(12550)},
		Owner: []string{simOwnerID}})
	require.NoError(t, err)
	assert.Equal(t, []string{simOwnerID}, rec.Owner)
	cents, _, ok := rec.Properties.Money("cost")
	require.True(t, ok)
	assert.Equal(t, highlevel.Cents(12550), cents)

	// Options take keys: a label is refused with a 422.
	_, err = c.Objects.CreateRecord(ctx, "custom_objects.xray", highlevel.RecordInput{
		Properties: map[string]highlevel.FieldValue{"name": highlevel.TextValue("x"), "tooth": highlevel.TextValue("tooth 99")}})
	assert.ErrorIs(t, err, highlevel.ErrValidation)

	rec, err = c.Objects.UpdateRecord(ctx, "custom_objects.xray", rec.ID, highlevel.RecordUpdate{
		Properties: map[string]highlevel.FieldValue{"tooth": highlevel.TextValue("t15"), "cost": {}}})
	require.NoError(t, err)
	tooth, _ := rec.Properties.Value("tooth")
	txt, _ := tooth.Text()
	assert.Equal(t, "t15", txt)
	_, ok = rec.Properties.Value("cost")
	assert.False(t, ok, "a zero FieldValue clears the property")
	got, err := c.Objects.GetRecord(ctx, "custom_objects.xray", rec.ID)
	require.NoError(t, err)
	assert.Equal(t, rec.Properties, got.Properties)

	// Enough records for several pages.
	for i := range 23 {
		_, err := c.Objects.CreateRecord(ctx, "custom_objects.xray", highlevel.RecordInput{
			Properties: map[string]highlevel.FieldValue{"name": highlevel.TextValue("Panoramic " + string(rune('a'+i)))}})
		require.NoError(t, err)
	}
	all := mustCollect(t, c.Objects.SearchRecords(ctx, "custom_objects.xray", highlevel.RecordSearch{PageLimit: 5}))
	assert.Len(t, all, 24)
	seen := map[string]bool{}
	for _, r := range all {
		assert.False(t, seen[r.ID], "no record twice")
		seen[r.ID] = true
	}
	pano := mustCollect(t, c.Objects.SearchRecords(ctx, "custom_objects.xray", highlevel.RecordSearch{Query: "panoramic", PageLimit: 10}))
	assert.Len(t, pano, 23)

	require.NoError(t, c.Objects.DeleteRecord(ctx, "custom_objects.xray", rec.ID))
	_, err = c.Objects.GetRecord(ctx, "custom_objects.xray", rec.ID)
	assert.ErrorIs(t, err, highlevel.ErrNotFound)
	assert.Equal(t, 23, s.Count(hltest.DefaultLocationID, "custom_objects.xray"))
}

func TestSimAssociations(t *testing.T) {
	s, c := newServicesSim(t, nil)
	ctx := context.Background()
	setUpXray(t, c)

	a, err := c.Associations.Create(ctx, highlevel.AssociationInput{Key: "patient_xray", FirstObjectKey: "contact",
		FirstObjectLabel: "Patient", SecondObjectKey: "custom_objects.xray", SecondObjectLabel: "X-ray"})
	require.NoError(t, err)
	byKey, err := c.Associations.GetByKey(ctx, "patient_xray")
	require.NoError(t, err)
	assert.Equal(t, a, byKey)
	_, err = c.Associations.GetByKey(ctx, "nope")
	assert.ErrorIs(t, err, highlevel.ErrNotFound)
	list := mustCollect(t, c.Associations.List(ctx, highlevel.AssociationListOptions{PageSize: 1}))
	require.Len(t, list, 1)
	assert.Equal(t, a.ID, list[0].ID)
	byObj, err := c.Associations.ListByObjectKey(ctx, "custom_objects.xray")
	require.NoError(t, err)
	assert.Len(t, byObj, 1)
	a, err = c.Associations.UpdateLabels(ctx, a.ID, "Patient", "Radiograph")
	require.NoError(t, err)
	assert.Equal(t, "Radiograph", a.SecondObjectLabel)

	ct, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Rosa", Email: "rosa@example.com"})
	require.NoError(t, err)
	var relIDs []string
	for i := range 3 {
		r, err := c.Objects.CreateRecord(ctx, "custom_objects.xray", highlevel.RecordInput{
			Properties: map[string]highlevel.FieldValue{"name": highlevel.TextValue("film " + string(rune('1'+i)))}})
		require.NoError(t, err)
		rel, err := c.Associations.CreateRelation(ctx, highlevel.RelationInput{AssociationID: a.ID, FirstRecordID: ct.ID, SecondRecordID: r.ID})
		require.NoError(t, err)
		assert.Equal(t, ct.ID, rel.FirstRecordID)
		relIDs = append(relIDs, rel.ID)
	}
	rels := mustCollect(t, c.Associations.Relations(ctx, ct.ID, highlevel.RelationListOptions{PageSize: 2, AssociationIDs: []string{a.ID}}))
	assert.Len(t, rels, 3)

	// The order must match the association's: reversed ids are refused.
	_, err = c.Associations.CreateRelation(ctx, highlevel.RelationInput{AssociationID: a.ID, FirstRecordID: rels[0].SecondRecordID, SecondRecordID: ct.ID})
	var ae *highlevel.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 400, ae.StatusCode)

	require.NoError(t, c.Associations.DeleteRelation(ctx, relIDs[0]))
	assert.Len(t, mustCollect(t, c.Associations.Relations(ctx, ct.ID, highlevel.RelationListOptions{})), 2)
	require.NoError(t, c.Associations.Delete(ctx, a.ID))
	assert.Equal(t, 0, s.Count(hltest.DefaultLocationID, hltest.KindRelation))
	assert.Equal(t, 0, s.Count(hltest.DefaultLocationID, hltest.KindAssociation))
}

func TestSimOpportunitiesAndPipelines(t *testing.T) {
	s, c := newServicesSim(t, nil)
	ctx := context.Background()

	p, err := c.Pipelines.Create(ctx, highlevel.PipelineInput{Name: "Treatment", Stages: []string{"Proposed", "Scheduled", "Completed"}})
	require.NoError(t, err)
	require.Len(t, p.Stages, 3)
	pipes, err := c.Pipelines.List(ctx)
	require.NoError(t, err)
	require.Len(t, pipes, 1)
	scheduled, ok := pipes[0].Stage("scheduled")
	require.True(t, ok)

	val, err := c.CustomFields.Create(ctx, highlevel.CustomFieldCreate{Name: "PbN plan id", DataType: highlevel.DataTypeText,
		Model: highlevel.FieldModelOpportunity})
	require.NoError(t, err)

	var oppIDs []string
	var contactIDs []string
	for i := range 7 {
		ct, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "P" + string(rune('a'+i)), Email: "p" + string(rune('a'+i)) + "@example.com"})
		require.NoError(t, err)
		contactIDs = append(contactIDs, ct.ID)
		money := highlevel.Cents(100_050 + i)
		o, err := c.Opportunities.Create(ctx, highlevel.OpportunityInput{PipelineID: p.ID, Name: "Plan " + string(rune('a'+i)),
			ContactID: ct.ID, MonetaryValue: &money, AssignedTo: simOwnerID,
			CustomFields: []highlevel.CustomFieldInput{{ID: val.ID, Value: highlevel.TextValue("PLAN-" + string(rune('a'+i)))}}})
		require.NoError(t, err)
		assert.Equal(t, money, o.Cents())
		assert.Equal(t, p.Stages[0].ID, o.PipelineStageID, "first stage by default")
		oppIDs = append(oppIDs, o.ID)
	}
	first, err := c.Opportunities.Get(ctx, oppIDs[0])
	require.NoError(t, err)
	f, ok := first.CustomField(val.ID)
	require.True(t, ok)
	txt, _ := f.Text()
	assert.Equal(t, "PLAN-a", txt)
	assert.Equal(t, contactIDs[0], first.Contact.ID)

	// A second opportunity for the same contact in the pipeline is refused.
	_, err = c.Opportunities.Create(ctx, highlevel.OpportunityInput{PipelineID: p.ID, Name: "again", ContactID: contactIDs[0]})
	require.Error(t, err)

	upd, err := c.Opportunities.Update(ctx, oppIDs[0], highlevel.OpportunityUpdate{PipelineStageID: &scheduled.ID, Name: highlevel.Ptr("Plan A")})
	require.NoError(t, err)
	assert.Equal(t, scheduled.ID, upd.PipelineStageID)
	require.NoError(t, c.Opportunities.UpdateStatus(ctx, oppIDs[1], highlevel.StatusWon, ""))

	// Upsert matches the contact's opportunity in the pipeline.
	up, err := c.Opportunities.Upsert(ctx, highlevel.OpportunityUpsert{PipelineID: p.ID, ContactID: contactIDs[2], Status: highlevel.StatusLost})
	require.NoError(t, err)
	assert.False(t, up.Created)
	assert.Equal(t, oppIDs[2], up.Opportunity.ID)
	assert.Equal(t, highlevel.StatusLost, up.Opportunity.Status)
	ct, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "New", Email: "new@example.com"})
	require.NoError(t, err)
	up, err = c.Opportunities.Upsert(ctx, highlevel.OpportunityUpsert{PipelineID: p.ID, ContactID: ct.ID, Name: "Walk-in"})
	require.NoError(t, err)
	assert.True(t, up.Created)

	all := mustCollect(t, c.Opportunities.Search(ctx, highlevel.OpportunitySearch{PipelineID: p.ID, PageLimit: 3}))
	assert.Len(t, all, 8)
	seen := map[string]bool{}
	for _, o := range all {
		assert.False(t, seen[o.ID])
		seen[o.ID] = true
	}
	won := mustCollect(t, c.Opportunities.Search(ctx, highlevel.OpportunitySearch{Status: highlevel.StatusWon}))
	require.Len(t, won, 1)
	assert.Equal(t, oppIDs[1], won[0].ID)
	mine := mustCollect(t, c.Opportunities.Search(ctx, highlevel.OpportunitySearch{ContactID: contactIDs[3]}))
	require.Len(t, mine, 1)

	require.NoError(t, c.Opportunities.Delete(ctx, oppIDs[0]))
	_, err = c.Opportunities.Get(ctx, oppIDs[0])
	assert.ErrorIs(t, err, highlevel.ErrNotFound)
	assert.Equal(t, 7, s.Count(hltest.DefaultLocationID, hltest.KindOpportunity))
}

func TestSimUsers(t *testing.T) {
	_, c := newServicesSim(t, nil)
	ctx := context.Background()
	users := mustCollect(t, c.Users.Search(ctx, highlevel.UserSearch{CompanyID: simCompany, PageSize: 1}))
	assert.Len(t, users, 2, "deleted users are not listed")
	u, err := c.Users.FindByEmail(ctx, simCompany, "Bo.Park@smile.example")
	require.NoError(t, err)
	require.NotNil(t, u)
	assert.Equal(t, simOtherID, u.ID)
	u, err = c.Users.FindByEmail(ctx, simCompany, "cy@smile.example")
	require.NoError(t, err)
	assert.Nil(t, u)
	u, err = c.Users.Get(ctx, simOwnerID)
	require.NoError(t, err)
	assert.Equal(t, "ann.lee@smile.example", u.Email)

	_, err = c.Users.FindByEmail(ctx, "otherCompany00000001", "ann.lee@smile.example")
	assert.ErrorIs(t, err, highlevel.ErrForbidden)

	found, err := c.Users.FilterByEmail(ctx, simCompany, []string{"ANN.LEE@smile.example", "bo.park@smile.example", "cy@smile.example", "x@y.example"})
	require.NoError(t, err)
	ids := []string{}
	for _, u := range found {
		ids = append(ids, u.ID)
	}
	assert.ElementsMatch(t, []string{simOwnerID, simOtherID}, ids)
}

func TestSimMedia(t *testing.T) {
	s, c := newServicesSim(t, nil)
	ctx := context.Background()
	f, err := c.Media.Upload(ctx, highlevel.MediaUpload{Name: "bitewing.png", Content: bytes.NewReader(append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 4096)...))})
	require.NoError(t, err)
	assert.NotEmpty(t, f.FileID)
	assert.True(t, strings.HasSuffix(f.URL, ".png"), f.URL)

	h, err := c.Media.UploadURL(ctx, "https://files.example/consent.pdf", "consent.pdf")
	require.NoError(t, err)
	assert.Equal(t, "https://files.example/consent.pdf", h.URL)

	_, err = c.Media.Upload(ctx, highlevel.MediaUpload{Name: "huge.bin", Content: bytes.NewReader(make([]byte, highlevel.MaxUploadBytes+1))})
	assert.ErrorIs(t, err, highlevel.ErrFileTooLarge)
	assert.Equal(t, 2, s.Count(hltest.DefaultLocationID, hltest.KindMedia))
	assert.Len(t, s.RequestLog(), 2, "the oversized file was never sent")

	files := mustCollect(t, c.Media.List(ctx, highlevel.MediaListOptions{PageSize: 1}))
	require.Len(t, files, 2)
	assert.Equal(t, f.FileID, files[0].ID)
	assert.Equal(t, "bitewing.png", files[0].Name)
	byName := mustCollect(t, c.Media.List(ctx, highlevel.MediaListOptions{Query: "consent"}))
	require.Len(t, byName, 1)
	require.NoError(t, c.Media.Delete(ctx, byName[0].ID))
	assert.Equal(t, 1, s.Count(hltest.DefaultLocationID, hltest.KindMedia))
	assert.ErrorIs(t, c.Media.Delete(ctx, byName[0].ID), highlevel.ErrNotFound)
}

// A create whose answer is lost has an unknown outcome; the record is
// found by its external id instead of being created twice.
func TestSimLostCreateResolvedBySearch(t *testing.T) {
	s, c := newServicesSim(t, nil)
	ctx := context.Background()
	setUpXray(t, c)
	ct, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Rosa", Email: "rosa@example.com"})
	require.NoError(t, err)
	p, err := c.Pipelines.Create(ctx, highlevel.PipelineInput{Name: "Treatment", Stages: []string{"Proposed"}})
	require.NoError(t, err)

	s.SetFaults(
		hltest.FaultRule{Route: "POST /objects/{schemaKey}/records", LostResponseRate: 1, LostAs: hltest.LostAs5xx},
		hltest.FaultRule{Route: "POST /opportunities/", LostResponseRate: 1, LostAs: hltest.LostAsReset},
	)
	_, err = c.Objects.CreateRecord(ctx, "custom_objects.xray", highlevel.RecordInput{
		Properties: map[string]highlevel.FieldValue{"name": highlevel.TextValue("PBN-XRAY-77")}})
	require.ErrorIs(t, err, highlevel.ErrOutcomeUnknown)
	_, err = c.Opportunities.Create(ctx, highlevel.OpportunityInput{PipelineID: p.ID, Name: "Crown", ContactID: ct.ID})
	require.ErrorIs(t, err, highlevel.ErrOutcomeUnknown)
	s.SetFaults()

	found := mustCollect(t, c.Objects.SearchRecords(ctx, "custom_objects.xray", highlevel.RecordSearch{Query: "PBN-XRAY-77"}))
	assert.Len(t, found, 1, "the lost create was applied once")
	opps := mustCollect(t, c.Opportunities.Search(ctx, highlevel.OpportunitySearch{PipelineID: p.ID, ContactID: ct.ID}))
	assert.Len(t, opps, 1)
	assert.Equal(t, 1, s.Count(hltest.DefaultLocationID, "custom_objects.xray"))
}

// A token of one location cannot touch another location's records,
// opportunities or fields: HighLevel answers 403, matched by ErrForbidden.
func TestSimOtherLocationForbidden(t *testing.T) {
	const (
		otherLoc   = "hlsimLocation0000002"
		otherToken = "pit-00000000-0000-4000-8000-000000000002"
	)
	s, c := newServicesSim(t, func(o *hltest.Options) {
		o.Locations = []hltest.Location{
			{ID: hltest.DefaultLocationID, Token: hltest.DefaultToken},
			{ID: otherLoc, Token: otherToken},
		}
	})
	ctx := context.Background()
	setUpXray(t, c)
	rec, err := c.Objects.CreateRecord(ctx, "custom_objects.xray", highlevel.RecordInput{
		Properties: map[string]highlevel.FieldValue{"name": highlevel.TextValue("film")}})
	require.NoError(t, err)

	// A client whose location id and token disagree is refused everywhere.
	mixed, err := highlevel.NewClient(highlevel.Options{BaseURL: s.URL, LocationID: otherLoc,
		Auth: highlevel.StaticToken(hltest.DefaultToken)})
	require.NoError(t, err)
	_, err = mixed.CustomFields.List(ctx, highlevel.FieldModelAll)
	assert.ErrorIs(t, err, highlevel.ErrForbidden)
	_, err = mixed.Objects.ListSchemas(ctx)
	assert.ErrorIs(t, err, highlevel.ErrForbidden)

	other, err := highlevel.NewClient(highlevel.Options{BaseURL: s.URL, LocationID: otherLoc,
		Auth: highlevel.StaticToken(otherToken)})
	require.NoError(t, err)
	// The other location has no such object: HighLevel says not found.
	_, err = other.Objects.GetRecord(ctx, "custom_objects.xray", rec.ID)
	assert.ErrorIs(t, err, highlevel.ErrNotFound)
	err = other.Objects.DeleteRecord(ctx, "custom_objects.xray", rec.ID)
	assert.ErrorIs(t, err, highlevel.ErrNotFound)
	// Its own object of the same key does not reach the first location's record.
	setUpXray(t, other)
	_, err = other.Objects.GetRecord(ctx, "custom_objects.xray", rec.ID)
	assert.ErrorIs(t, err, highlevel.ErrForbidden)
	assert.Equal(t, 1, s.Count(hltest.DefaultLocationID, "custom_objects.xray"), "nothing deleted across locations")
}
