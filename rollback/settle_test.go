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

// TestUndoSettlesIntentsLeftPendingByKill: a run killed mid-writes leaves
// intents with no outcome — a record create, its relation and a note that
// HighLevel applied, and a record create it never received — in a run
// that is never resumed. Undo used to report them unresolved ("resolve it
// before undoing") on every attempt, forever. Now it settles them by
// identity after their horizon and undoes what was applied: one Undo
// finishes, the location is as before the run, nothing stays pending.
func TestUndoSettlesIntentsLeftPendingByKill(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, c := newHL(t)
		l := openTest(t, "", Options{})
		const key = "custom_objects.appointment"
		_, err := c.Objects.CreateSchema(ctx, highlevel.ObjectSchemaCreate{Key: key,
			Labels:                 highlevel.ObjectLabels{Singular: "Appointment", Plural: "Appointments"},
			PrimaryDisplayProperty: highlevel.DisplayProperty{Key: "title", Name: "Title", DataType: highlevel.DataType("TEXT")}})
		require.NoError(t, err)
		_, err = c.CustomFields.CreateObjectField(ctx, highlevel.ObjectFieldCreate{ObjectKey: key, FieldKey: key + ".appt_id",
			Name: "Appt id", DataType: highlevel.DataType("TEXT")})
		require.NoError(t, err)
		assoc, err := c.Associations.Create(ctx, highlevel.AssociationInput{Key: "appointment_patient",
			FirstObjectKey: key, FirstObjectLabel: "Appointment", SecondObjectKey: "contact", SecondObjectLabel: "Patient"})
		require.NoError(t, err)
		patient, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Pre", Email: "pre@example.com"})
		require.NoError(t, err)
		// A look-alike of what the run will create, made before it: never
		// taken for the run's (it predates the intents).
		_, err = c.Objects.CreateRecord(ctx, key, highlevel.RecordInput{Properties: map[string]highlevel.FieldValue{
			"title": highlevel.TextValue("Old"), "appt_id": highlevel.TextValue("a2")}})
		require.NoError(t, err)
		pre := state(t, s)
		time.Sleep(10 * time.Millisecond)

		run, err := l.BeginRun(ctx, RunOptions{Kind: KindFull, Location: hltest.DefaultLocationID})
		require.NoError(t, err)
		g := hlRunner{t, run}
		record := func(k string) highlevel.RecordInput {
			return highlevel.RecordInput{Properties: map[string]highlevel.FieldValue{"title": highlevel.TextValue("Visit " + k), "appt_id": highlevel.TextValue(k)}}
		}
		body := func(in highlevel.RecordInput) []byte {
			b, _ := json.Marshal(map[string]any{"properties": in.Properties})
			return b
		}
		// One create settled normally: it tells which property is the id.
		g.do(Intent{Op: OpCreate, ObjectType: key, SourceKey: "a1"}, json.RawMessage(body(record("a1"))), func() (string, error) {
			r, err := c.Objects.CreateRecord(ctx, key, record("a1"))
			if err != nil {
				return "", err
			}
			return r.ID, nil
		})
		// The kill: intents journaled, some calls applied, no outcome.
		now := time.Now()
		intent := func(in Intent, payload []byte) {
			in.Payload, in.InflightUntil = payload, now.Add(50*time.Millisecond)
			_, err := run.Intent(ctx, in)
			require.NoError(t, err)
		}
		applied, err := c.Objects.CreateRecord(ctx, key, record("a2"))
		require.NoError(t, err)
		intent(Intent{Op: OpCreate, ObjectType: key, SourceKey: "a2"}, body(record("a2")))
		intent(Intent{Op: OpCreate, ObjectType: key, SourceKey: "a3"}, body(record("a3"))) // never reached HighLevel
		relIn := highlevel.RelationInput{AssociationID: assoc.ID, FirstRecordID: applied.ID, SecondRecordID: patient.ID}
		_, err = c.Associations.CreateRelation(ctx, relIn)
		require.NoError(t, err)
		rb, _ := json.Marshal(relIn)
		intent(Intent{Op: OpLink, ObjectType: TypeRelation, SourceKey: key + "/a2/appointment_patient", TargetID: applied.ID, RelatedID: patient.ID}, rb)
		noteIn := highlevel.NoteInput{Body: "History\n\npbnhl-id m1/note/n1"}
		_, err = c.Contacts.CreateNote(ctx, patient.ID, noteIn)
		require.NoError(t, err)
		nb, _ := json.Marshal(noteIn)
		intent(Intent{Op: OpCreate, ObjectType: TypeNote, SourceKey: "n1", TargetID: patient.ID}, nb)
		require.Len(t, collect(t, l.Pending(ctx, true)), 4)

		rep, err := Undo(ctx, l, NewHighLevelTarget(c), UndoOptions{Runs: []RunID{run.ID()}})
		require.NoError(t, err)
		assert.Zero(t, rep.Count(StateUnresolved), "%+v", rep.Compensations)
		assert.True(t, rep.Complete(), "%+v", rep.Compensations)
		assert.Empty(t, collect(t, l.Pending(ctx, true)))
		assert.Equal(t, pre, state(t, s), "what the killed run applied is undone; the look-alike stays")
		ri, err := l.Run(ctx, run.ID())
		require.NoError(t, err)
		assert.Equal(t, StatusUndone, ri.Status)
	})
}
