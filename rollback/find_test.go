package rollback

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

// TestUndoSettlesOpportunitiesLeftPendingByKill: Undo settles a killed
// run's opportunity creates by the lookup the load uses (FindOpportunity:
// the contact's opportunities in the pipeline, by the external-id field a
// settled create of the run tells). One HighLevel applied, one it never
// received; a look-alike made just before the run is not taken for the
// applied one. One Undo finishes and the location is as before. Before
// the lookups were shared, Undo had no opportunity lookup and reported
// both unresolved on every attempt.
func TestUndoSettlesOpportunitiesLeftPendingByKill(t *testing.T) {
	ctx := context.Background()
	s, c := newHL(t)
	l := openTest(t, "", Options{})
	ext, err := c.CustomFields.Create(ctx, highlevel.CustomFieldCreate{Name: "PbN plan id", DataType: highlevel.DataType("TEXT"),
		Model: highlevel.FieldModelOpportunity})
	require.NoError(t, err)
	p, err := c.Pipelines.Create(ctx, highlevel.PipelineInput{Name: "Treatment", Stages: []string{"Planned"}})
	require.NoError(t, err)
	require.NotEmpty(t, p.Stages)
	patient, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Pat"})
	require.NoError(t, err)
	// One patient's treatment plans are opportunities in one pipeline.
	require.NoError(t, s.UpdateLocation(hltest.DefaultLocationID, func(l *hltest.Location) { l.AllowDuplicateOpportunities = true }))
	opp := func(k string) highlevel.OpportunityInput {
		return highlevel.OpportunityInput{PipelineID: p.ID, PipelineStageID: p.Stages[0].ID, Name: "Plan " + k, ContactID: patient.ID,
			CustomFields: []highlevel.CustomFieldInput{{ID: ext.ID, Value: highlevel.TextValue(k)}}}
	}
	body := func(k string) []byte {
		b, err := opp(k).Body()
		require.NoError(t, err)
		return b
	}
	_, err = c.Opportunities.Create(ctx, opp("t2")) // the look-alike, made before the run
	require.NoError(t, err)
	pre := state(t, s)
	time.Sleep(10 * time.Millisecond)

	run, err := l.BeginRun(ctx, RunOptions{Kind: KindFull, Location: hltest.DefaultLocationID})
	require.NoError(t, err)
	g := hlRunner{t, run}
	// One create settled normally: it tells which field is the id.
	g.do(Intent{Op: OpCreate, ObjectType: TypeOpportunity, SourceKey: "t1", TargetID: patient.ID}, json.RawMessage(body("t1")), func() (string, error) {
		o, err := c.Opportunities.Create(ctx, opp("t1"))
		if err != nil {
			return "", err
		}
		return o.ID, nil
	})
	now := time.Now()
	intent := func(k string) {
		_, err := run.Intent(ctx, Intent{Op: OpCreate, ObjectType: TypeOpportunity, SourceKey: k, TargetID: patient.ID,
			Payload: body(k), InflightUntil: now.Add(50 * time.Millisecond)})
		require.NoError(t, err)
	}
	intent("t2")
	_, err = c.Opportunities.Create(ctx, opp("t2")) // applied; its answer lost with the kill
	require.NoError(t, err)
	intent("t3") // never reached HighLevel
	require.Len(t, collect(t, l.Pending(ctx, true)), 2)

	rep, err := Undo(ctx, l, NewHighLevelTarget(c), UndoOptions{Runs: []RunID{run.ID()}})
	require.NoError(t, err)
	assert.Zero(t, rep.Count(StateUnresolved), "%+v", rep.Compensations)
	assert.True(t, rep.Complete(), "%+v", rep.Compensations)
	assert.Empty(t, collect(t, l.Pending(ctx, true)))
	assert.Equal(t, pre, state(t, s), "what the killed run applied is undone; the look-alike stays")
}
