package rollback_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/rollback"
)

// Journal a contact create against a (simulated) HighLevel location, then
// undo the run with the HighLevel target.
func ExampleNewHighLevelTarget() {
	ctx := context.Background()
	sim := hltest.NewServer(hltest.Options{})
	defer sim.Close()
	hl, err := highlevel.NewClient(highlevel.Options{BaseURL: sim.URL, LocationID: hltest.DefaultLocationID,
		Auth: highlevel.StaticToken(hltest.DefaultToken)})
	if err != nil {
		log.Fatal(err)
	}
	dir, _ := os.MkdirTemp("", "ledger")
	defer os.RemoveAll(dir)
	l, err := rollback.Open(ctx, filepath.Join(dir, "practice.ledger"), rollback.Options{Key: make([]byte, 32)})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()

	run, _ := l.BeginRun(ctx, rollback.RunOptions{Kind: rollback.KindSample, Location: hltest.DefaultLocationID})
	in := highlevel.ContactInput{FirstName: "Ann", Email: "ann@example.com"}
	body, _ := json.Marshal(in)
	seq, _ := run.Intent(ctx, rollback.Intent{Op: rollback.OpCreate, ObjectType: rollback.TypeContact, SourceKey: "pbn-1", Payload: body})
	c, err := hl.Contacts.Create(ctx, in)
	if err != nil {
		_ = run.Outcome(ctx, seq, rollback.Unknown("create failed"))
		log.Fatal(err)
	}
	_ = run.Outcome(ctx, seq, rollback.Done(c.ID))
	_ = run.Finish(ctx, rollback.StatusSucceeded)
	fmt.Println("contacts after the run:", sim.Count(hltest.DefaultLocationID, hltest.KindContact))

	report, err := rollback.Undo(ctx, l, rollback.NewHighLevelTarget(hl), rollback.UndoOptions{Runs: []rollback.RunID{run.ID()}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("undone:", report.Count(rollback.StateDone), "complete:", report.Complete())
	fmt.Println("contacts after undo:", sim.Count(hltest.DefaultLocationID, hltest.KindContact))
	// Output:
	// contacts after the run: 1
	// undone: 1 complete: true
	// contacts after undo: 0
}
