package pbnhl_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
)

// TestProcedureAppointmentRelation (issue 16.5): the default map relates
// each treatment record to the appointment it was done at, read back
// through the client: every procedure whose appointment migrated has
// exactly that relation; one without an appointment (planned work) has
// none of that association.
func TestProcedureAppointmentRelation(t *testing.T) {
	e := newEnv(t, envOptions{patients: 15, seed: 11})
	migrate(t, e, nil)
	ctx := context.Background()
	assoc, err := e.client.Associations.GetByKey(ctx, "pbn_treatment_appointment")
	require.NoError(t, err)

	linked, planned := 0, 0
	for p := range e.pbn.Practice().Procedures() {
		tr, ok, err := e.ledger.Lookup(ctx, "custom_objects.pbn_treatment", string(p.ID))
		require.NoError(t, err)
		if !ok {
			continue // filtered or invalid: not in HighLevel
		}
		var want string
		if p.AppointmentID != "" {
			ap, ok, err := e.ledger.Lookup(ctx, "custom_objects.pbn_appointment", string(p.AppointmentID))
			require.NoError(t, err)
			if ok {
				want = ap.HighLevelID
			}
		}
		var got []string
		for r, err := range e.client.Associations.Relations(ctx, tr.HighLevelID, highlevel.RelationListOptions{AssociationIDs: []string{assoc.ID}}) {
			require.NoError(t, err)
			other := r.SecondRecordID
			if other == tr.HighLevelID {
				other = r.FirstRecordID
			}
			got = append(got, other)
		}
		if want == "" {
			assert.Empty(t, got, "procedure %d has no migrated appointment", p.ID)
			planned++
			continue
		}
		assert.Equal(t, []string{want}, got, "procedure %d → appointment %d", p.ID, p.AppointmentID)
		linked++
	}
	assert.Positive(t, linked)
	assert.Positive(t, planned)
	t.Logf("%d treatment records related to their appointment, %d without one", linked, planned)
}
