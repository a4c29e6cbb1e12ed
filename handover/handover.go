package handover

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/rollback"
)

// Inputs is what a pack is written from. Only Source is required.
type Inputs struct {
	// Source is read for KPI definitions and values, cohorts, automations
	// and offices (names of the practice's offices, not patients' data).
	// Patients are streamed once, only to prove that no template or
	// definition names one of them (see ErrPatientData).
	Source pbn.Source
	// Map is the approved field map: it says which HighLevel custom field a
	// merge field or KPI input went to and whether cohort membership is
	// tagged. Without it merge fields are translated to HighLevel's
	// standard contact values only and custom ones are flagged.
	Map *mapping.Map
	// Ledger gives the cutover sheet its counts per object and the delta
	// window. Without it the sheet says the counts are unknown.
	Ledger *rollback.Ledger
	// HighLevel, when set, is asked once per tagged cohort how many contacts
	// carry the cohort's tag (a search with a page of one). Without it
	// cohorts.csv says "not checked".
	HighLevel *highlevel.Client
	// Practice names the practice in the headers (optional).
	Practice string
}

// Pack is what Write wrote: the files (names relative to the folder, in
// the order written) and what each part holds.
type Pack struct {
	Dir         string
	Files       []string
	KPIs        []KPI
	KPIValues   int
	Cohorts     []Cohort
	Automations []Automation
	Cutover     Cutover
}

// The files of a pack.
const (
	FileKPIsCSV      = "kpis.csv"
	FileKPIsJSON     = "kpis.json"
	FileKPIValuesCSV = "kpi_values.csv"
	FileCohortsCSV   = "cohorts.csv"
	FileGuideMD      = "guide.md"
	FileGuideHTML    = "guide.html"
	FileGuideJSON    = "guide.json"
	FileCutoverMD    = "cutover.md"
)

// Files lists every file a pack holds, in the order Write writes them.
var Files = []string{FileKPIsCSV, FileKPIsJSON, FileKPIValuesCSV, FileCohortsCSV, FileGuideMD, FileGuideHTML, FileGuideJSON, FileCutoverMD}

// ErrPatientData: a definition, criterion or template text contains a
// patient's name, e-mail address or phone number. Nothing is written; the
// error names the record (kind and id), never the value.
var ErrPatientData = errors.New("handover: patient data in a definition or template")

// Write reads in and writes the pack into dir (created when missing;
// existing pack files are replaced). Every file is built and checked for
// patient data before the first one is written, so a refused pack leaves
// dir as it was. Output is deterministic: the same inputs give the same
// bytes.
func Write(ctx context.Context, dir string, in Inputs) (*Pack, error) {
	if in.Source == nil {
		return nil, errors.New("handover: Inputs.Source is required")
	}
	if dir == "" {
		return nil, errors.New("handover: no folder given")
	}
	d, err := read(ctx, in.Source)
	if err != nil {
		return nil, err
	}
	if err := checkNoPatientData(ctx, in.Source, d); err != nil {
		return nil, err
	}
	p := &Pack{Dir: dir}
	p.KPIs = buildKPIs(d, in.Map)
	p.KPIValues = len(d.values)
	if p.Cohorts, err = buildCohorts(ctx, d, in.Map, in.HighLevel); err != nil {
		return nil, err
	}
	tr := newTranslator(in.Map)
	p.Automations = buildAutomations(d, tr)
	if p.Cutover, err = buildCutover(ctx, in.Map, in.Ledger); err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	render := []struct {
		name string
		fn   func(*bytes.Buffer) error
	}{
		{FileKPIsCSV, func(b *bytes.Buffer) error { return writeKPIsCSV(b, p.KPIs) }},
		{FileKPIsJSON, func(b *bytes.Buffer) error { return writeJSON(b, p.KPIs) }},
		{FileKPIValuesCSV, func(b *bytes.Buffer) error { return writeKPIValuesCSV(b, d) }},
		{FileCohortsCSV, func(b *bytes.Buffer) error { return writeCohortsCSV(b, p.Cohorts) }},
		{FileGuideMD, func(b *bytes.Buffer) error { return writeGuideMD(b, in.Practice, p.Automations) }},
		{FileGuideHTML, func(b *bytes.Buffer) error { return writeGuideHTML(b, in.Practice, p.Automations) }},
		{FileGuideJSON, func(b *bytes.Buffer) error {
			return writeJSON(b, guideJSON{Practice: in.Practice, Automations: p.Automations})
		}},
		{FileCutoverMD, func(b *bytes.Buffer) error { return writeCutoverMD(b, in.Practice, p.Cutover) }},
	}
	for _, r := range render {
		var b bytes.Buffer
		if err := r.fn(&b); err != nil {
			return nil, fmt.Errorf("handover: %s: %w", r.name, err)
		}
		files[r.name] = b.Bytes()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("handover: %w", err)
	}
	for _, name := range Files {
		// 0644: the pack holds definitions, aggregates and templates only,
		// never patient data (checked above), and is meant to be shared.
		if err := writeFileAtomic(filepath.Join(dir, name), files[name]); err != nil {
			return nil, fmt.Errorf("handover: %w", err)
		}
		p.Files = append(p.Files, name)
	}
	return p, nil
}

// writeFileAtomic replaces path with data through a temporary file, so a
// reader never sees half a file.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// data is what the source holds for the pack, sorted by id.
type data struct {
	kpis        []pbn.KPIDefinition
	values      []pbn.KPIValue
	cohorts     []pbn.Cohort
	automations []pbn.Automation
	offices     map[pbn.Key]string
}

func read(ctx context.Context, src pbn.Source) (*data, error) {
	d := &data{offices: map[pbn.Key]string{}}
	var err error
	if d.kpis, err = collect(src.KPIDefinitions(ctx, pbn.ListOptions{}), "KPI definitions"); err != nil {
		return nil, err
	}
	if d.values, err = collect(src.KPIValues(ctx, pbn.ListOptions{}), "KPI values"); err != nil {
		return nil, err
	}
	if d.cohorts, err = collect(src.Cohorts(ctx, pbn.ListOptions{}), "cohorts"); err != nil {
		return nil, err
	}
	if d.automations, err = collect(src.Automations(ctx, pbn.ListOptions{}), "automations"); err != nil {
		return nil, err
	}
	offices, err := collect(src.Offices(ctx, pbn.ListOptions{}), "offices")
	if err != nil {
		return nil, err
	}
	for _, o := range offices {
		d.offices[o.ID] = o.Name
	}
	slices.SortFunc(d.kpis, func(a, b pbn.KPIDefinition) int { return cmpID(a.ID, b.ID) })
	slices.SortFunc(d.cohorts, func(a, b pbn.Cohort) int { return cmpID(a.ID, b.ID) })
	slices.SortFunc(d.automations, func(a, b pbn.Automation) int { return cmpID(a.ID, b.ID) })
	slices.SortFunc(d.values, func(a, b pbn.KPIValue) int {
		if c := cmpID(a.KPIID, b.KPIID); c != 0 {
			return c
		}
		if c := cmpID(a.OfficeID, b.OfficeID); c != 0 {
			return c
		}
		if c := a.PeriodStart.Compare(b.PeriodStart); c != 0 {
			return c
		}
		return cmpID(a.ID, b.ID)
	})
	return d, nil
}

// cmpID orders source keys: numeric ids by value, then codes (pbn.Key.Compare).
func cmpID(a, b pbn.Key) int { return a.Compare(b) }

// collect reads a whole (small) entity. A row error of a CSV export is a
// hard error here: a pack with a silently missing KPI would mislead.
func collect[T any](seq func(func(T, error) bool), what string) ([]T, error) {
	var out []T
	for r, err := range seq {
		if err != nil {
			return nil, fmt.Errorf("handover: read %s: %w", what, err)
		}
		out = append(out, r)
	}
	return out, nil
}
