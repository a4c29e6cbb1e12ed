package mapping

import (
	"context"
	"errors"
	"fmt"
	"strings"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// SourceOptions tune [InventorySource].
type SourceOptions struct {
	InventoryOptions
	// Records caps the records read per entity: a proposal needs a sample of
	// each entity, not the whole practice (Count is then at most Records).
	// 0 means 500.
	Records int
}

func (o SourceOptions) records() int {
	if o.Records <= 0 {
		return 500
	}
	return o.Records
}

// inventoriedEntities are the entities [InventorySource] samples, in the
// order the proposal lists them: those a map can migrate. The custom
// property catalogue is the inventory's Properties instead; KPIs and
// automations are not records HighLevel holds.
var inventoriedEntities = []pbn.Entity{
	pbn.EntityOffices, pbn.EntityStaff, pbn.EntityPatients, pbn.EntityAppointments,
	pbn.EntityProcedures, pbn.EntityTreatmentPlans, pbn.EntityInsuranceCarriers,
	pbn.EntityCoverages, pbn.EntityCommunications, pbn.EntityFormSubmissions,
	pbn.EntityDocuments, pbn.EntityCohorts,
}

// InventorySource samples a live source (the REST client or an export
// reader) for [Propose], as [InventoryDir] does for a folder of reports:
// the first opts.Records records of each entity a map can migrate (offices,
// staff, patients, appointments, procedures, treatment plans, insurance
// carriers, coverages, communications, form submissions, documents,
// cohorts), and the custom property catalogue.
//
// A record the source could not read (*pbn.RowError) is skipped: it is no
// sample of what the source holds (preflight reports each such record with
// its reasons). Any other error stops the inventory and names the entity.
func InventorySource(ctx context.Context, src pbn.Source, opts SourceOptions) (SourceInventory, error) {
	var inv SourceInventory
	props, err := pbn.Collect(src.CustomProperties(ctx, pbn.ListOptions{}))
	if err != nil {
		return inv, fmt.Errorf("mapping: read custom properties: %w", err)
	}
	inv.Properties = props
	limit := opts.records()
	for _, e := range inventoriedEntities {
		seq, err := pbn.Records(ctx, src, e, pbn.ListOptions{})
		if err != nil {
			return inv, fmt.Errorf("mapping: sample %s: %w", e, err)
		}
		var failed error
		rejects := map[string]int{}
		recs := func(yield func(Record) bool) {
			n := 0
			for rec, err := range seq {
				var re *pbn.RowError
				if errors.As(err, &re) {
					// Counted by reason, so the proposal says what a typed
					// column that does not parse costs (never a value).
					rejects[rowRejectReason(re)]++
					continue
				}
				if err != nil {
					failed = err
					return
				}
				if !yield(Struct(rec)) {
					return
				}
				if n++; n >= limit {
					return
				}
			}
		}
		ei := SampleRecords(string(e), recs, nil, opts.InventoryOptions)
		if failed != nil {
			return inv, fmt.Errorf("mapping: sample %s: %w", e, failed)
		}
		if len(rejects) > 0 {
			ei.Rejects = rejects
		}
		inv.Entities = append(inv.Entities, ei)
	}
	return inv, nil
}

// rowRejectReason names why a row was rejected without its values: the
// row-shape problem, or the columns that did not parse and why.
func rowRejectReason(re *pbn.RowError) string {
	var parts []string
	if re.Err != nil {
		parts = append(parts, re.Err.Error())
	}
	for _, f := range re.Fields {
		parts = append(parts, fmt.Sprintf("%s: %v", f.Header, f.Err))
	}
	if len(parts) == 0 {
		return "unreadable record"
	}
	return strings.Join(parts, "; ")
}
