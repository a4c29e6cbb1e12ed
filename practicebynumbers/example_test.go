package practicebynumbers_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// Read a CSV export folder: tolerant headers (PatNum, LName, Birthdate...),
// 0001-01-01 as "no date", unknown columns as custom values, and bad rows
// reported with file, line and column instead of being dropped.
func ExampleOpenExport() {
	ctx := context.Background()
	r, err := pbn.OpenExport("testdata/export", pbn.ExportOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for p, err := range r.Patients(ctx, pbn.ListOptions{}) {
		var rowErr *pbn.RowError
		if errors.As(err, &rowErr) {
			fmt.Println("skipped:", rowErr)
			continue
		}
		if err != nil {
			log.Fatal(err)
		}
		birth := p.BirthDate.String()
		if p.BirthDate.IsZero() {
			birth = "no date"
		}
		fmt.Printf("patient %s %s born %s, %d custom values\n", p.ID, p.Status, birth, len(p.Custom))
	}
	// Output:
	// patient 101 Patient born 1980-02-14, 2 custom values
	// patient 102 Patient born no date, 0 custom values
	// patient 103 Deceased born 1949-12-31, 1 custom values
	// skipped: patients.csv:6 (id 104); column 6 (PatStatus): invalid patient status: unknown patient status; column 8 (Birthdate): invalid date: malformed yyyy-mm-dd date or time
}

// The inventory of an export: row counts per entity and the custom property
// catalogue.
func ExampleExportReader_Inventory() {
	r, err := pbn.OpenExport("testdata/export", pbn.ExportOptions{})
	if err != nil {
		log.Fatal(err)
	}
	inv, err := r.Inventory(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("patients:", inv.Counts[pbn.EntityPatients], "appointments:", inv.Counts[pbn.EntityAppointments])
	for _, d := range inv.CustomProperties {
		fmt.Printf("custom %q (%s) %v\n", d.Key, d.Type, d.Options)
	}
	// No manifest.json in this folder: the export time (the next delta's
	// watermark) is its newest change stamp.
	fmt.Println("export time:", inv.ServerTime.Format(time.RFC3339))
	// Output:
	// patients: 4 appointments: 3
	// custom "Case Type" (picklist) [Implant Ortho Perio]
	// custom "referral_source" (text) []
	// export time: 2024-11-20T14:00:00Z
}

// Two Clients of one practice (a reader and a reconciler, say) share one
// Limiter: together they stay under the practice's rate limit and trip one
// circuit breaker.
func ExampleNewLimiter() {
	ctx := context.Background()
	srv, err := pbntest.NewServer(pbntest.Options{Seed: 1, Patients: 5})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	lim, err := pbn.NewLimiter(pbn.LimiterOptions{Name: "practice-1", Requests: 20, Window: time.Second})
	if err != nil {
		log.Fatal(err)
	}
	reader, err := pbn.NewClient(pbn.Options{BaseURL: srv.URL, Token: srv.Token(), Limiter: lim})
	if err != nil {
		log.Fatal(err)
	}
	checker, err := pbn.NewClient(pbn.Options{BaseURL: srv.URL, Token: srv.Token(), Limiter: lim})
	if err != nil {
		log.Fatal(err)
	}
	for _, err := range reader.Patients(ctx, pbn.ListOptions{}) {
		if err != nil {
			log.Fatal(err)
		}
	}
	if _, err := checker.Inventory(ctx); err != nil {
		log.Fatal(err)
	}
	n, window := lim.Limit()
	fmt.Printf("%d requests admitted under %d per %s; breaker %s\n", lim.Admitted(), n, window, lim.BreakerState())
	// Output:
	// 2 requests admitted under 20 per 1s; breaker closed
}

// Read the REST API (here the pbntest simulator on loopback), then pick up
// only what changed since the watermark.
func ExampleNewClient() {
	ctx := context.Background()
	srv, err := pbntest.NewServer(pbntest.Options{Seed: 1, Patients: 25})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	c, err := pbn.NewClient(pbn.Options{BaseURL: srv.URL, Token: srv.Token()})
	if err != nil {
		log.Fatal(err)
	}
	inv, err := c.Inventory(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("patients in inventory:", inv.Counts[pbn.EntityPatients])

	n := 0
	for _, err := range c.Patients(ctx, pbn.ListOptions{}) {
		if err != nil {
			log.Fatal(err)
		}
		n++
	}
	fmt.Println("patients listed:", n)

	p, err := pbn.Get[pbn.Patient](ctx, c, "3")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("patient 3 has an id of", p.ID)
	// Output:
	// patients in inventory: 25
	// patients listed: 25
	// patient 3 has an id of 3
}

func ExampleParseDate() {
	for _, s := range []string{"2019-03-04", "3/4/2019", "0001-01-01 00:00:00", "Mar 4, 2019"} {
		d, err := pbn.ParseDate(s)
		fmt.Printf("%q -> %q zero=%v err=%v\n", s, d, d.IsZero(), err)
	}
	// Output:
	// "2019-03-04" -> "2019-03-04" zero=false err=<nil>
	// "3/4/2019" -> "2019-03-04" zero=false err=<nil>
	// "0001-01-01 00:00:00" -> "" zero=true err=<nil>
	// "Mar 4, 2019" -> "2019-03-04" zero=false err=<nil>
}

func ExampleParseTimestamp() {
	ny, _ := time.LoadLocation("America/New_York")
	t, _ := pbn.ParseTimestamp("2024-03-04 10:04:05", ny)
	fmt.Println(t)
	fmt.Println(pbn.FormatTimestamp(t, ny))
	// Output:
	// 2024-03-04 15:04:05 +0000 UTC
	// 2024-03-04 10:04:05-05:00
}

// Read every entity of a source the same way, without one loop per record
// type: here, count what a CSV export folder holds and which rows are bad
// (Inventory counts rows; Records reads them).
func ExampleRecords() {
	ctx := context.Background()
	src, err := pbn.OpenExport("testdata/export", pbn.ExportOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range []pbn.Entity{pbn.EntityOffices, pbn.EntityStaff, pbn.EntityPatients, pbn.EntityAppointments} {
		seq, err := pbn.Records(ctx, src, e, pbn.ListOptions{})
		if err != nil {
			log.Fatal(err)
		}
		good, bad := 0, 0
		for rec, err := range seq {
			var rowErr *pbn.RowError
			switch {
			case errors.As(err, &rowErr):
				bad++
			case err != nil:
				log.Fatal(err)
			default:
				good++
				if p, ok := rec.(*pbn.Patient); ok && good == 1 {
					fmt.Println("first patient id:", p.ID)
				}
			}
		}
		fmt.Printf("%s: %d records, %d bad rows\n", e, good, bad)
	}
	// Output:
	// offices: 2 records, 0 bad rows
	// staff: 3 records, 0 bad rows
	// first patient id: 101
	// patients: 3 records, 1 bad rows
	// appointments: 3 records, 0 bad rows
}

// Write one record in the canonical CSV form (what pbntest's export writer
// does for every row).
func ExampleCSVRow() {
	proc := pbn.Procedure{ID: "9001", PatientID: "101", Code: "D1110", Fee: 9500, Status: pbn.ProcedureComplete,
		Date: pbn.NewDate(2019, 3, 4), UpdatedAt: time.Date(2019, 3, 4, 15, 0, 0, 0, time.UTC)}
	fmt.Println(pbn.CSVHeader(pbn.EntityProcedures))
	fmt.Println(pbn.CSVRow(&proc, time.UTC, nil))
	// Output:
	// [procedure_id patient_id appointment_id treatment_plan_id office_id provider_id code description tooth surface fee status date note created_at updated_at]
	// [9001 101     D1110    95.00 C 2019-03-04   2019-03-04 15:00:00+00:00]
}
