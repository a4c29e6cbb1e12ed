package pbnhl_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// exportEnv is an env whose source is a CSV export folder of its practice,
// with the schema applied, so the only blockers are the source's.
type exportEnv struct {
	*env
	dir string
}

func newExportEnv(t *testing.T) *exportEnv {
	t.Helper()
	e := newEnv(t, envOptions{patients: 30, seed: 21})
	dir := t.TempDir()
	_, err := e.pbn.Practice().WriteExport(context.Background(), dir, pbntest.ExportOptions{})
	require.NoError(t, err)
	_, err = e.migration(nil).ApplySchema(context.Background())
	require.NoError(t, err)
	return &exportEnv{env: e, dir: dir}
}

// preflight runs Preflight over the export folder as it now is.
func (x *exportEnv) preflight(t *testing.T, ro pbn.ExportOptions, mod func(*pbnhl.Options)) *pbnhl.PreflightReport {
	t.Helper()
	r, err := pbn.OpenExport(x.dir, ro)
	require.NoError(t, err)
	rep, err := x.migration(func(o *pbnhl.Options) {
		o.Source = r
		if mod != nil {
			mod(o)
		}
	}).Preflight(context.Background())
	require.NoError(t, err)
	return rep
}

func (x *exportEnv) rows(t *testing.T, file string) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(x.dir, file))
	require.NoError(t, err)
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	require.NoError(t, err)
	return rows
}

func (x *exportEnv) write(t *testing.T, file string, rows [][]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	require.NoError(t, w.WriteAll(rows))
	require.NoError(t, os.WriteFile(filepath.Join(x.dir, file), b.Bytes(), 0o600))
	return b.Bytes()
}

func blockersOf(r *pbnhl.PreflightReport, kind string) []pbnhl.Blocker {
	var out []pbnhl.Blocker
	for _, b := range r.Blockers {
		if b.Kind == kind {
			out = append(out, b)
		}
	}
	return out
}

func TestPreflightExportReady(t *testing.T) {
	x := newExportEnv(t)
	rep := x.preflight(t, pbn.ExportOptions{}, nil)
	require.True(t, rep.Ready(), rep.Blocking)
	assert.Equal(t, pbnhl.DefaultMaxInvalidShare, rep.MaxInvalidShare)
	assert.Equal(t, len(rep.Blocking), len(rep.Blockers))
}

// Issue 11.2: patients.csv without last_name made 0 of 300 valid and
// preflight said "ready".
func TestPreflightBlocksMissingRequiredColumn(t *testing.T) {
	x := newExportEnv(t)
	rows := x.rows(t, "patients.csv")
	col := slices.Index(rows[0], "last_name")
	require.Positive(t, col)
	for i := range rows {
		rows[i] = slices.Delete(rows[i], col, col+1)
	}
	x.write(t, "patients.csv", rows)

	rep := x.preflight(t, pbn.ExportOptions{}, nil)
	require.False(t, rep.Ready())
	miss := blockersOf(rep, pbnhl.BlockMissingColumn)
	require.Len(t, miss, 1, rep.Blocking)
	b := miss[0]
	assert.Equal(t, "patients", b.Object)
	assert.Equal(t, "patients.csv", b.File)
	assert.Equal(t, 1, b.Line)
	assert.Contains(t, b.Reason, "no last_name column")
	assert.Contains(t, b.Reason, "lastName")
	assert.Contains(t, b.Fix, "export patients.csv with the last_name column")
	assert.Empty(t, blockersOf(rep, pbnhl.BlockInvalidShare), "the cause is named once")
	tally := rep.Validation.Objects()["patients"]
	assert.Zero(t, tally.Valid, "every patient is invalid")

	var text strings.Builder
	require.NoError(t, rep.WriteText(&text))
	assert.Contains(t, text.String(), "NOT ready")
	assert.Contains(t, text.String(), "patients.csv:1: no last_name column")
	assert.Contains(t, text.String(), "lastName required", "reasons by frequency")

	// The run refuses too, before writing anything ("run exits 0" was the
	// issue's complaint).
	r, err := pbn.OpenExport(x.dir, pbn.ExportOptions{})
	require.NoError(t, err)
	_, err = x.migration(func(o *pbnhl.Options) { o.Source = r }).Load(context.Background())
	require.ErrorIs(t, err, pbnhl.ErrSourceNotReady)
	assert.Contains(t, err.Error(), "no last_name column")
	assert.Zero(t, x.hl.Count(hltest.DefaultLocationID, hltest.KindContact), "nothing written")
}

// Issue 11.2: a truncated patients.csv read 178 of 300 and said "ready";
// the cut row was only in the problems CSV, twice.
func TestPreflightBlocksTruncatedFile(t *testing.T) {
	x := newExportEnv(t)
	path := filepath.Join(x.dir, "patients.csv")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(b), "\n")
	cutLine := len(lines) / 2
	cut := strings.Join(lines[:cutLine-1], "") + lines[cutLine-1][:len(lines[cutLine-1])/3]
	require.NoError(t, os.WriteFile(path, []byte(cut), 0o600))

	rep := x.preflight(t, pbn.ExportOptions{}, nil)
	require.False(t, rep.Ready())
	files := blockersOf(rep, pbnhl.BlockSourceFile)
	require.Len(t, files, 1, "reported once: %v", rep.Blocking)
	assert.Equal(t, "patients.csv", files[0].File)
	assert.Equal(t, cutLine, files[0].Line)
	assert.Contains(t, files[0].Reason, "ends inside a row")
	assert.Contains(t, files[0].Fix, "export the file again")

	// A quote never closed is the same problem, at the line it opens.
	rows := x.rows(t, "insurance_carriers.csv")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	require.NoError(t, w.WriteAll(rows))
	text := buf.String()
	at := strings.Index(text, "\n") + 1 // line 2 starts here
	text = text[:at] + `"` + text[at:]
	require.NoError(t, os.WriteFile(filepath.Join(x.dir, "insurance_carriers.csv"), []byte(text), 0o600))
	rep = x.preflight(t, pbn.ExportOptions{}, nil)
	files = blockersOf(rep, pbnhl.BlockSourceFile)
	require.Len(t, files, 1, rep.Blocking)
	assert.Equal(t, "insurance_carriers.csv", files[0].File)
	assert.Equal(t, 2, files[0].Line)
}

// Issue 11.3: a Latin-1 file without a named encoding is refused, with its
// line; named, it is read. A UTF-16 file is read correctly.
func TestPreflightEncodings(t *testing.T) {
	x := newExportEnv(t)
	rows := x.rows(t, "patients.csv")
	fn := slices.Index(rows[0], "first_name")
	for _, row := range rows { // keep the text within Latin-1
		for i, c := range row {
			row[i] = strings.Map(func(r rune) rune { return min(r, 'ÿ') }, c)
		}
	}
	rows[3][fn] = "Renée"
	utf8Bytes := x.write(t, "patients.csv", rows)
	latin1 := make([]byte, 0, len(utf8Bytes))
	for _, r := range string(utf8Bytes) {
		require.Less(t, r, rune(0x100))
		latin1 = append(latin1, byte(r))
	}
	path := filepath.Join(x.dir, "patients.csv")
	require.NoError(t, os.WriteFile(path, latin1, 0o600))

	rep := x.preflight(t, pbn.ExportOptions{}, nil)
	require.False(t, rep.Ready())
	files := blockersOf(rep, pbnhl.BlockSourceFile)
	require.Len(t, files, 1, rep.Blocking)
	assert.Equal(t, "patients.csv", files[0].File)
	firstNonASCII := bytes.IndexFunc(utf8Bytes, func(r rune) bool { return r > 0x7F })
	assert.Equal(t, 1+bytes.Count(utf8Bytes[:firstNonASCII], []byte("\n")), files[0].Line, "the first offending line")
	assert.Contains(t, files[0].Fix, "-encoding windows-1252")
	assert.NotContains(t, strings.Join(rep.Blocking, " "), "Ren", "no value in a blocker")

	rep = x.preflight(t, pbn.ExportOptions{Encoding: "windows-1252"}, nil)
	require.True(t, rep.Ready(), rep.Blocking)

	// UTF-16LE with its mark.
	units := utf16.Encode([]rune(string(utf8Bytes)))
	u16 := []byte{0xFF, 0xFE}
	for _, u := range units {
		u16 = append(u16, byte(u), byte(u>>8))
	}
	require.NoError(t, os.WriteFile(path, u16, 0o600))
	rep = x.preflight(t, pbn.ExportOptions{}, nil)
	require.True(t, rep.Ready(), rep.Blocking)
	r, err := pbn.OpenExport(x.dir, pbn.ExportOptions{})
	require.NoError(t, err)
	var names []string
	for p, err := range r.Patients(context.Background(), pbn.ListOptions{}) {
		require.NoError(t, err)
		names = append(names, p.FirstName)
	}
	assert.Contains(t, names, "Renée")
	assert.Equal(t, rows[1][fn], names[0], "no mark in the first record")
}

// Issue 11.2: more than MaxInvalidShare of an object's records invalid
// blocks, with the reasons by frequency; AcceptInvalid goes on knowingly.
func TestPreflightInvalidShare(t *testing.T) {
	x := newExportEnv(t)
	rows := x.rows(t, "patients.csv")
	fn := slices.Index(rows[0], "first_name")
	for i := 1; i <= 3; i++ {
		rows[i][fn] = ""
	}
	rows[4] = rows[4][:3] // an unreadable row counts too
	x.write(t, "patients.csv", rows)

	rep := x.preflight(t, pbn.ExportOptions{}, nil)
	require.False(t, rep.Ready())
	share := blockersOf(rep, pbnhl.BlockInvalidShare)
	require.Len(t, share, 1, rep.Blocking)
	assert.Equal(t, "patients", share[0].Object)
	assert.Contains(t, share[0].Reason, "4 of ", "the records held back as duplicates and their dependants do not count")
	assert.Contains(t, share[0].Reason, "more than the 2% allowed")
	assert.Contains(t, share[0].Reason, "3 × firstName required")
	assert.Contains(t, share[0].Fix, "AcceptInvalid")
	reasons := rep.Validation.InvalidReasons("patients")
	require.GreaterOrEqual(t, len(reasons), 2)
	assert.Equal(t, 3, reasons[0].Count)
	assert.Equal(t, "firstName", reasons[0].Field)
	i := slices.IndexFunc(reasons, func(r mapping.ReasonCount) bool { return r.Rule == mapping.RuleSource })
	require.GreaterOrEqual(t, i, 0)
	assert.Regexp(t, `^patients.csv:\d+ \(id 4\): 3 cells, header has`, reasons[i].Example)

	var text strings.Builder
	require.NoError(t, rep.WriteText(&text))
	assert.Contains(t, text.String(), "Invalid records by reason")
	assert.Contains(t, text.String(), "3 × firstName required")

	rep = x.preflight(t, pbn.ExportOptions{}, func(o *pbnhl.Options) { o.AcceptInvalid = true })
	require.True(t, rep.Ready(), rep.Blocking)
	require.Len(t, rep.Accepted, 1)
	text.Reset()
	require.NoError(t, rep.WriteText(&text))
	assert.Contains(t, text.String(), "Accepted knowingly")

	rep = x.preflight(t, pbn.ExportOptions{}, func(o *pbnhl.Options) { o.MaxInvalidShare = 0.5 })
	require.True(t, rep.Ready(), rep.Blocking)
	assert.Equal(t, 0.5, rep.MaxInvalidShare)

	// A run refuses the same source, and goes on knowingly with AcceptInvalid.
	src, err := pbn.OpenExport(x.dir, pbn.ExportOptions{})
	require.NoError(t, err)
	_, err = x.migration(func(o *pbnhl.Options) { o.Source = src }).Load(context.Background())
	var nr *pbnhl.SourceNotReadyError
	require.ErrorAs(t, err, &nr)
	require.Len(t, nr.Blockers, 1)
	assert.Equal(t, pbnhl.BlockInvalidShare, nr.Blockers[0].Kind)
	assert.Zero(t, x.hl.Count(hltest.DefaultLocationID, hltest.KindContact), "nothing written")
	run, err := x.migration(func(o *pbnhl.Options) { o.Source = src; o.AcceptInvalid = true }).Load(context.Background())
	require.NoError(t, err)
	assert.True(t, run.AcceptInvalid)
	pt, ok := run.Object("patients")
	require.True(t, ok)
	assert.GreaterOrEqual(t, pt.Invalid, int64(4))
	assert.Positive(t, x.hl.Count(hltest.DefaultLocationID, hltest.KindContact))
}
