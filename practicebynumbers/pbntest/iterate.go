package pbntest

import (
	"iter"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// Patients yields every patient in id order. Each patient is built on
// demand; memory does not grow with the practice.
func (p *Practice) Patients() iter.Seq[pbn.Patient] {
	return func(yield func(pbn.Patient) bool) {
		for i := range p.patients {
			if !yield(p.patientAt(i)) {
				return
			}
		}
	}
}

// Charts yields every patient with all their records, in patient id order.
func (p *Practice) Charts() iter.Seq[Chart] {
	return func(yield func(Chart) bool) {
		for i := range p.patients {
			if !yield(p.chart(i, partAll)) {
				return
			}
		}
	}
}

func childSeq[T any](p *Practice, pt part, get func(*Chart) []T) iter.Seq[T] {
	return func(yield func(T) bool) {
		for i := range p.patients {
			ch := p.chart(i, pt)
			for _, r := range get(&ch) {
				if !yield(r) {
					return
				}
			}
		}
	}
}

// Appointments yields every appointment in id order (grouped by patient).
func (p *Practice) Appointments() iter.Seq[pbn.Appointment] {
	return childSeq(p, partClinical, func(c *Chart) []pbn.Appointment { return c.Appointments })
}

// Procedures yields every procedure in id order.
func (p *Practice) Procedures() iter.Seq[pbn.Procedure] {
	return childSeq(p, partClinical, func(c *Chart) []pbn.Procedure { return c.Procedures })
}

// TreatmentPlans yields every treatment plan in id order.
func (p *Practice) TreatmentPlans() iter.Seq[pbn.TreatmentPlan] {
	return childSeq(p, partClinical, func(c *Chart) []pbn.TreatmentPlan { return c.TreatmentPlans })
}

// Coverages yields every coverage in id order.
func (p *Practice) Coverages() iter.Seq[pbn.Coverage] {
	return childSeq(p, partCoverages, func(c *Chart) []pbn.Coverage { return c.Coverages })
}

// Communications yields every communication in id order.
func (p *Practice) Communications() iter.Seq[pbn.Communication] {
	return childSeq(p, partComms, func(c *Chart) []pbn.Communication { return c.Communications })
}

// FormSubmissions yields every form submission in id order.
func (p *Practice) FormSubmissions() iter.Seq[pbn.FormSubmission] {
	return childSeq(p, partForms, func(c *Chart) []pbn.FormSubmission { return c.FormSubmissions })
}

// Documents yields every document's metadata in id order; see
// [Practice.DocumentContent] for the bytes.
func (p *Practice) Documents() iter.Seq[pbn.Document] {
	return childSeq(p, partForms, func(c *Chart) []pbn.Document { return c.Documents })
}

// Counts returns the number of records of every entity. Child entities are
// counted without building records (a pass over the per-patient counts).
func (p *Practice) Counts() map[pbn.Entity]int {
	m := map[pbn.Entity]int{
		pbn.EntityOffices:           len(p.offices),
		pbn.EntityStaff:             len(p.staff),
		pbn.EntityCustomProperties:  len(p.properties),
		pbn.EntityCohorts:           len(cohortNames),
		pbn.EntityPatients:          p.patients,
		pbn.EntityInsuranceCarriers: len(p.carriers),
		pbn.EntityKPIDefinitions:    len(p.kpis),
		pbn.EntityKPIValues:         len(p.kpiValues),
		pbn.EntityAutomations:       len(p.automations),
	}
	for i := range p.patients {
		c := p.counts(i)
		m[pbn.EntityAppointments] += c.appts
		m[pbn.EntityProcedures] += c.procs
		m[pbn.EntityTreatmentPlans] += c.plans
		m[pbn.EntityCoverages] += c.covs
		m[pbn.EntityCommunications] += c.comms
		m[pbn.EntityFormSubmissions] += c.forms
		m[pbn.EntityDocuments] += c.docs
	}
	return m
}
