package pbnhl

import (
	"context"
	"fmt"

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

// builtInWriter is what a target whose undo rollback holds embeds in
// place of writer: writer's role and cost, and rollbackKind's read and
// remove.
type builtInWriter struct {
	writer
	rollbackKind
}

// rollbackKind is the read and remove of the targets whose undo rollback
// holds (contacts, businesses, opportunities, notes, tasks and custom
// object records: rollback's built-in kinds, rollback/kinds.go). Those
// targets embed it, so each kind's read and delete are written once, in
// rollback, and the load, the sweep, the delta, repair and Undo use the
// same ones.
type rollbackKind struct{}

func (rollbackKind) read(ctx context.Context, c *highlevel.Client, typ, id, contactID string) (any, error) {
	k, ref, err := builtInKind(c, "read", typ, id, contactID)
	if err != nil {
		return nil, err
	}
	r, ok := k.(rollback.RecordReader)
	if !ok {
		return nil, fmt.Errorf("pbnhl: cannot read a %s", typ)
	}
	v, err := r.Read(ctx, ref)
	if err == nil && v == nil {
		return nil, fmt.Errorf("pbnhl: %s %s: %w", typ, id, highlevel.ErrNotFound)
	}
	return v, err
}

func (rollbackKind) remove(ctx context.Context, c *highlevel.Client, typ, id, contactID string) error {
	k, ref, err := builtInKind(c, "delete", typ, id, contactID)
	if err != nil {
		return err
	}
	return k.Delete(ctx, ref)
}

// builtInKind is rollback's kind for typ and the Ref of record id (a note
// or task under contactID, which it needs).
func builtInKind(c *highlevel.Client, action, typ, id, contactID string) (rollback.RecordKind, rollback.Ref, error) {
	if contactID == "" && targetOfType(typ).underContact() {
		return nil, rollback.Ref{}, fmt.Errorf("pbnhl: cannot %s a %s without its contact", action, typ)
	}
	k := rollback.BuiltIn(c, typ)
	if k == nil {
		return nil, rollback.Ref{}, fmt.Errorf("pbnhl: cannot %s a %s", action, typ)
	}
	return k, rollback.Ref{ObjectType: typ, ID: id, RelatedID: contactID}, nil
}
