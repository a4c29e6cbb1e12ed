package mapping

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// BenchmarkDefaultMap measures records per second through the default map's
// transforms and validation on one goroutine, on a mix shaped like a practice:
// per patient about 6 appointments, 10 procedures and 15 communications.
func BenchmarkDefaultMap(b *testing.B) {
	m := approvedDefault(b)
	a, err := NewApplier(m, ApplierOptions{Owners: fixedOwners{"7": "u7", "fallback": "fb"}})
	if err != nil {
		b.Fatal(err)
	}
	type item struct {
		object string
		rec    any
	}
	phones := []string{"(536)624-5871", "536.624.5871 x12", "5552523366", "+1 503 555 0100", ""}
	states := []string{"CA", "Maine", "or", "New York"}
	var items []item
	base := time.Date(2020, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := range 200 {
		id := int64(1000 + i)
		items = append(items, item{"patients", &pbn.Patient{
			ID: pbn.KeyOf(id), FirstName: "ANNA", LastName: fmt.Sprintf("smith%d", i), Status: pbn.PatientStatusPatient,
			Gender: pbn.GenderFemale, BirthDate: mustDate(b, fmt.Sprintf("19%02d-0%d-1%d", 50+i%40, 1+i%9, i%9)),
			Address:     pbn.Address{Line1: "1 Main  St", City: "Salem", State: states[i%len(states)], PostalCode: "97301"},
			MobilePhone: phones[i%len(phones)], HomePhone: phones[(i+1)%len(phones)], WorkPhone: phones[(i+2)%len(phones)],
			Email: fmt.Sprintf("Anna.%d@Example.com", i), OfficeID: "1", AssignedStaffID: "7", GuarantorID: pbn.KeyOf(id),
			ContactMethod: pbn.ContactMethodEmail, TextConsent: pbn.ConsentYes, CreatedAt: base, UpdatedAt: base.Add(time.Hour),
			Custom: map[string]string{"case_type": "Perio", "lifetime_value": "120.5", "last_recall": "2024-01-02"},
		}})
		for j := range 6 {
			items = append(items, item{"appointments", &pbn.Appointment{ID: pbn.KeyOf(id*10 + int64(j)), PatientID: pbn.KeyOf(id), OfficeID: "1", ProviderID: "3",
				Status: pbn.AppointmentComplete, Start: base.Add(time.Duration(j) * 24 * time.Hour), DurationMinutes: 60,
				ProcedureDescription: "Pro, BWX", CreatedAt: base, UpdatedAt: base}})
		}
		for j := range 10 {
			items = append(items, item{"procedures", &pbn.Procedure{ID: pbn.KeyOf(id*100 + int64(j)), PatientID: pbn.KeyOf(id), ProviderID: "3",
				Code: "d1110", Description: "Prophy adult", Fee: 9500, Status: pbn.ProcedureComplete, Date: mustDate(b, "2021-03-04"),
				CreatedAt: base, UpdatedAt: base}})
		}
		for j := range 15 {
			items = append(items, item{"communications", &pbn.Communication{ID: pbn.KeyOf(id*100 + int64(j)), PatientID: pbn.KeyOf(id), StaffID: "7",
				Channel: pbn.ChannelSMS, Direction: pbn.DirectionOutbound, At: base, Body: "Reminder: your visit is tomorrow at 9"}})
		}
	}
	recs := make([]Record, len(items))
	for i, it := range items {
		recs[i] = Struct(it.rec)
	}
	var p Payload
	invalid := 0
	b.ReportAllocs()
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ResetTimer()
	v := NewValidator(m, ValidatorOptions{})
	for i := 0; i < b.N; i++ {
		k := i % len(items)
		if k == 0 && i > 0 {
			v = NewValidator(m, ValidatorOptions{}) // a fresh run: keys repeat per round
		}
		if err := a.ApplyTo(items[k].object, recs[k], &p); err != nil {
			b.Fatal(err)
		}
		v.Check(&p)
		if !p.Valid() {
			invalid++
		}
	}
	b.StopTimer()
	var ms1 runtime.MemStats
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(invalid)/float64(b.N), "invalid/record")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(b.N), "allocs/record")
}
