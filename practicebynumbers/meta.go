package practicebynumbers

import "time"

// meta describes an entity type T to the generic reader and client code.
type meta[T any] struct {
	entity  Entity
	cols    []column[T]
	id      func(*T) Key
	updated func(*T) time.Time
	patient func(*T) Key // nil when T is not patient-owned
	custom  func(*T) *map[string]string
	index   map[string]int // normKey(name or alias) → column index
	idIndex int            // index in cols of the required id column
}

func newMeta[T any](e Entity, cols []column[T], id func(*T) Key, updated func(*T) time.Time,
	patient func(*T) Key, custom func(*T) *map[string]string) *meta[T] {
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
	officeMeta = newMeta(EntityOffices, officeColumns, func(r *Office) Key { return r.ID },
		func(r *Office) time.Time { return r.UpdatedAt }, nil, func(r *Office) *map[string]string { return &r.Custom })
	staffMeta = newMeta(EntityStaff, staffColumns, func(r *Staff) Key { return r.ID },
		func(r *Staff) time.Time { return r.UpdatedAt }, nil, func(r *Staff) *map[string]string { return &r.Custom })
	patientMeta = newMeta(EntityPatients, patientColumns, func(r *Patient) Key { return r.ID },
		func(r *Patient) time.Time { return r.UpdatedAt }, nil, func(r *Patient) *map[string]string { return &r.Custom })
	appointmentMeta = newMeta(EntityAppointments, appointmentColumns, func(r *Appointment) Key { return r.ID },
		func(r *Appointment) time.Time { return r.UpdatedAt }, func(r *Appointment) Key { return r.PatientID },
		func(r *Appointment) *map[string]string { return &r.Custom })
	procedureMeta = newMeta(EntityProcedures, procedureColumns, func(r *Procedure) Key { return r.ID },
		func(r *Procedure) time.Time { return r.UpdatedAt }, func(r *Procedure) Key { return r.PatientID },
		func(r *Procedure) *map[string]string { return &r.Custom })
	treatmentPlanMeta = newMeta(EntityTreatmentPlans, treatmentPlanColumns, func(r *TreatmentPlan) Key { return r.ID },
		func(r *TreatmentPlan) time.Time { return r.UpdatedAt }, func(r *TreatmentPlan) Key { return r.PatientID },
		func(r *TreatmentPlan) *map[string]string { return &r.Custom })
	carrierMeta = newMeta(EntityInsuranceCarriers, carrierColumns, func(r *InsuranceCarrier) Key { return r.ID },
		func(r *InsuranceCarrier) time.Time { return r.UpdatedAt }, nil,
		func(r *InsuranceCarrier) *map[string]string { return &r.Custom })
	coverageMeta = newMeta(EntityCoverages, coverageColumns, func(r *Coverage) Key { return r.ID },
		func(r *Coverage) time.Time { return r.UpdatedAt }, func(r *Coverage) Key { return r.PatientID },
		func(r *Coverage) *map[string]string { return &r.Custom })
	communicationMeta = newMeta(EntityCommunications, communicationColumns, func(r *Communication) Key { return r.ID },
		func(r *Communication) time.Time { return r.UpdatedAt }, func(r *Communication) Key { return r.PatientID },
		func(r *Communication) *map[string]string { return &r.Custom })
	formSubmissionMeta = newMeta(EntityFormSubmissions, formSubmissionColumns, func(r *FormSubmission) Key { return r.ID },
		func(r *FormSubmission) time.Time { return r.UpdatedAt }, func(r *FormSubmission) Key { return r.PatientID },
		func(r *FormSubmission) *map[string]string { return &r.Custom })
	documentMeta = newMeta(EntityDocuments, documentColumns, func(r *Document) Key { return r.ID },
		func(r *Document) time.Time { return r.UpdatedAt }, func(r *Document) Key { return r.PatientID },
		func(r *Document) *map[string]string { return &r.Custom })
	customPropertyMeta = newMeta(EntityCustomProperties, customPropertyColumns,
		func(r *CustomPropertyDefinition) Key { return r.ID },
		func(r *CustomPropertyDefinition) time.Time { return r.UpdatedAt }, nil,
		func(r *CustomPropertyDefinition) *map[string]string { return &r.Custom })
	kpiDefinitionMeta = newMeta(EntityKPIDefinitions, kpiDefinitionColumns, func(r *KPIDefinition) Key { return r.ID },
		func(r *KPIDefinition) time.Time { return r.UpdatedAt }, nil,
		func(r *KPIDefinition) *map[string]string { return &r.Custom })
	kpiValueMeta = newMeta(EntityKPIValues, kpiValueColumns, func(r *KPIValue) Key { return r.ID },
		func(r *KPIValue) time.Time { return r.UpdatedAt }, nil, func(r *KPIValue) *map[string]string { return &r.Custom })
	cohortMeta = newMeta(EntityCohorts, cohortColumns, func(r *Cohort) Key { return r.ID },
		func(r *Cohort) time.Time { return r.UpdatedAt }, nil, func(r *Cohort) *map[string]string { return &r.Custom })
	automationMeta = newMeta(EntityAutomations, automationColumns, func(r *Automation) Key { return r.ID },
		func(r *Automation) time.Time { return r.UpdatedAt }, nil,
		func(r *Automation) *map[string]string { return &r.Custom })
	deletionMeta = withIDIndex(newMeta(Entity("deletions"), deletionColumns, func(r *Deletion) Key { return r.ID },
		func(r *Deletion) time.Time { return r.DeletedAt }, nil, nil), 1)
)

func withIDIndex[T any](m *meta[T], i int) *meta[T] {
	m.idIndex = i
	return m
}
