package pbnhl

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/reconcile"
	"github.com/pbnhl/pbnhl/rollback"
)

// SampleSelection says how a sample's patients were chosen.
type SampleSelection struct {
	Patients int `json:"patients"`
	// Records is the slice's size in source records (patients,
	// appointments, procedures, treatment plans) when the sample was sized
	// by records; 0 when a number of patients was asked.
	Records int    `json:"records,omitempty"`
	Rule    string `json:"rule"`
}

// SampleReport is a sample's field-level diff and what a sign-off stamps:
// the map digest it ran with, the location and ledger runs it wrote, and
// Digest, the SHA-256 of the report itself. It holds object types, field
// names, counts and source keys — no value (Diff.Values, filled only with
// SampleOptions.Values, is never marshalled).
type SampleReport struct {
	MapDigest  string                `json:"mapDigest"`
	LocationID string                `json:"locationId"`
	CreatedAt  time.Time             `json:"createdAt"`
	Selection  SampleSelection       `json:"selection"`
	Diff       *reconcile.SampleDiff `json:"diff"`
	// Digest is ComputeDigest's value when the report was made: a report
	// edited afterwards no longer matches it (ReadSampleReport refuses it).
	Digest string `json:"digest"`
}

// ComputeDigest is the SHA-256 (hex) of the report's JSON with Digest
// empty: what a sign-off stamps as the report it approved.
func (r *SampleReport) ComputeDigest() (string, error) {
	c := *r
	c.Digest = ""
	b, err := json.Marshal(&c)
	if err != nil {
		return "", fmt.Errorf("pbnhl: sample report digest: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// WriteJSON writes the report as indented JSON (no value: see
// SampleReport).
func (r *SampleReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// ReadSampleReport reads a report WriteJSON wrote and checks its digest.
func ReadSampleReport(rd io.Reader) (*SampleReport, error) {
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	var r SampleReport
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSampleReport, err)
	}
	if r.Diff == nil || r.MapDigest == "" || r.Digest == "" {
		return nil, fmt.Errorf("%w: no diff, map digest or digest", ErrSampleReport)
	}
	d, err := r.ComputeDigest()
	if err != nil {
		return nil, err
	}
	if d != r.Digest {
		return nil, fmt.Errorf("%w: its digest does not match its content (edited after it was written?)", ErrSampleReport)
	}
	return &r, nil
}

// WriteText writes the diff for a terminal: per object type the records
// compared and missing, per field matched/differed/missing, and the source
// keys behind each difference (up to keysShown a line). No value.
func (r *SampleReport) WriteText(w io.Writer) error {
	var b bytes.Buffer
	d := r.Diff
	verdict := "every sampled field is in HighLevel as sent"
	if !d.Agrees() {
		verdict = fmt.Sprintf("%d fields differ and %d are missing: review them (pbn2hl sample -values FILE shows both values) before approving", d.Differed, d.Missing)
	}
	if d.Records == 0 {
		verdict = "no record of this map was sampled in this location and ledger: nothing to approve"
	}
	fmt.Fprintf(&b, "Sample diff: %d records compared (%d read back, %d calls, %.2f per record); map %s\n",
		d.Records, d.RecordsRead, d.Calls, d.ReadsPerRecord(), short(r.MapDigest))
	if r.Selection.Records > 0 {
		fmt.Fprintf(&b, "  selection: %d patients, %d source records — %s\n", r.Selection.Patients, r.Selection.Records, r.Selection.Rule)
	} else {
		fmt.Fprintf(&b, "  selection: %d patients — %s\n", r.Selection.Patients, r.Selection.Rule)
	}
	fmt.Fprintf(&b, "  fields: %d matched, %d differed, %d missing — %s\n", d.Matched, d.Differed, d.Missing, verdict)
	for _, o := range d.Objects {
		fmt.Fprintf(&b, "  %s: %d records", o.ObjectType, o.Records)
		if len(o.MissingRecords) > 0 {
			fmt.Fprintf(&b, ", %d not in HighLevel: %s", len(o.MissingRecords), keyList(o.MissingRecords))
		}
		b.WriteString("\n")
		fmt.Fprintf(&b, "    %-48s %8s %8s %8s\n", "field", "matched", "differed", "missing")
		for _, f := range o.Fields {
			fmt.Fprintf(&b, "    %-48s %8d %8d %8d\n", f.Field, f.Matched, f.Differed, f.Missing)
			if len(f.DifferedKeys) > 0 {
				fmt.Fprintf(&b, "      differed: %s\n", keyList(f.DifferedKeys))
			}
			if len(f.MissingKeys) > 0 {
				fmt.Fprintf(&b, "      missing:  %s\n", keyList(f.MissingKeys))
			}
		}
	}
	fmt.Fprintf(&b, "  report digest %s\n", r.Digest)
	_, err := w.Write(b.Bytes())
	return err
}

// keysShown caps the source keys printed per line; the JSON has them all.
const keysShown = 10

func keyList(ks []string) string {
	if len(ks) <= keysShown {
		return strings.Join(ks, ", ")
	}
	return strings.Join(ks[:keysShown], ", ") + fmt.Sprintf(" … (%d more in the JSON report)", len(ks)-keysShown)
}

// short abbreviates a digest to its algorithm and 12 hex digits.
func short(d string) string {
	n := 12 + len(d) - len(strings.TrimPrefix(d, "sha256:"))
	if len(d) > n {
		return d[:n]
	}
	return d
}

// diffSample diffs every record the sample runs of this map and location
// wrote (reconcile.DiffSample) into a SampleReport.
func (m *Migration) diffSample(ctx context.Context, sel SampleSelection, values bool) (*SampleReport, error) {
	digest, err := m.verifyMap()
	if err != nil {
		return nil, err
	}
	all, err := m.opts.Ledger.Runs(ctx)
	if err != nil {
		return nil, fmt.Errorf("pbnhl: list runs: %w", err)
	}
	var runs []rollback.RunID
	for _, r := range all {
		if r.Kind == rollback.KindSample && r.MapDigest == digest && r.Location == m.location() && r.Status != rollback.StatusUndone {
			runs = append(runs, r.ID)
		}
	}
	rep := &SampleReport{MapDigest: digest, LocationID: m.location(), CreatedAt: m.now().UTC().Truncate(time.Second), Selection: sel}
	if len(runs) == 0 {
		rep.Diff = &reconcile.SampleDiff{Runs: []rollback.RunID{}, Objects: []reconcile.SampleObject{}}
	} else {
		rep.Diff, err = reconcile.DiffSample(ctx, reconcile.SampleOptions{Client: m.opts.Client, Ledger: m.opts.Ledger, Runs: runs, Values: values})
		if err != nil {
			return nil, fmt.Errorf("pbnhl: sample diff: %w", err)
		}
	}
	if rep.Digest, err = rep.ComputeDigest(); err != nil {
		return nil, err
	}
	m.log.LogAttrs(ctx, levelInfo, "sample diff", attrObj(PhaseSample))
	return rep, nil
}
