package mapping_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/mapping"
)

const exampleMap = `version: 1
name: Example
objects:
  - name: patients
    source: patients
    target: contact
    source_key: PatNum
    external_id: pbn_patient_id
    fields:
      - from: FName
        to: firstName
        transform: [title_name]
        required: true
      - from: Email
        to: email
        transform: [email]
      - from: WirelessPhone
        to: phone
        transform: [{phone: {region: US}}]
      - from: Birthdate
        to: dateOfBirth
        transform: [date]
      - from: DateTStamp
        to: pbn_updated_at
        type: DATE
        transform: [date]
`

func Example() {
	m, err := mapping.Parse([]byte(exampleMap), "example.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := mapping.NewApplier(m, mapping.ApplierOptions{}); errors.Is(err, mapping.ErrNotApproved) {
		fmt.Println("not approved yet: inspect only")
	}
	if err := m.Approve("jane@practice.example", time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)); err != nil {
		fmt.Println(err)
		return
	}
	a, err := mapping.NewApplier(m, mapping.ApplierOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ps, err := a.Apply("patients", mapping.Row{
		"PatNum": "42", "FName": "JOHN", "Email": "John@Example.COM",
		"WirelessPhone": "(536)624-5871", "Birthdate": "0001-01-01", "DateTStamp": "2024-03-04 10:11:12",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	p := ps[0]
	for _, v := range append(p.Fields, p.Custom...) {
		fmt.Printf("%s = %s\n", v.Key, v.Text)
	}
	fmt.Println("valid:", p.Valid())
	// Output:
	// not approved yet: inspect only
	// firstName = John
	// email = John@example.com
	// phone = +15366245871
	// pbn_patient_id = 42
	// pbn_updated_at = 2024-03-04
	// valid: true
}

func ExampleParse_errors() {
	doc := strings.Replace(exampleMap, "      - from: Email", "      - form: Email", 1)
	doc = strings.Replace(doc, "[date]\n      - from: DateTStamp", "[dat]\n      - from: DateTStamp", 1)
	_, err := mapping.Parse([]byte(doc), "example.yaml")
	fmt.Println(err)
	// Output:
	// example.yaml:14:9: objects.patients.fields.email: unknown key "form" (did you mean "from"?)
	// example.yaml:14:9: objects.patients.fields.email: rule needs from, template, value or default
	// example.yaml:20:9: objects.patients.fields.dateOfBirth: unknown transform "dat" (did you mean "date"?)
}

func ExampleMap_Verify() {
	m, _ := mapping.Parse([]byte(exampleMap), "example.yaml")
	_ = m.Approve("jane", time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	m.Objects[0].Fields[0].Required = false // edited after approval
	err := m.Verify()
	fmt.Println(errors.Is(err, mapping.ErrNotApproved))
	fmt.Println(strings.Contains(err.Error(), "changed after it was approved by jane at 2026-11-30T09:00:00Z"))
	// Output:
	// true
	// true
}

func ExampleResolveOwners() {
	staff := []mapping.StaffMember{{Key: "7", Email: " Dr.Lee@Clinic.example "}, {Key: "8"}}
	users := []mapping.User{{ID: "u1", Email: "dr.lee@clinic.example"}, {ID: "u2", Email: "desk@clinic.example"}}
	o, err := mapping.ResolveOwners(staff, users, mapping.OwnerOptions{FallbackEmail: "desk@clinic.example"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, k := range []string{"7", "8"} {
		id, matched := o.Owner(k)
		fmt.Println(k, id, matched)
	}
	fmt.Println("unmatched:", len(o.Unmatched))
	// Output:
	// 7 u1 true
	// 8 u2 false
	// unmatched: 1
}

func ExampleDeriveSchema() {
	m, _ := mapping.Parse([]byte(exampleMap), "example.yaml")
	plan, err := mapping.DeriveSchema(m)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range plan.Fields {
		fmt.Println(f.FieldKey(), f.DataType)
	}
	// Output:
	// contact.pbn_patient_id TEXT
	// contact.pbn_updated_at DATE
}

func ExamplePropose() {
	inv := mapping.SourceInventory{Entities: []mapping.EntityInventory{{
		Name: "Patients",
		Fields: []mapping.FieldInventory{
			{Name: "PatNum", Samples: []string{"1", "2", "3"}},
			{Name: "E-mail", Samples: []string{"a@x.example", "b@x.example", ""}},
			{Name: "DOB", Samples: []string{"03/04/1980", "1975-11-30", "07/07/2001"}},
			{Name: "Balance", Samples: []string{"$12.00", "$0.50", "$3.25"}},
		},
	}}}
	pr, err := mapping.Propose(context.Background(), inv, mapping.Destination{}, mapping.ProposeOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	o := pr.Map.Objects[0]
	fmt.Println(o.Target, "keyed by", o.SourceKey)
	for _, f := range o.Fields {
		fmt.Printf("%s → %s %s (%.2f)\n", f.From, f.To, f.Type, f.Confidence)
	}
	for _, s := range o.Skip { // skipping is a decision, with its reason
		fmt.Printf("%s skipped: %s\n", s.From, s.Reason)
	}
	// Output:
	// contact keyed by PatNum
	// E-mail → email  (0.99)
	// DOB → dateOfBirth  (0.98)
	// Balance skipped: "Balance" reads as a running balance: it belongs to the billing system, and a copy in the CRM goes stale at once
}

func ExampleDefault() {
	m, err := mapping.Default(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	var b strings.Builder
	_ = m.WriteReview(&b, mapping.ReviewOptions{})
	fmt.Println(strings.Contains(b.String(), "not approved"))
	fmt.Println(len(m.Objects), "objects")
	if os.Getenv("SHOW_DEFAULT_MAP") != "" {
		_ = m.Save(os.Stdout) // the YAML a person edits
	}
	// Output:
	// true
	// 16 objects
}
