package pbnhl

import (
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/rollback"
)

// undoer is a target that hands the undo of its record types to rollback
// (rollback.RecordKind): the target file holds the one delete, read and
// restore of its records, and rollback does not repeat them.
type undoer interface {
	undoKind(c *highlevel.Client) rollback.RecordKind
}

// UndoKinds are the undo of the record types whose delete, read and
// restore live in this package's targets rather than in rollback, for c's
// location. Undoing a ledger without them leaves those types' records as
// irreversible; UndoTarget is the Undo target that has them.
func UndoKinds(c *highlevel.Client) []rollback.RecordKind {
	var ks []rollback.RecordKind
	for _, t := range targets {
		if u, ok := t.(undoer); ok {
			ks = append(ks, u.undoKind(c))
		}
	}
	return ks
}

// UndoTarget is rollback's Undo target for c's location with every
// target's record kinds (UndoKinds): what rollback.Undo needs to undo
// everything a Migration journals. Migration.Undo and Migration.Repair
// use it; a program calling rollback.Undo itself passes it too.
func UndoTarget(c *highlevel.Client) *rollback.HighLevelTarget {
	return rollback.NewHighLevelTarget(c).WithKinds(UndoKinds(c)...)
}
