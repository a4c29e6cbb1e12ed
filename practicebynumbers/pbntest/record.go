package pbntest

import (
	"time"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// The simulator keeps records as values of the model types behind `any`;
// these helpers read and stamp them without reflection.

func recordID(rec any) int64 {
	switch r := rec.(type) {
	case pbn.Office:
		return num(r.ID)
	case pbn.Staff:
		return num(r.ID)
	case pbn.Patient:
		return num(r.ID)
	case pbn.Appointment:
		return num(r.ID)
	case pbn.Procedure:
		return num(r.ID)
	case pbn.TreatmentPlan:
		return num(r.ID)
	case pbn.InsuranceCarrier:
		return num(r.ID)
	case pbn.Coverage:
		return num(r.ID)
	case pbn.Communication:
		return num(r.ID)
	case pbn.FormSubmission:
		return num(r.ID)
	case pbn.Document:
		return num(r.ID)
	case pbn.CustomPropertyDefinition:
		return num(r.ID)
	case pbn.KPIDefinition:
		return num(r.ID)
	case pbn.KPIValue:
		return num(r.ID)
	case pbn.Cohort:
		return num(r.ID)
	case pbn.Automation:
		return num(r.ID)
	}
	return 0
}

func recordUpdated(rec any) time.Time {
	switch r := rec.(type) {
	case pbn.Office:
		return r.UpdatedAt
	case pbn.Staff:
		return r.UpdatedAt
	case pbn.Patient:
		return r.UpdatedAt
	case pbn.Appointment:
		return r.UpdatedAt
	case pbn.Procedure:
		return r.UpdatedAt
	case pbn.TreatmentPlan:
		return r.UpdatedAt
	case pbn.InsuranceCarrier:
		return r.UpdatedAt
	case pbn.Coverage:
		return r.UpdatedAt
	case pbn.Communication:
		return r.UpdatedAt
	case pbn.FormSubmission:
		return r.UpdatedAt
	case pbn.Document:
		return r.UpdatedAt
	case pbn.CustomPropertyDefinition:
		return r.UpdatedAt
	case pbn.KPIDefinition:
		return r.UpdatedAt
	case pbn.KPIValue:
		return r.UpdatedAt
	case pbn.Cohort:
		return r.UpdatedAt
	case pbn.Automation:
		return r.UpdatedAt
	}
	return time.Time{}
}

// stamped returns rec with its change stamp set to at (and its creation
// time too when created is true).
func stamped(rec any, at time.Time, created bool) any {
	switch r := rec.(type) {
	case pbn.Staff:
		r.UpdatedAt = at
		if created {
			r.CreatedAt = at
		}
		return r
	case pbn.Patient:
		r.UpdatedAt = at
		if created {
			r.CreatedAt = at
		}
		return r
	case pbn.Appointment:
		r.UpdatedAt = at
		if created {
			r.CreatedAt = at
		}
		return r
	case pbn.Procedure:
		r.UpdatedAt = at
		if created {
			r.CreatedAt = at
		}
		return r
	case pbn.TreatmentPlan:
		r.UpdatedAt = at
		if created {
			r.CreatedAt = at
		}
		return r
	case pbn.Coverage:
		r.UpdatedAt = at
		if created {
			r.CreatedAt = at
		}
		return r
	case pbn.Communication:
		r.UpdatedAt = at
		if created {
			r.CreatedAt = at
		}
		return r
	case pbn.FormSubmission:
		r.UpdatedAt = at
		if created {
			r.CreatedAt = at
		}
		return r
	case pbn.Document:
		r.UpdatedAt = at
		if created {
			r.CreatedAt = at
		}
		return r
	}
	return rec
}

// chartRecords returns the records of entity e in a chart, as `any`, in id
// order.
func chartRecords(ch *Chart, e pbn.Entity) []any {
	switch e {
	case pbn.EntityPatients:
		return []any{ch.Patient}
	case pbn.EntityAppointments:
		return boxAll(ch.Appointments)
	case pbn.EntityProcedures:
		return boxAll(ch.Procedures)
	case pbn.EntityTreatmentPlans:
		return boxAll(ch.TreatmentPlans)
	case pbn.EntityCoverages:
		return boxAll(ch.Coverages)
	case pbn.EntityCommunications:
		return boxAll(ch.Communications)
	case pbn.EntityFormSubmissions:
		return boxAll(ch.FormSubmissions)
	case pbn.EntityDocuments:
		return boxAll(ch.Documents)
	}
	return nil
}

func boxAll[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// referenceRecords returns the practice-wide records of a non patient-owned
// entity, in id order.
func (p *Practice) referenceRecords(e pbn.Entity) []any {
	switch e {
	case pbn.EntityOffices:
		return boxAll(p.offices)
	case pbn.EntityStaff:
		return boxAll(p.staff)
	case pbn.EntityCustomProperties:
		return boxAll(p.properties)
	case pbn.EntityCohorts:
		return boxAll(p.Cohorts())
	case pbn.EntityInsuranceCarriers:
		return boxAll(p.carriers)
	case pbn.EntityKPIDefinitions:
		return boxAll(p.kpis)
	case pbn.EntityKPIValues:
		return boxAll(p.kpiValues)
	case pbn.EntityAutomations:
		return boxAll(p.automations)
	}
	return nil
}

// Inventory returns the practice's counts and custom property catalogue in
// the shape the REST inventory and the export reader report.
func (p *Practice) Inventory() pbn.Inventory {
	inv := pbn.Inventory{Counts: map[pbn.Entity]int64{}, CustomProperties: p.CustomProperties()}
	for e, n := range p.Counts() {
		inv.Counts[e] = int64(n)
	}
	for _, e := range pbn.Entities() {
		inv.Counts[e] += 0
	}
	return inv
}
