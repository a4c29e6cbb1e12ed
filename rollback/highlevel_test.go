package rollback

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

func newHL(t *testing.T) (*hltest.Server, *highlevel.Client) {
	t.Helper()
	s := hltest.NewServer(hltest.Options{RateLimit: hltest.RateLimit{Max: 1_000_000, Window: time.Second, Daily: 1_000_000_000}})
	t.Cleanup(s.Close)
	// A breaker that opens after a few failures would hide, under tests
	// that lose every answer of a route, what Undo does with each one.
	lim, err := highlevel.NewLimiter(highlevel.LimiterOptions{Name: hltest.DefaultLocationID, Requests: 100_000, Window: time.Second, Margin: -1,
		BreakerFailures: 1_000_000})
	require.NoError(t, err)
	c, err := highlevel.NewClient(highlevel.Options{
		BaseURL: s.URL, LocationID: hltest.DefaultLocationID, Auth: highlevel.StaticToken(hltest.DefaultToken),
		Limiter: lim, Retry: highlevel.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond},
	})
	require.NoError(t, err)
	return s, c
}

// state is the simulator's whole state without the fields every write
// changes (update timestamps), for exact before/after comparisons.
func state(t *testing.T, s *hltest.Server) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, s.Dump(&buf))
	var v any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &v))
	var strip func(any) any
	strip = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				switch k {
				case "dateUpdated", "updatedAt", "lastStatusChangeAt", "lastStageChangeAt":
					delete(x, k)
				default:
					x[k] = strip(e)
				}
			}
		case []any:
			for i, e := range x {
				x[i] = strip(e)
			}
		}
		return v
	}
	out, err := json.MarshalIndent(strip(v), "", " ")
	require.NoError(t, err)
	return string(out)
}

// hlRunner journals HighLevel calls the way the migration runner does.
type hlRunner struct {
	t   *testing.T
	run *Run
}

func (r hlRunner) do(in Intent, payload any, call func() (string, error)) string {
	r.t.Helper()
	ctx := context.Background()
	if payload != nil {
		b, err := json.Marshal(payload)
		require.NoError(r.t, err)
		in.Payload = b
	}
	seq, err := r.run.Intent(ctx, in)
	require.NoError(r.t, err)
	id, err := call()
	require.NoError(r.t, err)
	require.NoError(r.t, r.run.Outcome(ctx, seq, Done(id)))
	return id
}

func beforeImage(t *testing.T, v any, err error) []byte {
	t.Helper()
	require.NoError(t, err)
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

type hlFixture struct {
	s        *hltest.Server
	c        *highlevel.Client
	pre      string
	runs     []RunID
	created  string // a contact the run created
	preID    string // a pre-existing contact the run updated
	schemaID string
}

// hlScenario seeds a location, snapshots it, then journals a schema run
// and a full run that create, update (fields, tags, custom fields) and link.
func hlScenario(t *testing.T, l *Ledger) hlFixture {
	ctx := context.Background()
	s, c := newHL(t)
	f := hlFixture{s: s, c: c}

	tier, err := c.CustomFields.Create(ctx, highlevel.CustomFieldCreate{Name: "Tier", DataType: highlevel.DataType("TEXT")})
	require.NoError(t, err)
	const apptKey = "custom_objects.appointment"
	_, err = c.Objects.CreateSchema(ctx, highlevel.ObjectSchemaCreate{Key: apptKey,
		Labels:                 highlevel.ObjectLabels{Singular: "Appointment", Plural: "Appointments"},
		PrimaryDisplayProperty: highlevel.DisplayProperty{Key: "title", Name: "Title", DataType: highlevel.DataType("TEXT")}})
	require.NoError(t, err)
	assoc, err := c.Associations.Create(ctx, highlevel.AssociationInput{Key: "appointment_patient",
		FirstObjectKey: apptKey, FirstObjectLabel: "Appointment", SecondObjectKey: "contact", SecondObjectLabel: "Patient"})
	require.NoError(t, err)
	pre, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Pre", Email: "pre@example.com", Tags: []string{"vip"},
		CustomFields: []highlevel.CustomFieldInput{{ID: tier.ID, Value: highlevel.TextValue("gold")}}})
	require.NoError(t, err)
	pre2, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Plain", Email: "plain@example.com"})
	require.NoError(t, err)
	preBiz, err := c.Businesses.Create(ctx, highlevel.BusinessInput{Name: "Existing Co"})
	require.NoError(t, err)
	member, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Member", Email: "member@example.com"})
	require.NoError(t, err)
	_, err = c.Businesses.LinkContacts(ctx, preBiz.ID, []string{member.ID})
	require.NoError(t, err)
	f.preID = pre.ID
	f.pre = state(t, s)

	sr, err := l.BeginRun(ctx, RunOptions{Kind: KindSchema, Location: hltest.DefaultLocationID})
	require.NoError(t, err)
	schema := hlRunner{t, sr}
	fieldIn := highlevel.CustomFieldCreate{Name: "PbN Patient Id", DataType: highlevel.DataType("TEXT"), FieldKey: "contact.pbn_patient_id"}
	f.schemaID = schema.do(Intent{Op: OpSchema, ObjectType: TypeCustomField, SourceKey: "pbn_patient_id"}, fieldIn, func() (string, error) {
		cf, err := c.CustomFields.Create(ctx, fieldIn)
		if err != nil {
			return "", err
		}
		return cf.ID, nil
	})
	require.NoError(t, sr.Finish(ctx, StatusSucceeded))

	fr, err := l.BeginRun(ctx, RunOptions{Kind: KindFull, Location: hltest.DefaultLocationID})
	require.NoError(t, err)
	g := hlRunner{t, fr}
	bizIn := highlevel.BusinessInput{Name: "Smile Dental", City: "Austin"}
	biz := g.do(Intent{Op: OpCreate, ObjectType: TypeBusiness, SourceKey: "office-1"}, bizIn, func() (string, error) {
		b, err := c.Businesses.Create(ctx, bizIn)
		if err != nil {
			return "", err
		}
		return b.ID, nil
	})
	contactIn := highlevel.ContactInput{FirstName: "Ann", LastName: "Lee", Email: "ann@example.com", Phone: "+15555550111",
		DateOfBirth: "1980-02-03", Tags: []string{"pbn"},
		CustomFields: []highlevel.CustomFieldInput{{ID: f.schemaID, Value: highlevel.TextValue("p1")}}}
	f.created = g.do(Intent{Op: OpCreate, ObjectType: TypeContact, SourceKey: "p1"}, contactIn, func() (string, error) {
		ct, err := c.Contacts.Create(ctx, contactIn)
		if err != nil {
			return "", err
		}
		return ct.ID, nil
	})
	for _, contact := range []string{f.created, pre.ID} {
		g.do(Intent{Op: OpLink, ObjectType: TypeContactBusiness, TargetID: contact, RelatedID: biz}, nil, func() (string, error) {
			_, err := c.Businesses.LinkContacts(ctx, biz, []string{contact})
			return "", err
		})
	}
	// Moving a contact from its business to ours: undo must link it back.
	g.do(Intent{Op: OpLink, ObjectType: TypeContactBusiness, TargetID: member.ID, RelatedID: biz,
		Before: []byte(`{"businessId":"` + preBiz.ID + `"}`)}, map[string]string{"businessId": biz}, func() (string, error) {
		_, err := c.Businesses.LinkContacts(ctx, biz, []string{member.ID})
		return "", err
	})
	recBody := map[string]any{"properties": map[string]any{"title": "Cleaning"}}
	rec := g.do(Intent{Op: OpCreate, ObjectType: apptKey, SourceKey: "a1"}, recBody, func() (string, error) {
		r, err := c.Objects.CreateRecord(ctx, apptKey, highlevel.RecordInput{Properties: map[string]highlevel.FieldValue{"title": highlevel.TextValue("Cleaning")}})
		if err != nil {
			return "", err
		}
		return r.ID, nil
	})
	g.do(Intent{Op: OpLink, ObjectType: TypeRelation, TargetID: rec, RelatedID: f.created}, nil, func() (string, error) {
		rel, err := c.Associations.CreateRelation(ctx, highlevel.RelationInput{AssociationID: assoc.ID, FirstRecordID: rec, SecondRecordID: f.created})
		if err != nil {
			return "", err
		}
		return rel.ID, nil
	})
	noteIn := highlevel.NoteInput{Body: "Migrated history"}
	g.do(Intent{Op: OpCreate, ObjectType: TypeNote, SourceKey: "n1", TargetID: f.created}, noteIn, func() (string, error) {
		n, err := c.Contacts.CreateNote(ctx, f.created, noteIn)
		if err != nil {
			return "", err
		}
		return n.ID, nil
	})
	got, err := c.Contacts.Get(ctx, pre.ID)
	before := beforeImage(t, got, err)
	upd := highlevel.ContactUpdate{FirstName: highlevel.Ptr("Pre2"), Phone: highlevel.Ptr("+15555550100"), Tags: []string{"vip", "migrated"},
		CustomFields: []highlevel.CustomFieldInput{{ID: tier.ID, Value: highlevel.TextValue("platinum")}, {ID: f.schemaID, Value: highlevel.TextValue("p0")}}}
	g.do(Intent{Op: OpUpdate, ObjectType: TypeContact, SourceKey: "p0", TargetID: pre.ID, Before: before}, upd, func() (string, error) {
		_, err := c.Contacts.Update(ctx, pre.ID, upd)
		return pre.ID, err
	})
	got, err = c.Contacts.Get(ctx, pre2.ID)
	before = beforeImage(t, got, err)
	upd2 := highlevel.ContactUpdate{LastName: highlevel.Ptr("Added"), Tags: []string{"migrated"}}
	g.do(Intent{Op: OpUpdate, ObjectType: TypeContact, SourceKey: "p2", TargetID: pre2.ID, Before: before}, upd2, func() (string, error) {
		_, err := c.Contacts.Update(ctx, pre2.ID, upd2)
		return pre2.ID, err
	})
	gotBiz, err := c.Businesses.Get(ctx, preBiz.ID)
	before = beforeImage(t, gotBiz, err)
	bupd := highlevel.BusinessUpdate{Name: highlevel.Ptr("Renamed Co"), City: highlevel.Ptr("Dallas")}
	g.do(Intent{Op: OpUpdate, ObjectType: TypeBusiness, SourceKey: "office-0", TargetID: preBiz.ID, Before: before}, bupd, func() (string, error) {
		_, err := c.Businesses.Update(ctx, preBiz.ID, bupd)
		return preBiz.ID, err
	})
	require.NoError(t, fr.Finish(ctx, StatusSucceeded))
	f.runs = []RunID{sr.ID(), fr.ID()}
	require.NotEqual(t, f.pre, state(t, s))
	return f
}

func TestHighLevelUndoRestoresPreRunState(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		forConcurrency(t, highLevelUndoRestoresPreRunState)
	})
}

func highLevelUndoRestoresPreRunState(t *testing.T, conc int) {
	ctx := context.Background()
	l := openTest(t, "", Options{Key: testKey(9)})
	f := hlScenario(t, l)
	target := NewHighLevelTarget(f.c)

	preview, err := Undo(ctx, l, target, UndoOptions{Concurrency: conc, Runs: f.runs, DryRun: true})
	require.NoError(t, err)
	for _, c := range preview.Compensations {
		assert.Equal(t, StatePlanned, c.State, "%+v", c)
		assert.True(t, c.Checked || c.Action == ActionUnlink || c.Action == ActionDeleteSchema, "%+v", c)
	}

	report, err := Undo(ctx, l, target, UndoOptions{Concurrency: conc, Runs: f.runs})
	require.NoError(t, err)
	require.True(t, report.Complete(), "%+v", report.Compensations)
	assert.Equal(t, len(preview.Compensations), len(report.Compensations))
	assert.Equal(t, f.pre, state(t, f.s))

	again, err := Undo(ctx, l, target, UndoOptions{Concurrency: conc, Runs: f.runs})
	require.NoError(t, err)
	assert.Equal(t, len(report.Compensations), again.Count(StateAlreadyDone))
	assert.Equal(t, f.pre, state(t, f.s))
}

func TestHighLevelUndoAfterInterruption(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		forConcurrency(t, highLevelUndoAfterInterruption)
	})
}

// highLevelUndoAfterInterruption cancels an Undo after stopAfter
// compensations were decided. At concurrency 1 exactly those are done; at
// 8, calls in flight when the cancel lands are journaled unknown and the
// next Undo re-executes them.
func highLevelUndoAfterInterruption(t *testing.T, conc int) {
	for _, stopAfter := range []int{1, 4, 8} {
		t.Run(fmt.Sprint("stop=", stopAfter), func(t *testing.T) {
			ctx := context.Background()
			l := openTest(t, "", Options{})
			f := hlScenario(t, l)
			target := NewHighLevelTarget(f.c)
			cctx, cancel := context.WithCancel(ctx)
			n := 0
			first, err := Undo(cctx, l, target, UndoOptions{Concurrency: conc, Runs: f.runs, OnCompensation: func(Compensation) {
				if n++; n == stopAfter {
					cancel()
				}
			}})
			require.ErrorIs(t, err, context.Canceled)
			require.NotEqual(t, f.pre, state(t, f.s))
			completed := first.Count(StateDone) + first.Count(StateGone)
			if conc == 1 {
				assert.Equal(t, stopAfter, completed)
			}

			report, err := Undo(ctx, l, target, UndoOptions{Concurrency: conc, Runs: f.runs})
			require.NoError(t, err)
			require.True(t, report.Complete(), "%+v", report.Compensations)
			assert.Equal(t, completed, report.Count(StateAlreadyDone))
			assert.Equal(t, f.pre, state(t, f.s))
			assert.Empty(t, collect(t, l.Pending(ctx, true)))
		})
	}
}

func TestHighLevelUndoRefusesEditedContact(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		forConcurrency(t, highLevelUndoRefusesEditedContact)
	})
}

func highLevelUndoRefusesEditedContact(t *testing.T, conc int) {
	ctx := context.Background()
	l := openTest(t, "", Options{})
	f := hlScenario(t, l)
	_, err := f.c.Contacts.Update(ctx, f.created, highlevel.ContactUpdate{LastName: highlevel.Ptr("Lee-Smith")})
	require.NoError(t, err)
	target := NewHighLevelTarget(f.c)
	report, err := Undo(ctx, l, target, UndoOptions{Concurrency: conc, Runs: f.runs})
	require.NoError(t, err)
	require.Equal(t, 1, report.Count(StateRefused), "%+v", report.Compensations)
	_, err = f.c.Contacts.Get(ctx, f.created)
	require.NoError(t, err, "the edited contact is kept")

	forced, err := Undo(ctx, l, target, UndoOptions{Concurrency: conc, Runs: f.runs, Force: true})
	require.NoError(t, err)
	require.True(t, forced.Complete(), "%+v", forced.Compensations)
	assert.Equal(t, f.pre, state(t, f.s))
}

func TestHighLevelIrreversibleSchema(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		_, c := newHL(t)
		target := NewHighLevelTarget(c)
		err := target.DeleteSchema(ctx, Ref{ObjectType: TypePipeline, ID: "p1"})
		require.ErrorIs(t, err, ErrIrreversible)
		err = target.Delete(ctx, Ref{ObjectType: TypeContact, ID: "nope0000000000000000"})
		require.ErrorIs(t, err, ErrNotFound)
		err = target.Delete(ctx, Ref{ObjectType: "made_up", ID: "x"})
		require.ErrorIs(t, err, ErrIrreversible)
		err = target.Delete(ctx, Ref{ObjectType: TypeEvent, ID: "x"})
		require.ErrorIs(t, err, ErrIrreversible, "events' undo is supplied by their writer (pbnhl.UndoKinds)")
	})
}

// BenchmarkUndoHighLevel undoes a run of creates and updates against the
// simulator and reports HighLevel calls per compensation (the cost that
// matters: 100 calls per 10 s per location) and compensations per second,
// one at a time and with 8 workers.
func BenchmarkUndoHighLevel(b *testing.B) {
	for _, conc := range []int{1, 8} {
		for _, force := range []bool{false, true} {
			b.Run(fmt.Sprintf("concurrency=%d/force=%v", conc, force), func(b *testing.B) { benchmarkUndoHighLevel(b, conc, force) })
		}
	}
}

func benchmarkUndoHighLevel(b *testing.B, conc int, force bool) {
	const creates, updates = 100, 50
	ctx := context.Background()
	var calls atomic.Int64 // OnCall runs on the Undo's workers
	var comps int
	var elapsed time.Duration
	for range b.N {
		b.StopTimer()
		s := hltest.NewServer(hltest.Options{RateLimit: hltest.RateLimit{Max: 1_000_000, Window: time.Second, Daily: 1_000_000_000}})
		lim, err := highlevel.NewLimiter(highlevel.LimiterOptions{Name: "bench", Requests: 1_000_000, Window: time.Second, Margin: -1})
		require.NoError(b, err)
		var counting atomic.Bool
		c, err := highlevel.NewClient(highlevel.Options{BaseURL: s.URL, LocationID: hltest.DefaultLocationID,
			Auth: highlevel.StaticToken(hltest.DefaultToken), Limiter: lim,
			OnCall: func(highlevel.Call) {
				if counting.Load() {
					calls.Add(1)
				}
			}})
		require.NoError(b, err)
		l := openTest(b, "", Options{})
		run, err := l.BeginRun(ctx, RunOptions{Kind: KindFull})
		require.NoError(b, err)
		for i := range creates {
			in := highlevel.ContactInput{FirstName: "N", LastName: strconv.Itoa(i), Tags: []string{"pbn"}}
			body, _ := json.Marshal(in)
			seq, err := run.Intent(ctx, Intent{Op: OpCreate, ObjectType: TypeContact, SourceKey: strconv.Itoa(i), Payload: body})
			require.NoError(b, err)
			ct, err := c.Contacts.Create(ctx, in)
			require.NoError(b, err)
			require.NoError(b, run.Outcome(ctx, seq, Done(ct.ID)))
		}
		for i := range updates {
			ct, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Pre", LastName: strconv.Itoa(i)})
			require.NoError(b, err)
			before, _ := json.Marshal(ct)
			upd := highlevel.ContactUpdate{LastName: highlevel.Ptr("Changed")}
			body, _ := json.Marshal(upd)
			seq, err := run.Intent(ctx, Intent{Op: OpUpdate, ObjectType: TypeContact, SourceKey: "u" + strconv.Itoa(i), TargetID: ct.ID, Payload: body, Before: before})
			require.NoError(b, err)
			_, err = c.Contacts.Update(ctx, ct.ID, upd)
			require.NoError(b, err)
			require.NoError(b, run.Outcome(ctx, seq, Done(ct.ID)))
		}
		counting.Store(true)
		b.StartTimer()
		start := time.Now()
		report, err := Undo(ctx, l, NewHighLevelTarget(c), UndoOptions{Runs: []RunID{run.ID()}, Force: force, Concurrency: conc})
		elapsed += time.Since(start)
		b.StopTimer()
		require.NoError(b, err)
		require.True(b, report.Complete())
		comps += len(report.Compensations)
		s.Close()
		require.NoError(b, l.Close())
	}
	b.ReportMetric(float64(calls.Load())/float64(comps), "calls/compensation")
	b.ReportMetric(float64(comps)/elapsed.Seconds(), "compensations/s")
}
