package mapping

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// TestPayloadsLandInHLTest applies the default map's schema to the
// simulator, then sends one record of each kind built from default-map
// payloads: HighLevel's strict write DTOs accept every body, and the values
// read back are the mapped ones.
func TestPayloadsLandInHLTest(t *testing.T) {
	ctx := context.Background()
	s := scaledServer(hltest.Options{})
	defer s.Close()
	var calls atomic.Int64
	c := hlClient(t, s, &calls)
	api := NewHighLevelSchema(c)
	m := approvedDefault(t)
	plan, err := DeriveSchema(m)
	require.NoError(t, err)
	_, err = plan.Apply(ctx, api)
	require.NoError(t, err)
	d, err := plan.Diff(ctx, api)
	require.NoError(t, err)
	require.True(t, d.Ready())
	pipes, err := c.Pipelines.List(ctx)
	require.NoError(t, err)
	in := Inputs{FieldIDs: d.FieldIDs(), Pipelines: pipes}

	a, err := NewApplier(m, ApplierOptions{})
	require.NoError(t, err)
	one := func(object string, rec any) *Payload {
		ps, err := a.Apply(object, Struct(rec))
		require.NoError(t, err)
		require.True(t, ps[0].Valid(), "%v", ps[0].Problems)
		return &ps[0]
	}

	bp := one("offices", &pbn.Office{ID: "2", Name: "North Clinic", Phone: "5036240000", Address: pbn.Address{State: "Oregon"}})
	bi, err := in.Business(bp)
	require.NoError(t, err)
	biz, err := c.Businesses.Create(ctx, bi)
	require.NoError(t, err)

	cp := one("patients", samplePatient(t))
	ci, err := in.Contact(cp)
	require.NoError(t, err)
	contact, err := c.Contacts.Create(ctx, ci)
	require.NoError(t, err)
	got, ok := s.Contact(hltest.DefaultLocationID, contact.ID)
	require.True(t, ok)
	assert.Equal(t, "John", got.FirstName)
	assert.Equal(t, "+12075550142", got.Phone)
	assert.Equal(t, "1980-03-04", got.DateOfBirth)
	assert.Len(t, got.CustomFields, len(cp.Custom), "every custom field landed")
	_ = biz

	ap := one("appointments", &pbn.Appointment{ID: "77", PatientID: "1001", Status: pbn.AppointmentComplete,
		Start: time.Date(2024, 5, 6, 15, 30, 0, 0, time.UTC), DurationMinutes: 60, ProcedureDescription: "Pro, BWX", IsNewPatient: true})
	ri, err := in.Record(ap)
	require.NoError(t, err)
	rec, err := c.Objects.CreateRecord(ctx, ap.Key, ri)
	require.NoError(t, err)
	assert.NotEmpty(t, rec.ID)

	pp := one("procedures", &pbn.Procedure{ID: "5", PatientID: "1001", Code: "d1110", Description: "Prophy", Fee: 9550,
		Status: pbn.ProcedureComplete, Date: mustDate(t, "2019-03-04")})
	ri, err = in.Record(pp)
	require.NoError(t, err)
	_, err = c.Objects.CreateRecord(ctx, pp.Key, ri)
	require.NoError(t, err)

	op := one("treatment_plans", &pbn.TreatmentPlan{ID: "9", PatientID: "1001", Pipeline: "Implants", Stage: "Financing",
		Status: pbn.TreatmentPlanActive, Amount: 450000, Heading: "Implant plan 2025"})
	oi, err := in.Opportunity(op, contact.ID)
	require.NoError(t, err)
	opp, err := c.Opportunities.Create(ctx, oi)
	require.NoError(t, err)
	assert.NotEmpty(t, opp.ID)

	np := one("communications", &pbn.Communication{ID: "3", PatientID: "1001", Channel: pbn.ChannelSMS, Direction: pbn.DirectionInbound,
		At: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), Body: "See you Tuesday"})
	ni, err := in.Note(np)
	require.NoError(t, err)
	_, err = c.Contacts.CreateNote(ctx, contact.ID, ni)
	require.NoError(t, err)

	// Read back what landed: the record's properties are the mapped values.
	recs := s.Records(hltest.DefaultLocationID, hltest.Kind(pp.Key))
	require.Len(t, recs, 1)
	props, _ := recs[0]["properties"].(map[string]any)
	assert.Equal(t, "D1110", props["code"])
	assert.Equal(t, "2019-03-04", props["date"])
	assert.Equal(t, "complete", props["status"], "options are sent by key")
	assert.Equal(t, map[string]any{"currency": "default", "value": 95.5}, props["fee"])

	// The communication log, aggregated, lands in its LARGE_TEXT field.
	lp := one("communication_log", &pbn.Communication{ID: "3", PatientID: "1001", Channel: pbn.ChannelSMS, Direction: pbn.DirectionInbound,
		At: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), Body: "See you Tuesday"})
	agg := NewAggregator(m)
	require.True(t, agg.Add(lp))
	vals, err := agg.Take("1001")
	require.NoError(t, err)
	cfi, err := in.ContactField(vals[0])
	require.NoError(t, err)
	_, err = c.Contacts.Update(ctx, contact.ID, highlevel.ContactUpdate{CustomFields: []highlevel.CustomFieldInput{cfi}})
	require.NoError(t, err)
	got, _ = s.Contact(hltest.DefaultLocationID, contact.ID)
	assert.Equal(t, vals[0].JSON, got.CustomFields[cfi.ID])

	// A field the schema plan never created is an error, not a silent drop.
	_, err = Inputs{FieldIDs: map[string]string{}}.Contact(cp)
	require.ErrorIs(t, err, ErrNoFieldID)
}
