package rollback_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/pbnhl/pbnhl/rollback"
)

// The runner's loop: intent, call, outcome. A crash between intent and
// outcome leaves the intent in Pending for resolution.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "ledger")
	defer os.RemoveAll(dir)

	l, err := rollback.Open(ctx, filepath.Join(dir, "practice.ledger"), rollback.Options{Key: make([]byte, 32)})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	run, _ := l.BeginRun(ctx, rollback.RunOptions{Kind: rollback.KindFull, Location: "loc-1"})

	seq, _ := run.Intent(ctx, rollback.Intent{Op: rollback.OpCreate, ObjectType: "contact", SourceKey: "pbn-1",
		Payload: []byte(`{"firstName":"Ann"}`)})
	// ... POST /contacts/ succeeds with id "c-1" ...
	_ = run.Outcome(ctx, seq, rollback.Done("c-1"))

	_, _ = run.Intent(ctx, rollback.Intent{Op: rollback.OpCreate, ObjectType: "contact", SourceKey: "pbn-2"})
	// ... the process dies before the outcome is journaled ...

	m, _, _ := l.Lookup(ctx, "contact", "pbn-1")
	fmt.Println("pbn-1 →", m.HighLevelID)
	for e, err := range l.Pending(ctx, true) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("resolve before retrying:", e.ObjectType, e.SourceKey)
	}
	// Output:
	// pbn-1 → c-1
	// resolve before retrying: contact pbn-2
}

// printTarget is a destination where every record still holds what we wrote.
type printTarget struct{}

func (printTarget) Delete(_ context.Context, ref rollback.Ref) error { return nil }
func (printTarget) Restore(_ context.Context, ref rollback.Ref, before, written []byte) error {
	return nil
}
func (printTarget) Unlink(_ context.Context, ref rollback.Ref) error       { return nil }
func (printTarget) DeleteSchema(_ context.Context, ref rollback.Ref) error { return nil }
func (printTarget) Digest(_ context.Context, ref rollback.Ref, written []byte) (string, error) {
	return rollback.Digest(written), nil
}

// A dry run lists the exact compensations, last write first.
func ExampleUndo() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "ledger")
	defer os.RemoveAll(dir)
	l, err := rollback.Open(ctx, filepath.Join(dir, "practice.ledger"), rollback.Options{Plaintext: true})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	run, _ := l.BeginRun(ctx, rollback.RunOptions{Kind: rollback.KindFull})
	journal := func(in rollback.Intent, id string) {
		seq, _ := run.Intent(ctx, in)
		_ = run.Outcome(ctx, seq, rollback.Done(id))
	}
	journal(rollback.Intent{Op: rollback.OpCreate, ObjectType: "business", SourceKey: "office-1", Payload: []byte(`{"name":"Smile"}`)}, "b-1")
	journal(rollback.Intent{Op: rollback.OpCreate, ObjectType: "contact", SourceKey: "pbn-1", Payload: []byte(`{"firstName":"Ann"}`)}, "c-1")
	journal(rollback.Intent{Op: rollback.OpLink, ObjectType: "contact.business", TargetID: "c-1", RelatedID: "b-1"}, "")
	journal(rollback.Intent{Op: rollback.OpUpdate, ObjectType: "contact", SourceKey: "pbn-0", TargetID: "c-0",
		Payload: []byte(`{"phone":"+15555550100"}`), Before: []byte(`{"phone":""}`)}, "c-0")

	report, err := rollback.Undo(ctx, l, printTarget{}, rollback.UndoOptions{Runs: []rollback.RunID{run.ID()}, DryRun: true})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range report.Compensations {
		id := c.Ref.ID
		if id == "" {
			id = c.Ref.TargetID + "↔" + c.Ref.RelatedID
		}
		fmt.Println(c.Action, c.Ref.ObjectType, id, c.State)
	}
	// Output:
	// restore contact c-0 planned
	// unlink contact.business c-1↔b-1 planned
	// delete contact c-1 planned
	// delete business b-1 planned
}
