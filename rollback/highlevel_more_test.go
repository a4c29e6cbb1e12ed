package rollback

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
)

// TestHighLevelUndoOpportunitiesAndRecords covers the restore paths of
// opportunities (stage, value, status) and custom object records
// (properties), with before-images marshalled from the client's types.
func TestHighLevelUndoOpportunitiesAndRecords(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, c := newHL(t)
		l := openTest(t, "", Options{})

		pipe, err := c.Pipelines.Create(ctx, highlevel.PipelineInput{Name: "Treatment", Stages: []string{"Consult", "Scheduled", "Done"}})
		require.NoError(t, err)
		require.Len(t, pipe.Stages, 3)
		patient, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Opp", Email: "opp@example.com"})
		require.NoError(t, err)
		patient2, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Opp2", Email: "opp2@example.com"})
		require.NoError(t, err)
		value := highlevel.Cents(120000)
		opp, err := c.Opportunities.Create(ctx, highlevel.OpportunityInput{PipelineID: pipe.ID, PipelineStageID: pipe.Stages[0].ID,
			Name: "Implant", ContactID: patient.ID, MonetaryValue: &value})
		require.NoError(t, err)
		const key = "custom_objects.treatment"
		_, err = c.Objects.CreateSchema(ctx, highlevel.ObjectSchemaCreate{Key: key,
			Labels:                 highlevel.ObjectLabels{Singular: "Treatment", Plural: "Treatments"},
			PrimaryDisplayProperty: highlevel.DisplayProperty{Key: "code", Name: "Code", DataType: highlevel.DataType("TEXT")}})
		require.NoError(t, err)
		_, err = c.CustomFields.CreateObjectField(ctx, highlevel.ObjectFieldCreate{ObjectKey: key, FieldKey: key + ".tooth",
			Name: "Tooth", DataType: highlevel.DataType("TEXT")})
		require.NoError(t, err)
		rec, err := c.Objects.CreateRecord(ctx, key, highlevel.RecordInput{Properties: map[string]highlevel.FieldValue{"code": highlevel.TextValue("D0120")}})
		require.NoError(t, err)
		pre := state(t, s)

		run, err := l.BeginRun(ctx, RunOptions{Kind: KindDelta})
		require.NoError(t, err)
		g := hlRunner{t, run}

		got, err := c.Opportunities.Get(ctx, opp.ID)
		before := beforeImage(t, got, err)
		oppBody := map[string]any{"name": "Implant (2 teeth)", "pipelineStageId": pipe.Stages[1].ID, "monetaryValue": 2400.5, "status": "won"}
		g.do(Intent{Op: OpUpdate, ObjectType: TypeOpportunity, SourceKey: "case-1", TargetID: opp.ID, Before: before}, oppBody, func() (string, error) {
			v := highlevel.Cents(240050)
			st := highlevel.OpportunityStatus("won")
			_, err := c.Opportunities.Update(ctx, opp.ID, highlevel.OpportunityUpdate{Name: highlevel.Ptr("Implant (2 teeth)"),
				PipelineStageID: highlevel.Ptr(pipe.Stages[1].ID), MonetaryValue: &v, Status: &st})
			return opp.ID, err
		})
		newOpp := map[string]any{"pipelineId": pipe.ID, "pipelineStageId": pipe.Stages[0].ID, "name": "Crown", "contactId": patient2.ID, "status": "open"}
		g.do(Intent{Op: OpCreate, ObjectType: TypeOpportunity, SourceKey: "case-2"}, newOpp, func() (string, error) {
			o, err := c.Opportunities.Create(ctx, highlevel.OpportunityInput{PipelineID: pipe.ID, PipelineStageID: pipe.Stages[0].ID,
				Name: "Crown", ContactID: patient2.ID})
			if err != nil {
				return "", err
			}
			return o.ID, nil
		})
		gotRec, err := c.Objects.GetRecord(ctx, key, rec.ID)
		before = beforeImage(t, gotRec, err) // {"ID":…,"Properties":…}: Go field names
		recBody := map[string]any{"properties": map[string]any{"code": "D0150", "tooth": "14"}}
		g.do(Intent{Op: OpUpdate, ObjectType: key, SourceKey: "t-1", TargetID: rec.ID, Before: before}, recBody, func() (string, error) {
			_, err := c.Objects.UpdateRecord(ctx, key, rec.ID, highlevel.RecordUpdate{Properties: map[string]highlevel.FieldValue{
				"code": highlevel.TextValue("D0150"), "tooth": highlevel.TextValue("14")}})
			return rec.ID, err
		})
		require.NoError(t, run.Finish(ctx, StatusSucceeded))
		require.NotEqual(t, pre, state(t, s))

		target := NewHighLevelTarget(c)
		preview, err := Undo(ctx, l, target, UndoOptions{Runs: []RunID{run.ID()}, DryRun: true})
		require.NoError(t, err)
		for _, comp := range preview.Compensations {
			assert.True(t, comp.Checked, "%+v", comp)
			assert.Equal(t, StatePlanned, comp.State, "%+v", comp)
		}
		report, err := Undo(ctx, l, target, UndoOptions{Runs: []RunID{run.ID()}})
		require.NoError(t, err)
		require.True(t, report.Complete(), "%+v", report.Compensations)
		assert.Equal(t, pre, state(t, s))

		restored, err := c.Opportunities.Get(ctx, opp.ID)
		require.NoError(t, err)
		assert.Equal(t, value, restored.Cents())
		assert.Equal(t, pipe.Stages[0].ID, restored.PipelineStageID)
		b, err := json.Marshal(restored)
		require.NoError(t, err)
		assert.Contains(t, string(b), `"status":"open"`)
	})
}
