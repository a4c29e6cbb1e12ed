package rollback

import (
	"encoding/json"
	"io"
	"slices"
)

// UndoSummary is the JSON form of an [UndoReport] ([UndoReport.Summary],
// [UndoSummary.WriteJSON]): counts by action and state, and every
// compensation that needs a person — refused, failed, unresolved, and the
// manual steps. Field names are camelCase and stable (fields are added,
// never renamed); maps are written with sorted keys and lists in the
// report's order, so one report always writes the same bytes. It holds
// HighLevel ids, object types and reasons, never a record's values.
type UndoSummary struct {
	// Runs are the runs undone, when the caller sets them (the report does
	// not know its scope).
	Runs []RunID `json:"runs"`
	// Run is the undo run recorded (0 for a dry run or nothing to undo).
	Run           RunID `json:"run"`
	DryRun        bool  `json:"dryRun"`
	NothingToUndo bool  `json:"nothingToUndo"`
	// Reversed: everything reversible was reversed ([UndoReport.Reversed]).
	Reversed      bool `json:"reversed"`
	Compensations int  `json:"compensations"`
	// ByAction and ByState count the compensations.
	ByAction map[Action]int            `json:"byAction"`
	ByState  map[CompensationState]int `json:"byState"`
	// Purged counts compensations a purge limits ([UndoReport.Purged]).
	Purged int `json:"purged"`
	// Problems are the refused, failed and unresolved compensations.
	Problems []CompensationJSON `json:"problems"`
	// ManualSteps are what the API cannot remove ([UndoReport.ManualSteps]).
	ManualSteps []CompensationJSON `json:"manualSteps"`
}

// CompensationJSON is one compensation in an [UndoSummary].
type CompensationJSON struct {
	State      CompensationState `json:"state"`
	Action     Action            `json:"action"`
	ObjectType string            `json:"objectType"`
	ID         string            `json:"id,omitempty"`
	SourceKey  string            `json:"sourceKey,omitempty"`
	Run        RunID             `json:"run"`
	Entry      int64             `json:"entry"`
	Reason     string            `json:"reason,omitempty"`
}

func compensationJSON(c Compensation) CompensationJSON {
	return CompensationJSON{State: c.State, Action: c.Action, ObjectType: c.Ref.ObjectType, ID: c.Ref.ID, SourceKey: c.Ref.SourceKey,
		Run: c.Run, Entry: c.Entry, Reason: c.Reason}
}

// Summary returns the report's JSON form; set Runs to the runs undone.
func (r *UndoReport) Summary() UndoSummary {
	s := UndoSummary{Runs: []RunID{}, Run: r.Run, DryRun: r.DryRun, NothingToUndo: r.NothingToUndo, Reversed: r.Reversed(),
		Compensations: len(r.Compensations), ByAction: map[Action]int{}, ByState: map[CompensationState]int{}, Purged: r.Purged(),
		Problems: []CompensationJSON{}, ManualSteps: []CompensationJSON{}}
	for _, c := range r.Compensations {
		s.ByAction[c.Action]++
		s.ByState[c.State]++
		switch c.State {
		case StateRefused, StateFailed, StateUnresolved:
			s.Problems = append(s.Problems, compensationJSON(c))
		}
	}
	for _, c := range r.ManualSteps() {
		s.ManualSteps = append(s.ManualSteps, compensationJSON(c))
	}
	return s
}

// WriteJSON writes the summary as one indented JSON document.
func (s UndoSummary) WriteJSON(w io.Writer) error {
	s.Runs = slices.Clone(s.Runs)
	if s.Runs == nil {
		s.Runs = []RunID{}
	}
	slices.Sort(s.Runs)
	// encoding/json sorts map keys: the counts are in a fixed order.
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// WriteJSON writes the report's [UndoSummary] (without Runs: use Summary
// to set them).
func (r *UndoReport) WriteJSON(w io.Writer) error { return r.Summary().WriteJSON(w) }
