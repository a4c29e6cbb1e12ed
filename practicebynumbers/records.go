package practicebynumbers

import (
	"context"
	"fmt"
	"iter"
)

// Records streams the records of entity e from src without naming their
// type: each is a pointer to its model (*Office, *Patient, *Appointment,
// ... — a fresh one per record, safe to keep), in the order the typed
// iterator yields them. It is for code that treats every entity alike —
// sampling a source for the map proposer, counting, copying — and would
// otherwise repeat one line per entity of [Source].
//
// Errors are the typed iterator's, unchanged: a *[RowError] is one bad
// record and iteration goes on; any other error ends it. An entity that is
// not one of [Entities] is an error before any record — except, for an
// [ExportReader], a report file of its folder ([FileEntity]): its rows are
// *[FileRow] values keyed by the file's header.
func Records(ctx context.Context, src Source, e Entity, opts ListOptions) (iter.Seq2[any, error], error) {
	switch e {
	case EntityOffices:
		return untyped(src.Offices(ctx, opts)), nil
	case EntityStaff:
		return untyped(src.Staff(ctx, opts)), nil
	case EntityCustomProperties:
		return untyped(src.CustomProperties(ctx, opts)), nil
	case EntityCohorts:
		return untyped(src.Cohorts(ctx, opts)), nil
	case EntityPatients:
		return untyped(src.Patients(ctx, opts)), nil
	case EntityInsuranceCarriers:
		return untyped(src.InsuranceCarriers(ctx, opts)), nil
	case EntityCoverages:
		return untyped(src.Coverages(ctx, opts)), nil
	case EntityAppointments:
		return untyped(src.Appointments(ctx, opts)), nil
	case EntityProcedures:
		return untyped(src.Procedures(ctx, opts)), nil
	case EntityTreatmentPlans:
		return untyped(src.TreatmentPlans(ctx, opts)), nil
	case EntityCommunications:
		return untyped(src.Communications(ctx, opts)), nil
	case EntityFormSubmissions:
		return untyped(src.FormSubmissions(ctx, opts)), nil
	case EntityDocuments:
		return untyped(src.Documents(ctx, opts)), nil
	case EntityKPIDefinitions:
		return untyped(src.KPIDefinitions(ctx, opts)), nil
	case EntityKPIValues:
		return untyped(src.KPIValues(ctx, opts)), nil
	case EntityAutomations:
		return untyped(src.Automations(ctx, opts)), nil
	}
	if fr, ok := src.(fileRowSource); ok && FileEntity(e) {
		// A report file of an export folder, read as it is (files.go).
		return untypedRows(fr.FileRows(ctx, string(e), opts)), nil
	}
	return nil, fmt.Errorf("practicebynumbers: unknown entity %q", string(e))
}

// untypedRows yields each report row (nil with an error).
func untypedRows(seq iter.Seq2[*FileRow, error]) iter.Seq2[any, error] {
	return func(yield func(any, error) bool) {
		for r, err := range seq {
			if err != nil {
				if !yield(nil, err) {
					return
				}
				continue
			}
			if !yield(r, nil) {
				return
			}
		}
	}
}

// untyped yields a pointer to each record (nil with an error).
func untyped[T any](seq iter.Seq2[T, error]) iter.Seq2[any, error] {
	return func(yield func(any, error) bool) {
		for v, err := range seq {
			if err != nil {
				if !yield(nil, err) {
					return
				}
				continue
			}
			if !yield(&v, nil) {
				return
			}
		}
	}
}

// Collect returns every record of seq, like slices.Collect for a source
// iterator: the first error — a *[RowError] too — stops it and is
// returned. It is for a small list that must be whole, such as the custom
// property catalogue a map is built from; a large entity is better
// streamed, skipping bad rows.
func Collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
