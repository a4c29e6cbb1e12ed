package pbnhl

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// srcRecord is one source record as the map sees it, with its change stamp.
type srcRecord struct {
	rec      mapping.Record
	modified time.Time
}

func seqOf[R any](it iter.Seq2[R, error], stamp func(*R) time.Time) iter.Seq2[srcRecord, error] {
	return func(yield func(srcRecord, error) bool) {
		for r, err := range it {
			if err != nil {
				if !yield(srcRecord{}, err) {
					return
				}
				continue
			}
			if !yield(srcRecord{rec: mapping.Struct(&r), modified: stamp(&r)}, nil) {
				return
			}
		}
	}
}

// records streams a source entity's records.
func records(ctx context.Context, src pbn.Source, entity string, o pbn.ListOptions) (iter.Seq2[srcRecord, error], error) {
	switch pbn.Entity(entity) {
	case pbn.EntityOffices:
		return seqOf(src.Offices(ctx, o), func(r *pbn.Office) time.Time { return r.UpdatedAt }), nil
	case pbn.EntityStaff:
		return seqOf(src.Staff(ctx, o), func(r *pbn.Staff) time.Time { return r.UpdatedAt }), nil
	case pbn.EntityPatients:
		return seqOf(src.Patients(ctx, o), func(r *pbn.Patient) time.Time { return r.UpdatedAt }), nil
	case pbn.EntityInsuranceCarriers:
		return seqOf(src.InsuranceCarriers(ctx, o), func(r *pbn.InsuranceCarrier) time.Time { return r.UpdatedAt }), nil
	case pbn.EntityCoverages:
		return seqOf(src.Coverages(ctx, o), func(r *pbn.Coverage) time.Time { return r.UpdatedAt }), nil
	case pbn.EntityAppointments:
		return seqOf(src.Appointments(ctx, o), func(r *pbn.Appointment) time.Time { return r.UpdatedAt }), nil
	case pbn.EntityProcedures:
		return seqOf(src.Procedures(ctx, o), func(r *pbn.Procedure) time.Time { return r.UpdatedAt }), nil
	case pbn.EntityTreatmentPlans:
		return seqOf(src.TreatmentPlans(ctx, o), func(r *pbn.TreatmentPlan) time.Time { return r.UpdatedAt }), nil
	case pbn.EntityCommunications:
		return seqOf(src.Communications(ctx, o), func(r *pbn.Communication) time.Time { return r.UpdatedAt }), nil
	case pbn.EntityFormSubmissions:
		return seqOf(src.FormSubmissions(ctx, o), func(r *pbn.FormSubmission) time.Time { return r.UpdatedAt }), nil
	case pbn.EntityDocuments:
		return seqOf(src.Documents(ctx, o), func(r *pbn.Document) time.Time { return r.UpdatedAt }), nil
	case pbn.EntityCohorts:
		return seqOf(src.Cohorts(ctx, o), func(r *pbn.Cohort) time.Time { return r.UpdatedAt }), nil
	case pbn.EntityCustomProperties:
		return seqOf(src.CustomProperties(ctx, o), func(r *pbn.CustomPropertyDefinition) time.Time { return r.UpdatedAt }), nil
	case pbn.EntityKPIDefinitions:
		return seqOf(src.KPIDefinitions(ctx, o), func(r *pbn.KPIDefinition) time.Time { return r.UpdatedAt }), nil
	case pbn.EntityKPIValues:
		return seqOf(src.KPIValues(ctx, o), func(r *pbn.KPIValue) time.Time { return r.UpdatedAt }), nil
	case pbn.EntityAutomations:
		return seqOf(src.Automations(ctx, o), func(r *pbn.Automation) time.Time { return r.UpdatedAt }), nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownEntity, entity)
}

// isRowError reports a bad source row (CSV): counted, iteration goes on.
func isRowError(err error) bool {
	var re *pbn.RowError
	return errors.As(err, &re)
}
