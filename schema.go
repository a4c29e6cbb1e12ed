package pbnhl

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/rollback"
)

// The schema phase: ApplySchema creates, journaled, what the approved map
// needs in the location, and settles what a killed apply left pending.

// SchemaResult is what ApplySchema did.
type SchemaResult struct {
	Run     rollback.RunID
	Created []mapping.Created
	Manual  []mapping.SchemaItem
	Diff    *mapping.SchemaDiff // the location after the apply
}

// ApplySchema creates what the map needs in the location (custom fields,
// custom objects, associations, pipelines), each creation journaled before
// and after in a run of kind schema so Undo can remove it, then diffs again
// to verify. It is idempotent. In a dry run it only diffs.
func (m *Migration) ApplySchema(ctx context.Context) (*SchemaResult, error) {
	digest, err := m.verifyMap()
	if err != nil {
		return nil, err
	}
	plan, err := mapping.DeriveSchema(m.opts.Map)
	if err != nil {
		return nil, fmt.Errorf("pbnhl: schema plan: %w", err)
	}
	api := mapping.NewHighLevelSchema(m.opts.Client)
	res := &SchemaResult{}
	if m.opts.DryRun {
		res.Diff, err = plan.Diff(ctx, api)
		return res, err
	}
	if err := m.checkLedger(ctx, m.contactExternalField, claimLocation); err != nil { // one ledger per location (identity.go)
		return nil, err
	}
	// Schema creations an earlier, killed ApplySchema left pending: the
	// location is read only once none can still be in flight, so what
	// they made is found by the diff, not created a second time, and they
	// are settled below against the final diff.
	earlier, err := m.pendingSchema(ctx)
	if err != nil {
		return nil, err
	}
	var horizon time.Time
	for _, e := range earlier {
		if u := m.inflightUntil(e); u.After(horizon) {
			horizon = u
		}
	}
	if err := m.waitInflight(ctx, horizon, len(earlier)); err != nil {
		return nil, err
	}
	run, err := m.opts.Ledger.BeginRun(ctx, rollback.RunOptions{Kind: rollback.KindSchema, MapDigest: digest, Location: m.location(), Actor: m.opts.Actor})
	if err != nil {
		return nil, fmt.Errorf("pbnhl: begin run: %w", err)
	}
	res.Run = run.ID()
	js := &journaledSchema{m: m, api: api, run: run, unknown: map[string]rollback.Seq{}, done: map[string]bool{}}
	// Apply diffs before it creates, so after an unknown outcome it is
	// simply applied again once the lost call can no longer land: what it
	// created is found, not created twice.
	for attempt := 1; ; attempt++ {
		applied, aerr := plan.Apply(ctx, js)
		res.Created, res.Manual = append(res.Created, applied.Created...), applied.Manual
		err = aerr
		if err == nil || ctx.Err() != nil || attempt >= 2*m.opts.MaxAttempts || isRejection(err) {
			break
		}
		var ce *mapping.ConflictError
		if errors.As(err, &ce) {
			break
		}
		if serr := sleep(ctx, time.Duration(attempt)*100*time.Millisecond); serr != nil {
			err = serr
			break
		}
		if serr := js.waitUnknown(ctx); serr != nil {
			err = serr
			break
		}
	}
	if err == nil {
		if err = js.waitUnknown(ctx); err == nil {
			res.Diff, err = plan.Diff(ctx, api)
		}
		if err == nil && !res.Diff.Ready() {
			err = schemaNotReady(res.Diff)
		}
	}
	if err == nil {
		err = js.settle(ctx, res.Diff)
	}
	if err == nil {
		err = m.settleSchema(ctx, res.Diff, earlier)
	}
	m.mu.Lock()
	m.prep = nil
	m.mu.Unlock()
	return res, m.finishRun(ctx, run, err)
}

// pendingSchema returns the schema creations earlier runs (not undo
// runs) left pending or unknown.
func (m *Migration) pendingSchema(ctx context.Context) ([]rollback.Entry, error) {
	runs, err := m.opts.Ledger.Runs(ctx)
	if err != nil {
		return nil, fmt.Errorf("pbnhl: list runs: %w", err)
	}
	undo := map[rollback.RunID]bool{}
	for _, r := range runs {
		if r.Kind == rollback.KindUndo {
			undo[r.ID] = true
		}
	}
	var out []rollback.Entry
	for e, err := range m.opts.Ledger.Pending(ctx, true) {
		if err != nil {
			return nil, fmt.Errorf("pbnhl: read pending intents: %w", err)
		}
		if e.Op == rollback.OpSchema && !undo[e.Run] {
			out = append(out, e)
		}
	}
	return out, nil
}

// settleSchema settles earlier runs' pending schema creations against the
// location's final diff (see resolveSchema).
func (m *Migration) settleSchema(ctx context.Context, d *mapping.SchemaDiff, pending []rollback.Entry) error {
	for _, e := range pending {
		o, err := m.resolveSchema(ctx, d, e)
		if err != nil {
			return err
		}
		if err := m.opts.Ledger.Outcome(context.WithoutCancel(ctx), e.Run, e.Seq, o); err != nil && !errors.Is(err, rollback.ErrOutcomeFinal) {
			return fmt.Errorf("pbnhl: journal outcome: %w", err)
		}
	}
	return nil
}

// journaledSchema journals every schema creation before and after it.
type journaledSchema struct {
	m   *Migration
	api mapping.SchemaAPI
	run *rollback.Run

	mu      sync.Mutex
	unknown map[string]rollback.Seq // key → intent whose outcome is unknown
	done    map[string]bool
	// horizon is the latest in-flight horizon of an unknown outcome: the
	// location is diffed again only after it.
	horizon time.Time
}

// waitUnknown waits until no creation whose outcome is unknown can still
// land.
func (j *journaledSchema) waitUnknown(ctx context.Context) error {
	j.mu.Lock()
	h, n := j.horizon, len(j.unknown)
	j.mu.Unlock()
	return j.m.waitInflight(ctx, h, n)
}

// settle resolves the unknown outcomes once the location is known to hold
// everything: a key created by a later call was not created by the lost
// one (Apply creates only what is missing); otherwise the lost call made it.
func (j *journaledSchema) settle(ctx context.Context, d *mapping.SchemaDiff) error {
	ids := map[string]string{}
	for _, it := range d.Items {
		ids[it.Key] = it.ID
	}
	for key, seq := range j.unknown {
		o := rollback.Done(ids[key])
		if j.done[key] || ids[key] == "" {
			o = rollback.Rejected(0, notApplied+"created by a later call")
		}
		if err := j.run.Outcome(context.WithoutCancel(ctx), seq, o); err != nil {
			return fmt.Errorf("pbnhl: journal outcome: %w", err)
		}
	}
	return nil
}

func (j *journaledSchema) create(ctx context.Context, typ, key string, call func(context.Context) (string, error)) (string, error) {
	deadline, until := j.m.horizon()
	seq, err := j.run.Intent(ctx, rollback.Intent{Op: rollback.OpSchema, ObjectType: typ, SourceKey: key, InflightUntil: until})
	if err != nil {
		return "", fmt.Errorf("pbnhl: journal intent: %w", err)
	}
	cctx, cancel := context.WithDeadline(ctx, deadline)
	id, err := call(cctx)
	cancel()
	o := rollback.Done(id)
	if err != nil {
		if isRejection(err) || errors.Is(err, mapping.ErrManual) {
			o = rollback.Rejected(hlStatus(err), rejectionReason(err))
		} else {
			o = rollback.Unknown(unknownReason(err))
			j.mu.Lock()
			j.unknown[key] = seq
			if until.After(j.horizon) {
				j.horizon = until
			}
			j.mu.Unlock()
		}
	} else {
		j.mu.Lock()
		j.done[key] = true
		j.mu.Unlock()
	}
	if jerr := j.run.Outcome(context.WithoutCancel(ctx), seq, o); jerr != nil && err == nil {
		err = fmt.Errorf("pbnhl: journal outcome: %w", jerr)
	}
	return id, err
}

func (j *journaledSchema) CustomFields(ctx context.Context, model string) ([]mapping.SchemaField, error) {
	return j.api.CustomFields(ctx, model)
}

func (j *journaledSchema) CreateCustomField(ctx context.Context, f mapping.SchemaField) (string, error) {
	typ := rollback.TypeObjectField
	if f.Model == "contact" || f.Model == "opportunity" {
		typ = rollback.TypeCustomField
	}
	return j.create(ctx, typ, f.FieldKey(), func(ctx context.Context) (string, error) { return j.api.CreateCustomField(ctx, f) })
}

func (j *journaledSchema) ObjectSchemas(ctx context.Context) ([]mapping.SchemaObject, error) {
	return j.api.ObjectSchemas(ctx)
}

func (j *journaledSchema) CreateObjectSchema(ctx context.Context, o mapping.SchemaObject) (string, error) {
	return j.create(ctx, rollback.TypeCustomObject, o.Key, func(ctx context.Context) (string, error) { return j.api.CreateObjectSchema(ctx, o) })
}

func (j *journaledSchema) Associations(ctx context.Context) ([]mapping.SchemaAssociation, error) {
	return j.api.Associations(ctx)
}

func (j *journaledSchema) CreateAssociation(ctx context.Context, a mapping.SchemaAssociation) (string, error) {
	return j.create(ctx, rollback.TypeAssociation, a.Key, func(ctx context.Context) (string, error) { return j.api.CreateAssociation(ctx, a) })
}

func (j *journaledSchema) Pipelines(ctx context.Context) ([]mapping.SchemaPipeline, error) {
	return j.api.Pipelines(ctx)
}

func (j *journaledSchema) CreatePipeline(ctx context.Context, p mapping.SchemaPipeline) (string, error) {
	return j.create(ctx, rollback.TypePipeline, p.Name, func(ctx context.Context) (string, error) { return j.api.CreatePipeline(ctx, p) })
}
