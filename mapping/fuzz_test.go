package mapping

import (
	"strings"
	"testing"
)

// FuzzApplyPatient feeds arbitrary values to every patient field of the
// default map: no panic, and no problem ever quotes a value (each value
// carries a marker that would show up if it leaked).
func FuzzApplyPatient(f *testing.F) {
	m, err := Default(testProperties())
	if err != nil {
		f.Fatal(err)
	}
	if err := m.Approve("fuzz", fixedTime); err != nil {
		f.Fatal(err)
	}
	a, err := NewApplier(m, ApplierOptions{})
	if err != nil {
		f.Fatal(err)
	}
	o := m.Object("patients")
	var fields []string
	for _, r := range o.Fields {
		if r.From != "" {
			fields = append(fields, r.From)
		}
		fields = append(fields, r.Fallback...)
	}
	f.Add("John", "(536)624-5871 x12", "1980-02-30", "Maine")
	f.Add("", "+44 20 7946 0958", "0001-01-01", "")
	f.Add("a@b", "12", "13/13/2013", "ZZ")
	f.Fuzz(func(t *testing.T, a1, a2, a3, a4 string) {
		const marker = "qzxleak"
		vals := []string{a1, a2, a3, a4}
		row := Row{"id": "1", "status": "Patient"}
		for i, fl := range fields {
			row[fl] = marker + vals[i%len(vals)]
		}
		for i, fl := range []string{"email", "mobilePhone", "birthDate", "address.state"} {
			row[fl] = vals[i] + marker
		}
		ps, err := a.Apply("patients", row)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps[0].Problems {
			if strings.Contains(strings.ToLower(p.String()), marker) {
				t.Fatalf("problem quotes a value: rule %s field %s", p.Rule, p.Field)
			}
		}
	})
}

func FuzzTemplate(f *testing.F) {
	f.Add("[{at}] {channel}: {body}", "x")
	f.Add("{{literal}} {", "")
	f.Add("}{", "v")
	f.Fuzz(func(t *testing.T, tmpl, v string) {
		parts, err := parseTemplate(tmpl)
		if err != nil {
			return
		}
		row := Row{}
		refs := 0
		for _, p := range parts {
			if p.field != "" {
				row[p.field] = v
				refs++
			}
		}
		out := fillTemplate(parts, row)
		tv := strings.TrimSpace(v)
		switch {
		case refs == 0 || tv == "":
			if out != "" {
				t.Fatalf("a template without values renders %q", out)
			}
		case !strings.Contains(out, tv):
			t.Fatalf("the value is missing from the rendering")
		}
	})
}

// FuzzStructRecord checks the struct adapter on arbitrary field names.
func FuzzStructRecord(f *testing.F) {
	f.Add("custom.case_type")
	f.Add("address.")
	f.Add(".")
	f.Fuzz(func(t *testing.T, name string) {
		r := Struct(samplePatient(t))
		_, _ = r.Get(name)
	})
}
