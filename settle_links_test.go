package pbnhl_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/rollback"
)

// rejectedProblems lists the rejections HighLevel answered (not the
// "not applied" closures of attempts that had no effect).
func rejectedProblems(t *testing.T, e *env) []string {
	t.Helper()
	var out []string
	for p, err := range e.ledger.Problems(context.Background()) {
		require.NoError(t, err)
		if p.Kind == rollback.ProblemRejected && p.HTTPStatus != 0 {
			out = append(out, fmt.Sprintf("%s %s: %v", p.ObjectType, p.SourceKey, p.Reasons))
		}
	}
	return out
}

// TestResumeSettlesRelationsByLookup: the run is killed while relation
// creates are in flight; HighLevel applies them after the kill. The
// resumed run settles those intents by lookup (done, with the relation's
// id) and does not make them again: no "Relation already exists"
// rejection, every relation recorded.
func TestResumeSettlesRelationsByLookup(t *testing.T) {
	o := envOptions{patients: size(20), seed: 21}
	want := cachedBaseline(t, o)
	e := newEnv(t, o)
	ctx := context.Background()
	_, err := e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)

	p := newLateProxy(t, e.hl, "POST /associations/relations", holdThenApply, 100*time.Millisecond, func(n int64) bool { return n >= 2 && n <= 5 })
	retarget(t, e, p.srv.URL)
	cctx, cancel := context.WithCancel(ctx)
	go func() {
		<-p.held
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	_, err = e.migration(inflightOptions).Load(cctx)
	require.ErrorIs(t, err, context.Canceled)
	pending := 0
	for en, err := range e.ledger.Pending(ctx, true) {
		require.NoError(t, err)
		if en.ObjectType == rollback.TypeRelation {
			pending++
		}
	}
	require.Positive(t, pending, "relation creates were in flight at the kill")

	rep, err := e.migration(inflightOptions).Load(ctx)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, rep.Resolved, pending)
	assert.Positive(t, p.applied.Load())
	assert.Empty(t, rejectedProblems(t, e), "no false rejection after the resume")
	assertRelationsRecorded(t, e)
	sameState(t, want, e.fingerprint())
	assertSettled(t, e)
}

// TestRelationAlreadyThereIsAdopted: HighLevel already holds the relation
// when the migration creates it (an earlier attempt landed) and answers
// "Relation already exists": the intent is settled as adopted with the
// relation's id, not reported as a rejection.
func TestRelationAlreadyThereIsAdopted(t *testing.T) {
	o := envOptions{patients: size(20), seed: 21}
	want := cachedBaseline(t, o)
	e := newEnv(t, o)
	ctx := context.Background()
	_, err := e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)
	p := newLateProxy(t, e.hl, "POST /associations/relations", applyBefore, 0, func(n int64) bool { return n%4 == 1 })
	retarget(t, e, p.srv.URL)
	_, err = e.migration(nil).Load(ctx)
	require.NoError(t, err)
	require.Positive(t, p.applied.Load())
	assert.Empty(t, rejectedProblems(t, e))
	adopted := 0
	for en, err := range e.ledger.Entries(ctx, rollback.EntryFilter{ObjectTypes: []string{rollback.TypeRelation}, Outcomes: []rollback.OutcomeStatus{rollback.OutcomeDone}}) {
		require.NoError(t, err)
		if en.Origin == rollback.OriginAdopted {
			adopted++
			assert.NotEmpty(t, en.HighLevelID)
		}
	}
	assert.Equal(t, int(p.applied.Load()), adopted, "each relation found in place is recorded as adopted")
	assertRelationsRecorded(t, e)
	sameState(t, want, e.fingerprint())
	assertSettled(t, e)
}

// assertRelationsRecorded: every relation in HighLevel is one the ledger
// recorded as done, with its id.
func assertRelationsRecorded(t *testing.T, e *env) {
	t.Helper()
	recorded := map[string]bool{}
	for en, err := range e.ledger.Entries(context.Background(), rollback.EntryFilter{ObjectTypes: []string{rollback.TypeRelation}, Outcomes: []rollback.OutcomeStatus{rollback.OutcomeDone}}) {
		require.NoError(t, err)
		recorded[en.HighLevelID] = true
	}
	rels := e.hl.Records(hltest.DefaultLocationID, hltest.KindRelation)
	require.NotEmpty(t, rels)
	for _, r := range rels {
		assert.True(t, recorded[fmt.Sprint(r["id"])], "relation %v not recorded in the ledger", r["id"])
	}
}

// TestApplySchemaAfterKillFinishesInOneRun: ApplySchema is killed while a
// pipeline create is in flight, and HighLevel applies it after the kill.
// The next ApplySchema waits until that write can no longer land, finds
// the pipeline instead of creating a second one, settles the killed
// intent, and finishes: one re-run after a kill is enough.
func TestApplySchemaAfterKillFinishesInOneRun(t *testing.T) {
	e := newEnv(t, envOptions{patients: 6, seed: 25})
	ctx := context.Background()
	p := newLateProxy(t, e.hl, "POST /opportunities/pipelines", holdThenApply, 200*time.Millisecond, func(n int64) bool { return n == 1 })
	retarget(t, e, p.srv.URL)
	cctx, cancel := context.WithCancel(ctx)
	go func() {
		<-p.held
		cancel()
	}()
	_, err := e.migration(inflightOptions).ApplySchema(cctx)
	require.Error(t, err)

	res, err := e.migration(inflightOptions).ApplySchema(ctx)
	require.NoError(t, err, "one re-run finishes")
	require.True(t, res.Diff.Ready())
	p.wg.Wait()
	assert.EqualValues(t, 1, p.applied.Load(), "the held pipeline create landed after the kill")
	names := map[string]int{}
	for _, pl := range e.hl.Records(hltest.DefaultLocationID, hltest.KindPipeline) {
		names[fmt.Sprint(pl["name"])]++
	}
	for n, c := range names {
		assert.Equal(t, 1, c, "pipeline %q created %d times", n, c)
	}
	for en, err := range e.ledger.Pending(ctx, true) {
		require.NoError(t, err)
		t.Errorf("unsettled schema intent: %s %s", en.ObjectType, en.SourceKey)
	}
	done := 0
	for en, err := range e.ledger.Entries(ctx, rollback.EntryFilter{ObjectTypes: []string{rollback.TypePipeline}, Outcomes: []rollback.OutcomeStatus{rollback.OutcomeDone}}) {
		require.NoError(t, err)
		done++
		assert.NotEmpty(t, en.HighLevelID)
	}
	assert.Equal(t, len(names), done, "each pipeline recorded as created once")
}
