package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/rollback"
)

// SampleOptions configure DiffSample.
type SampleOptions struct {
	Client *highlevel.Client
	Ledger *rollback.Ledger
	// Runs are the sample runs whose records are compared: every record
	// the ledger maps whose last create or update was journaled in one of
	// them. Empty: every run of kind sample.
	Runs []rollback.RunID
	// Values keeps every compared field's two values (PHI) in
	// SampleDiff.Values for WriteSampleValuesHTML. They are never in the
	// JSON, the text or any error.
	Values bool
}

// Field statuses of a sample diff.
const (
	FieldMatched  = "matched"  // HighLevel holds what was sent (highlevel.StoredEqual)
	FieldDiffered = "differed" // HighLevel holds another value
	FieldMissing  = "missing"  // sent, and HighLevel holds nothing (or the record is gone)
)

// SampleDiff is the field-level diff of a sample: per object type and per
// field, how many sampled records HighLevel holds as sent (matched), holds
// otherwise (differed) or lacks (missing), with the source keys of the
// records that differ or lack it. It names object types, fields and source
// keys only — no value — except Values, which DiffSample fills only when
// asked and which is never marshalled.
type SampleDiff struct {
	Runs []rollback.RunID `json:"runs"`
	// Records are the sampled records compared; RecordsRead those
	// HighLevel returned (the rest are missing).
	Records     int `json:"records"`
	RecordsRead int `json:"recordsRead"`
	// Calls are the API calls spent: one read by id per record and one
	// listing of custom fields per model to name them.
	Calls int `json:"calls"`
	// Matched, Differed and Missing count fields over every record.
	Matched  int            `json:"matched"`
	Differed int            `json:"differed"`
	Missing  int            `json:"missing"`
	Objects  []SampleObject `json:"objects"`
	// Values are every compared field's values (Options.Values): PHI.
	Values []SampleValue `json:"-"`
}

// SampleObject is the diff of one object type.
type SampleObject struct {
	ObjectType string `json:"objectType"`
	Records    int    `json:"records"`
	// MissingRecords are the records HighLevel does not have at all, by
	// source key (their fields count as missing).
	MissingRecords []string      `json:"missingRecords,omitempty"`
	Fields         []SampleField `json:"fields"`
}

// SampleField is one field of an object type over the sampled records.
type SampleField struct {
	Field        string   `json:"field"`
	Matched      int      `json:"matched"`
	Differed     int      `json:"differed"`
	Missing      int      `json:"missing"`
	DifferedKeys []string `json:"differedKeys,omitempty"`
	MissingKeys  []string `json:"missingKeys,omitempty"`
}

// SampleValue is one field of one sampled record with both values: what
// the migration sent (the source's value, mapped) and what HighLevel
// holds. PHI.
type SampleValue struct {
	ObjectType, SourceKey, HighLevelID, Field, Status string
	Sent, Stored                                      json.RawMessage
}

// Agrees reports whether every sampled field is in HighLevel as sent.
func (d *SampleDiff) Agrees() bool { return d.Differed == 0 && d.Missing == 0 }

// ReadsPerRecord is the API calls spent per sampled record.
func (d *SampleDiff) ReadsPerRecord() float64 {
	if d.Records == 0 {
		return 0
	}
	return float64(d.Calls) / float64(d.Records)
}

// DiffSample reads every record a sample wrote back from HighLevel by id
// (one call per record) and compares each field of the body the ledger
// journaled with what HighLevel holds, with the comparison Check's sample
// uses (compareBody: highlevel.StoredEqual's normalisations, an emptied
// field equal to an absent one). A record HighLevel no longer has is
// missing with all its fields. Relations and business links are not
// re-read here: Check's integrity checks cover them.
//
// A HighLevel failure other than "not found" ends the diff with an
// *Error of step "sample diff": a sign-off needs the whole sample.
func DiffSample(ctx context.Context, opts SampleOptions) (*SampleDiff, error) {
	if opts.Client == nil || opts.Ledger == nil {
		return nil, ErrOptions
	}
	runs := map[rollback.RunID]bool{}
	for _, id := range opts.Runs {
		runs[id] = true
	}
	if len(runs) == 0 {
		all, err := opts.Ledger.Runs(ctx)
		if err != nil {
			return nil, fmt.Errorf("reconcile: list runs: %w", err)
		}
		for _, ri := range all {
			if ri.Kind == rollback.KindSample {
				runs[ri.ID] = true
			}
		}
	}
	d := &SampleDiff{Objects: []SampleObject{}}
	for id := range runs {
		d.Runs = append(d.Runs, id)
	}
	slices.Sort(d.Runs)
	x, err := readLedger(ctx, opts.Ledger)
	if err != nil {
		return nil, err
	}
	r := &run{opts: Options{Client: opts.Client, Ledger: opts.Ledger}, c: opts.Client, l: opts.Ledger, x: x, rep: &Report{},
		stored: map[string]map[string]int{}, read: map[string]int{}, names: map[string]string{}}
	if err := r.fieldNames(ctx); err != nil {
		// Names are for the reader: without them fields show their ids.
		if ctx.Err() != nil || !fromHighLevel(err) {
			return nil, &Error{Step: "sample diff", Err: err}
		}
	}
	d.Calls += r.calls
	for _, typ := range x.types {
		obj := SampleObject{ObjectType: typ}
		fields := map[string]*SampleField{}
		var order []string
		for _, rec := range x.records[typ] {
			if !rec.hasWrite || !runs[rec.write.Run] {
				continue
			}
			body, err := opts.Ledger.Payload(ctx, rec.write)
			if err != nil {
				return nil, fmt.Errorf("reconcile: read the mapped body of %s %s: %w", typ, rec.SourceKey, err)
			}
			got, err := r.get(ctx, typ, rec.HighLevelID)
			d.Calls++
			switch {
			case errors.Is(err, highlevel.ErrNotFound):
				got = readBack{} // every field it was sent is missing
				obj.MissingRecords = append(obj.MissingRecords, rec.SourceKey)
			case err != nil:
				return nil, &Error{Step: "sample diff", Err: err}
			default:
				d.RecordsRead++
			}
			res, err := compareBody(body, got)
			if err != nil {
				return nil, fmt.Errorf("reconcile: %s %s: %w", typ, rec.SourceKey, err)
			}
			obj.Records++
			for _, fr := range res {
				name := r.fieldName(fr.Field)
				f := fields[name]
				if f == nil {
					f = &SampleField{Field: name}
					fields[name] = f
					order = append(order, name)
				}
				status := FieldMatched
				switch {
				case !fr.Differ:
					f.Matched++
					d.Matched++
				case fr.Sent && !fr.Stored:
					status = FieldMissing
					f.Missing++
					d.Missing++
					f.MissingKeys = append(f.MissingKeys, rec.SourceKey)
				default:
					status = FieldDiffered
					f.Differed++
					d.Differed++
					f.DifferedKeys = append(f.DifferedKeys, rec.SourceKey)
				}
				if opts.Values {
					d.Values = append(d.Values, SampleValue{ObjectType: typ, SourceKey: rec.SourceKey, HighLevelID: rec.HighLevelID,
						Field: name, Status: status, Sent: fr.Want, Stored: fr.Have})
				}
			}
		}
		if obj.Records == 0 {
			continue
		}
		slices.Sort(order)
		for _, name := range order {
			obj.Fields = append(obj.Fields, *fields[name])
		}
		d.Records += obj.Records
		d.Objects = append(d.Objects, obj)
	}
	return d, nil
}
