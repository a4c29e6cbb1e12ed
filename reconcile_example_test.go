package pbnhl_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
	"github.com/pbnhl/pbnhl/rollback"
)

// After the run, Reconcile checks HighLevel against the ledger and the
// source; a contact someone deletes is found: missing from the count and
// the bucketed diff, its business link and its records' relations broken;
// Repair puts it back.
func ExampleMigration_Reconcile() {
	ctx := context.Background()
	ps, err := pbntest.NewServer(pbntest.Options{Seed: 1, Patients: 6})
	if err != nil {
		log.Fatal(err)
	}
	defer ps.Close()
	src, err := pbn.NewClient(pbn.Options{BaseURL: ps.URL, Token: ps.Token(), RateLimit: -1})
	if err != nil {
		log.Fatal(err)
	}
	hs := hltest.NewServer(hltest.Options{
		Users:     []hltest.User{{ID: "hlUserFrontDesk00001", FirstName: "Front", LastName: "Desk", Email: "desk@example.com"}},
		Locations: []hltest.Location{{ID: hltest.DefaultLocationID, Token: hltest.DefaultToken, AllowDuplicates: true, AllowDuplicateOpportunities: true}},
		RateLimit: hltest.RateLimit{Max: 100, Window: 200 * time.Millisecond},
	})
	defer hs.Close()
	lim, err := highlevel.NewLimiter(highlevel.LimiterOptions{Requests: 100, Window: 200 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	hl, err := highlevel.NewClient(highlevel.Options{BaseURL: hs.URL, LocationID: hltest.DefaultLocationID,
		Auth: highlevel.StaticToken(hltest.DefaultToken), Limiter: lim})
	if err != nil {
		log.Fatal(err)
	}
	inv, err := src.Inventory(ctx)
	if err != nil {
		log.Fatal(err)
	}
	m, err := mapping.Default(inv.CustomProperties)
	if err != nil {
		log.Fatal(err)
	}
	if err := m.Approve("example", time.Now()); err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "pbnhl-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ledger, err := rollback.Open(ctx, filepath.Join(dir, "practice.ledger"), rollback.Options{Plaintext: true})
	if err != nil {
		log.Fatal(err)
	}
	defer ledger.Close()
	mig, err := pbnhl.New(pbnhl.Options{Source: src, Client: hl, Map: m, Ledger: ledger,
		CompanyID: hltest.DefaultCompanyID, FallbackOwner: "desk@example.com", SearchLag: -1})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := mig.ApplySchema(ctx); err != nil {
		log.Fatal(err)
	}
	if _, err := mig.Load(ctx); err != nil {
		log.Fatal(err)
	}

	rep, err := mig.Reconcile(ctx, pbnhl.ReconcileOptions{Full: true, Deep: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("differences after the run:", rep.Differences)

	// Someone deletes a migrated contact in HighLevel.
	for e, err := range ledger.IDMap(ctx, rollback.TypeContact) {
		if err != nil {
			log.Fatal(err)
		}
		if err := hl.Contacts.Delete(ctx, e.HighLevelID); err != nil {
			log.Fatal(err)
		}
		break
	}
	rep, err = mig.Reconcile(ctx, pbnhl.ReconcileOptions{Full: true, Deep: true})
	if err != nil {
		log.Fatal(err)
	}
	// 8: the count, the contact in the sample and in the buckets, its
	// business link, and its two appointments' relations, each in the
	// sample and in the full relation check (Deep: every relation; a full
	// check that is not Deep reads a random sample of contacts' relations
	// and may miss these two).
	fmt.Println("differences after the deletion:", rep.Differences)

	// Repair re-creates it from its journaled body, with its business
	// link and relations, in a run Undo can reverse.
	if _, err := mig.Repair(ctx, rep, pbnhl.RepairOptions{}); err != nil {
		log.Fatal(err)
	}
	rep, err = mig.Reconcile(ctx, pbnhl.ReconcileOptions{Full: true, Deep: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("differences after the repair:", rep.Differences)
	// Output:
	// differences after the run: 0
	// differences after the deletion: 8
	// differences after the repair: 0
}
