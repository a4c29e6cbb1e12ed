package reconcile_test

import (
	"os"

	"github.com/pbnhl/pbnhl/reconcile"
)

// A report names object types, fields, counts, source keys and HighLevel
// ids — never a value.
func ExampleReport_WriteText() {
	rep := &reconcile.Report{
		Counts: []reconcile.Count{{ObjectType: "contact", Source: 2, Ledger: 2, HighLevel: 2}},
		Sample: reconcile.Diff{Records: 2, Fields: 24, Calls: 2, RecordsRead: 2,
			Differences: []reconcile.Difference{{ObjectType: "contact", SourceKey: "1041", HighLevelID: "hlContact01", Kind: reconcile.KindField, Field: "email"}}},
		Calls:             4,
		Differences:       1,
		LedgerDifferences: 1,
		SourceCompared:    true,
	}
	_ = rep.WriteText(os.Stdout)
	// Output:
	// Reconciliation: HighLevel does not match the ledger (1 difference(s)) (4 API calls)
	//
	// Counts
	//   object type                            source rejected   kept deleted   ledger HighLevel
	//   contact                                     2        0      0       0        2         2  ok
	//
	// Relationship integrity
	//
	// External ids held twice: none
	//
	// Field-level diff (sample): 2 records, 24 fields compared, 2 API calls, 2 records read, 1.000 calls per record
	//   field   contact 1041 (hlContact01) email
	//
	// Field population (mapped body vs HighLevel)
}
