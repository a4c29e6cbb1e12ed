package pbnhl

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/rollback"
)

// writeIndented writes v as indented JSON followed by a newline.
func writeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // reasons hold "<" and "→": keep them readable
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func millis(d time.Duration) int64 { return d.Milliseconds() }

// utc is t in UTC, the zero time left zero (omitted with omitzero).
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// ---- preflight

// PreflightJSON is the JSON form of a [PreflightReport]
// ([PreflightReport.JSON], [PreflightReport.WriteJSON]).
//
// The machine-readable reports — PreflightJSON, [ReportJSON],
// [LedgerStatus] and rollback.UndoSummary — keep one set of conventions:
//
//   - names are camelCase, as in the reconcile and sample reports;
//   - durations are whole milliseconds in fields ending in Ms, times are
//     RFC 3339 in UTC, counts are integers;
//   - lists are in a fixed order (load order for objects, names sorted
//     otherwise) and empty lists are [] (never null), so the same report
//     always writes the same bytes;
//   - no values: object, field and rule names, source keys, HighLevel ids,
//     counts and reasons only — never a patient's data (a sample's or dry
//     run's request bodies, Report.Written, are not in the JSON).
//
// Fields are added over time, never renamed or removed: a reader should
// ignore fields it does not know.
type PreflightJSON struct {
	// Ready: nothing blocks the run (Blockers is empty).
	Ready       bool   `json:"ready"`
	MapDigest   string `json:"mapDigest"`
	MapApproved bool   `json:"mapApproved"`
	// Blockers prevent the run; Accepted would, but Options.AcceptInvalid
	// let them through.
	Blockers []BlockerJSON `json:"blockers"`
	Accepted []BlockerJSON `json:"accepted"`
	// Warnings are checks Preflight could not make; they do not block.
	Warnings        []string `json:"warnings"`
	MaxInvalidShare float64  `json:"maxInvalidShare"`
	// LocationSettings is null when they could not be read.
	LocationSettings *LocationSettingsJSON `json:"locationSettings"`
	// Schema is null when no diff was made.
	Schema *SchemaJSON `json:"schema"`
	// Owners is null when the map resolves no owners.
	Owners *OwnersJSON `json:"owners"`
	// Validation has one entry per object, by name.
	Validation []ValidationJSON `json:"validation"`
	Estimate   EstimateJSON     `json:"estimate"`
}

// BlockerJSON is one [Blocker].
type BlockerJSON struct {
	Kind   string `json:"kind"`
	Object string `json:"object,omitempty"`
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Reason string `json:"reason"`
	Fix    string `json:"fix,omitempty"`
}

// LocationSettingsJSON are the location's duplicate rules preflight read.
type LocationSettingsJSON struct {
	AllowDuplicateContact     bool `json:"allowDuplicateContact"`
	AllowDuplicateOpportunity bool `json:"allowDuplicateOpportunity"`
}

// SchemaJSON is the schema plan diffed with the location: counts by
// status, and every element that does not exist yet or conflicts.
type SchemaJSON struct {
	Exists      int              `json:"exists"`
	Missing     int              `json:"missing"`
	Conflicting int              `json:"conflicting"`
	Manual      int              `json:"manual"`
	Items       []SchemaItemJSON `json:"items"`
}

// SchemaItemJSON is one element of the plan that is not ready.
type SchemaItemJSON struct {
	Kind   string `json:"kind"`
	Key    string `json:"key"`
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// OwnersJSON is how staff resolved to HighLevel users.
type OwnersJSON struct {
	Matched  int    `json:"matched"`
	ByTable  int    `json:"byTable"`
	Fallback string `json:"fallback"`
	// Unmatched staff (names and roles are staff data, not patient data:
	// a reviewer needs them), with the records each affects.
	Unmatched []UnmatchedStaffJSON `json:"unmatched"`
}

// UnmatchedStaffJSON is one staff member without a user.
type UnmatchedStaffJSON struct {
	Key     string `json:"key"`
	Name    string `json:"name"`
	Role    string `json:"role,omitempty"`
	Records int    `json:"records"`
	// Unowned is how many of Records are custom object records, which
	// get no owner (the others get the fallback user).
	Unowned int `json:"unowned,omitempty"`
}

// ValidationJSON is one object's validation tally with the reasons its
// records are invalid, most frequent first.
type ValidationJSON struct {
	Object  string                `json:"object"`
	Records int                   `json:"records"`
	Valid   int                   `json:"valid"`
	Invalid int                   `json:"invalid"`
	Skipped int                   `json:"skipped"`
	Reasons []mapping.ReasonCount `json:"reasons"`
}

// EstimateJSON is an [Estimate].
type EstimateJSON struct {
	Objects        []ObjectEstimateJSON `json:"objects"`
	BusinessLinks  int64                `json:"businessLinks"`
	Calls          int64                `json:"calls"`
	Overhead       int64                `json:"overhead"`
	Bytes          int64                `json:"bytes"`
	DurationMs     int64                `json:"durationMs"`
	Days           int                  `json:"days"`
	DailyLimit     int                  `json:"dailyLimit"`
	DailyRemaining int                  `json:"dailyRemaining"` // -1: unknown
	Rate           float64              `json:"rate"`           // calls per second
	Cutover        time.Time            `json:"cutover,omitzero"`
	Plan           []DayPlanJSON        `json:"plan"`
	// History prices each history kind per choice, as the text's
	// "History policy" table ([Estimate].History); empty when the map
	// has no kind it can write both ways.
	History []HistoryChoiceJSON `json:"history"`
}

// HistoryChoiceJSON is one [HistoryChoice]: a way of writing a history
// kind and the run's calls, days and contacts with it. Refused (and no
// price) when the map cannot take the choice as it is.
type HistoryChoiceJSON struct {
	Kind     string `json:"kind"`
	As       string `json:"as"`
	Months   int    `json:"months"`
	Current  bool   `json:"current"`
	Calls    int64  `json:"calls"`
	Days     int    `json:"days"`
	Contacts int64  `json:"contacts"`
	Refused  string `json:"refused,omitempty"`
}

// ObjectEstimateJSON is one object's (or step's) records and calls.
type ObjectEstimateJSON struct {
	Object  string `json:"object"`
	Records int64  `json:"records"`
	Calls   int64  `json:"calls"`
	Bytes   int64  `json:"bytes"`
}

// DayPlanJSON is one day of the run under the daily quota.
type DayPlanJSON struct {
	Day     int                  `json:"day"`
	Start   time.Time            `json:"start,omitzero"`
	Reset   time.Time            `json:"reset,omitzero"`
	Calls   int64                `json:"calls"`
	Objects []ObjectEstimateJSON `json:"objects"`
}

func blockersJSON(bs []Blocker) []BlockerJSON {
	out := make([]BlockerJSON, len(bs))
	for i, b := range bs {
		out[i] = BlockerJSON{Kind: b.Kind, Object: b.Object, File: b.File, Line: b.Line, Reason: b.Reason, Fix: b.Fix}
	}
	return out
}

func objectEstimatesJSON(os []ObjectEstimate) []ObjectEstimateJSON {
	out := make([]ObjectEstimateJSON, len(os))
	for i, o := range os {
		out[i] = ObjectEstimateJSON{Object: o.Object, Records: o.Records, Calls: o.Calls, Bytes: o.Bytes}
	}
	return out
}

// validationJSON is a validation report by object name, with each
// object's invalid reasons.
func validationJSON(v *mapping.Report) []ValidationJSON {
	out := []ValidationJSON{}
	if v == nil {
		return out
	}
	tallies := v.Objects()
	for _, n := range slices.Sorted(maps.Keys(tallies)) {
		t := tallies[n]
		reasons := v.InvalidReasons(n)
		if reasons == nil {
			reasons = []mapping.ReasonCount{}
		}
		out = append(out, ValidationJSON{Object: n, Records: t.Records, Valid: t.Valid, Invalid: t.Invalid, Skipped: t.Skipped, Reasons: reasons})
	}
	return out
}

// JSON returns the report's JSON form.
func (r *PreflightReport) JSON() PreflightJSON {
	j := PreflightJSON{Ready: r.Ready(), MapDigest: r.MapDigest, MapApproved: r.MapApproved, Blockers: blockersJSON(r.Blockers),
		Accepted: blockersJSON(r.Accepted), Warnings: append([]string{}, r.Warnings...), MaxInvalidShare: r.MaxInvalidShare,
		Validation: validationJSON(r.Validation)}
	if s := r.LocationSettings; s != nil {
		j.LocationSettings = &LocationSettingsJSON{AllowDuplicateContact: s.AllowDuplicateContact, AllowDuplicateOpportunity: s.AllowDuplicateOpportunity}
	}
	if d := r.Schema; d != nil {
		s := &SchemaJSON{Exists: d.Count(mapping.Exists), Missing: d.Count(mapping.Missing), Conflicting: d.Count(mapping.Conflicts),
			Manual: d.Count(mapping.ManualOnly), Items: []SchemaItemJSON{}}
		for _, it := range d.Items {
			if it.Status != mapping.Exists {
				s.Items = append(s.Items, SchemaItemJSON{Kind: string(it.Kind), Key: it.Key, Status: string(it.Status), Detail: it.Detail})
			}
		}
		j.Schema = s
	}
	if o := r.Owners; o != nil {
		oj := &OwnersJSON{Matched: o.Matched, ByTable: o.ByTable, Fallback: o.Fallback(), Unmatched: []UnmatchedStaffJSON{}}
		for _, s := range o.Unmatched {
			oj.Unmatched = append(oj.Unmatched, UnmatchedStaffJSON{Key: s.Key, Name: s.Name, Role: s.Role, Records: o.Affected(s.Key),
				Unowned: o.Unowned(s.Key)})
		}
		j.Owners = oj
	}
	e := r.Estimate
	j.Estimate = EstimateJSON{Objects: objectEstimatesJSON(e.Objects), BusinessLinks: e.BusinessLinks, Calls: e.Calls, Overhead: e.Overhead,
		Bytes: e.Bytes, DurationMs: millis(e.Duration), Days: e.Days, DailyLimit: e.DailyLimit, DailyRemaining: e.DailyRemaining,
		Rate: e.Rate, Cutover: utc(e.Cutover), Plan: []DayPlanJSON{}, History: []HistoryChoiceJSON{}}
	for _, h := range e.History {
		j.Estimate.History = append(j.Estimate.History, HistoryChoiceJSON{Kind: h.Kind, As: h.As, Months: h.Months, Current: h.Current,
			Calls: h.Calls, Days: h.Days, Contacts: h.Contacts, Refused: h.Refused})
	}
	for _, d := range e.Plan {
		j.Estimate.Plan = append(j.Estimate.Plan, DayPlanJSON{Day: d.Day, Start: utc(d.Start), Reset: utc(d.Reset), Calls: d.Calls,
			Objects: objectEstimatesJSON(d.Objects)})
	}
	return j
}

// WriteJSON writes the report as one indented JSON document
// ([PreflightJSON]): what blocks the run, the schema, owners, validation
// and the estimate, without any record's values.
func (r *PreflightReport) WriteJSON(w io.Writer) error { return writeIndented(w, r.JSON()) }

// ---- run, delta and sample reports

// ReportJSON is the JSON form of a phase's [Report] (run, delta, sample):
// [Report.JSON], [Report.WriteJSON]. Its conventions are [PreflightJSON]'s.
type ReportJSON struct {
	Phase string `json:"phase"`
	// Run is the ledger run; 0 in a dry run.
	Run    int64 `json:"run"`
	DryRun bool  `json:"dryRun"`
	// DryRunRecord is the ledger run holding a dry run's invalid records
	// (0: none).
	DryRunRecord  int64 `json:"dryRunRecord,omitempty"`
	Calls         int64 `json:"calls"`
	DurationMs    int64 `json:"durationMs"`
	Resolved      int   `json:"resolved"`
	Swept         int   `json:"swept"`
	Deleted       int   `json:"deleted"`
	KeptDeleted   int   `json:"keptDeleted"`
	AcceptInvalid bool  `json:"acceptInvalid"`
	// Objects in load order; Totals is [Report.Totals].
	Objects []ProgressJSON `json:"objects"`
	Totals  ProgressJSON   `json:"totals"`
	// Invalid lists, per object with invalid records (by name), why.
	Invalid []InvalidJSON `json:"invalid"`
	// SampleDigest is the digest of a sample's field-diff report (Sample
	// only; the report itself is SampleReport.WriteJSON).
	SampleDigest string `json:"sampleDigest,omitempty"`
}

// ProgressJSON is one object's counters in a [ReportJSON].
type ProgressJSON struct {
	Object string `json:"object"`
	// Total is the records expected when the object started (0: unknown).
	Total     int64 `json:"total"`
	Done      int64 `json:"done"`
	Written   int64 `json:"written"`
	Existing  int64 `json:"existing"`
	Skipped   int64 `json:"skipped"`
	Folded    int64 `json:"folded"`
	Invalid   int64 `json:"invalid"`
	Rejected  int64 `json:"rejected"`
	Calls     int64 `json:"calls"`
	Bytes     int64 `json:"bytes"`
	ElapsedMs int64 `json:"elapsedMs"`
}

// InvalidJSON is why one object's records were invalid.
type InvalidJSON struct {
	Object  string                `json:"object"`
	Invalid int64                 `json:"invalid"`
	Reasons []mapping.ReasonCount `json:"reasons"`
}

func progressJSON(p Progress) ProgressJSON {
	return ProgressJSON{Object: p.Object, Total: p.Total, Done: p.Done, Written: p.Written, Existing: p.Existing, Skipped: p.Skipped,
		Folded: p.Folded, Invalid: p.Invalid, Rejected: p.Rejected, Calls: p.Calls, Bytes: p.Bytes, ElapsedMs: millis(p.Elapsed)}
}

// JSON returns the report's JSON form. Report.Written (request bodies)
// is left out: it holds patient data.
func (r *Report) JSON() ReportJSON {
	j := ReportJSON{Phase: r.Phase, Run: int64(r.Run), DryRun: r.DryRun, DryRunRecord: int64(r.DryRunRecord), Calls: r.Calls,
		DurationMs: millis(r.Duration), Resolved: r.Resolved, Swept: r.Swept, Deleted: r.Deleted, KeptDeleted: r.KeptDeleted,
		AcceptInvalid: r.AcceptInvalid, Objects: []ProgressJSON{}, Invalid: []InvalidJSON{}}
	for _, p := range r.Objects {
		j.Objects = append(j.Objects, progressJSON(p))
	}
	t := progressJSON(r.Totals())
	t.Object = "total"
	j.Totals = t
	invalid := map[string]int64{}
	for _, p := range r.Objects {
		invalid[p.Object] += p.Invalid
	}
	if r.Invalid != nil {
		for _, n := range slices.Sorted(maps.Keys(invalid)) {
			if invalid[n] == 0 {
				continue
			}
			reasons := r.Invalid.InvalidReasons(n)
			if reasons == nil {
				reasons = []mapping.ReasonCount{}
			}
			j.Invalid = append(j.Invalid, InvalidJSON{Object: n, Invalid: invalid[n], Reasons: reasons})
		}
	}
	if r.Sample != nil {
		j.SampleDigest = r.Sample.Digest
	}
	return j
}

// WriteJSON writes the report as one indented JSON document
// ([ReportJSON]): the phase's counters by object and in total, and the
// reasons records were invalid — never a record's values.
func (r *Report) WriteJSON(w io.Writer) error { return writeIndented(w, r.JSON()) }

// ---- ledger status

// LedgerStatus is what a ledger holds, as pbn2hl status shows it: the
// ledger's encryption, its runs with their counters, the sample
// approvals, and the intents whose outcome is unknown. [ReadLedgerStatus]
// reads it; WriteJSON writes it, with [PreflightJSON]'s conventions.
type LedgerStatus struct {
	Ledger          LedgerInfoJSON       `json:"ledger"`
	Runs            []RunJSON            `json:"runs"`
	SampleApprovals []SampleApprovalJSON `json:"sampleApprovals"`
	// PendingIntents counts the intents a crash or Ctrl-C left without an
	// outcome; Pending groups them by run, operation and object type.
	PendingIntents int           `json:"pendingIntents"`
	Pending        []PendingJSON `json:"pending"`
}

// LedgerInfoJSON is a ledger's [rollback.Info] (the key itself is never
// known to it: KeyID only names it).
type LedgerInfoJSON struct {
	Path             string `json:"path"`
	SchemaVersion    int    `json:"schemaVersion"`
	Encryption       string `json:"encryption"`
	KeyID            string `json:"keyId,omitempty"`
	PlaintextEntries int64  `json:"plaintextEntries"`
	MigrationID      string `json:"migrationId"`
}

// RunJSON is one run of the ledger.
type RunJSON struct {
	ID         int64     `json:"id"`
	Kind       string    `json:"kind"`
	Status     string    `json:"status"`
	MapDigest  string    `json:"mapDigest,omitempty"`
	Location   string    `json:"location,omitempty"`
	Actor      string    `json:"actor"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt,omitzero"`
	// UndoneBy is the undo run that reversed this one (0: none).
	UndoneBy int64        `json:"undoneBy,omitempty"`
	Counters CountersJSON `json:"counters"`
	// SampleSkipped: a full run that went without an approved sample.
	SampleSkipped bool `json:"sampleSkipped,omitempty"`
}

// CountersJSON are a run's [rollback.Counters].
type CountersJSON struct {
	Intents    int64 `json:"intents"`
	Done       int64 `json:"done"`
	Rejected   int64 `json:"rejected"`
	Unknown    int64 `json:"unknown"`
	Pending    int64 `json:"pending"`
	Invalid    int64 `json:"invalid"`
	Superseded int64 `json:"superseded"`
	Retried    int64 `json:"retried"`
}

// SampleApprovalJSON is one sign-off of a sample.
type SampleApprovalJSON struct {
	At           time.Time `json:"at"`
	Actor        string    `json:"actor"`
	MapDigest    string    `json:"mapDigest"`
	ReportDigest string    `json:"reportDigest"`
}

// PendingJSON counts the pending intents of one run, operation and
// object type.
type PendingJSON struct {
	Run        int64  `json:"run"`
	Op         string `json:"op"`
	ObjectType string `json:"objectType"`
	Count      int    `json:"count"`
}

// ReadLedgerStatus reads l's status: its info, runs (by id), sample
// approvals (oldest first) and pending intents (by run, operation and
// object type). It only reads.
func ReadLedgerStatus(ctx context.Context, l *rollback.Ledger) (*LedgerStatus, error) {
	info, err := l.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("pbnhl: ledger info: %w", err)
	}
	s := &LedgerStatus{Ledger: LedgerInfoJSON{Path: info.Path, SchemaVersion: info.SchemaVersion, Encryption: info.Encryption,
		KeyID: info.KeyID, PlaintextEntries: info.PlaintextEntries, MigrationID: info.MigrationID},
		Runs: []RunJSON{}, SampleApprovals: []SampleApprovalJSON{}, Pending: []PendingJSON{}}
	runs, err := l.Runs(ctx)
	if err != nil {
		return nil, fmt.Errorf("pbnhl: list runs: %w", err)
	}
	for _, r := range runs {
		k := r.Counters
		rj := RunJSON{ID: int64(r.ID), Kind: string(r.Kind), Status: string(r.Status), MapDigest: r.MapDigest, Location: r.Location,
			Actor: r.Actor, StartedAt: utc(r.StartedAt), FinishedAt: utc(r.FinishedAt), UndoneBy: int64(r.UndoneBy),
			Counters: CountersJSON{Intents: k.Intents, Done: k.Done, Rejected: k.Rejected, Unknown: k.Unknown, Pending: k.Pending,
				Invalid: k.Invalid, Superseded: k.Superseded, Retried: k.Retried}}
		if r.Kind == rollback.KindFull {
			if rj.SampleSkipped, err = l.SampleSkipped(ctx, r.ID); err != nil {
				return nil, fmt.Errorf("pbnhl: run %d: %w", r.ID, err)
			}
		}
		s.Runs = append(s.Runs, rj)
	}
	slices.SortFunc(s.Runs, func(a, b RunJSON) int { return cmp.Compare(a.ID, b.ID) })
	approvals, err := l.SampleApprovals(ctx)
	if err != nil {
		return nil, fmt.Errorf("pbnhl: sample approvals: %w", err)
	}
	for _, a := range approvals {
		s.SampleApprovals = append(s.SampleApprovals, SampleApprovalJSON{At: utc(a.At), Actor: a.Actor, MapDigest: a.MapDigest, ReportDigest: a.ReportDigest})
	}
	type group struct {
		run    int64
		op, ot string
	}
	pending := map[group]int{}
	for e, err := range l.Pending(ctx, true) {
		if err != nil {
			return nil, fmt.Errorf("pbnhl: pending intents: %w", err)
		}
		pending[group{int64(e.Run), string(e.Op), e.ObjectType}]++
		s.PendingIntents++
	}
	for g, n := range pending {
		s.Pending = append(s.Pending, PendingJSON{Run: g.run, Op: g.op, ObjectType: g.ot, Count: n})
	}
	slices.SortFunc(s.Pending, func(a, b PendingJSON) int {
		switch {
		case a.Run != b.Run:
			return cmp.Compare(a.Run, b.Run)
		case a.Op != b.Op:
			return cmp.Compare(a.Op, b.Op)
		}
		return cmp.Compare(a.ObjectType, b.ObjectType)
	})
	return s, nil
}

// WriteJSON writes the status as one indented JSON document.
func (s *LedgerStatus) WriteJSON(w io.Writer) error { return writeIndented(w, s) }
