package pbnhl_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/internal/golden"
	"github.com/pbnhl/pbnhl/rollback"
)

// journal writes one done call into run.
func journal(t *testing.T, run *rollback.Run, in rollback.Intent, out rollback.Outcome) {
	t.Helper()
	ctx := context.Background()
	if in.Payload == nil {
		in.Payload = []byte(`{}`)
	}
	if in.Op == rollback.OpUpdate || in.Op == rollback.OpDelete {
		in.Before = []byte(`{}`)
	}
	seq, err := run.Intent(ctx, in)
	require.NoError(t, err)
	require.NoError(t, run.Outcome(ctx, seq, out))
}

// Issue 19.4: a success file per run beside the problems CSV — source
// entity, source key, HighLevel type and id, action — built from the
// ledger, spreadsheet-safe.
func TestSuccessCSV(t *testing.T) {
	ctx := context.Background()
	l, err := rollback.Open(ctx, filepath.Join(t.TempDir(), "l.ledger"), rollback.Options{Plaintext: true})
	require.NoError(t, err)
	defer l.Close()

	// Run 1 (full): two patients created, one adopted, a link and a
	// schema field (not source records), one rejected.
	full, err := l.BeginRun(ctx, rollback.RunOptions{Kind: rollback.KindFull, Location: "loc1"})
	require.NoError(t, err)
	journal(t, full, rollback.Intent{Op: rollback.OpSchema, ObjectType: "custom_field", SourceKey: "contact.pbn_patient_id"}, rollback.Done("fld1"))
	journal(t, full, rollback.Intent{Op: rollback.OpCreate, ObjectType: "contact", SourceKey: "101", Entity: "patients"}, rollback.Done("ct101"))
	journal(t, full, rollback.Intent{Op: rollback.OpCreate, ObjectType: "contact", SourceKey: "=HYPERLINK(\"x\")", Entity: "patients"}, rollback.Done("ct666"))
	journal(t, full, rollback.Intent{Op: rollback.OpCreate, ObjectType: "contact", SourceKey: "102", Entity: "patients"},
		rollback.Outcome{Status: rollback.OutcomeDone, ID: "ct102", Origin: rollback.OriginAdopted})
	journal(t, full, rollback.Intent{Op: rollback.OpCreate, ObjectType: "custom_objects.appointment", SourceKey: "a1", Entity: "appointments"}, rollback.Done("rec1"))
	journal(t, full, rollback.Intent{Op: rollback.OpUpdate, ObjectType: "custom_objects.appointment", SourceKey: "a1", Entity: "appointments", TargetID: "rec1"}, rollback.Done("rec1"))
	journal(t, full, rollback.Intent{Op: rollback.OpLink, ObjectType: "contact.business", SourceKey: "101", TargetID: "ct101", RelatedID: "bz1"}, rollback.Done("ct101"))
	seq, err := full.Intent(ctx, rollback.Intent{Op: rollback.OpCreate, ObjectType: "contact", SourceKey: "103", Entity: "patients", Payload: []byte(`{}`)})
	require.NoError(t, err)
	require.NoError(t, full.Outcome(ctx, seq, rollback.Outcome{Status: rollback.OutcomeRejected, HTTPStatus: 422, Reason: "email invalid"}))
	require.NoError(t, full.Finish(ctx, rollback.StatusSucceeded))

	// Run 2 (delta): one patient updated, one appointment deleted.
	delta, err := l.BeginRun(ctx, rollback.RunOptions{Kind: rollback.KindDelta, Location: "loc1"})
	require.NoError(t, err)
	journal(t, delta, rollback.Intent{Op: rollback.OpUpdate, ObjectType: "contact", SourceKey: "101", Entity: "patients", TargetID: "ct101"}, rollback.Done("ct101"))
	journal(t, delta, rollback.Intent{Op: rollback.OpDelete, ObjectType: "custom_objects.appointment", SourceKey: "a1", Entity: "appointments", TargetID: "rec1"}, rollback.Done("rec1"))
	require.NoError(t, delta.Finish(ctx, rollback.StatusSucceeded))

	var b bytes.Buffer
	require.NoError(t, pbnhl.WriteSuccessCSV(ctx, &b, l, []rollback.RunID{full.ID()}, pbnhl.SuccessOptions{}))
	golden.Assert(t, "testdata/success_full.csv", b.Bytes())
	assert.NotContains(t, b.String(), "\n=", "a formula-like key is neutralised")

	b.Reset()
	require.NoError(t, pbnhl.WriteSuccessCSV(ctx, &b, l, []rollback.RunID{delta.ID()}, pbnhl.SuccessOptions{Unchanged: true}))
	golden.Assert(t, "testdata/success_delta.csv", b.Bytes())

	_, err = pbnhl.Successes(ctx, l, nil, pbnhl.SuccessOptions{})
	assert.ErrorIs(t, err, pbnhl.ErrInvalidOptions)
}
