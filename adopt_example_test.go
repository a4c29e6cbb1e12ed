package pbnhl_test

import (
	"context"
	"errors"
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

// A location belongs to the ledger that loaded it. A new (or mistyped)
// ledger is refused before it writes anything; Adopt rebuilds its id map
// from the location, writing nothing, and a run with it then creates
// nothing twice.
func ExampleMigration_Adopt() {
	ctx := context.Background()
	ps, err := pbntest.NewServer(pbntest.Options{Seed: 3, Patients: 5})
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
		RateLimit: hltest.RateLimit{Max: 100, Window: 100 * time.Millisecond}, // HighLevel's limits, scaled down 100×
	})
	defer hs.Close()
	lim, err := highlevel.NewLimiter(highlevel.LimiterOptions{Requests: 100, Window: 100 * time.Millisecond})
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
	dir, err := os.MkdirTemp("", "pbnhl-adopt")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	migration := func(file string) *pbnhl.Migration {
		l, err := rollback.Open(ctx, filepath.Join(dir, file), rollback.Options{Plaintext: true})
		if err != nil {
			log.Fatal(err)
		}
		mig, err := pbnhl.New(pbnhl.Options{Source: src, Client: hl, Map: m, Ledger: l,
			CompanyID: hltest.DefaultCompanyID, FallbackOwner: "desk@example.com", SearchLag: -1})
		if err != nil {
			log.Fatal(err)
		}
		return mig
	}

	first := migration("practice.ledger")
	if _, err := first.ApplySchema(ctx); err != nil {
		log.Fatal(err)
	}
	if _, err := first.Load(ctx); err != nil {
		log.Fatal(err)
	}

	// The ledger is lost; a new one is refused.
	second := migration("practice-recovered.ledger")
	_, err = second.Load(ctx)
	fmt.Println("refused:", errors.Is(err, pbnhl.ErrLedgerMismatch))

	rep, err := second.Adopt(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("contacts found:", rep.Found[rollback.TypeContact], "deletable by undo:", rep.Owned)

	run, err := second.Load(ctx)
	if err != nil {
		log.Fatal(err)
	}
	p, _ := run.Object("patients")
	fmt.Println("contacts created again:", p.Written, "in HighLevel:", hs.Count(hltest.DefaultLocationID, hltest.KindContact))
	// Output:
	// refused: true
	// contacts found: 5 deletable by undo: true
	// contacts created again: 0 in HighLevel: 5
}
