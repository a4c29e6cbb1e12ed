package practicebynumbers

import "fmt"

// Entity names a kind of record. Its value is stable: it is the REST path
// segment (/v1/{entity}), the CSV file base name ({entity}.csv), the key of
// [Inventory.Counts] and the entity of a [Deletion].
type Entity string

// Entities, in the order a migration loads them (parents first).
const (
	EntityOffices           Entity = "offices"
	EntityStaff             Entity = "staff"
	EntityCustomProperties  Entity = "custom_properties"
	EntityCohorts           Entity = "cohorts"
	EntityPatients          Entity = "patients"
	EntityInsuranceCarriers Entity = "insurance_carriers"
	EntityCoverages         Entity = "coverages"
	EntityAppointments      Entity = "appointments"
	EntityProcedures        Entity = "procedures"
	EntityTreatmentPlans    Entity = "treatment_plans"
	EntityCommunications    Entity = "communications"
	EntityFormSubmissions   Entity = "form_submissions"
	EntityDocuments         Entity = "documents"
	EntityKPIDefinitions    Entity = "kpi_definitions"
	EntityKPIValues         Entity = "kpi_values"
	EntityAutomations       Entity = "automations"
)

var allEntities = []Entity{
	EntityOffices, EntityStaff, EntityCustomProperties, EntityCohorts, EntityPatients,
	EntityInsuranceCarriers, EntityCoverages, EntityAppointments, EntityProcedures,
	EntityTreatmentPlans, EntityCommunications, EntityFormSubmissions, EntityDocuments,
	EntityKPIDefinitions, EntityKPIValues, EntityAutomations,
}

// Entities returns every entity in load order (parents before children).
// The slice is a fresh copy.
func Entities() []Entity { return append([]Entity(nil), allEntities...) }

// ParseEntity accepts an entity name in any case or punctuation
// ("Treatment Plans", "treatment-plans", "TreatmentPlans").
func ParseEntity(s string) (Entity, error) {
	k := normKey(s)
	for _, e := range allEntities {
		if normKey(string(e)) == k {
			return e, nil
		}
	}
	return "", fmt.Errorf("practicebynumbers: unknown entity %q", s)
}

// Valid reports whether e is one of [Entities].
func (e Entity) Valid() bool {
	for _, x := range allEntities {
		if x == e {
			return true
		}
	}
	return false
}

// String returns the entity name.
func (e Entity) String() string { return string(e) }

// PatientOwned reports whether records of e belong to a patient (they carry
// a patientId and the REST list accepts the patient_id filter).
func (e Entity) PatientOwned() bool {
	switch e {
	case EntityAppointments, EntityProcedures, EntityTreatmentPlans, EntityCoverages,
		EntityCommunications, EntityFormSubmissions, EntityDocuments:
		return true
	}
	return false
}

// FileName is the entity's CSV export file name ("patients.csv").
func (e Entity) FileName() string { return string(e) + ".csv" }
