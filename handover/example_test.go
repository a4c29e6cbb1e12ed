package handover_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pbnhl/pbnhl/handover"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// Write a handover pack from a source alone (a simulated practice here);
// the approved map, the run ledger and a HighLevel client each add what
// they know (custom field keys, counts, cohort checks).
func ExampleWrite() {
	ps, err := pbntest.NewServer(pbntest.Options{Seed: 7, Patients: 20})
	if err != nil {
		panic(err)
	}
	defer ps.Close()
	src, err := pbn.NewClient(pbn.Options{BaseURL: ps.URL, Token: ps.Token(), RateLimit: -1})
	if err != nil {
		panic(err)
	}
	dir, err := os.MkdirTemp("", "handover-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	p, err := handover.Write(context.Background(), filepath.Join(dir, "pack"), handover.Inputs{Source: src, Practice: "Maple Street Dental"})
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Files)
	fmt.Printf("%d KPIs, %d cohorts, %d automations\n", len(p.KPIs), len(p.Cohorts), len(p.Automations))
	fmt.Println("first to rebuild:", p.Automations[0].Name)
	for _, a := range p.Automations {
		if a.Name == "Birthday greeting" {
			fmt.Println(a.Templates[0].HighLevel)
		}
	}
	// Output:
	// [kpis.csv kpis.json kpi_values.csv cohorts.csv guide.md guide.html guide.json cutover.md]
	// 11 KPIs, 10 cohorts, 7 automations
	// first to rebuild: Recall 6 months
	// Happy birthday {{contact.first_name}}! All of us at {{location.name}} wish you a wonderful year.
}
