package practicebynumbers

import (
	"context"
	"io"
	"iter"
	"time"
)

// Inventory is what a source holds: live record counts per entity (every
// entity is a key, 0 included) and the custom property catalogue. It drives
// the schema plan and the map proposer.
type Inventory struct {
	Counts           map[Entity]int64           `json:"counts"`
	CustomProperties []CustomPropertyDefinition `json:"customProperties,omitempty"`
	ServerTime       time.Time                  `json:"serverTime,omitzero"`
}

// Total is the sum of all counts.
func (inv Inventory) Total() int64 {
	var n int64
	for _, c := range inv.Counts {
		n += c
	}
	return n
}

// Source is what a migration reads: both [Client] (REST) and [ExportReader]
// (CSV folder) satisfy it and yield equal records for the same data.
//
// Iterators yield (record, nil) or (zero, err). A *RowError (CSV) describes
// one bad record and iteration continues; any other error ends the
// iteration.
type Source interface {
	Offices(ctx context.Context, opts ListOptions) iter.Seq2[Office, error]
	Staff(ctx context.Context, opts ListOptions) iter.Seq2[Staff, error]
	CustomProperties(ctx context.Context, opts ListOptions) iter.Seq2[CustomPropertyDefinition, error]
	Cohorts(ctx context.Context, opts ListOptions) iter.Seq2[Cohort, error]
	Patients(ctx context.Context, opts ListOptions) iter.Seq2[Patient, error]
	InsuranceCarriers(ctx context.Context, opts ListOptions) iter.Seq2[InsuranceCarrier, error]
	Coverages(ctx context.Context, opts ListOptions) iter.Seq2[Coverage, error]
	Appointments(ctx context.Context, opts ListOptions) iter.Seq2[Appointment, error]
	Procedures(ctx context.Context, opts ListOptions) iter.Seq2[Procedure, error]
	TreatmentPlans(ctx context.Context, opts ListOptions) iter.Seq2[TreatmentPlan, error]
	Communications(ctx context.Context, opts ListOptions) iter.Seq2[Communication, error]
	FormSubmissions(ctx context.Context, opts ListOptions) iter.Seq2[FormSubmission, error]
	Documents(ctx context.Context, opts ListOptions) iter.Seq2[Document, error]
	KPIDefinitions(ctx context.Context, opts ListOptions) iter.Seq2[KPIDefinition, error]
	KPIValues(ctx context.Context, opts ListOptions) iter.Seq2[KPIValue, error]
	Automations(ctx context.Context, opts ListOptions) iter.Seq2[Automation, error]
	Deletions(ctx context.Context, opts ListOptions) iter.Seq2[Deletion, error]
	OpenDocument(ctx context.Context, id Key) (io.ReadCloser, error)
	Inventory(ctx context.Context) (Inventory, error)
}

// DocumentFiles is a Source that can tell whether a document's file is
// there without reading it (an export folder: a stat). The API always
// serves the files it lists, so the Client does not implement it.
type DocumentFiles interface {
	HasDocumentFile(ctx context.Context, id Key) (bool, error)
}

var (
	_ Source        = (*ExportReader)(nil)
	_ DocumentFiles = (*ExportReader)(nil)
)
