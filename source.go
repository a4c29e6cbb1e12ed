package pbnhl

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"reflect"
	"sync"
	"time"

	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// srcRecord is one source record as the map sees it, with its change stamp.
type srcRecord struct {
	rec      mapping.Record
	modified time.Time
}

// records streams a source entity's records, each with its change stamp
// (the model's UpdatedAt).
func records(ctx context.Context, src pbn.Source, entity string, o pbn.ListOptions) (iter.Seq2[srcRecord, error], error) {
	it, err := pbn.Records(ctx, src, pbn.Entity(entity), o)
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownEntity, entity)
	}
	return func(yield func(srcRecord, error) bool) {
		for r, err := range it {
			if err != nil {
				if !yield(srcRecord{}, err) {
					return
				}
				continue
			}
			if !yield(srcRecord{rec: mapping.Struct(r), modified: updatedAt(r)}, nil) {
				return
			}
		}
	}, nil
}

// stampField caches, per model type, the index of its UpdatedAt field.
var stampField sync.Map // reflect.Type → int (-1: none)

// updatedAt is a source model's UpdatedAt (every practicebynumbers model
// has one); zero for a value without it.
func updatedAt(r any) time.Time {
	v := reflect.ValueOf(r)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return time.Time{}
	}
	v = v.Elem()
	i, ok := stampField.Load(v.Type())
	if !ok {
		idx := -1
		if f, found := v.Type().FieldByName("UpdatedAt"); found && f.Type == reflect.TypeFor[time.Time]() && len(f.Index) == 1 {
			idx = f.Index[0]
		}
		i, _ = stampField.LoadOrStore(v.Type(), idx)
	}
	if i.(int) < 0 {
		return time.Time{}
	}
	return v.Field(i.(int)).Interface().(time.Time)
}

// isRowError reports a bad source row (CSV): counted, iteration goes on.
func isRowError(err error) bool {
	var re *pbn.RowError
	return errors.As(err, &re)
}

// ObjectCount is one map object's records in the source as the map reads
// them: transformed and validated as a run would, nothing sent.
type ObjectCount struct {
	Object string // the map object ("patients")
	Entity string // the source entity it reads
	// RecordType is the ledger record type it writes ("" for an object
	// that writes none of its own: fields folded into its contact, owners).
	RecordType string
	// Records counts the payloads the map made of the source's rows (an
	// expanded object makes several of one row) plus the rows the source
	// could not give; Records = Valid + Invalid + Skipped.
	Records, Valid, Invalid, Skipped int
	// Unreadable: the object's file cannot be read through (see
	// SourceReport.Blockers); the counts are of the rows read before.
	Unreadable bool
}

// SourceReport is what the source holds for a map, counted without a
// preflight. It holds names and counts, never values.
type SourceReport struct {
	MapDigest string
	// Objects are the map's objects in its order.
	Objects []ObjectCount
	// Validation holds the same tallies with the invalid records' reasons
	// and keys (mapping.Report.WriteReasons, Problems); reconcile's source
	// column is reconcile.SourceCounts(map, Validation).
	Validation *mapping.Report
	// Blockers are the source's own problems Preflight would block on: a
	// file that cannot be read, in its encoding or to its end, and a
	// column a required rule, required link or source key reads that the
	// file lacks (every record of its object then counts as invalid).
	Blockers []Blocker
}

// SourceCounts reads every record of the source the map reads, through
// the approved map, and counts per object the valid, invalid and skipped
// records: Preflight's scan of the source, without its schema, owner,
// location and estimate checks. It makes no HighLevel call, reads nothing
// from the ledger and records no run, so it answers "how much is there to
// migrate" before any location is set up, and gives reconcile its source
// column. Owners are not resolved: they change no record's validity.
func (m *Migration) SourceCounts(ctx context.Context) (*SourceReport, error) {
	digest, err := m.verifyMap()
	if err != nil {
		return nil, err
	}
	applier, err := mapping.NewApplier(m.opts.Map, mapping.ApplierOptions{Now: m.now()})
	if err != nil {
		return nil, fmt.Errorf("pbnhl: %w", err)
	}
	order, err := m.opts.Map.Order()
	if err != nil {
		return nil, fmt.Errorf("pbnhl: %w", err)
	}
	r := &PreflightReport{Validation: &mapping.Report{}}
	sc, err := m.checkSource(ctx, m.opts.Map, order, r)
	if err != nil {
		return nil, err
	}
	if rv, err := m.relatedValues(ctx, m.opts.Map, sc.badEntity); err != nil { // related.go
		return nil, err
	} else if rv != nil {
		applier = applier.WithRelated(rv)
	}
	val := mapping.NewValidator(m.opts.Map, mapping.ValidatorOptions{})
	if _, err := m.scanSource(ctx, applier, val, order, r, sc, scanHooks{}); err != nil {
		return nil, err
	}
	out := &SourceReport{MapDigest: digest, Validation: r.Validation, Blockers: r.Blockers}
	tallies := r.Validation.Objects()
	for _, o := range order {
		t := tallies[o.Name]
		out.Objects = append(out.Objects, ObjectCount{Object: o.Name, Entity: o.Source, RecordType: o.RecordType(),
			Records: t.Records, Valid: t.Valid, Invalid: t.Invalid, Skipped: t.Skipped, Unreadable: sc.badEntity[o.Source]})
	}
	return out, nil
}
