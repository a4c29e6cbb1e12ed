package mapping

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel/hltest"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// TestDeltaUpdatesReachFinalState creates records from the default map on
// hltest, changes the source (values changed, values removed, a spurious
// change stamp), and checks that the digest tells real changes from stamp
// noise and that the update bodies bring HighLevel to the source's state.
func TestDeltaUpdatesReachFinalState(t *testing.T) {
	ctx := context.Background()
	s := scaledServer(hltest.Options{})
	defer s.Close()
	var calls atomic.Int64
	c := hlClient(t, s, &calls)
	m := approvedDefault(t)
	plan, err := DeriveSchema(m)
	require.NoError(t, err)
	api := NewHighLevelSchema(c)
	_, err = plan.Apply(ctx, api)
	require.NoError(t, err)
	d, err := plan.Diff(ctx, api)
	require.NoError(t, err)
	pipes, err := c.Pipelines.List(ctx)
	require.NoError(t, err)
	in := Inputs{FieldIDs: d.FieldIDs(), Pipelines: pipes}
	a, err := NewApplier(m, ApplierOptions{})
	require.NoError(t, err)
	apply := func(object string, rec any) *Payload {
		ps, err := a.Apply(object, Struct(rec))
		require.NoError(t, err)
		require.True(t, ps[0].Valid(), "%v", ps[0].Problems)
		return &ps[0]
	}

	pt := samplePatient(t)
	before := apply("patients", pt)
	ci, err := in.Contact(before)
	require.NoError(t, err)
	ct, err := c.Contacts.Create(ctx, ci)
	require.NoError(t, err)

	// A bulk program touched the change stamp only: same content.
	pt.UpdatedAt = pt.UpdatedAt.Add(24 * time.Hour)
	stamped := apply("patients", pt)
	assert.NotEqual(t, before.Digest(), stamped.Digest())
	assert.Equal(t, before.Digest("pbn_updated_at", "pbn_updated_time"), stamped.Digest("pbn_updated_at", "pbn_updated_time"), "a spurious stamp is not a change")

	// Real changes: email removed, mobile changed, a custom property removed.
	pt.Email = ""
	pt.MobilePhone = "(503) 555-0199"
	delete(pt.Custom, "case_type")
	after := apply("patients", pt)
	assert.NotEqual(t, before.Digest("pbn_updated_at"), after.Digest("pbn_updated_at"))
	assert.Contains(t, after.Empty, "email")
	assert.Contains(t, after.Empty, "pbn_case_type")
	cu, err := in.ContactUpdate(after)
	require.NoError(t, err)
	_, err = c.Contacts.Update(ctx, ct.ID, cu)
	require.NoError(t, err)
	got, ok := s.Contact(hltest.DefaultLocationID, ct.ID)
	require.True(t, ok)
	assert.Empty(t, got.Email, "an email removed at the source is cleared")
	assert.Equal(t, "+15035550199", got.Phone)
	assert.NotContains(t, got.CustomFields, in.FieldIDs["contact.pbn_case_type"], "a removed custom value is cleared")
	assert.Equal(t, "2026-10-03", got.CustomFields[in.FieldIDs["contact.pbn_updated_at"]])

	// A custom object record follows its source too.
	ap := &pbn.Appointment{ID: "7", PatientID: "1001", Status: pbn.AppointmentScheduled, Start: time.Date(2024, 5, 6, 15, 0, 0, 0, time.UTC),
		DurationMinutes: 30, Confirmation: "Texted", ProcedureDescription: "Exam"}
	ar := apply("appointments", ap)
	ri, err := in.Record(ar)
	require.NoError(t, err)
	rec, err := c.Objects.CreateRecord(ctx, ar.Key, ri)
	require.NoError(t, err)
	ap.Status, ap.DurationMinutes, ap.Confirmation = pbn.AppointmentComplete, 45, ""
	ar2 := apply("appointments", ap)
	ru, err := in.RecordUpdate(ar2)
	require.NoError(t, err)
	_, err = c.Objects.UpdateRecord(ctx, ar2.Key, rec.ID, ru)
	require.NoError(t, err)
	recs := s.Records(hltest.DefaultLocationID, hltest.Kind(ar.Key))
	require.Len(t, recs, 1)
	props, _ := recs[0]["properties"].(map[string]any)
	assert.Equal(t, "complete", props["status"])
	assert.EqualValues(t, 45, props["duration_minutes"])
	assert.Empty(t, props["confirmation"])

	// Opportunities move stage and value.
	tp := &pbn.TreatmentPlan{ID: "9", PatientID: "1001", Pipeline: "Perio", Stage: "Presented", Status: pbn.TreatmentPlanActive, Amount: 80000, Heading: "SRP"}
	op := apply("treatment_plans", tp)
	oi, err := in.Opportunity(op, ct.ID)
	require.NoError(t, err)
	opp, err := c.Opportunities.Create(ctx, oi)
	require.NoError(t, err)
	tp.Stage, tp.Amount = "Accepted", 95000
	ou, err := in.OpportunityUpdate(apply("treatment_plans", tp))
	require.NoError(t, err)
	updated, err := c.Opportunities.Update(ctx, opp.ID, ou)
	require.NoError(t, err)
	perio := pipes[0]
	for _, pl := range pipes {
		if pl.Name == "Perio" {
			perio = pl
		}
	}
	accepted, _ := perio.Stage("Accepted")
	assert.Equal(t, accepted.ID, updated.PipelineStageID)
	assert.InDelta(t, 950.0, updated.MonetaryValue, 0.001)
}

func TestBusinessUpdateClears(t *testing.T) {
	a, err := NewApplier(approvedDefault(t), ApplierOptions{})
	require.NoError(t, err)
	ps, err := a.Apply("offices", Row{"id": "4", "name": "South", "email": ""})
	require.NoError(t, err)
	u, err := Inputs{}.BusinessUpdate(&ps[0])
	require.NoError(t, err)
	require.NotNil(t, u.Name)
	assert.Equal(t, "South", *u.Name)
	require.NotNil(t, u.Email, "an emptied field is sent to clear it")
	assert.Empty(t, *u.Email)
	assert.Equal(t, "US", *u.Country, "the default applies")
	_, err = Inputs{}.ContactUpdate(&ps[0])
	assert.ErrorContains(t, err, "not a contact")
}
