package rollback

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memTarget is an in-memory destination: records are flat JSON objects,
// relations are id → pair. failAfter simulates a crash of the undoing
// process after that many compensating calls.
type memTarget struct {
	mu        sync.Mutex
	records   map[string]map[string]map[string]any // object type → id → fields
	relations map[string][2]string
	schema    map[string]bool
	next      int
	calls     int
	failAfter int
}

func newMemTarget() *memTarget {
	return &memTarget{records: map[string]map[string]map[string]any{}, relations: map[string][2]string{}, schema: map[string]bool{}, failAfter: -1}
}

var errCrash = errors.New("simulated crash")

func (m *memTarget) mutate() error {
	if m.failAfter == 0 {
		return errCrash
	}
	if m.failAfter > 0 {
		m.failAfter--
	}
	m.calls++
	return nil
}

// snapshot is the destination's whole state, for exact comparisons.
func (m *memTarget) snapshot() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := json.Marshal(map[string]any{"records": m.records, "relations": m.relations, "schema": m.schema})
	if err != nil {
		panic(err)
	}
	return string(b)
}

func (m *memTarget) create(objectType string, fields map[string]any) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.next++
	id := fmt.Sprintf("%s-%d", objectType, m.next)
	if m.records[objectType] == nil {
		m.records[objectType] = map[string]map[string]any{}
	}
	m.records[objectType][id] = maps.Clone(fields)
	return id
}

func (m *memTarget) get(objectType, id string) map[string]any {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.records[objectType][id])
}

func (m *memTarget) update(objectType, id string, fields map[string]any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	maps.Copy(m.records[objectType][id], fields)
}

func (m *memTarget) link(a, b string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.next++
	id := fmt.Sprintf("rel-%d", m.next)
	m.relations[id] = [2]string{a, b}
	return id
}

func (m *memTarget) Delete(_ context.Context, ref Ref) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.mutate(); err != nil {
		return err
	}
	if _, ok := m.records[ref.ObjectType][ref.ID]; !ok {
		return fmt.Errorf("delete %s: %w", ref.ID, ErrNotFound)
	}
	delete(m.records[ref.ObjectType], ref.ID)
	if len(m.records[ref.ObjectType]) == 0 {
		delete(m.records, ref.ObjectType)
	}
	return nil
}

func (m *memTarget) Restore(_ context.Context, ref Ref, before, written []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.mutate(); err != nil {
		return err
	}
	rec, ok := m.records[ref.ObjectType][ref.ID]
	if !ok {
		return ErrNotFound
	}
	var b, w map[string]any
	if err := json.Unmarshal(before, &b); err != nil {
		return err
	}
	if err := json.Unmarshal(written, &w); err != nil {
		return err
	}
	for k := range w {
		if v, ok := b[k]; ok {
			rec[k] = v
		} else {
			delete(rec, k)
		}
	}
	return nil
}

func (m *memTarget) Unlink(_ context.Context, ref Ref) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.mutate(); err != nil {
		return err
	}
	if _, ok := m.relations[ref.ID]; !ok {
		return ErrNotFound
	}
	delete(m.relations, ref.ID)
	return nil
}

func (m *memTarget) DeleteSchema(_ context.Context, ref Ref) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.mutate(); err != nil {
		return err
	}
	if !m.schema[ref.ID] {
		return ErrNotFound
	}
	delete(m.schema, ref.ID)
	return nil
}

func (m *memTarget) Digest(_ context.Context, ref Ref, written []byte) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.records[ref.ObjectType][ref.ID]
	if !ok {
		return "", ErrNotFound
	}
	var w map[string]any
	if err := json.Unmarshal(written, &w); err != nil {
		return "", err
	}
	proj := map[string]any{}
	for k := range w {
		proj[k] = rec[k]
	}
	b, err := json.Marshal(proj)
	if err != nil {
		return "", err
	}
	return Digest(b), nil
}

// migrator plays the migration runner: journal, call, journal.
type migrator struct {
	t   *testing.T
	run *Run
	dst *memTarget
}

func (g migrator) create(objectType, key string, fields map[string]any) string {
	ctx := context.Background()
	payload, err := json.Marshal(fields)
	require.NoError(g.t, err)
	seq, err := g.run.Intent(ctx, Intent{Op: OpCreate, ObjectType: objectType, SourceKey: key, Payload: payload})
	require.NoError(g.t, err)
	id := g.dst.create(objectType, fields)
	require.NoError(g.t, g.run.Outcome(ctx, seq, Done(id)))
	return id
}

func (g migrator) update(objectType, key, id string, fields map[string]any) {
	ctx := context.Background()
	payload, err := json.Marshal(fields)
	require.NoError(g.t, err)
	before, err := json.Marshal(g.dst.get(objectType, id))
	require.NoError(g.t, err)
	seq, err := g.run.Intent(ctx, Intent{Op: OpUpdate, ObjectType: objectType, SourceKey: key, TargetID: id, Payload: payload, Before: before})
	require.NoError(g.t, err)
	g.dst.update(objectType, id, fields)
	require.NoError(g.t, g.run.Outcome(ctx, seq, Done(id)))
}

func (g migrator) link(a, b string) string {
	ctx := context.Background()
	seq, err := g.run.Intent(ctx, Intent{Op: OpLink, ObjectType: "relation", TargetID: a, RelatedID: b})
	require.NoError(g.t, err)
	id := g.dst.link(a, b)
	require.NoError(g.t, g.run.Outcome(ctx, seq, Done(id)))
	return id
}

func (g migrator) schema(key string) {
	ctx := context.Background()
	seq, err := g.run.Intent(ctx, Intent{Op: OpSchema, ObjectType: "custom_field", SourceKey: key, Payload: []byte(`{"name":"` + key + `"}`)})
	require.NoError(g.t, err)
	g.dst.mu.Lock()
	g.dst.schema[key] = true
	g.dst.mu.Unlock()
	require.NoError(g.t, g.run.Outcome(ctx, seq, Done(key)))
}

func begin(t *testing.T, l *Ledger, dst *memTarget, kind RunKind) migrator {
	t.Helper()
	run, err := l.BeginRun(context.Background(), RunOptions{Kind: kind, Location: "loc1", Actor: "test"})
	require.NoError(t, err)
	return migrator{t: t, run: run, dst: dst}
}

// scenario: a destination with pre-existing records, then a schema run and
// a full run that creates, updates pre-existing records, and links.
func scenario(t *testing.T, l *Ledger) (*memTarget, string, []RunID) {
	dst := newMemTarget()
	existing := dst.create("contact", map[string]any{"firstName": "Pre", "email": "pre@example.com"})
	company := dst.create("business", map[string]any{"name": "Existing Co"})
	pre := dst.snapshot()

	s := begin(t, l, dst, KindSchema)
	s.schema("pbn_patient_id")
	m, ok, err := l.Lookup(context.Background(), "custom_field", "pbn_patient_id")
	require.NoError(t, err)
	require.True(t, ok, "schema elements are in the id map")
	require.Equal(t, "pbn_patient_id", m.HighLevelID)
	require.NoError(t, s.run.Finish(context.Background(), StatusSucceeded))

	g := begin(t, l, dst, KindFull)
	biz := g.create("business", "office-1", map[string]any{"name": "Smile Dental"})
	c1 := g.create("contact", "p1", map[string]any{"firstName": "Ann", "pbn_patient_id": "p1"})
	c2 := g.create("contact", "p2", map[string]any{"firstName": "Bob"})
	appt := g.create("custom_objects.appointment", "a1", map[string]any{"start": "2026-01-01T09:00:00Z"})
	g.link(c1, biz)
	g.link(appt, c1)
	g.update("contact", "pre-1", existing, map[string]any{"phone": "+15555550100", "firstName": "Pre2"})
	g.update("contact", "pre-1", existing, map[string]any{"lastName": "Added"})
	g.update("business", "co-1", company, map[string]any{"name": "Renamed Co"})
	g.update("contact", "p2", c2, map[string]any{"lastName": "Later"})
	require.NoError(t, g.run.Finish(context.Background(), StatusSucceeded))
	return dst, pre, []RunID{s.run.ID(), g.run.ID()}
}

func TestUndoRestoresExactPreRunState(t *testing.T) { forConcurrency(t, undoRestoresExactPreRunState) }

func undoRestoresExactPreRunState(t *testing.T, conc int) {
	ctx := context.Background()
	l := openTest(t, "", Options{Key: testKey(5)})
	dst, pre, runs := scenario(t, l)

	preview, err := Undo(ctx, l, dst, UndoOptions{Concurrency: conc, Runs: runs, DryRun: true})
	require.NoError(t, err)
	assert.Zero(t, preview.Run)
	assert.Zero(t, dst.calls, "a dry run calls nothing that mutates")

	report, err := Undo(ctx, l, dst, UndoOptions{Concurrency: conc, Runs: runs, Actor: "ops"})
	require.NoError(t, err)
	assert.True(t, report.Complete(), "%+v", report.Compensations)
	assert.Equal(t, pre, dst.snapshot())

	// The preview was the exact list executed.
	require.Len(t, report.Compensations, len(preview.Compensations))
	for i, c := range preview.Compensations {
		assert.Equal(t, c.Action, report.Compensations[i].Action)
		assert.Equal(t, c.Ref, report.Compensations[i].Ref)
		assert.Equal(t, StatePlanned, c.State)
		assert.Equal(t, StateDone, report.Compensations[i].State)
	}
	// Children before parents: reverse journal order; links before records;
	// the schema element last.
	var order []string
	for _, c := range report.Compensations {
		order = append(order, string(c.Action)+":"+c.Ref.ObjectType)
	}
	assert.Equal(t, []string{
		"restore:business", "restore:contact", "unlink:relation", "unlink:relation",
		"delete:custom_objects.appointment", "delete:contact", "delete:contact", "delete:business",
		"delete-schema:custom_field",
	}, order)
	// Two updates of the same record are one restore; the update of a
	// record the run created is covered by its delete.
	calls := dst.calls
	assert.Equal(t, 9, calls)

	// The undo is a run of its own.
	ri, err := l.Run(ctx, report.Run)
	require.NoError(t, err)
	assert.Equal(t, KindUndo, ri.Kind)
	assert.Equal(t, StatusSucceeded, ri.Status)
	assert.Equal(t, "ops", ri.Actor)
	assert.Equal(t, int64(9), ri.Counters.Done)

	// The id map forgot the records and schema elements Undo deleted.
	_, ok, err := l.Lookup(ctx, "contact", "p1")
	require.NoError(t, err)
	assert.False(t, ok)
	_, ok, err = l.Lookup(ctx, "custom_field", "pbn_patient_id")
	require.NoError(t, err)
	assert.False(t, ok)

	// Idempotent: a second Undo calls nothing.
	again, err := Undo(ctx, l, dst, UndoOptions{Concurrency: conc, Runs: runs})
	require.NoError(t, err)
	assert.Equal(t, calls, dst.calls)
	assert.Equal(t, len(report.Compensations), again.Count(StateAlreadyDone))
	assert.Equal(t, pre, dst.snapshot())
}

func TestUndoResumesAfterCrash(t *testing.T) { forConcurrency(t, undoResumesAfterCrash) }

func undoResumesAfterCrash(t *testing.T, conc int) {
	for crashAfter := range 9 {
		t.Run(fmt.Sprint("after=", crashAfter), func(t *testing.T) {
			ctx := context.Background()
			l := openTest(t, "", Options{})
			dst, pre, runs := scenario(t, l)
			dst.failAfter = crashAfter
			report, err := Undo(ctx, l, dst, UndoOptions{Concurrency: conc, Runs: runs})
			require.NoError(t, err)
			assert.False(t, report.Complete())
			assert.Equal(t, crashAfter, report.Count(StateDone))
			ri, err := l.Run(ctx, report.Run)
			require.NoError(t, err)
			assert.Equal(t, StatusFailed, ri.Status)

			dst.failAfter = -1
			second, err := Undo(ctx, l, dst, UndoOptions{Concurrency: conc, Runs: runs})
			require.NoError(t, err)
			assert.True(t, second.Complete(), "%+v", second.Compensations)
			assert.Equal(t, pre, dst.snapshot())
			assert.Equal(t, crashAfter, second.Count(StateAlreadyDone))
		})
	}
}

// TestUndoResumesAfterProcessCrash leaves compensating intents without
// outcome (the process died mid-call, after the call took effect) and
// checks the next Undo completes them and closes the stale intents.
func TestUndoResumesAfterProcessCrash(t *testing.T) { forConcurrency(t, undoResumesAfterProcessCrash) }

func undoResumesAfterProcessCrash(t *testing.T, conc int) {
	ctx := context.Background()
	l := openTest(t, "", Options{})
	dst, pre, runs := scenario(t, l)
	// Plan as Undo would, then "crash" after applying the first two
	// compensations without recording their outcomes.
	p, err := l.planUndo(ctx, UndoOptions{Concurrency: conc, Runs: runs})
	require.NoError(t, err)
	crashed, err := l.BeginRun(ctx, RunOptions{Kind: KindUndo})
	require.NoError(t, err)
	for _, st := range p.steps[:2] {
		require.Equal(t, ActionRestore, st.comp.Action)
		require.NoError(t, l.loadRestore(ctx, st))
		in := Intent{Op: OpUpdate, ObjectType: st.comp.Ref.ObjectType, TargetID: st.comp.Ref.ID, Payload: st.before, Before: st.written, compensates: st.comp.Entry}
		_, err := crashed.Intent(ctx, in)
		require.NoError(t, err)
		require.NoError(t, dst.Restore(ctx, st.comp.Ref, st.before, st.written))
	}
	require.Len(t, collect(t, l.Pending(ctx, false)), 2)

	report, err := Undo(ctx, l, dst, UndoOptions{Concurrency: conc, Runs: runs})
	require.NoError(t, err)
	assert.True(t, report.Complete(), "%+v", report.Compensations)
	assert.Equal(t, pre, dst.snapshot())
	assert.Empty(t, collect(t, l.Pending(ctx, true)), "stale compensations are closed")
	ri, err := l.Run(ctx, crashed.ID())
	require.NoError(t, err)
	assert.Equal(t, int64(2), ri.Counters.Superseded)
}

func TestUndoRefusesChangedRecords(t *testing.T) { forConcurrency(t, undoRefusesChangedRecords) }

func undoRefusesChangedRecords(t *testing.T, conc int) {
	ctx := context.Background()
	l := openTest(t, "", Options{})
	dst, _, runs := scenario(t, l)
	// Somebody edits Ann (created by us) and the pre-existing contact we updated.
	m, ok, err := l.Lookup(ctx, "contact", "p1")
	require.NoError(t, err)
	require.True(t, ok)
	dst.update("contact", m.HighLevelID, map[string]any{"firstName": "Annie"})
	pm, ok, err := l.Lookup(ctx, "contact", "pre-1")
	require.NoError(t, err)
	require.True(t, ok)
	dst.update("contact", pm.HighLevelID, map[string]any{"lastName": "EditedByStaff"})

	report, err := Undo(ctx, l, dst, UndoOptions{Concurrency: conc, Runs: runs})
	require.NoError(t, err)
	assert.Equal(t, 2, report.Count(StateRefused))
	assert.False(t, report.Complete())
	assert.Equal(t, "Annie", dst.get("contact", m.HighLevelID)["firstName"], "refused records are left alone")
	for _, c := range report.Compensations {
		if c.State == StateRefused {
			assert.True(t, c.Checked)
			assert.Contains(t, c.Reason, "changed at the destination")
		}
	}

	forced, err := Undo(ctx, l, dst, UndoOptions{Concurrency: conc, Runs: runs, Force: true})
	require.NoError(t, err)
	assert.True(t, forced.Complete(), "%+v", forced.Compensations)
	assert.Nil(t, dst.get("contact", m.HighLevelID))
	assert.Equal(t, map[string]any{"firstName": "Pre", "email": "pre@example.com"}, dst.get("contact", pm.HighLevelID))
}

func TestUndoScopedToObjectTypesAndRuns(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		forConcurrency(t, undoScopedToObjectTypesAndRuns)
	})
}

func undoScopedToObjectTypesAndRuns(t *testing.T, conc int) {
	ctx := context.Background()
	l := openTest(t, "", Options{})
	dst := newMemTarget()
	g1 := begin(t, l, dst, KindFull)
	c := g1.create("contact", "p1", map[string]any{"firstName": "A"})
	b := g1.create("business", "o1", map[string]any{"name": "B"})
	g2 := begin(t, l, dst, KindDelta)
	g2.update("contact", "p1", c, map[string]any{"firstName": "A2"})
	g2.update("business", "o1", b, map[string]any{"name": "B2"})

	// Only run 2, only contacts.
	r, err := Undo(ctx, l, dst, UndoOptions{Concurrency: conc, Runs: []RunID{g2.run.ID()}, ObjectTypes: []string{"contact"}})
	require.NoError(t, err)
	require.Len(t, r.Compensations, 1)
	assert.Equal(t, "A", dst.get("contact", c)["firstName"])
	assert.Equal(t, "B2", dst.get("business", b)["name"])
	m, _, err := l.Lookup(ctx, "contact", "p1")
	require.NoError(t, err)
	assert.Empty(t, m.Digest, "a restored record is rewritten by the next delta")

	// Undoing run 1 alone: the business was written again by run 2, which
	// is not being undone, so it is refused; the contact's run-2 update was
	// already undone, so deleting it is safe.
	r, err = Undo(ctx, l, dst, UndoOptions{Concurrency: conc, Runs: []RunID{g1.run.ID()}})
	require.NoError(t, err)
	states := map[string]CompensationState{}
	for _, c := range r.Compensations {
		states[c.Ref.ObjectType] = c.State
	}
	assert.Equal(t, map[string]CompensationState{"contact": StateDone, "business": StateRefused}, states)

	// Undoing both runs deletes the business without first restoring it.
	calls := dst.calls
	r, err = Undo(ctx, l, dst, UndoOptions{Concurrency: conc, Runs: []RunID{g1.run.ID(), g2.run.ID()}})
	require.NoError(t, err)
	assert.True(t, r.Complete(), "%+v", r.Compensations)
	assert.Equal(t, calls+1, dst.calls)
	assert.Equal(t, `{"records":{},"relations":{},"schema":{}}`, dst.snapshot())
}

func TestUndoReportsUnresolvedAndGone(t *testing.T) { forConcurrency(t, undoReportsUnresolvedAndGone) }

func undoReportsUnresolvedAndGone(t *testing.T, conc int) {
	ctx := context.Background()
	l := openTest(t, "", Options{})
	dst := newMemTarget()
	g := begin(t, l, dst, KindFull)
	gone := g.create("contact", "p1", map[string]any{"firstName": "A"})
	seq, err := g.run.Intent(ctx, Intent{Op: OpCreate, ObjectType: "contact", SourceKey: "p2", Payload: []byte(`{}`)})
	require.NoError(t, err)
	require.NoError(t, g.run.Outcome(ctx, seq, Unknown("timeout")))
	seq, err = g.run.Intent(ctx, Intent{Op: OpCreate, ObjectType: "contact", SourceKey: "p3", Payload: []byte(`{}`)})
	require.NoError(t, err)
	require.NoError(t, g.run.Outcome(ctx, seq, Rejected(422, "email: invalid")))
	// Someone already deleted the record we created.
	require.NoError(t, dst.Delete(ctx, Ref{ObjectType: "contact", ID: gone}))

	r, err := Undo(ctx, l, dst, UndoOptions{Concurrency: conc, Runs: []RunID{g.run.ID()}})
	require.NoError(t, err)
	require.Len(t, r.Compensations, 2)
	assert.Equal(t, StateUnresolved, r.Compensations[0].State)
	assert.Equal(t, StateGone, r.Compensations[1].State)
	assert.False(t, r.Complete())
	// The gone record was journaled: the next Undo does not look again.
	r, err = Undo(ctx, l, dst, UndoOptions{Concurrency: conc, Runs: []RunID{g.run.ID()}})
	require.NoError(t, err)
	assert.Equal(t, StateAlreadyDone, r.Compensations[1].State)
	_, err = Undo(ctx, l, dst, UndoOptions{Concurrency: conc})
	require.Error(t, err)
	_, err = Undo(ctx, l, nil, UndoOptions{Concurrency: conc, Runs: []RunID{1}})
	require.Error(t, err)
	_, err = Undo(ctx, l, dst, UndoOptions{Concurrency: conc, Runs: []RunID{99}, DryRun: true})
	require.ErrorIs(t, err, ErrNoRun)
}

func TestMergeJSON(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		got, err := mergeJSON([]byte(`{"a":1,"cf":[{"id":"x"}]}`), []byte(`{"b":2,"a":3,"cf":[{"id":"y"}]}`))
		require.NoError(t, err)
		assert.JSONEq(t, `{"a":3,"b":2,"cf":[{"id":"x"},{"id":"y"}]}`, string(got))
		_, err = mergeJSON(nil, []byte(`[1]`))
		require.Error(t, err)
	})
}
