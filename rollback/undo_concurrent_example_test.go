package rollback_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/pbnhl/pbnhl/rollback"
)

// With Concurrency above 1, tiers run one after the other (links, then
// notes and other child records, then contacts, then businesses, then
// schema) on a pool of workers. OnCompensation is never called twice at
// once, so a plain counter needs no lock; the report keeps reverse
// journal order.
func ExampleUndoOptions_concurrency() {
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
	journal(rollback.Intent{Op: rollback.OpCreate, ObjectType: rollback.TypeBusiness, SourceKey: "office-1", Payload: []byte(`{"name":"Smile"}`)}, "b-1")
	for i := 1; i <= 3; i++ {
		c := fmt.Sprint("c-", i)
		journal(rollback.Intent{Op: rollback.OpCreate, ObjectType: rollback.TypeContact, SourceKey: fmt.Sprint("pbn-", i), Payload: []byte(`{"firstName":"P"}`)}, c)
		journal(rollback.Intent{Op: rollback.OpCreate, ObjectType: rollback.TypeNote, SourceKey: fmt.Sprint("note-", i), TargetID: c, Payload: []byte(`{"body":"x"}`)}, fmt.Sprint("n-", i))
		journal(rollback.Intent{Op: rollback.OpLink, ObjectType: rollback.TypeContactBusiness, TargetID: c, RelatedID: "b-1"}, "")
	}

	decided := 0
	report, err := rollback.Undo(ctx, l, printTarget{}, rollback.UndoOptions{
		Runs:           []rollback.RunID{run.ID()},
		Concurrency:    8,
		OnCompensation: func(rollback.Compensation) { decided++ },
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("decided:", decided, "done:", report.Count(rollback.StateDone), "complete:", report.Complete())
	fmt.Println("first:", report.Compensations[0].Action, report.Compensations[0].Ref.ObjectType)
	last := report.Compensations[len(report.Compensations)-1]
	fmt.Println("last:", last.Action, last.Ref.ObjectType, last.Ref.ID)
	// Output:
	// decided: 10 done: 10 complete: true
	// first: unlink contact.business
	// last: delete business b-1
}
