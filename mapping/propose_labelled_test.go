package mapping

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The labelled set: export folders shaped like the reports of several
// practice-management systems (testdata/exports/*), and labels.csv, the
// decision a careful person takes for every file and column, written from
// the files before the proposer ran on them.

type label struct {
	folder, file, column string
	want                 []string
}

func loadLabels(t testing.TB, set string) []label {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", set, "labels.csv"))
	require.NoError(t, err)
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	rows, err := r.ReadAll()
	require.NoError(t, err)
	var out []label
	for _, row := range rows[1:] {
		out = append(out, label{row[0], row[1], row[2], strings.Split(row[3], "|")})
	}
	return out
}

// proposeFolder reads an export folder the way pbn2hl propose -files does.
func proposeFolder(t testing.TB, folder string) *Proposal {
	t.Helper()
	return proposeIn(t, "exports", folder)
}

func proposeIn(t testing.TB, set, folder string) *Proposal {
	t.Helper()
	inv, err := InventoryDir(os.DirFS(filepath.Join("testdata", set, folder)), InventoryOptions{})
	require.NoError(t, err)
	pr, err := Propose(context.Background(), inv, Destination{}, ProposeOptions{Name: folder})
	require.NoError(t, err, "a proposal never fails")
	return pr
}

// decisionLabel renders a proposer decision in the labels' vocabulary.
func decisionLabel(pr *Proposal, o *Object, d ColumnDecision) string {
	switch d.Decision {
	case DecisionKey:
		return "key"
	case DecisionLookup:
		for _, l := range o.Lookups {
			if l.From == d.Column {
				return "ref:" + string(pr.Map.Object(l.Object).Target)
			}
		}
	case DecisionStage:
		return "stage"
	case DecisionSkip:
		return "skip"
	case DecisionField:
		if d.Custom {
			return "custom"
		}
		return d.Target
	}
	return d.Decision
}

type scored struct {
	folder, file, column, got, want string
	conf                            float64
	ok                              bool
}

// scoreLabelled proposes every folder and scores each labelled column and
// file: the decision, its confidence, right or wrong.
func scoreLabelled(t testing.TB, set string) (cols, files []scored, props map[string]*Proposal) {
	labels := loadLabels(t, set)
	props = map[string]*Proposal{}
	for _, l := range labels {
		if props[l.folder] == nil {
			props[l.folder] = proposeIn(t, set, l.folder)
		}
	}
	for _, l := range labels {
		pr := props[l.folder]
		entity := strings.TrimSuffix(l.file, filepath.Ext(l.file))
		var fs *FileSummary
		for i := range pr.Files {
			if pr.Files[i].Entity == entity {
				fs = &pr.Files[i]
			}
		}
		if fs == nil {
			t.Errorf("%s/%s: not in the proposal's files", l.folder, l.file)
			continue
		}
		if l.column == "*" {
			got := string(fs.Target)
			if fs.Object == "" {
				got = "unrecognised"
			}
			files = append(files, scored{l.folder, l.file, "*", got, strings.Join(l.want, "|"), fs.Confidence, slices.Contains(l.want, got)})
			continue
		}
		o := pr.Map.Object(fs.Object)
		got, conf := "unrecognised", 0.0
		if o != nil {
			got = "(no decision)"
			for _, d := range pr.Columns {
				if d.Object == o.Name && d.Column == l.column {
					got, conf = decisionLabel(pr, o, d), d.Confidence
				}
			}
		}
		cols = append(cols, scored{l.folder, l.file, l.column, got, strings.Join(l.want, "|"), conf, slices.Contains(l.want, got)})
	}
	return cols, files, props
}

type figures struct {
	columns, right    int
	confident, cRight int // decisions with confidence ≥ 0.8
	files, fRight     int
}

func (f figures) accuracy() float64       { return float64(f.right) / float64(f.columns) }
func (f figures) precision() float64      { return float64(f.cRight) / float64(max(f.confident, 1)) }
func (f figures) fileShare() float64      { return float64(f.fRight) / float64(f.files) }
func (f figures) confidentShare() float64 { return float64(f.confident) / float64(f.columns) }

func tally(cols, files []scored) figures {
	var f figures
	for _, c := range cols {
		f.columns++
		if c.ok {
			f.right++
		}
		if c.conf >= 0.8 {
			f.confident++
			if c.ok {
				f.cRight++
			}
		}
	}
	for _, c := range files {
		f.files++
		if c.ok {
			f.fRight++
		}
	}
	return f
}

// TestLabelledExports measures the proposer on the labelled set: overall at
// least 90% of the columns decided as labelled, at least 98% of the
// decisions made with confidence ≥ 0.8 right, every decision below 0.6 in
// the review, every file placed as labelled, and a proposal (a map that
// loads) for every folder.
func TestLabelledExports(t *testing.T) {
	cols, files, props := scoreLabelled(t, "exports")
	f := tally(cols, files)
	for _, c := range append(slices.Clone(files), cols...) {
		if !c.ok {
			t.Logf("wrong: %s/%s %q → %s (%.2f), labelled %s", c.folder, c.file, c.column, c.got, c.conf, c.want)
		}
	}
	t.Logf("columns: %d of %d right (%.1f%%); confidence ≥ 0.8: %d of %d right (%.1f%%), %.0f%% of the columns; files: %d of %d placed as labelled",
		f.right, f.columns, 100*f.accuracy(), f.cRight, f.confident, 100*f.precision(), 100*f.confidentShare(), f.fRight, f.files)
	if f.accuracy() < 0.90 {
		t.Errorf("accuracy %.3f < 0.90", f.accuracy())
	}
	if f.precision() < 0.98 {
		t.Errorf("precision at confidence ≥ 0.8 is %.3f < 0.98", f.precision())
	}
	if f.fileShare() < 1 {
		t.Errorf("%d of %d files placed as labelled", f.fRight, f.files)
	}
	for folder, pr := range props {
		out, err := pr.Map.Marshal()
		require.NoError(t, err)
		_, err = Parse(out, folder+".yaml")
		require.NoError(t, err, "%s: the draft loads", folder)
		// Every decision below 0.6 is listed for review.
		for _, d := range pr.Columns {
			if d.Confidence >= 0.6 || d.Decision == DecisionSkip && d.Confidence > 0 {
				continue
			}
			listed := slices.ContainsFunc(pr.Review, func(r ReviewItem) bool {
				return r.Object == d.Object && (r.Field == d.Column || d.Decision == DecisionField && r.Target == d.Target)
			})
			if !listed {
				t.Errorf("%s: %s.%s (%s %.2f) is not in the review", folder, d.Object, d.Column, d.Decision, d.Confidence)
			}
		}
	}
}

// BenchmarkLabelledExports proposes the whole labelled set per iteration and
// reports the figures as metrics.
func BenchmarkLabelledExports(b *testing.B) {
	var f figures
	for b.Loop() {
		cols, files, _ := scoreLabelled(b, "exports")
		f = tally(cols, files)
	}
	b.ReportMetric(100*f.accuracy(), "%columns-right")
	b.ReportMetric(100*f.precision(), "%right-at-conf≥0.8")
	b.ReportMetric(100*f.confidentShare(), "%columns-conf≥0.8")
	b.ReportMetric(100*f.fileShare(), "%files-right")
	_ = fmt.Sprint()
}

// TestHeldOutExports reports the same figures on a second set
// (testdata/exports_heldout), written and labelled after the proposer was
// tuned on the first. Its first run was the honest out-of-sample estimate:
// 57 of 66 columns right (86.4%), 44 of 50 right at confidence ≥ 0.8
// (88.0%), 7 of 8 files placed — calibration did not hold. Its failures
// then led to general fixes (mobile beats landline phones, table prefixes
// such as PAT_, numbered references, day-first dates, near-ties sent to
// review, resemblance alone places no file), so it is no longer unseen:
// a new set is needed for the next honest estimate.
//
// testdata/exports_heldout2 is that new set (committed with its labels
// before the proposer ever ran on it). Its first run, the current honest
// out-of-sample estimate: 90 of 96 columns right (93.8%), 71 of 75 right
// at confidence ≥ 0.8 (94.7%, short of the 98% target), 8 of 9 files
// placed. Three of the four confident errors sat under one misplaced file
// (a referring-doctors list drafted as businesses at 0.70), the fourth was
// an abbreviated provider reference ("PriProv") drafted as a custom field.
// Those led to three general changes — a rule is never more confident
// than its file's placement (capToEntity), qualified references such as
// PriProv/SecProv/"Main Office" (refRank), national health numbers as
// sensitive — after which it reads 92/96 (95.8%), 59/59 at ≥ 0.8, so this
// set is no longer unseen either.
//
// testdata/exports_heldout3 (SoftDent, Dolphin Ortho, CareStack shapes)
// was written and labelled in session 8, after source keys became strings,
// and committed before the proposer ran on it. Its first run, the current
// honest out-of-sample estimate: 60 of 66 columns right (90.9%), 48 of 49
// right at confidence ≥ 0.8 (98.0%), 6 of 7 files placed. The confident
// error: an appointment book's "Acct No" (the patients' key column, by
// name and by value) drafted as a custom field at 0.85 rather than the
// patient reference; the misplaced file: a keyless recall list left
// unrecognised. That led to one general change — a column named as the
// referenced object's key column is a reference to it (keyCols) — after
// which it reads 61/66 (92.4%), 49/49 at ≥ 0.8, so it is no longer unseen.
// It asserts only what must hold anywhere (a proposal that loads); the
// figures are logged.
func TestHeldOutExports(t *testing.T) {
	for _, set := range []string{"exports_heldout", "exports_heldout2", "exports_heldout3"} {
		t.Run(set, func(t *testing.T) { heldOut(t, set) })
	}
}

func heldOut(t *testing.T, set string) {
	cols, files, props := scoreLabelled(t, set)
	f := tally(cols, files)
	for _, c := range append(slices.Clone(files), cols...) {
		if !c.ok {
			t.Logf("wrong: %s/%s %q → %s (%.2f), labelled %s", c.folder, c.file, c.column, c.got, c.conf, c.want)
		}
	}
	t.Logf("%s — columns: %d of %d right (%.1f%%); confidence ≥ 0.8: %d of %d right (%.1f%%); files: %d of %d placed as labelled",
		set, f.right, f.columns, 100*f.accuracy(), f.cRight, f.confident, 100*f.precision(), f.fRight, f.files)
	for folder, pr := range props {
		if len(pr.Map.Objects) == 0 {
			continue
		}
		out, err := pr.Map.Marshal()
		require.NoError(t, err)
		_, err = Parse(out, folder+".yaml")
		require.NoError(t, err, "%s: the draft loads", folder)
	}
}
