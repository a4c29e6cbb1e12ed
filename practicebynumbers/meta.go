package practicebynumbers

import "time"

// meta describes an entity type T to the generic reader and client code.
type meta[T any] struct {
	entity  Entity
	cols    []column[T]
	id      func(*T) int64
	updated func(*T) time.Time
	patient func(*T) int64 // nil when T is not patient-owned
	custom  func(*T) *map[string]string
	index   map[string]int // normKey(name or alias) → column index
	idIndex int            // index in cols of the required id column
}

func newMeta[T any](e Entity, cols []column[T], id func(*T) int64, updated func(*T) time.Time,
	patient func(*T) int64, custom func(*T) *map[string]string) *meta[T] {
	m := &meta[T]{entity: e, cols: cols, id: id, updated: updated, patient: patient, custom: custom,
		index: make(map[string]int)}
	// Canonical names first so that an alias never shadows a canonical name.
	for i, c := range cols {
		m.index[normKey(c.name)] = i
	}
	for i, c := range cols {
		for _, a := range c.aliases {
			if _, taken := m.index[normKey(a)]; !taken {
				m.index[normKey(a)] = i
			}
		}
	}
	return m
}

var (
	officeMeta = newMeta(EntityOffices, officeColumns, func(r *Office) int64 { return r.ID },
		func(r *Office) time.Time { return r.UpdatedAt }, nil, func(r *Office) *map[string]string { return &r.Custom })
	staffMeta = newMeta(EntityStaff, staffColumns, func(r *Staff) int64 { return r.ID },
		func(r *Staff) time.Time { return r.UpdatedAt }, nil, func(r *Staff) *map[string]string { return &r.Custom })
	patientMeta = newMeta(EntityPatients, patientColumns, func(r *Patient) int64 { return r.ID },
		func(r *Patient) time.Time { return r.UpdatedAt }, nil, func(r *Patient) *map[string]string { return &r.Custom })
	appointmentMeta = newMeta(EntityAppointments, appointmentColumns, func(r *Appointment) int64 { return r.ID },
		func(r *Appointment) time.Time { return r.UpdatedAt }, func(r *Appointment) int64 { return r.PatientID },
		func(r *Appointment) *map[string]string { return &r.Custom })
	procedureMeta = newMeta(EntityProcedures, procedureColumns, func(r *Procedure) int64 { return r.ID },
		func(r *Procedure) time.Time { return r.UpdatedAt }, func(r *Procedure) int64 { return r.PatientID },
		func(r *Procedure) *map[string]string { return &r.Custom })
	treatmentPlanMeta = newMeta(EntityTreatmentPlans, treatmentPlanColumns, func(r *TreatmentPlan) int64 { return r.ID },
		func(r *TreatmentPlan) time.Time { return r.UpdatedAt }, func(r *TreatmentPlan) int64 { return r.PatientID },
		func(r *TreatmentPlan) *map[string]string { return &r.Custom })
	carrierMeta = newMeta(EntityInsuranceCarriers, carrierColumns, func(r *InsuranceCarrier) int64 { return r.ID },
		func(r *InsuranceCarrier) time.Time { return r.UpdatedAt }, nil,
		func(r *InsuranceCarrier) *map[string]string { return &r.Custom })
	coverageMeta = newMeta(EntityCoverages, coverageColumns, func(r *Coverage) int64 { return r.ID },
		func(r *Coverage) time.Time { return r.UpdatedAt }, func(r *Coverage) int64 { return r.PatientID },
		func(r *Coverage) *map[string]string { return &r.Custom })
	communicationMeta = newMeta(EntityCommunications, communicationColumns, func(r *Communication) int64 { return r.ID },
		func(r *Communication) time.Time { return r.UpdatedAt }, func(r *Communication) int64 { return r.PatientID },
		func(r *Communication) *map[string]string { return &r.Custom })
	formSubmissionMeta = newMeta(EntityFormSubmissions, formSubmissionColumns, func(r *FormSubmission) int64 { return r.ID },
		func(r *FormSubmission) time.Time { return r.UpdatedAt }, func(r *FormSubmission) int64 { return r.PatientID },
		func(r *FormSubmission) *map[string]string { return &r.Custom })
	documentMeta = newMeta(EntityDocuments, documentColumns, func(r *Document) int64 { return r.ID },
		func(r *Document) time.Time { return r.UpdatedAt }, func(r *Document) int64 { return r.PatientID },
		func(r *Document) *map[string]string { return &r.Custom })
	customPropertyMeta = newMeta(EntityCustomProperties, customPropertyColumns,
		func(r *CustomPropertyDefinition) int64 { return r.ID },
		func(r *CustomPropertyDefinition) time.Time { return r.UpdatedAt }, nil,
		func(r *CustomPropertyDefinition) *map[string]string { return &r.Custom })
	kpiDefinitionMeta = newMeta(EntityKPIDefinitions, kpiDefinitionColumns, func(r *KPIDefinition) int64 { return r.ID },
		func(r *KPIDefinition) time.Time { return r.UpdatedAt }, nil,
		func(r *KPIDefinition) *map[string]string { return &r.Custom })
	kpiValueMeta = newMeta(EntityKPIValues, kpiValueColumns, func(r *KPIValue) int64 { return r.ID },
		func(r *KPIValue) time.Time { return r.UpdatedAt }, nil, func(r *KPIValue) *map[string]string { return &r.Custom })
	cohortMeta = newMeta(EntityCohorts, cohortColumns, func(r *Cohort) int64 { return r.ID },
		func(r *Cohort) time.Time { return r.UpdatedAt }, nil, func(r *Cohort) *map[string]string { return &r.Custom })
	automationMeta = newMeta(EntityAutomations, automationColumns, func(r *Automation) int64 { return r.ID },
		func(r *Automation) time.Time { return r.UpdatedAt }, nil,
		func(r *Automation) *map[string]string { return &r.Custom })
	deletionMeta = withIDIndex(newMeta(Entity("deletions"), deletionColumns, func(r *Deletion) int64 { return r.ID },
		func(r *Deletion) time.Time { return r.DeletedAt }, nil, nil), 1)
)

func withIDIndex[T any](m *meta[T], i int) *meta[T] {
	m.idIndex = i
	return m
}
