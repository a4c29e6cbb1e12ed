package pbnhl

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"

	"github.com/pbnhl/pbnhl/mapping/transform"
	"github.com/pbnhl/pbnhl/rollback"
)

// Success actions: what a run did to a source record at HighLevel.
const (
	ActionCreated   = "created"   // the run created it
	ActionAdopted   = "adopted"   // it already existed (matched by identity) and the run took it over
	ActionUpdated   = "updated"   // the run changed it
	ActionDeleted   = "deleted"   // a delta removed it with its source record
	ActionUnchanged = "unchanged" // in HighLevel from an earlier run, not written by these runs
)

// SuccessRow is one line of a success file: a source record and the
// HighLevel record it is, as Salesforce Data Loader's success files pair
// source rows with ids. Keys and ids only: no field value (PHI).
type SuccessRow struct {
	Run        rollback.RunID // the run that wrote it (0 for unchanged)
	Entity     string         // source entity ("patients")
	SourceKey  string         // the record's key in the source
	ObjectType string         // HighLevel type ("contact", "custom_objects.appointment")
	ID         string         // HighLevel id
	Action     string         // ActionCreated, ActionAdopted, ActionUpdated, ActionDeleted or ActionUnchanged
}

// SuccessOptions shape Successes.
type SuccessOptions struct {
	// Unchanged also lists every record of the id map these runs did not
	// write (a full run's success file then covers the whole practice in
	// HighLevel; a delta's usually leaves them out).
	Unchanged bool
}

// Successes lists what runs did to source records at HighLevel, from the
// ledger's journal (done outcomes of creates, updates and deletes; links
// and schema changes are not source records) and, with opts.Unchanged,
// its id map. A record written more than once in the runs is one row: its
// first action, except that a record created or adopted and then updated
// stays created or adopted. Rows come in journal order, unchanged ones
// after, by object type and key.
func Successes(ctx context.Context, l *rollback.Ledger, runs []rollback.RunID, opts SuccessOptions) ([]SuccessRow, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("%w: Successes needs the runs to list", ErrInvalidOptions)
	}
	type key struct{ typ, src string }
	var rows []SuccessRow
	at := map[key]int{}        // row index of a record written by the runs
	entity := map[key]string{} // the source entity of every journaled record
	written := map[key]bool{}  // records these runs wrote
	inRuns := func(r rollback.RunID) bool { return slices.Contains(runs, r) }
	for e, err := range l.Entries(ctx, rollback.EntryFilter{Outcomes: []rollback.OutcomeStatus{rollback.OutcomeDone}}) {
		if err != nil {
			return nil, fmt.Errorf("pbnhl: success file: %w", err)
		}
		var action string
		switch e.Op {
		case rollback.OpCreate:
			action = ActionCreated
			if e.Origin == rollback.OriginAdopted {
				action = ActionAdopted
			}
		case rollback.OpUpdate:
			action = ActionUpdated
		case rollback.OpDelete:
			action = ActionDeleted
		default:
			continue // links and schema elements are not source records
		}
		if e.SourceKey == "" || e.Compensates != 0 {
			continue // an undo's compensation is no success of a run
		}
		k := key{e.ObjectType, e.SourceKey}
		entity[k] = e.Entity
		if !inRuns(e.Run) {
			continue
		}
		written[k] = true
		if i, ok := at[k]; ok {
			if action == ActionDeleted {
				rows[i].Action, rows[i].Run = action, e.Run
			}
			continue
		}
		at[k] = len(rows)
		rows = append(rows, SuccessRow{Run: e.Run, Entity: e.Entity, SourceKey: e.SourceKey, ObjectType: e.ObjectType, ID: e.RecordID(), Action: action})
	}
	if !opts.Unchanged {
		return rows, nil
	}
	for m, err := range l.IDMap(ctx, "") {
		if err != nil {
			return nil, fmt.Errorf("pbnhl: success file: %w", err)
		}
		k := key{m.ObjectType, m.SourceKey}
		ent, isRecord := entity[k]
		if !isRecord || written[k] || m.HighLevelID == "" {
			continue // schema elements and links; or listed above
		}
		rows = append(rows, SuccessRow{Entity: ent, SourceKey: m.SourceKey, ObjectType: m.ObjectType, ID: m.HighLevelID, Action: ActionUnchanged})
	}
	return rows, nil
}

// WriteSuccessCSV writes Successes as CSV for a person (beside the
// problems CSV): source_entity, source_key, highlevel_type, highlevel_id,
// action, run. Cells a spreadsheet would run as a formula are neutralised
// (transform.NeutralizeFormula, as the CSV exports do).
func WriteSuccessCSV(ctx context.Context, w io.Writer, l *rollback.Ledger, runs []rollback.RunID, opts SuccessOptions) error {
	rows, err := Successes(ctx, l, runs, opts)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	safe := transform.NeutralizeFormula
	_ = cw.Write([]string{"source_entity", "source_key", "highlevel_type", "highlevel_id", "action", "run"})
	for _, r := range rows {
		run := ""
		if r.Run != 0 {
			run = r.Run.String()
		}
		_ = cw.Write([]string{safe(r.Entity), safe(r.SourceKey), safe(r.ObjectType), safe(r.ID), r.Action, run})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("pbnhl: success file: %w", err)
	}
	return nil
}
