package pbntest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

func TestScratch(t *testing.T) {
	p := MustPractice(42, 2000)
	t0 := time.Now()
	s := p.Census()
	fmt.Println("census", time.Since(t0))
	b, _ := json.MarshalIndent(s, "", " ")
	fmt.Println(string(b))
	for _, e := range []pbn.Entity{pbn.EntityAppointments, pbn.EntityProcedures, pbn.EntityCoverages, pbn.EntityCommunications, pbn.EntityTreatmentPlans, pbn.EntityFormSubmissions, pbn.EntityDocuments} {
		fmt.Println(e, s.PerPatient(e))
	}
	ch, _ := p.Chart(5)
	b, _ = json.MarshalIndent(ch, "", " ")
	fmt.Println(string(b)[:6000])
}
