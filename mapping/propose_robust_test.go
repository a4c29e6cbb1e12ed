package mapping

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

func csvEntity(t testing.TB, name, data string) EntityInventory {
	t.Helper()
	e, err := SampleCSV(name, strings.NewReader(data), InventoryOptions{})
	require.NoError(t, err)
	return e
}

func mustLoad(t *testing.T, pr *Proposal) *Map {
	t.Helper()
	out, err := pr.Map.Marshal()
	require.NoError(t, err)
	m, err := Parse(out, "proposal.yaml")
	require.NoError(t, err, "the draft loads")
	return m
}

// TestProposeNeverFails: the shapes that used to stop the whole proposal
// ("a bug") now give a map that loads, with what is missing in the review.
func TestProposeNeverFails(t *testing.T) {
	inv := SourceInventory{Entities: []EntityInventory{
		csvEntity(t, "patients", "#,First Name,Last Name,Phone,Phone #,DOB\n1,Ann,Lee,503-555-0101,503-555-0191,1980-03-04\n2,Bob,Ng,503-555-0102,,1975-11-30\n3,Cy,Park,503-555-0103,,2001-07-07\n"),
		// A plans file without a stage or status column.
		csvEntity(t, "treatment_plans", "Plan,Patient ID,Fee\nA,1,$100.00\nB,2,$200.00\nC,1,$50.00\n"),
		// A file without an id column.
		csvEntity(t, "appointments", "Patient ID,When,Chair\n1,2024-01-02 09:00,Op 1\n2,2024-01-03 10:00,Op 2\n1,2024-01-04 11:00,Op 1\n"),
		// Keys that reduce to nothing or collide.
		csvEntity(t, "procedures", "Proc #,Patient ID,Code,#,Code!\n1,1,D1110,x,y\n2,2,D0120,z,w\n3,1,D0274,q,r\n"),
	}}
	pr, err := Propose(context.Background(), inv, Destination{}, ProposeOptions{})
	require.NoError(t, err)
	m := mustLoad(t, pr)
	require.Len(t, m.Objects, 4, "every file present gets an object")

	pt := m.Object("patients")
	assert.Equal(t, "#", pt.SourceKey)
	assert.Equal(t, "Phone", pt.Field("phone").From)
	keys := map[string]bool{}
	for _, f := range pt.Fields {
		assert.False(t, keys[f.To], "key %s unique", f.To)
		keys[f.To] = true
	}
	assert.True(t, keys["pbn_phone_number"], "\"Phone #\" is a phone number, not \"Phone\": %v", keys)

	tp := m.Object("treatment_plans")
	assert.Equal(t, TargetCustomObject, tp.Target, "without stages the plans are drafted as a custom object")
	assert.Contains(t, reviewText(pr), "no column gives a stage")

	ap := m.Object("appointments")
	assert.NotEmpty(t, ap.SourceKey)
	assert.Contains(t, reviewText(pr), "placeholder key")
	assert.NotNil(t, ap.Field("when"), "the placeholder key column keeps its rule")

	pc := m.Object("procedures")
	seen := map[string]bool{}
	for _, f := range pc.Fields {
		assert.False(t, seen[f.To], "key %s unique", f.To)
		seen[f.To] = true
	}
}

func reviewText(pr *Proposal) string {
	var b strings.Builder
	for _, r := range pr.Review {
		b.WriteString(r.String() + "\n")
	}
	return b.String()
}

// TestProposeOnlyFilesPresent: no object for an entity without records (an
// absent file read as empty), and no rules for columns the export lacks.
func TestProposeOnlyFilesPresent(t *testing.T) {
	inv := SourceInventory{Entities: []EntityInventory{
		csvEntity(t, "patients", "id,firstName,lastName,email\n1,Ann,Lee,a@x.example\n2,Bob,Ng,b@x.example\n"),
		{Name: "treatment_plans"}, // the reader lists it; the file is absent
		{Name: "appointments", Fields: []FieldInventory{{Name: "id"}, {Name: "patientId"}}},
	}}
	pr, err := Propose(context.Background(), inv, Destination{}, ProposeOptions{})
	require.NoError(t, err)
	m := mustLoad(t, pr)
	require.Len(t, m.Objects, 1)
	assert.Equal(t, "patients", m.Objects[0].Name)
	assert.Contains(t, strings.Join(pr.Notes, "\n"), "treatment_plans: no records; no object drafted")
	for _, f := range m.Objects[0].Fields {
		assert.Contains(t, []string{"firstName", "lastName", "email"}, f.From)
	}
}

// TestProposeRecognisesFilesByColumns: a file named like nothing is placed
// by its columns and values; a file that is nothing this tool moves is
// listed "not recognised — map by hand" with its columns, and the others
// are still proposed.
func TestProposeRecognisesFilesByColumns(t *testing.T) {
	pr := proposeFolder(t, "only_patients")
	require.Len(t, pr.Map.Objects, 1)
	assert.Equal(t, TargetContact, pr.Map.Objects[0].Target)
	assert.Contains(t, pr.Files[0].Why, "its columns hold names")

	pr = proposeFolder(t, "messy")
	var unrec []FileSummary
	for _, f := range pr.Files {
		if f.Object == "" {
			unrec = append(unrec, f)
		}
	}
	require.Len(t, unrec, 2)
	assert.Equal(t, "Fee Schedule", unrec[0].Entity)
	assert.Contains(t, unrec[0].Why, "not recognised — map by hand")
	assert.Equal(t, []string{"Code", "Description", "UCR", "PPO"}, unrec[0].Columns)
	var b bytes.Buffer
	require.NoError(t, pr.WriteReview(&b, ReviewOptions{}))
	assert.Contains(t, b.String(), "Not recognised — map by hand")
	assert.Contains(t, b.String(), "`Code`, `Description`, `UCR`, `PPO`")
}

// TestProposeValuesDecide: values recognise standard fields when the name
// gives no hint, and overrule a misleading one; the reason says so.
func TestProposeValuesDecide(t *testing.T) {
	pr := proposeFolder(t, "messy")
	o := pr.Map.Object("clients")
	require.NotNil(t, o)
	for to, from := range map[string]string{"email": "Contact", "dateOfBirth": "Info", "name": "Client"} {
		f := o.Field(to)
		if assert.NotNil(t, f, to) {
			assert.Equal(t, from, f.From, to)
			assert.Contains(t, f.Reason, "the values decided", to)
		}
	}
	pr = proposeFolder(t, "only_patients")
	f := pr.Map.Objects[0].Field("phone")
	require.NotNil(t, f)
	assert.Equal(t, "Primary Contact", f.From)
	assert.Contains(t, f.Reason, "are phone numbers")
}

// TestProposeSkips: sensitive columns are skipped and marked, by name or
// by value; balances and display settings are skipped with a reason; a
// person reverses a skip by moving the column into a rule.
func TestProposeSkips(t *testing.T) {
	pr := proposeFolder(t, "curve")
	o := pr.Map.Object("patients")
	require.NotNil(t, o)
	sk := map[string]Skip{}
	for _, s := range o.Skip {
		sk[s.From] = s
	}
	assert.True(t, sk["card_number"].Sensitive)
	assert.True(t, sk["card_last4"].Sensitive)
	pr = proposeFolder(t, "dentrix")
	o = pr.Map.Object("patient_list")
	sk = map[string]Skip{}
	for _, s := range o.Skip {
		sk[s.From] = s
	}
	assert.True(t, sk["SSN"].Sensitive)
	assert.False(t, sk["Balance"].Sensitive)
	assert.Contains(t, sk["Balance"].Reason, "running balance")

	// By value alone: a column named "Ref" holding SSNs.
	inv := SourceInventory{Entities: []EntityInventory{csvEntity(t, "patients",
		"id,First Name,Last Name,Ref\n1,Ann,Lee,123-45-6789\n2,Bob,Ng,987-65-4320\n3,Cy,Park,555-12-3456\n")}}
	pr, err := Propose(context.Background(), inv, Destination{}, ProposeOptions{})
	require.NoError(t, err)
	require.Len(t, pr.Map.Objects[0].Skip, 1)
	assert.True(t, pr.Map.Objects[0].Skip[0].Sensitive)
	assert.Contains(t, pr.Map.Objects[0].Skip[0].Reason, "social security numbers")
	assert.NotContains(t, pr.Map.Objects[0].Skip[0].Reason, "123-45", "never a value")

	// The override: the person maps SSN; the map refuses it while it is
	// also skipped, and takes it once the skip is removed.
	m := mustLoad(t, pr)
	o = &m.Objects[0]
	o.Fields = append(o.Fields, Field{From: "Ref", To: "pbn_ref", Type: TypeText})
	out, err := m.Marshal()
	require.NoError(t, err)
	_, err = Parse(out, "m.yaml")
	require.ErrorContains(t, err, `field "Ref" is both skipped and mapped`)
	o.Skip = nil
	out, err = m.Marshal()
	require.NoError(t, err)
	_, err = Parse(out, "m.yaml")
	require.NoError(t, err)
}

// TestSkipRoundTrip: skip rules load, save and load again unchanged, and
// change the digest (skipping or not is part of what is approved).
func TestSkipRoundTrip(t *testing.T) {
	src := []byte(`version: 1
name: t
objects:
  - name: patients
    source: patients
    target: contact
    source_key: id
    external_id: pbn_patient_id
    fields:
      - from: email
        to: email
    skip:
      - from: ssn
        reason: sensitive
        sensitive: true
      - from: balance
`)
	m, err := Parse(src, "t.yaml")
	require.NoError(t, err)
	assert.Equal(t, []Skip{{From: "ssn", Reason: "sensitive", Sensitive: true}, {From: "balance"}}, m.Objects[0].Skip)
	out, err := m.Marshal()
	require.NoError(t, err)
	assert.Equal(t, string(src), string(out))
	d1, _ := m.Digest()
	m.Objects[0].Skip = m.Objects[0].Skip[:1]
	d2, _ := m.Digest()
	assert.NotEqual(t, d1, d2)
	_, err = Parse([]byte(strings.Replace(string(src), "- from: balance", "- reason: x", 1)), "t.yaml")
	require.ErrorContains(t, err, "skip without a source field")
}

// TestInventoryDirEncodings: a UTF-16 report (with and without a mark,
// tab-separated) reads like UTF-8; an unreadable file is listed and the
// others are still read.
func TestInventoryDirEncodings(t *testing.T) {
	text := "Patient #\tPatient Name\tDOB\r\n1\tLee, Ann\t03/04/1980\r\n2\tNg, Bob\t11/30/1975\r\n"
	le := func(s string, mark bool) []byte {
		var b []byte
		if mark {
			b = []byte{0xFF, 0xFE}
		}
		for _, u := range utf16.Encode([]rune(s)) {
			b = append(b, byte(u), byte(u>>8))
		}
		return b
	}
	be := []byte{0xFE, 0xFF}
	for _, u := range utf16.Encode([]rune(text)) {
		be = append(be, byte(u>>8), byte(u))
	}
	fsys := fstest.MapFS{
		"a.csv":      {Data: le(text, true)},
		"b.txt":      {Data: le(text, false)},
		"c.csv":      {Data: be},
		"d.csv":      {Data: []byte("\ufeff" + strings.ReplaceAll(text, "\t", ";"))},
		"empty.csv":  {Data: nil},
		"notes.docx": {Data: []byte("PK")},
	}
	inv, err := InventoryDir(fsys, InventoryOptions{})
	require.NoError(t, err)
	require.Len(t, inv.Entities, 4)
	for _, e := range inv.Entities {
		require.Len(t, e.Fields, 3, e.File)
		assert.Equal(t, "Patient #", e.Fields[0].Name, e.File)
		assert.Equal(t, "Lee, Ann", e.Fields[1].Samples[0], e.File)
		assert.EqualValues(t, 2, e.Count, e.File)
	}
	require.Len(t, inv.Unreadable, 1)
	assert.Equal(t, "empty.csv", inv.Unreadable[0].File)

	raw, err := os.ReadFile(filepath.Join("testdata", "exports", "denticon_utf16", "Office List.csv"))
	require.NoError(t, err)
	assert.Equal(t, []byte{0xFF, 0xFE}, raw[:2], "the labelled set holds a real UTF-16 file")
}

// FuzzPropose: arbitrary header rows and values never panic the proposer,
// and what it drafts either loads or is explained file by file.
func FuzzPropose(f *testing.F) {
	f.Add("#,Phone,Phone #", "1,503-555-0101,x", "patients")
	f.Add("PatNum,LName,FName,SSN,Balance", "0042,Lee,Ann,123-45-6789,$1.00", "Report")
	f.Add("{,},{{", "{,},}", "")
	f.Add("Stage,Status,Fee,Patient ID", "Won,ok,1,DRE1", "cases")
	f.Fuzz(func(t *testing.T, header, row, name string) {
		e := EntityInventory{Name: name, Count: 3}
		hs := strings.Split(header, ",")
		vs := strings.Split(row, ",")
		for i, h := range hs {
			v := ""
			if i < len(vs) {
				v = vs[i]
			}
			e.Fields = append(e.Fields, FieldInventory{Name: h, Samples: []string{v, v + "1", ""}})
		}
		inv := SourceInventory{Entities: []EntityInventory{e, {Name: "patients", Count: 1, Fields: []FieldInventory{{Name: "id", Samples: []string{"1"}}, {Name: row, Samples: []string{header}}}}}}
		pr, err := Propose(context.Background(), inv, Destination{}, ProposeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := pr.WriteReview(&b, ReviewOptions{}); err != nil {
			t.Fatal(err)
		}
		if len(pr.Map.Objects) == 0 {
			for _, fs := range pr.Files {
				if fs.Why == "" {
					t.Fatalf("file %q unexplained", fs.Entity)
				}
			}
			return
		}
		out, err := pr.Map.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(out, "proposal.yaml"); err != nil {
			t.Fatalf("the draft does not load: %v", err)
		}
	})
}

// TestRejectsShownByPropose: rows the typed reader rejects (an id cell with
// white space inside: a name column mistaken for the id) are counted by
// reason in the inventory and shown at the top of the review — never a
// value. Alphanumeric codes (DRE3) are ids like any other and are read.
func TestRejectsShownByPropose(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	_, err := pbntest.MustPractice(7, 12).WriteExport(ctx, dir, pbntest.ExportOptions{})
	require.NoError(t, err)
	path := filepath.Join(dir, "patients.csv")
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(string(raw), "\n")
	for _, i := range []int{1, 2} {
		_, rest, _ := strings.Cut(lines[i], ",")
		lines[i] = "DRE X" + strconv.Itoa(i) + "," + rest
	}
	_, rest, _ := strings.Cut(lines[3], ",")
	lines[3] = "DRE3," + rest
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o600))
	src, err := pbn.OpenExport(dir, pbn.ExportOptions{})
	require.NoError(t, err)
	inv, err := InventorySource(ctx, src, SourceOptions{})
	require.NoError(t, err)
	pt := inv.Entity("patients")
	total := 0
	for reason, n := range pt.Rejects {
		total += n
		assert.Contains(t, reason, "id", "the reason names the column")
		assert.NotContains(t, reason, "DRE")
	}
	assert.Equal(t, 2, total)
	assert.EqualValues(t, 10, pt.Count)
	pr, err := Propose(ctx, inv, Destination{}, ProposeOptions{})
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, pr.WriteReview(&b, ReviewOptions{}))
	assert.Regexp(t, "\\| `patients` \\| 10 \\| \\*\\*2\\*\\*: 2 [a-z_]*id: invalid id: has white space inside \\|", b.String())
}

// TestProposeStatusValues: a case status HighLevel would refuse as written
// is mapped to open/won/lost/abandoned by its words, for review; a status
// with a word it cannot read is not guessed.
func TestProposeStatusValues(t *testing.T) {
	inv := SourceInventory{Entities: []EntityInventory{
		csvEntity(t, "patients", "id,First Name,Last Name,Email\n1,Ann,Lee,a@x.example\n2,Bob,Ng,b@x.example\n"),
		csvEntity(t, "cases", "id,Patient ID,Stage,Status,Fee\n1,1,Consult,Proposed,$10.00\n2,2,Consult,Accepted,$20.00\n3,1,Done,Declined,$5.00\n4,2,Done,Cancelled,$7.00\n"),
	}}
	pr, err := Propose(context.Background(), inv, Destination{}, ProposeOptions{})
	require.NoError(t, err)
	st := mustLoad(t, pr).Object("cases").Field("status")
	require.NotNil(t, st)
	assert.Equal(t, ValueMap{{"Accepted", "won"}, {"Cancelled", "abandoned"}, {"Declined", "lost"}, {"Proposed", "open"}}, st.Values)
	assert.Less(t, st.Confidence, 0.6, "a reading of words goes to review")

	inv.Entities[1] = csvEntity(t, "cases", "id,Patient ID,Stage,Status,Fee\n1,1,Consult,Proposed,$10.00\n2,2,Consult,On hold,$20.00\n")
	pr, err = Propose(context.Background(), inv, Destination{}, ProposeOptions{})
	require.NoError(t, err)
	assert.Nil(t, mustLoad(t, pr).Object("cases").Field("status"), "not guessed")
}

// TestValuesOverruleMisleadingName: a "Home Phone" column of e-mail
// addresses is the e-mail, and the reason says the values overruled the
// name; the overruled pick stays below the confident line.
func TestValuesOverruleMisleadingName(t *testing.T) {
	inv := SourceInventory{Entities: []EntityInventory{csvEntity(t, "patients",
		"id,First Name,Last Name,Home Phone\n1,Ann,Lee,a@x.example\n2,Bob,Ng,b@y.example\n3,Cy,Park,c@z.example\n")}}
	pr, err := Propose(context.Background(), inv, Destination{}, ProposeOptions{})
	require.NoError(t, err)
	f := mustLoad(t, pr).Objects[0].Field("email")
	require.NotNil(t, f)
	assert.Equal(t, "Home Phone", f.From)
	assert.Contains(t, f.Reason, "overruling the name, which suggested phone")
	assert.Less(t, f.Confidence, 0.8)
}

// TestProposeNoRuleForAbsentColumn: a column the export lacks reads as 0
// through the typed reader; the proposer drafts no rule and no link from
// it (it says the column is empty) instead of a field of zeros.
func TestProposeNoRuleForAbsentColumn(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	_, err := pbntest.MustPractice(7, 12).WriteExport(ctx, dir, pbntest.ExportOptions{})
	require.NoError(t, err)
	path := filepath.Join(dir, "appointments.csv")
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	require.NoError(t, err)
	col := slices.IndexFunc(rows[0], func(h string) bool { return strings.Contains(normName(h), "office") })
	require.GreaterOrEqual(t, col, 0, "the export has an office column: %v", rows[0])
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	for _, r := range rows {
		require.NoError(t, w.Write(slices.Delete(r, col, col+1)))
	}
	w.Flush()
	require.NoError(t, os.WriteFile(path, out.Bytes(), 0o600))
	src, err := pbn.OpenExport(dir, pbn.ExportOptions{})
	require.NoError(t, err)
	inv, err := InventorySource(ctx, src, SourceOptions{InventoryOptions: InventoryOptions{Samples: 500}})
	require.NoError(t, err)
	pr, err := Propose(ctx, inv, Destination{}, ProposeOptions{})
	require.NoError(t, err)
	o := mustLoad(t, pr).Object("appointments")
	require.NotNil(t, o)
	for _, f := range o.Fields {
		assert.NotEqual(t, "officeId", f.From)
	}
	for _, l := range o.Lookups {
		assert.NotEqual(t, "officeId", l.From)
	}
	assert.Contains(t, o.Skip, Skip{From: "officeId", Reason: fmt.Sprintf("no values in any of the %d rows", inv.Entity("appointments").Count)})
}
