package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/rollback"
)

// copyFolder copies the files of folder src into a new folder dst.
func copyFolder(t *testing.T, src, dst string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dst, 0o700))
	ents, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		in, err := os.Open(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		out, err := os.Create(filepath.Join(dst, e.Name()))
		require.NoError(t, err)
		_, err = io.Copy(out, in)
		require.NoError(t, err)
		in.Close()
		require.NoError(t, out.Close())
	}
}

// setSource rewrites one object's source: line of a map file (an edit by
// hand: the approval is voided and must be given again).
func setSource(t *testing.T, mapPath, from, to string) {
	t.Helper()
	raw, err := os.ReadFile(mapPath)
	require.NoError(t, err)
	old := "    source: " + from + "\n"
	require.Contains(t, string(raw), old)
	raw = bytes.Replace(raw, []byte(old), []byte("    source: '"+to+"'\n"), 1)
	require.NoError(t, os.WriteFile(mapPath, raw, 0o600))
}

// TestProposeFilesRunnable: a map drafted with propose -files from another
// system's reports runs. Each object's source is the file that feeds it,
// read as it is (columns by their header; a UTF-16 report, PbN-like file
// names read as reports); approve → schema → preflight → run moves every
// row of each report that has a key column into HighLevel: every patient a
// contact under its key, every appointment a record related to its own
// patient's contact, reconcile -deep agreeing (the run gated by a sample of the patients' report's rows
// with the rows that lead to them, approved); a delta over the same reports writes nothing, and
// over a later export with one patient's row changed writes that contact
// only (the folder's manifest.json gives the watermark: reports carry no
// change stamp). A file is assigned to an object by hand by editing its
// source: a renamed report is read under its new name, and a source naming
// no file of the folder blocks preflight with the file named.
func TestProposeFilesRunnable(t *testing.T) {
	for _, tc := range []struct {
		folder, patients, appointments string
		patientKey, apptKey, apptRef   string
	}{
		{folder: "opendental", patients: "patient.csv", appointments: "appointment.csv", patientKey: "PatNum", apptKey: "AptNum", apptRef: "PatNum"},
		{folder: "denticon_utf16", patients: "Patient Demographics.csv", patientKey: "Patient #"},
		{folder: "curve", patients: "patients.csv", appointments: "appointments.csv", patientKey: "patient_id", apptKey: "appointment_id", apptRef: "patient_id"},
	} {
		t.Run(tc.folder, func(t *testing.T) {
			r := newRig(t, 1, 0)
			ctx := context.Background()
			export := r.path("export")
			copyFolder(t, filepath.Join("..", "..", "mapping", "testdata", "exports", tc.folder), export)
			delete(r.env, envPBNToken)
			srcArgs := []string{"-export", export}
			mapPath, ledger := r.path("map.yaml"), r.path("l.ledger")
			r.mustRun(join([]string{"propose", "-files", "-out", mapPath, "-review", r.path("review.md")}, srcArgs, r.hlArgs())...)
			m, err := mapping.Load(mapPath)
			require.NoError(t, err)
			var po, ao *mapping.Object
			for i := range m.Objects {
				o := &m.Objects[i]
				_, err := os.Stat(filepath.Join(export, o.Source))
				assert.NoError(t, err, "object %s reads a file of the folder by its name", o.Name)
				switch o.Source {
				case tc.patients:
					po = o
				case tc.appointments:
					ao = o
				}
			}
			require.NotNil(t, po, "an object reads %s", tc.patients)
			require.Equal(t, mapping.TargetContact, po.Target)
			require.Equal(t, tc.patientKey, po.SourceKey)

			// Assigned by hand: the patients report renamed, the map's
			// source edited to follow it.
			renamed := "Patients exported 2024-11-30.csv"
			require.NoError(t, os.Rename(filepath.Join(export, tc.patients), filepath.Join(export, renamed)))
			setSource(t, mapPath, quoteYAML(tc.patients), renamed)

			// The rows of each report, counted by the proposer's own
			// inventory (another reader than the run's).
			inv, err := mapping.InventoryDir(os.DirFS(export), mapping.InventoryOptions{})
			require.NoError(t, err)
			rows := map[string]int{}
			for _, e := range inv.Entities {
				rows[e.File] = int(e.Count)
			}
			require.Positive(t, rows[renamed])

			require.NoError(t, os.WriteFile(filepath.Join(export, "manifest.json"), []byte(`{"contract": "v1", "exportedAt": "2024-11-30T09:00:00Z"}`), 0o600))
			r.mustRun("approve", "-map", mapPath, "-by", "Dr. Reviewer")
			args := join([]string{"-map", mapPath}, r.led(ledger), srcArgs, r.hlArgs())
			r.mustRun(append([]string{"schema", "-apply", "-new-ledger"}, args...)...)
			out := r.mustRun(append([]string{"preflight"}, args...)...)
			assert.Contains(t, out, "ready: nothing blocks the run")
			// The sample gate, as for a PbN source: the slice is the
			// patients' report's rows with the rows of the reports whose
			// lookups lead to them; signed off, the run proceeds.
			r.gateSample = true
			code, _, errOut := r.run(append([]string{"run"}, args...)...)
			require.Equal(t, exitFailed, code)
			assert.Contains(t, errOut, "no approved sample for this map")
			report := r.path("sample-report.json")
			out = r.mustRun(append([]string{"sample", "-records", "12", "-report", report}, args...)...)
			assert.Contains(t, out, "0 differed, 0 missing")
			assert.Contains(t, out, "spread over offices")
			t.Logf("sample: %s", out)
			sampled := r.contacts()
			assert.Positive(t, sampled, "the sample wrote its patients")
			r.mustRun(append([]string{"approve-sample", "-report", report, "-actor", "Dr. Reviewer"}, args...)...)
			out = r.mustRun(append([]string{"run"}, args...)...)
			require.Contains(t, out, "run done")
			assert.Less(t, sampled, r.contacts(), "the sample was a slice, not the whole report")
			r.gateSample = false

			out = r.mustRun(append([]string{"reconcile", "-deep"}, args...)...)
			assert.Contains(t, out, "OK: source, ledger and HighLevel agree")

			l, err := rollback.Open(ctx, ledger, rollback.Options{ReadOnly: true, Key: bytes.Repeat([]byte{7}, 32)})
			require.NoError(t, err)
			defer l.Close()
			contactOf := map[string]string{}
			for e, err := range l.IDMap(ctx, po.RecordType()) {
				require.NoError(t, err)
				contactOf[e.SourceKey] = e.HighLevelID
			}
			t.Logf("%s: %d patients, %d contacts", tc.folder, rows[renamed], len(contactOf))
			assert.Len(t, contactOf, rows[renamed], "every patient row of %s is a contact", renamed)
			assert.Equal(t, rows[renamed], r.contacts())

			if ao != nil {
				hl, err := highlevel.NewClient(highlevel.Options{BaseURL: r.hl.URL, LocationID: hltest.DefaultLocationID,
					Auth: highlevel.StaticToken(hltest.DefaultToken)})
				require.NoError(t, err)
				var assocKey string
				for _, lk := range ao.Lookups {
					if lk.To == mapping.LinkAssociation && lk.Object == po.Name {
						assocKey = lk.Association
						require.Equal(t, tc.apptRef, lk.From)
					}
				}
				require.NotEmpty(t, assocKey, "appointments are related to their patient")
				assoc, err := hl.Associations.GetByKey(ctx, assocKey)
				require.NoError(t, err)
				// The appointment report's own rows: key → patient.
				patientOf := appointmentPatients(t, filepath.Join(export, tc.appointments), tc.apptKey, tc.apptRef)
				n := 0
				for e, err := range l.IDMap(ctx, ao.RecordType()) {
					require.NoError(t, err)
					n++
					var to []string
					for rel, err := range hl.Associations.Relations(ctx, e.HighLevelID, highlevel.RelationListOptions{AssociationIDs: []string{assoc.ID}}) {
						require.NoError(t, err)
						other := rel.FirstRecordID
						if other == e.HighLevelID {
							other = rel.SecondRecordID
						}
						to = append(to, other)
					}
					assert.Equal(t, []string{contactOf[patientOf[e.SourceKey]]}, to, "appointment %s related to patient %s", e.SourceKey, patientOf[e.SourceKey])
				}
				t.Logf("%s: %d appointments, %d migrated", tc.folder, rows[tc.appointments], n)
				assert.Equal(t, rows[tc.appointments], n, "every appointment row of %s arrives", tc.appointments)
			}

			// A delta over the same reports (rows carry no change stamp, so
			// every row is read again) writes nothing: each record's
			// digest is unchanged. The folder says when it was exported
			// (manifest.json): reports carry no stamp a watermark could
			// be taken from.
			out = r.mustRun(append([]string{"delta"}, args...)...)
			assert.Equal(t, "0", deltaColumn(t, out, po.Name, 2), "delta: nothing written\n%s", out)
			assert.Equal(t, rows[renamed], r.contacts(), "no contact made twice")
			if tc.folder != "denticon_utf16" {
				// One patient's row changed in a later export: the delta
				// updates that contact only.
				editFirstRow(t, filepath.Join(export, renamed), po)
				require.NoError(t, os.WriteFile(filepath.Join(export, "manifest.json"), []byte(`{"contract": "v1", "exportedAt": "2024-12-01T09:00:00Z"}`), 0o600))
				out = r.mustRun(append([]string{"delta"}, args...)...)
				assert.Equal(t, "1", deltaColumn(t, out, po.Name, 2), "delta: the changed patient written\n%s", out)
				assert.Equal(t, rows[renamed], r.contacts())
			}

			// A source naming no file of the folder blocks preflight,
			// naming the file.
			setSource(t, mapPath, quoteYAML(renamed), "Patient List.csv")
			r.mustRun("approve", "-map", mapPath, "-by", "Dr. Reviewer")
			code, out, errOut = r.run(append([]string{"preflight"}, args...)...)
			assert.NotEqual(t, exitOK, code)
			assert.Contains(t, out+errOut, "Patient List.csv")
			assert.Contains(t, out+errOut, "no such file in the export folder")
		})
	}
}

// quoteYAML is name as the map's YAML writes it (quoted when it must be).
func quoteYAML(name string) string {
	if strings.ContainsAny(name, "#:") || strings.HasPrefix(name, "'") {
		return "'" + name + "'"
	}
	return name
}

// appointmentPatients reads an appointment report (UTF-8, comma separated)
// as a person would: appointment key → patient key.
func appointmentPatients(t *testing.T, file, keyCol, refCol string) map[string]string {
	t.Helper()
	inv, err := mapping.InventoryDir(os.DirFS(filepath.Dir(file)), mapping.InventoryOptions{Samples: 100000})
	require.NoError(t, err)
	for _, e := range inv.Entities {
		if e.File != filepath.Base(file) {
			continue
		}
		var keys, refs []string
		for _, f := range e.Fields {
			switch f.Name {
			case keyCol:
				keys = f.Samples
			case refCol:
				refs = f.Samples
			}
		}
		require.Len(t, refs, len(keys))
		out := map[string]string{}
		for i, k := range keys {
			out[k] = refs[i]
		}
		return out
	}
	t.Fatalf("no %s", file)
	return nil
}

// deltaColumn is column col (1: records, 2: written, 3: existing) of
// object's line in a run's or delta's table.
func deltaColumn(t *testing.T, out, object string, col int) string {
	t.Helper()
	for line := range strings.SplitSeq(out, "\n") {
		f := strings.Fields(line)
		if len(f) > col && f[0] == object {
			return f[col]
		}
	}
	t.Fatalf("no line for %s in\n%s", object, out)
	return ""
}

// editFirstRow changes the first patient's last name (the column of the
// object's lastName rule) in a UTF-8 comma-separated report.
func editFirstRow(t *testing.T, file string, po *mapping.Object) {
	t.Helper()
	col := ""
	for _, f := range po.Fields {
		if f.To == "lastName" {
			col = f.From
		}
	}
	require.NotEmpty(t, col, "a lastName rule")
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")))).ReadAll()
	require.NoError(t, err)
	j := slices.Index(rows[0], col)
	require.GreaterOrEqual(t, j, 0)
	rows[1][j] = "Changedname"
	var b bytes.Buffer
	require.NoError(t, csv.NewWriter(&b).WriteAll(rows))
	require.NoError(t, os.WriteFile(file, b.Bytes(), 0o600))
}

// TestProposeFilesRepeatedKey: a report without a column identifying a
// record (Eaglesoft's "Procedures Completed") is drafted with a composite
// key — the fewest columns whose values together are unique, here Patient
// ID + Service Date — flagged for review, and every row arrives. A key
// that does not identify a record (the map edited to Patient ID alone)
// blocks preflight on the rows that repeat an earlier row's key, naming
// the column, instead of the run taking them for that row; run
// -accept-invalid leaves them out knowingly, counted invalid and listed,
// never as "existing".
func TestProposeFilesRepeatedKey(t *testing.T) {
	r := newRig(t, 1, 0)
	delete(r.env, envPBNToken)
	srcArgs := []string{"-export", filepath.Join("..", "..", "mapping", "testdata", "exports", "eaglesoft")}
	mapPath := r.path("map.yaml")
	r.mustRun(join([]string{"propose", "-files", "-out", mapPath, "-review", r.path("review.md")}, srcArgs, r.hlArgs())...)
	rv, err := os.ReadFile(r.path("review.md"))
	require.NoError(t, err)
	assert.Contains(t, string(rv), "no column identifies a record: keyed by 2 columns")
	raw, err := os.ReadFile(mapPath)
	require.NoError(t, err)
	require.Contains(t, string(raw), "    source_key: Patient ID + Service Date\n")
	r.mustRun("approve", "-map", mapPath, "-by", "Dr. Reviewer")
	args := join([]string{"-map", mapPath}, r.led(r.path("l.ledger")), srcArgs, r.hlArgs())
	r.mustRun(append([]string{"schema", "-apply", "-new-ledger"}, args...)...)
	out := r.mustRun(append([]string{"preflight"}, args...)...)
	assert.Contains(t, out, "ready: nothing blocks the run")
	out = r.mustRun(append([]string{"run"}, args...)...)
	assert.Equal(t, "40", deltaColumn(t, out, "procedures_completed", 2), "every procedure written\n%s", out)
	// This folder has no manifest.json: the load recorded no watermark for
	// its reports, which a delta over reports does not need (every row is
	// read again and compared by content): nothing changed, nothing written.
	out = r.mustRun(append([]string{"delta"}, args...)...)
	assert.Equal(t, "0", deltaColumn(t, out, "total", 2), "nothing written\n%s", out)

	// Keyed by a column that repeats: blocked, then left out knowingly.
	r2 := newRig(t, 1, 0)
	delete(r2.env, envPBNToken)
	require.NoError(t, os.WriteFile(r2.path("map.yaml"), bytes.Replace(raw, []byte("source_key: Patient ID + Service Date\n"), []byte("source_key: Patient ID\n"), 1), 0o600))
	mapPath = r2.path("map.yaml")
	r2.mustRun("approve", "-map", mapPath, "-by", "Dr. Reviewer")
	args = join([]string{"-map", mapPath}, r2.led(r2.path("l.ledger")), srcArgs, r2.hlArgs())
	r2.mustRun(append([]string{"schema", "-apply", "-new-ledger"}, args...)...)
	code, out, errOut := r2.run(append([]string{"preflight"}, args...)...)
	assert.NotEqual(t, exitOK, code)
	assert.Contains(t, out+errOut, "procedures_completed: 15 of 40 records invalid")
	assert.Contains(t, out+errOut, "repeated_key")
	assert.Contains(t, out+errOut, "column Patient ID")
	out = r2.mustRun(append([]string{"run", "-accept-invalid"}, args...)...)
	assert.Equal(t, "25", deltaColumn(t, out, "procedures_completed", 2), "written\n%s", out)
	assert.Equal(t, "0", deltaColumn(t, out, "procedures_completed", 3), "none taken for another row\n%s", out)
	assert.Equal(t, "15", deltaColumn(t, out, "procedures_completed", 6), "invalid\n%s", out)
}

// TestProposeFilesEveryFolderRuns: every folder of the proposer's labelled
// sets (exports, exports_heldout, exports_heldout2, exports_heldout3: 17
// folders of Dentrix, Eaglesoft, Open Dental, Denticon, Curve, SoftDent,
// Dolphin, CareStack... shaped reports) goes propose -files → approve →
// schema → preflight (ready) → run as drafted, and every record of the
// run's total is written or matched, none invalid.
func TestProposeFilesEveryFolderRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("17 folders end to end")
	}
	for _, set := range []string{"exports", "exports_heldout", "exports_heldout2", "exports_heldout3"} {
		dirs, err := os.ReadDir(filepath.Join("..", "..", "mapping", "testdata", set))
		require.NoError(t, err)
		for _, d := range dirs {
			if !d.IsDir() {
				continue
			}
			t.Run(set+"/"+d.Name(), func(t *testing.T) {
				r := newRig(t, 1, 0)
				delete(r.env, envPBNToken)
				srcArgs := []string{"-export", filepath.Join("..", "..", "mapping", "testdata", set, d.Name())}
				mapPath := r.path("map.yaml")
				r.mustRun(join([]string{"propose", "-files", "-out", mapPath, "-review", r.path("review.md")}, srcArgs, r.hlArgs())...)
				r.mustRun("approve", "-map", mapPath, "-by", "Dr. Reviewer")
				args := join([]string{"-map", mapPath}, r.led(r.path("l.ledger")), srcArgs, r.hlArgs())
				r.mustRun(append([]string{"schema", "-apply", "-new-ledger"}, args...)...)
				out := r.mustRun(append([]string{"preflight"}, args...)...)
				assert.Contains(t, out, "ready: nothing blocks the run")
				// Each report shape samples, and the run goes through the gate.
				r.gateSample = true
				report := r.path("sample-report.json")
				out = r.mustRun(append([]string{"sample", "-records", "10", "-report", report}, args...)...)
				assert.Contains(t, out, "0 differed, 0 missing")
				assert.Contains(t, out, "selection: ")
				r.mustRun(append([]string{"approve-sample", "-report", report}, args...)...)
				out = r.mustRun(append([]string{"run"}, args...)...)
				records, written, existing, invalid := deltaColumn(t, out, "total", 1), deltaColumn(t, out, "total", 2),
					deltaColumn(t, out, "total", 3), deltaColumn(t, out, "total", 6)
				var n, w, e int
				_, err := fmt.Sscan(records+" "+written+" "+existing, &n, &w, &e)
				require.NoError(t, err)
				assert.Positive(t, w)
				assert.Equal(t, n, w+e, "every record written or matched\n%s", out)
				assert.Equal(t, "0", invalid, out)
			})
		}
	}
}
