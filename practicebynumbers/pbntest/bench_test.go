package pbntest

import (
	"testing"
)

// BenchmarkGenerate measures records per second of the full generator
// (every entity of every patient).
func BenchmarkGenerate(b *testing.B) {
	p := MustPractice(42, 1_000_000)
	b.ReportAllocs()
	records := 0
	i := 0
	for b.Loop() {
		ch := p.chart(i%p.patients, partAll)
		records += 1 + len(ch.Appointments) + len(ch.Procedures) + len(ch.TreatmentPlans) + len(ch.Coverages) +
			len(ch.Communications) + len(ch.FormSubmissions) + len(ch.Documents)
		i++
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "patients/s")
}

// BenchmarkPatients measures the patient iterator alone.
func BenchmarkPatients(b *testing.B) {
	p := MustPractice(42, 1_000_000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = p.patientAt(i % p.patients)
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "records/s")
}
