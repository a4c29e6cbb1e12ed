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

// A whole migration rehearsed on the two simulators: schema, preflight,
// full run, undo.
func Example() {
	ctx := context.Background()

	// The source: a generated practice behind the PbN REST simulator.
	ps, err := pbntest.NewServer(pbntest.Options{Seed: 1, Patients: 6})
	if err != nil {
		log.Fatal(err)
	}
	defer ps.Close()
	// The simulator needs no pacing: RateLimit -1.
	src, err := pbn.NewClient(pbn.Options{BaseURL: ps.URL, Token: ps.Token(), RateLimit: -1})
	if err != nil {
		log.Fatal(err)
	}

	// The destination: a HighLevel location (simulated, limits scaled down
	// 50×) that lets family members share an e-mail or a phone.
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

	// The map, approved by a person (here: the example).
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
	pre, err := mig.Preflight(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("ready:", pre.Ready())

	rep, err := mig.Load(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("calls as estimated:", rep.Calls == pre.Estimate.Calls)
	loc := hltest.DefaultLocationID
	fmt.Println("contacts:", hs.Count(loc, hltest.KindContact), "businesses:", hs.Count(loc, hltest.KindBusiness))

	undo, err := mig.Undo(ctx, pbnhl.UndoOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("undone:", undo.Complete(), "contacts left:", hs.Count(loc, hltest.KindContact))
	// Output:
	// ready: true
	// calls as estimated: true
	// contacts: 6 businesses: 3
	// undone: true contacts left: 0
}
