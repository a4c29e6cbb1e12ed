package pbntest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"os"
	"time"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

func ExampleNewPractice() {
	p, err := pbntest.NewPractice(42, 500)
	if err != nil {
		panic(err)
	}
	s := p.Census()
	fmt.Println("patients:", s.Records[pbn.EntityPatients])
	fmt.Println("offices:", s.Records[pbn.EntityOffices])
	fmt.Println("every phone format present:", len(s.PhoneFormats) == len(pbntest.PhoneFormats()))
	fmt.Println("sticky notes present:", s.AppointmentStatuses[pbn.AppointmentPtNote] > 0)
	// Output:
	// patients: 500
	// offices: 3
	// every phone format present: true
	// sticky notes present: true
}

func ExamplePractice_Chart() {
	p := pbntest.MustPractice(42, 100)
	ch, _ := p.Chart(3)
	fmt.Println(ch.Patient.ID, ch.Patient.GuarantorID.Compare(ch.Patient.ID) <= 0)
	for _, a := range ch.Appointments {
		aid, _ := a.ID.Int() // the simulator's ids are numbers, served as keys
		pid, _ := ch.Patient.ID.Int()
		fmt.Println(aid/100 == pid) // a record's patient is id/100
		break
	}
	// Output:
	// 3 true
	// true
}

func ExampleNewServer() {
	srv, err := pbntest.NewServer(pbntest.Options{Seed: 42, Patients: 200, Token: "T"})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/patients?limit=2", nil)
	req.Header.Set("Authorization", "Bearer T")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var page struct {
		Data       []pbn.Patient `json:"data"`
		NextCursor string        `json:"nextCursor"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		panic(err)
	}
	fmt.Println(resp.StatusCode, len(page.Data), page.Data[0].ID, page.NextCursor != "")
	// Output:
	// 200 2 1 true
}

func ExampleSimulator_Mutate() {
	srv, err := pbntest.NewServer(pbntest.Options{Seed: 42, Patients: 200})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	watermark := srv.Now() // as a client would store serverTime of its full scan
	changes := srv.MutateWith(pbntest.MutateOptions{Update: 3, Create: 0, Delete: 1})

	q := url.Values{"updated_since": {watermark.Format(time.RFC3339)}}
	n := 0
	for _, e := range pbn.Entities() {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/"+string(e)+"?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+srv.Token())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		var page struct {
			Data []json.RawMessage `json:"data"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		n += len(page.Data)
	}
	want := 0
	for _, e := range pbn.Entities() {
		want += len(changes.Changed(e))
	}
	fmt.Println("delta returns exactly the changes:", n == want, n >= 3)
	fmt.Println("deleted appointments, communications, coverages, documents:", len(changes.Deleted[pbn.EntityAppointments])+
		len(changes.Deleted[pbn.EntityCommunications])+len(changes.Deleted[pbn.EntityCoverages])+len(changes.Deleted[pbn.EntityDocuments]))
	// Output:
	// delta returns exactly the changes: true true
	// deleted appointments, communications, coverages, documents: 1
}

func ExamplePractice_WriteExport() {
	dir, err := os.MkdirTemp("", "pbn-export")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	p := pbntest.MustPractice(42, 100)
	st, err := p.WriteExport(context.Background(), dir, pbntest.ExportOptions{BOM: true, CRLF: true, PMSDates: true})
	if err != nil {
		panic(err)
	}
	fmt.Println("patients.csv rows:", st.Rows[pbn.EntityPatients])

	r, err := pbn.OpenExport(dir, pbn.ExportOptions{})
	if err != nil {
		panic(err)
	}
	same := 0
	want := p.Patients()
	next, stop := iter.Pull(want)
	defer stop()
	for got, err := range r.Patients(context.Background(), pbn.ListOptions{}) {
		w, _ := next()
		if err == nil && got.ID == w.ID && got.Email == w.Email && got.BirthDate == w.BirthDate {
			same++
		}
	}
	fmt.Println("read back identical:", same)
	// Output:
	// patients.csv rows: 100
	// read back identical: 100
}
