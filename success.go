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
// stays created or adopted, and a record deleted is listed as deleted by
// the run of its last delete. Rows come in journal order, unchanged ones
// after, by object type and key. The rows are held in memory: a success
// file of any size is written by WriteSuccessCSV, which streams them.
func Successes(ctx context.Context, l *rollback.Ledger, runs []rollback.RunID, opts SuccessOptions) ([]SuccessRow, error) {
	var rows []SuccessRow
	err := successRows(ctx, l, runs, opts, func(r SuccessRow) error {
		rows = append(rows, r)
		return nil
	})
	return rows, err
}

// writeAction is the success action of a journal write, if it is one of a
// source record: a done create, update or delete under a source key, not
// an Undo's compensation.
func writeAction(e rollback.Entry) (string, bool) {
	if e.Outcome != rollback.OutcomeDone || e.SourceKey == "" || e.Compensates != 0 {
		return "", false
	}
	switch e.Op {
	case rollback.OpCreate:
		if e.Origin == rollback.OriginAdopted {
			return ActionAdopted, true
		}
		return ActionCreated, true
	case rollback.OpUpdate:
		return ActionUpdated, true
	case rollback.OpDelete:
		return ActionDeleted, true
	}
	return "", false // links and schema elements are not source records
}

// successRows yields Successes' rows in order holding no per-record state
// (17.4: a full run's file has a row per record of the practice): a
// record's other writes are read from the ledger (Ledger.RecordWrites, one
// indexed read per row).
func successRows(ctx context.Context, l *rollback.Ledger, runs []rollback.RunID, opts SuccessOptions, yield func(SuccessRow) error) error {
	if len(runs) == 0 {
		return fmt.Errorf("%w: Successes needs the runs to list", ErrInvalidOptions)
	}
	inRuns := func(r rollback.RunID) bool { return slices.Contains(runs, r) }
	for e, err := range l.Entries(ctx, rollback.EntryFilter{Runs: runs, Outcomes: []rollback.OutcomeStatus{rollback.OutcomeDone}}) {
		if err != nil {
			return fmt.Errorf("pbnhl: success file: %w", err)
		}
		action, ok := writeAction(e)
		if !ok {
			continue
		}
		// The record's row is its first write in the runs; a later delete
		// in them makes it deleted, by the run of the last one.
		first, deletedIn := true, rollback.RunID(0)
		for w, err := range l.RecordWrites(ctx, e.ObjectType, e.SourceKey) {
			if err != nil {
				return fmt.Errorf("pbnhl: success file: %w", err)
			}
			if !inRuns(w.Run) {
				continue
			}
			if w.ID < e.ID {
				first = false
				break
			}
			if w.Op == rollback.OpDelete {
				deletedIn = w.Run
			}
		}
		if !first {
			continue
		}
		row := SuccessRow{Run: e.Run, Entity: e.Entity, SourceKey: e.SourceKey, ObjectType: e.ObjectType, ID: e.RecordID(), Action: action}
		if deletedIn != 0 {
			row.Action, row.Run = ActionDeleted, deletedIn
		}
		if err := yield(row); err != nil {
			return err
		}
	}
	if !opts.Unchanged {
		return nil
	}
	for m, err := range l.IDMap(ctx, "") {
		if err != nil {
			return fmt.Errorf("pbnhl: success file: %w", err)
		}
		if m.SourceKey == "" || m.HighLevelID == "" {
			continue
		}
		// A source record (some run wrote it; not a schema element) that
		// these runs did not write, under the entity of its last write.
		entity, isRecord, written := "", false, false
		for w, err := range l.RecordWrites(ctx, m.ObjectType, m.SourceKey) {
			if err != nil {
				return fmt.Errorf("pbnhl: success file: %w", err)
			}
			entity, isRecord = w.Entity, true
			written = written || inRuns(w.Run)
		}
		if !isRecord || written {
			continue
		}
		if err := yield(SuccessRow{Entity: entity, SourceKey: m.SourceKey, ObjectType: m.ObjectType, ID: m.HighLevelID, Action: ActionUnchanged}); err != nil {
			return err
		}
	}
	return nil
}

// WriteSuccessCSV writes Successes as CSV for a person (beside the
// problems CSV): source_entity, source_key, highlevel_type, highlevel_id,
// action, run. Cells a spreadsheet would run as a formula are neutralised
// (transform.NeutralizeFormula, as the CSV exports do). Rows are written as
// they are read: memory stays flat whatever the practice's size.
func WriteSuccessCSV(ctx context.Context, w io.Writer, l *rollback.Ledger, runs []rollback.RunID, opts SuccessOptions) error {
	cw := csv.NewWriter(w)
	safe := transform.NeutralizeFormula
	_ = cw.Write([]string{"source_entity", "source_key", "highlevel_type", "highlevel_id", "action", "run"})
	err := successRows(ctx, l, runs, opts, func(r SuccessRow) error {
		run := ""
		if r.Run != 0 {
			run = r.Run.String()
		}
		return cw.Write([]string{safe(r.Entity), safe(r.SourceKey), safe(r.ObjectType), safe(r.ID), r.Action, run})
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("pbnhl: success file: %w", err)
	}
	return nil
}
