package pbnhl

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/mapping"
)

// The errors this package returns that callers test for: errors.Is with the
// Err* values, errors.As with the *Error types.

// ErrInvalidOptions is matched by errors from New for missing or bad options.
var ErrInvalidOptions = errors.New("pbnhl: invalid options")

// ErrUnknownEntity is returned for a map object whose source entity the
// runner cannot read.
var ErrUnknownEntity = errors.New("pbnhl: unknown source entity")

// ErrNoWatermark is returned by Delta before any full run has completed:
// an entity with no watermark (a source that tells no time records none),
// or a report read as it is (which needs none) before any full load
// finished.
var ErrNoWatermark = errors.New("pbnhl: no watermark: run the full load first")

// ErrLedgerMismatch is matched (errors.Is) by a *LedgerMismatchError.
var ErrLedgerMismatch = errors.New("pbnhl: the ledger does not belong to this location")

// LedgerMismatchError refuses a mutating phase whose ledger is not the one
// that loaded the location: the location names another migration, or it
// holds records migrated by pbnhl that this ledger does not know, or the
// ledger recorded runs in another location. Writing with such a ledger
// would load the practice a second time. Use the ledger that owns the
// location, or rebuild this one from the location with Migration.Adopt.
type LedgerMismatchError struct {
	// Location is the HighLevel location checked.
	Location string
	// MigrationID and Ledger are this ledger's migration id and file name.
	MigrationID, Ledger string
	// OwnerMigrationID and OwnerLedger are what the location's custom
	// value names ("" when it holds none).
	OwnerMigrationID, OwnerLedger string
	// Unknown reports migrated records in the location (contacts carrying
	// an external id) that this ledger does not know, while the location
	// names no migration.
	Unknown bool
	// OtherLocation is set when the ledger's runs were recorded in another
	// location.
	OtherLocation string
}

func (e *LedgerMismatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pbnhl: ledger %s (migration %s) does not belong to location %s: ", e.Ledger, e.MigrationID, e.Location)
	switch {
	case e.OtherLocation != "":
		fmt.Fprintf(&b, "its runs were recorded in location %s; use a ledger of its own for each location", e.OtherLocation)
		return b.String()
	case e.OwnerMigrationID != "":
		fmt.Fprintf(&b, "the location was loaded by migration %s", e.OwnerMigrationID)
		if e.OwnerLedger != "" {
			fmt.Fprintf(&b, " (ledger %s)", e.OwnerLedger)
		}
	default:
		b.WriteString("the location holds records migrated by pbnhl that this ledger does not know")
	}
	b.WriteString("; run with the ledger that loaded it, or rebuild this ledger from the location with Adopt (pbn2hl adopt), which writes nothing to HighLevel")
	return b.String()
}

// Is matches ErrLedgerMismatch.
func (e *LedgerMismatchError) Is(target error) bool { return target == ErrLedgerMismatch }

// ErrAdoptInterrupted refuses a mutating phase after an Adopt that did
// not finish: some records it found are not settled in the ledger, and a
// phase would settle them by lookup as creations of its own. Run Adopt
// again.
var ErrAdoptInterrupted = errors.New("pbnhl: an Adopt was interrupted before it settled what it found: run Adopt again before any other phase")

// ErrSourceNotReady matches (errors.Is) a *SourceNotReadyError.
var ErrSourceNotReady = errors.New("pbnhl: the source would not migrate")

// SourceNotReadyError is why a full run refused to start: the source
// checks of Preflight block (a file unreadable, cut or not in its encoding,
// a required column missing, an object over Options.MaxInvalidShare
// without AcceptInvalid). Nothing was written.
type SourceNotReadyError struct {
	Blockers []Blocker
}

func (e *SourceNotReadyError) Error() string {
	parts := make([]string, len(e.Blockers))
	for i, b := range e.Blockers {
		parts[i] = b.String()
	}
	return "pbnhl: the source would not migrate (run Preflight for the whole report): " + strings.Join(parts, "; ")
}

// Is makes a SourceNotReadyError match ErrSourceNotReady.
func (e *SourceNotReadyError) Is(target error) bool { return target == ErrSourceNotReady }

// SchemaNotReadyError says the location lacks what the map needs (or holds
// it in a conflicting shape): apply the schema plan first.
type SchemaNotReadyError struct {
	Missing, Conflicting, Manual int
	Items                        []mapping.SchemaItem
}

func (e *SchemaNotReadyError) Error() string {
	return fmt.Sprintf("pbnhl: the location's schema is not ready (%d missing, %d conflicting, %d to create by hand): apply the schema plan first",
		e.Missing, e.Conflicting, e.Manual)
}

func schemaNotReady(d *mapping.SchemaDiff) error {
	e := &SchemaNotReadyError{Missing: d.Count(mapping.Missing), Conflicting: d.Count(mapping.Conflicts), Manual: d.Count(mapping.ManualOnly)}
	for _, it := range d.Items {
		if it.Status != mapping.Exists {
			e.Items = append(e.Items, it)
		}
	}
	return e
}

// DailyLimitError stops a phase when the location's daily quota is spent and
// Options.DailyLimit is StopOnDailyLimit. Nothing is lost: run the same phase
// again after ResumeAt and it continues where it stopped.
type DailyLimitError struct {
	ResumeAt time.Time // zero when HighLevel did not say
	Err      error
}

func (e *DailyLimitError) Error() string {
	if e.ResumeAt.IsZero() {
		return "pbnhl: HighLevel's daily API limit is spent; run the phase again once it resets"
	}
	return fmt.Sprintf("pbnhl: HighLevel's daily API limit is spent; run the phase again after %s", e.ResumeAt.UTC().Format(time.RFC3339))
}

func (e *DailyLimitError) Unwrap() error { return e.Err }

// ErrRepairIncomplete is matched by a RepairIncompleteError.
var ErrRepairIncomplete = errors.New("pbnhl: repair left records unrepaired")

// RepairSkip is a record a repair did not re-send, and why (no values).
type RepairSkip struct {
	ObjectType, SourceKey, HighLevelID string
	// Changed is set when the record was refused because someone changed
	// it in HighLevel after the migration wrote it (RepairOptions.Force
	// overrides).
	Changed bool
	Reason  string
}

// RepairIncompleteError lists what a repair did not re-send. The report
// returned with it says what it did.
type RepairIncompleteError struct{ Skipped []RepairSkip }

func (e *RepairIncompleteError) Error() string {
	changed := 0
	for _, s := range e.Skipped {
		if s.Changed {
			changed++
		}
	}
	msg := fmt.Sprintf("pbnhl: repair left %d record(s) unrepaired", len(e.Skipped))
	if changed > 0 {
		msg += fmt.Sprintf(": %d changed in HighLevel since the migration wrote them (Force / repair -force re-sends them)", changed)
	}
	if n := len(e.Skipped) - changed; n > 0 {
		msg += fmt.Sprintf("; %d that repair cannot re-send (see each reason)", n)
	}
	return msg
}

// Is matches ErrRepairIncomplete.
func (e *RepairIncompleteError) Is(target error) bool { return target == ErrRepairIncomplete }

// ErrPendingIntents refuses a check while the ledger holds calls whose
// outcome an interrupted run never learnt: what HighLevel should hold is
// not known until they are settled.
var ErrPendingIntents = errors.New("pbnhl: the ledger holds intents left pending or unknown by an interrupted run")

// PendingIntentsError is ErrPendingIntents with the count and what to do.
type PendingIntentsError struct{ Pending int }

func (e *PendingIntentsError) Error() string {
	return fmt.Sprintf("pbnhl: the ledger holds %d intent(s) left pending or unknown by an interrupted run: settle them first (run or delta again resumes and settles them), then reconcile", e.Pending)
}

// Is matches ErrPendingIntents.
func (e *PendingIntentsError) Is(target error) bool { return target == ErrPendingIntents }

// ErrSampleNotApproved is returned by Load, with Options.RequireSampleApproval,
// when the ledger holds no sample approval of the current map: none at all,
// or one of a map that has changed since. The error's text says which and
// what to run.
var ErrSampleNotApproved = errors.New("pbnhl: no approved sample for this map")

// ErrSampleReport: a sample report that cannot be read, or whose digest
// does not match its content (edited after it was written).
var ErrSampleReport = errors.New("pbnhl: not a sample report as pbnhl wrote it")
