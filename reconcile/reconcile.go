package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/rollback"
)

// Options configure Check.
type Options struct {
	Client *highlevel.Client
	Ledger *rollback.Ledger
	// ContactExternalField is the contact custom field that keeps the
	// source key: its key as the map and HighLevel name it
	// ("contact.pbn_patient_id", or "pbn_patient_id") or its HighLevel id.
	// A key is resolved to the id from the location's contact fields,
	// which the check lists anyway (no extra call). Without it the
	// bucketed diff is skipped; a key the location does not have makes
	// the buckets step unchecked (Report.Unchecked).
	ContactExternalField string
	// Source is, per ledger object type, how many valid records the source
	// would send (the map's Applier and Validator over the final source);
	// nil leaves the source column empty.
	Source map[string]int
	// Sample is how many records per object type are read back by id and
	// compared field by field. 0 means 20; negative skips the sample.
	Sample int
	// Full compares every contact with the bucketed diff, counts every
	// object type and every field's population by counted searches, and
	// checks a sample of the rest: the fields of a random search page of
	// 100 records per custom object (read with its count), the contact
	// and pipeline of a random page of 100 opportunities, the relations of
	// a random sample of related contacts (RelationSample). A type whose
	// count differs from the ledger's is read whole, to name what is
	// missing or extra. HighLevel lists relations per record only, so
	// every relation costs one read per related contact.
	Full bool
	// Deep makes a full run check every record: every related contact's
	// relations (one listing each), every custom object record's fields
	// (a scan of search pages of 100) and every opportunity (a listing):
	// per-record exactness at about one read per contact.
	Deep bool
	// Seed makes a full check's random samples (pages, related contacts)
	// repeatable; 0 draws them at random.
	Seed uint64
	// RelationSample is how many related contacts a full run that is not
	// Deep reads the relations of, picked at random. 0 means one per 200
	// related contacts, at least one; it is capped at their number.
	RelationSample int
	// BucketSize is the number of contacts in a top-level bucket (default
	// 1,000); LeafSize the bucket size read and compared (default 500: one
	// search page reads it, so halving further would cost more calls than
	// reading it).
	BucketSize, LeafSize int
	// Slack is the clock difference tolerated between the ledger's write
	// times and HighLevel's dateUpdated (default 2 s).
	Slack time.Duration
	// OpportunityExternalField is the opportunity custom field that keeps
	// the source key (its key, "opportunity.pbn_treatment_plan_id", or its
	// HighLevel id, resolved like ContactExternalField), and RecordExternalFields the
	// property keeping it per custom object ("custom_objects.pbn_appointment"
	// → "pbn_appointment_id"): what the duplicate check groups by. Unset,
	// each is told from the ledger's mapped bodies (the one field equal to
	// the record's source key in every body).
	OpportunityExternalField string
	RecordExternalFields     map[string]string
	// Kept are, per ledger object type, the source keys of records the
	// source deleted and a delta kept in HighLevel (the ledger holds no
	// trace of a deletion it did not apply): they explain a ledger count
	// above the source's. Keys the ledger does not map are ignored.
	Kept map[string][]string
	// Practice names the practice in the report's header. Location and
	// MapDigest override what the ledger's runs say (the client's
	// location, the latest run's map digest).
	Practice, Location, MapDigest string
	// Now stamps the report (default time.Now).
	Now func() time.Time

	// bisect makes a full check fingerprint contacts in buckets even
	// where reading them all costs no more (tests of the bisection at
	// sizes a test builds).
	bisect bool
}

// Report is the outcome of a reconciliation. It holds object types, field
// names, counts, source keys and HighLevel ids — no field value.
type Report struct {
	// The header: who and what was checked, and when. Practice is
	// Options.Practice; LocationID and MapDigest are Options' or, unset,
	// the client's location and the latest run's map digest; Runs are the
	// ledger's runs whose journal is the expected state.
	Practice   string       `json:"practice,omitempty"`
	LocationID string       `json:"locationId,omitempty"`
	MapDigest  string       `json:"mapDigest,omitempty"`
	Runs       []RunChecked `json:"runs,omitempty"`
	CheckedAt  time.Time    `json:"checkedAt,omitzero"`

	Counts     []Count      `json:"counts"`
	Population []Population `json:"population"`
	Integrity  []Integrity  `json:"integrity"`
	Sample     Diff         `json:"sample"`
	Buckets    *Diff        `json:"buckets,omitempty"`
	// Records is the scan of every custom object record (full runs).
	Records *Diff `json:"records,omitempty"`
	Calls   int   `json:"calls"`
	// StepCalls are Calls by step of the check, in the order they ran
	// (steps that read nothing left out): where the reads went.
	StepCalls []StepCalls `json:"stepCalls,omitempty"`
	// Differences is LedgerDifferences + SourceDifferences.
	Differences int `json:"differences"`
	// LedgerDifferences are disagreements between the ledger and
	// HighLevel: counts, fields, missing records, broken relations.
	LedgerDifferences int `json:"ledgerDifferences"`
	// SourceDifferences are object types whose valid source records,
	// less those HighLevel rejected, are not the ledger's count.
	SourceDifferences int `json:"sourceDifferences"`
	// SourceCompared is whether Options.Source was given.
	SourceCompared bool `json:"sourceCompared"`
	// Rejected and Invalid are source records that are not in HighLevel by
	// the ledger's account (all object types, notes and tasks included):
	// refused by HighLevel, or invalid and never sent. SourceMissing is
	// their sum. They agree with the ledger, and are still missing.
	Rejected      int `json:"rejected"`
	Invalid       int `json:"invalid"`
	SourceMissing int `json:"sourceMissing"`
	// Duplicates are external ids HighLevel holds on more than one object
	// of a type (contacts and custom records in a full run, opportunities
	// always). Any makes the report not OK and HighLevel not match the
	// ledger. DuplicatesChecked are the object types this check covered;
	// DuplicatesUnchecked those whose external id field could not be told.
	Duplicates          []Duplicate `json:"duplicates,omitempty"`
	DuplicatesChecked   []string    `json:"duplicatesChecked,omitempty"`
	DuplicatesUnchecked []string    `json:"duplicatesUnchecked,omitempty"`
	// Unchecked are the steps HighLevel did not let the check finish (a
	// 5xx or 429 that outlived the client's retries, an unknown field
	// key): the report is partial — what they would have compared is not
	// in it — and not OK. Each says the step and why, without values.
	Unchecked []Unchecked `json:"unchecked,omitempty"`
	// Verdict says which pairs of source → ledger → HighLevel agree, in
	// one line (see [Report.Verdict]).
	Verdict string `json:"verdict"`
}

// StepCalls is the HighLevel reads one step of the check spent.
type StepCalls struct {
	Step  string `json:"step"`
	Calls int    `json:"calls"`
}

// Unchecked is a step of the check that could not be completed.
type Unchecked struct {
	Step   string `json:"step"`
	Reason string `json:"reason"`
}

// Complete reports whether every step of the check ran to its end.
func (r *Report) Complete() bool { return len(r.Unchecked) == 0 }

// OK reports whether source, ledger and HighLevel all agree: nothing
// differs and no source record is missing from HighLevel (rejected or
// invalid). A migration whose HighLevel matches its ledger but left
// records out is not OK: see LedgerMatches.
func (r *Report) OK() bool {
	return r.Differences == 0 && r.SourceMissing == 0 && len(r.Duplicates) == 0 && r.Complete()
}

// LedgerMatches reports whether HighLevel matches the ledger (whatever the
// source holds).
func (r *Report) LedgerMatches() bool {
	return r.LedgerDifferences == 0 && len(r.Duplicates) == 0 && r.Complete()
}

// verdict is the one-line outcome: which of source → ledger → HighLevel
// agreed, never "OK" while a source record is missing.
func (r *Report) verdict() string {
	missing := ""
	if r.SourceMissing > 0 {
		missing = fmt.Sprintf("%d source records are not in HighLevel (rejected %d, invalid %d)", r.SourceMissing, r.Rejected, r.Invalid)
	}
	var parts []string
	if !r.Complete() {
		steps := make([]string, len(r.Unchecked))
		for i, u := range r.Unchecked {
			steps[i] = u.Step
		}
		parts = append(parts, "PARTIAL: not checked: "+strings.Join(steps, ", "))
	}
	switch {
	case r.LedgerDifferences > 0:
		parts = append(parts, fmt.Sprintf("HighLevel does not match the ledger (%d difference(s))", r.LedgerDifferences))
	case len(r.Duplicates) > 0:
		parts = append(parts, "HighLevel does not match the ledger")
	case !r.Complete():
		parts = append(parts, "HighLevel matches the ledger in what was checked")
	default:
		parts = append(parts, "HighLevel matches the ledger")
	}
	if len(r.Duplicates) > 0 {
		parts = append(parts, fmt.Sprintf("%d external id(s) held twice", len(r.Duplicates)))
	}
	switch {
	case !r.SourceCompared:
		parts = append(parts, "the source was not compared")
	case r.SourceDifferences > 0:
		parts = append(parts, fmt.Sprintf("the ledger does not account for the source's valid records in %d object type(s)", r.SourceDifferences))
	}
	if missing != "" {
		parts = append(parts, missing)
	}
	kept := 0
	for _, c := range r.Counts {
		kept += c.Kept
	}
	if r.OK() && r.SourceCompared {
		if kept > 0 {
			return fmt.Sprintf("OK: source, ledger and HighLevel agree (%d records deleted in the source were kept in HighLevel)", kept)
		}
		return "OK: source, ledger and HighLevel agree"
	}
	if kept > 0 {
		parts = append(parts, fmt.Sprintf("%d records deleted in the source were kept in HighLevel", kept))
	}
	return strings.Join(parts, "; ")
}

// RunChecked is one ledger run whose journal the check compared.
type RunChecked struct {
	ID         int64     `json:"id"`
	Kind       string    `json:"kind"`
	Status     string    `json:"status"`
	MapDigest  string    `json:"mapDigest,omitempty"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt,omitzero"`
}

// Count compares record counts of one object type.
type Count struct {
	ObjectType string `json:"objectType"`
	Source     int    `json:"source"` // -1: not given
	// Rejected are records HighLevel refused (the ledger's problems) that
	// the id map does not hold: sent, not there, reported with reasons.
	Rejected int `json:"rejected"`
	// Kept are records the source deleted that a delta kept in HighLevel
	// (Options.Kept): in the ledger and HighLevel, not in the source.
	// Deleted are records the journal deleted (a delta applying the
	// source's deletions): in none of the three any more.
	Kept      int `json:"kept"`
	Deleted   int `json:"deleted"`
	Ledger    int `json:"ledger"`
	HighLevel int `json:"highLevel"`
	// HighLevelBy says how HighLevel's count was taken: "search total"
	// (a search's total, one call) or "listing" (every object listed).
	HighLevelBy string `json:"highLevelBy,omitempty"`
	// The source keys behind Rejected, Kept and Deleted.
	RejectedKeys []string `json:"rejectedKeys,omitempty"`
	KeptKeys     []string `json:"keptKeys,omitempty"`
	DeletedKeys  []string `json:"deletedKeys,omitempty"`
}

// OK reports whether the counts agree: every valid source record is in the
// id map unless HighLevel rejected it, the id map holds nothing else but
// records kept after their source deletion, and HighLevel holds the id
// map's.
func (c Count) OK() bool {
	return c.Ledger == c.HighLevel && (c.Source < 0 || c.Source-c.Rejected+c.Kept == c.Ledger)
}

// Status says in a few words whether and why the counts agree: "ok",
// "ok: 2 kept after their source deletion", or what differs — never a
// bare "mismatch" when a delta kept or deleted records.
func (c Count) Status() string {
	var why []string
	if c.Ledger != c.HighLevel {
		why = append(why, fmt.Sprintf("HighLevel holds %d, the ledger %d", c.HighLevel, c.Ledger))
	}
	if c.Source >= 0 && c.Source-c.Rejected+c.Kept != c.Ledger {
		s := fmt.Sprintf("source %d", c.Source)
		if c.Rejected > 0 {
			s += fmt.Sprintf(" − rejected %d", c.Rejected)
		}
		if c.Kept > 0 {
			s += fmt.Sprintf(" + kept %d", c.Kept)
		}
		why = append(why, fmt.Sprintf("%s = %d, the ledger holds %d", s, c.Source-c.Rejected+c.Kept, c.Ledger))
	}
	var notes []string
	if c.Kept > 0 {
		notes = append(notes, fmt.Sprintf("%d kept after their source deletion", c.Kept))
	}
	if c.Deleted > 0 {
		notes = append(notes, fmt.Sprintf("%d deleted with the source", c.Deleted))
	}
	if len(why) == 0 {
		if len(notes) == 0 {
			return "ok"
		}
		return "ok: " + strings.Join(notes, ", ")
	}
	return "mismatch: " + strings.Join(append(why, notes...), "; ")
}

// Population is the share of records setting one target field: in the
// mapped bodies and in HighLevel.
type Population struct {
	ObjectType string `json:"objectType"`
	Field      string `json:"field"`
	Records    int    `json:"records"`
	Sent       int    `json:"sent"`
	// Stored is over StoredOf records; StoredOf -1: not measurable.
	// StoredBy says which records: "search total" (a counted search over
	// every record), "every record read" (a full check that read the
	// type whole: contacts when that costs fewer reads than the counted
	// searches, custom object records when Deep or when their count
	// differs), "random page read" (a full check that is not Deep: the
	// custom object records of the page read with the count) or
	// "records read" (the sample's reads by id).
	Stored   int    `json:"stored"`
	StoredOf int    `json:"storedOf"`
	StoredBy string `json:"storedBy,omitempty"`
	// SentRead is, when StoredBy is records read, how many of those
	// StoredOf records' mapped bodies set the field: the rate to compare
	// Stored with (Sent is over all Records). 0 for a search total.
	SentRead int `json:"sentRead,omitempty"`
}

// Same returns the mapped figure over the records HighLevel's is over: a
// counted search is over every record (Sent of Records), records read
// over themselves (SentRead of StoredOf) — the two rates to compare.
func (p Population) Same() (sent, of int) {
	if p.StoredBy == bySearch || p.StoredBy == "" {
		return p.Sent, p.Records
	}
	return p.SentRead, p.StoredOf
}

// Integrity is one relationship check.
type Integrity struct {
	Check    string   `json:"check"`
	Expected int      `json:"expected"`
	Found    int      `json:"found"`
	Orphans  []Orphan `json:"orphans,omitempty"`
	// Calls is what the check spent when it reads on its own (the
	// relation listings, the business counts); 0 when it rides on reads
	// made for other steps.
	Calls int `json:"calls,omitempty"`
	// Sampled is, for a sampled check, how many of SampledOf candidates
	// (related contacts, opportunities) it read; Expected and Found count
	// the sampled ones only. A loss outside the sample is not seen: a
	// loss on a fraction p of them is missed with probability
	// (1-p)^Sampled.
	Sampled   int `json:"sampled,omitempty"`
	SampledOf int `json:"sampledOf,omitempty"`
}

// Orphan is a record whose expected link is missing or wrong.
type Orphan struct {
	ObjectType  string `json:"objectType"`
	SourceKey   string `json:"sourceKey"`
	HighLevelID string `json:"highLevelId"`
	Reason      string `json:"reason"`
}

// Diff is a field-level comparison.
type Diff struct {
	Records     int          `json:"records"`
	Fields      int          `json:"fields"`
	Differences []Difference `json:"differences,omitempty"`
	// Calls is the API calls spent; RecordsRead the records HighLevel
	// returned for comparison; Buckets the fingerprints taken.
	Calls       int `json:"calls"`
	RecordsRead int `json:"recordsRead"`
	Buckets     int `json:"buckets,omitempty"`
	// Sampled of SampledOf records were compared from a random sample
	// (a full check that is not Deep: a search page per custom object
	// whose count agrees, read with the count, so Calls does not hold
	// it); a field changed on a record outside it is not seen. The other
	// Records were compared whole.
	Sampled   int `json:"sampled,omitempty"`
	SampledOf int `json:"sampledOf,omitempty"`
}

// ReadsPerRecord is the API calls spent per record covered.
func (d Diff) ReadsPerRecord() float64 {
	if d.Records == 0 {
		return 0
	}
	return float64(d.Calls) / float64(d.Records)
}

// Difference kinds.
const (
	KindMissing = "missing" // in the ledger, not in HighLevel
	KindExtra   = "extra"   // in HighLevel, not in the ledger
	KindField   = "field"   // a field differs from the mapped body
)

// Difference is one record (and field) that does not match.
type Difference struct {
	ObjectType  string `json:"objectType"`
	SourceKey   string `json:"sourceKey,omitempty"`
	HighLevelID string `json:"highLevelId"`
	Kind        string `json:"kind"`
	Field       string `json:"field,omitempty"`
}

// Error is a failed reconciliation step.
type Error struct {
	Step string
	Err  error
}

func (e *Error) Error() string { return "reconcile: " + e.Step + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// ErrOptions: Client or Ledger missing.
var ErrOptions = errors.New("reconcile: Options.Client and Options.Ledger are required")

type run struct {
	opts  Options
	c     *highlevel.Client
	l     *rollback.Ledger
	x     *expected
	rep   *Report
	calls int
	// stored counts, per object type and field, the non-empty values of
	// the records read back, sentRead the mapped bodies of those records
	// that set the field, and read the records read. popBy says, for a
	// type whose population comes from records read rather than counted
	// searches, which records those are (every record, a random page).
	stored   map[string]map[string]int
	sentRead map[string]map[string]int
	read     map[string]int
	popBy    map[string]string
	// names are custom field keys by id, so reports name fields, not ids.
	names map[string]string
	opps  map[string]*highlevel.Opportunity
	// dups collects the external ids read, extFields the field holding
	// them per object type (contacts: Options.ContactExternalField).
	dups      dupIndex
	extFields map[string]string
	// businesses are the ids the count listed (nil when it did not run):
	// the business links step names a ledger business HighLevel lacks.
	businesses map[string]bool
	// rng draws a full check's samples (Options.Seed). recPages are the
	// random search page read with each custom object's count, oppSample
	// the one read with the opportunities' count (a full check that is
	// not Deep, when the count agreed).
	rng       *rand.Rand
	recPages  map[string][]*highlevel.Record
	oppSample []*highlevel.Opportunity
}

// fieldNames reads the location's contact and opportunity custom fields
// (one call each) to name them in the report, and resolves the external
// id fields given by key to their ids.
func (r *run) fieldNames(ctx context.Context) error {
	var keyErr error
	for _, m := range []highlevel.FieldModel{highlevel.FieldModelContact, highlevel.FieldModelOpportunity} {
		r.calls++
		fs, err := r.c.CustomFields.List(ctx, m)
		if err != nil {
			// Unresolved keys cannot filter anything: the steps that need
			// them go without (and say so through this step's failure).
			r.opts.ContactExternalField, r.opts.OpportunityExternalField = "", ""
			return err
		}
		for _, f := range fs {
			r.names[f.ID] = f.FieldKey
		}
		fp := &r.opts.ContactExternalField
		if m == highlevel.FieldModelOpportunity {
			fp = &r.opts.OpportunityExternalField
		}
		if *fp == "" {
			continue
		}
		id, ok := fieldID(fs, string(m), *fp)
		if !ok {
			keyErr = errors.Join(keyErr, &fieldKeyError{model: string(m), key: *fp})
			*fp = ""
			continue
		}
		*fp = id
	}
	return keyErr
}

// fieldID resolves a custom field given by id or key ("contact.x" or
// "x") among the location's fields of a model.
func fieldID(fs []*highlevel.CustomField, model, given string) (string, bool) {
	for _, f := range fs {
		if f.ID == given {
			return f.ID, true
		}
	}
	short := strings.TrimPrefix(given, model+".")
	for _, f := range fs {
		if f.FieldKey == given || strings.TrimPrefix(f.FieldKey, model+".") == short {
			return f.ID, true
		}
	}
	return "", false
}

// fieldKeyError: an external id field given by key the location does not
// have (a typo, or the schema was not applied).
type fieldKeyError struct{ model, key string }

func (e *fieldKeyError) Error() string {
	return fmt.Sprintf("the location has no %s custom field %q (give its key, e.g. %s.pbn_patient_id, or its id)", e.model, e.key, e.model)
}

// fromHighLevel reports whether a step's error came from HighLevel (an
// answer, a transport failure, a limit) or from a field key it lacks,
// rather than from the ledger.
func fromHighLevel(err error) bool {
	var ae *highlevel.APIError
	var fk *fieldKeyError
	var ou *highlevel.OutcomeUnknownError
	var rl *highlevel.RateLimitError
	var ne net.Error
	return errors.As(err, &ae) || errors.As(err, &fk) || errors.As(err, &ou) || errors.As(err, &rl) || errors.As(err, &ne) ||
		errors.Is(err, highlevel.ErrDailyLimit) || errors.Is(err, highlevel.ErrNotFound) || errors.Is(err, highlevel.ErrValidation) ||
		errors.Is(err, highlevel.ErrCircuitOpen) || errors.Is(err, highlevel.ErrRateLimited)
}

// safeReason describes a step's failure without values: HighLevel's
// answers by status, operation and error class (SafeReason).
func safeReason(err error) string {
	var ae *highlevel.APIError
	var fk *fieldKeyError
	switch {
	case errors.As(err, &ae):
		return ae.SafeReason()
	case errors.As(err, &fk):
		return fk.Error()
	case errors.Is(err, highlevel.ErrDailyLimit):
		return "HighLevel's daily request limit is spent"
	case errors.Is(err, highlevel.ErrCircuitOpen):
		return "not sent: the client's circuit breaker is open after repeated HighLevel server or network failures"
	case errors.Is(err, highlevel.ErrRateLimited):
		return "rate limited by HighLevel beyond the retries"
	}
	var rl *highlevel.RateLimitError
	if errors.As(err, &rl) {
		return "rate limited by HighLevel beyond the retries"
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return "transport error reaching HighLevel"
	}
	return "HighLevel did not answer the step"
}

// fieldName names a compared field: custom fields by key when known.
func (r *run) fieldName(f string) string {
	if id, ok := strings.CutPrefix(f, "customFields."); ok {
		if k := r.names[id]; k != "" {
			return "customFields." + k
		}
	}
	return f
}

// Check reconciles the ledger with HighLevel.
func Check(ctx context.Context, opts Options) (*Report, error) {
	if opts.Client == nil || opts.Ledger == nil {
		return nil, ErrOptions
	}
	if opts.Sample == 0 {
		opts.Sample = 20
	}
	if opts.BucketSize <= 0 {
		opts.BucketSize = 1000
	}
	if opts.LeafSize <= 0 {
		opts.LeafSize = 500
	}
	if opts.Slack == 0 {
		opts.Slack = 2 * time.Second
	}
	x, err := readLedger(ctx, opts.Ledger)
	if err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	seed := opts.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	r := &run{opts: opts, c: opts.Client, l: opts.Ledger, x: x, rep: &Report{CheckedAt: opts.Now().UTC().Truncate(time.Second)},
		stored: map[string]map[string]int{}, sentRead: map[string]map[string]int{}, read: map[string]int{}, popBy: map[string]string{}, names: map[string]string{}, dups: dupIndex{},
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), recPages: map[string][]*highlevel.Record{}}
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"header", r.header},
		{"field names", r.fieldNames},
		{"identity fields", r.identityFields},
		{"counts", r.counts},
		{"sample", r.sample},
		{"buckets", r.buckets},
		{"records", r.scanRecords},
		{"business links", r.businessLinks},
		{"relations", r.relationsFull},
		{"opportunities", r.opportunities},
		{"opportunity duplicates", r.opportunityDuplicates},
		{"population", r.population},
	}
	for _, s := range steps {
		before := r.calls
		err := s.fn(ctx)
		if n := r.calls - before; n > 0 {
			r.rep.StepCalls = append(r.rep.StepCalls, StepCalls{Step: s.name, Calls: n})
		}
		if err == nil {
			continue
		}
		// The ledger is read before HighLevel and must be whole; a
		// cancelled check stops. A step HighLevel did not let finish is
		// reported as unchecked and the next steps still run: a partial
		// report says what it could not check.
		if s.name == "header" || ctx.Err() != nil || !fromHighLevel(err) {
			return nil, &Error{Step: s.name, Err: err}
		}
		r.rep.Unchecked = append(r.rep.Unchecked, Unchecked{Step: s.name, Reason: safeReason(err)})
	}
	r.rep.Duplicates = r.duplicates()
	r.rep.DuplicatesChecked = r.duplicatesChecked()
	r.rep.Calls = r.calls
	n := len(r.rep.Sample.Differences)
	for _, d := range []*Diff{r.rep.Buckets, r.rep.Records} {
		if d != nil {
			n += len(d.Differences)
		}
	}
	src := 0
	for _, c := range r.rep.Counts {
		switch {
		case c.Ledger != c.HighLevel:
			n++
		case !c.OK():
			src++ // the source's count is off the ledger's
		}
	}
	for _, i := range r.rep.Integrity {
		n += len(i.Orphans)
		if len(i.Orphans) == 0 && i.Expected != i.Found {
			n++
		}
	}
	r.rep.LedgerDifferences, r.rep.SourceDifferences = n, src
	r.rep.Differences = n + src
	r.rep.SourceCompared = r.opts.Source != nil
	r.rep.SourceMissing = r.rep.Rejected + r.rep.Invalid
	r.rep.Verdict = r.rep.verdict()
	return r.rep, nil
}

func (r *run) counts(ctx context.Context) error {
	rejected := map[string]int{}
	rejectedKeys := map[string][]string{}
	seen := map[string]bool{}
	invalid := map[string]bool{}
	for p, err := range r.l.Problems(ctx) {
		if err != nil {
			return err
		}
		if p.Kind == rollback.ProblemInvalid {
			// Never sent: a source record missing from HighLevel that the
			// ledger knows of (entity and key: invalid records have no
			// HighLevel object type).
			k := p.Entity + "\x00" + p.SourceKey
			if p.SourceKey == "" || !invalid[k] {
				invalid[k] = true
				r.rep.Invalid++
			}
			continue
		}
		k := p.ObjectType + "\x00" + p.SourceKey
		if seen[k] || r.x.keys[k] {
			continue
		}
		seen[k] = true
		rejected[p.ObjectType]++
		if p.SourceKey != "" {
			rejectedKeys[p.ObjectType] = append(rejectedKeys[p.ObjectType], p.SourceKey)
		}
		r.rep.Rejected++
	}
	for _, typ := range r.x.types {
		c := Count{ObjectType: typ, Source: -1, Ledger: len(r.x.records[typ]), Rejected: rejected[typ],
			RejectedKeys: sortKeys(rejectedKeys[typ]), DeletedKeys: r.x.deleted[typ], Deleted: len(r.x.deleted[typ])}
		kept := map[string]bool{}
		for _, k := range r.opts.Kept[typ] {
			if r.x.keys[typ+"\x00"+k] && !kept[k] {
				kept[k] = true
				c.KeptKeys = append(c.KeptKeys, k)
			}
		}
		c.KeptKeys, c.Kept = sortKeys(c.KeptKeys), len(c.KeptKeys)
		if n, ok := r.opts.Source[typ]; ok {
			c.Source = n
		}
		n, err := r.total(ctx, typ)
		if err != nil {
			return err
		}
		c.HighLevel, c.HighLevelBy = n, kindOf(typ).totalBy(r)
		r.rep.Counts = append(r.rep.Counts, c)
	}
	return nil
}

// sortKeys orders source keys as the ledger does (numerically when they
// are integers).
func sortKeys(ks []string) []string {
	sort.Slice(ks, func(i, j int) bool { return keyLess(ks[i], ks[j]) })
	return ks
}

// header fills who and what was checked: the location, the map digest and
// the ledger's runs (dry runs aside: they wrote nothing).
func (r *run) header(ctx context.Context) error {
	h := r.rep
	h.Practice, h.LocationID, h.MapDigest = r.opts.Practice, r.opts.Location, r.opts.MapDigest
	if h.LocationID == "" {
		h.LocationID = r.c.LocationID()
	}
	runs, err := r.l.Runs(ctx)
	if err != nil {
		return err
	}
	for _, ri := range runs {
		if ri.Kind == rollback.RunKindDryRun || ri.Kind == rollback.KindReconcile {
			continue // they wrote nothing (a reconcile run is a check like this one)
		}
		h.Runs = append(h.Runs, RunChecked{ID: int64(ri.ID), Kind: string(ri.Kind), Status: string(ri.Status), MapDigest: ri.MapDigest,
			StartedAt: ri.StartedAt.UTC(), FinishedAt: ri.FinishedAt.UTC()})
		if r.opts.MapDigest == "" && ri.MapDigest != "" && ri.Kind != rollback.KindUndo {
			h.MapDigest = ri.MapDigest // the latest run's
		}
	}
	return nil
}

// total is HighLevel's count of one object type, in as few calls as the
// API allows: a page of one for searches that report a total, a listing
// otherwise.
func (r *run) total(ctx context.Context, typ string) (int, error) {
	k := kindOf(typ)
	if k == nil {
		return 0, fmt.Errorf("reconcile: no count for %s", typ)
	}
	return k.total(r, ctx, typ)
}

// sample reads back every Sample-th record of each type by id and
// compares every field. Custom records related to a contact have their
// relation checked through their contact: HighLevel lists a contact's
// relations (all its records') in one call, so the sample draws those
// records from a few contacts (one per four sampled records, spread over
// the related contacts) and lists each of them once — every journaled
// relation of those contacts is checked, not only the sampled records'.
// A type those contacts hold too few records of is topped up with every
// Sample-th other record, read by id without a relation check.
func (r *run) sample(ctx context.Context) error {
	if r.opts.Sample < 0 {
		return nil
	}
	d := &r.rep.Sample
	byContact, contacts := r.contactRelations()
	// The contacts whose relations the sample lists, spread over them.
	var listed []string
	if len(contacts) > 0 {
		n := min(len(contacts), max(1, (r.opts.Sample+3)/4))
		step := len(contacts) / n
		for i := 0; i < n; i++ {
			listed = append(listed, contacts[i*step])
		}
	}
	fromListed := map[string][]*record{} // object type → records of the listed contacts
	for _, c := range listed {
		for _, rec := range byContact[c] {
			fromListed[rec.Type] = append(fromListed[rec.Type], rec)
		}
	}
	for _, typ := range r.x.types {
		for _, rec := range r.samplePick(typ, fromListed[typ]) {
			got, err := r.get(ctx, typ, rec.HighLevelID)
			d.Calls++
			if errors.Is(err, highlevel.ErrNotFound) {
				d.Differences = append(d.Differences, Difference{ObjectType: typ, SourceKey: rec.SourceKey, HighLevelID: rec.HighLevelID, Kind: KindMissing})
				continue
			}
			if err != nil {
				return err
			}
			d.RecordsRead++
			if err := r.compare(ctx, d, typ, rec, got); err != nil {
				return err
			}
		}
	}
	r.calls += d.Calls
	if len(listed) == 0 {
		return nil
	}
	rel := Integrity{Check: fmt.Sprintf("custom records related to their contact (sample: every relation of %d of %d contacts)", len(listed), len(contacts)),
		Sampled: len(listed), SampledOf: len(contacts)}
	for _, c := range listed {
		have, calls, err := r.relationsOf(ctx, c)
		d.Calls += calls
		r.calls += calls
		if err != nil {
			return err
		}
		for _, rec := range byContact[c] {
			rel.Expected++
			if have[rec.HighLevelID] {
				rel.Found++
				continue
			}
			rel.Orphans = append(rel.Orphans, Orphan{ObjectType: rec.Type, SourceKey: rec.SourceKey, HighLevelID: rec.HighLevelID, Reason: "relation to its contact missing"})
		}
	}
	r.rep.Integrity = append(r.rep.Integrity, rel)
	return nil
}

// samplePick is the records of typ the sample reads: for a related kind
// up to Sample spread over the listed contacts' records, topped up with
// every Sample-th of the others; otherwise every Sample-th record.
func (r *run) samplePick(typ string, listed []*record) []*record {
	recs := r.x.records[typ]
	var out []*record
	picked := map[*record]bool{}
	if k := kindOf(typ); k != nil && k.related && len(listed) > 0 {
		step := max(1, len(listed)/r.opts.Sample)
		for i := 0; i < len(listed) && len(out) < r.opts.Sample; i += step {
			out = append(out, listed[i])
			picked[listed[i]] = true
		}
	}
	if len(out) >= r.opts.Sample {
		return out
	}
	step := max(1, len(recs)/r.opts.Sample)
	for i := 0; i < len(recs) && len(out) < r.opts.Sample; i += step {
		if !picked[recs[i]] {
			out = append(out, recs[i])
		}
	}
	return out
}

// contactRelations groups the journal's record ↔ contact relations by
// contact (HighLevel id), contacts in the ledger's order.
func (r *run) contactRelations() (map[string][]*record, []string) {
	byContact := map[string][]*record{}
	var contacts []string
	for _, lk := range r.x.relations {
		a, b := r.x.byHLID[lk.From], r.x.byHLID[lk.To]
		if a == nil || b == nil {
			continue
		}
		if a.Type != rollback.TypeContact {
			a, b = b, a
		}
		if a.Type != rollback.TypeContact {
			continue
		}
		if byContact[a.HighLevelID] == nil {
			contacts = append(contacts, a.HighLevelID)
		}
		byContact[a.HighLevelID] = append(byContact[a.HighLevelID], b)
	}
	return byContact, contacts
}

// relationsOf lists a record's relations (pages of 100): the ids it is
// related to, and the calls spent.
func (r *run) relationsOf(ctx context.Context, id string) (map[string]bool, int, error) {
	have := map[string]bool{}
	n := 0
	for rl, err := range r.c.Associations.Relations(ctx, id, highlevel.RelationListOptions{}) {
		if err != nil {
			return nil, n/100 + 1, err
		}
		n++
		have[rl.FirstRecordID], have[rl.SecondRecordID] = true, true
	}
	return have, n/100 + 1, nil
}

// relationsFull checks, in a full run, every record ↔ contact relation the
// journal made: one listing of relations per contact (a page holds 100),
// not one per record.
func (r *run) relationsFull(ctx context.Context) error {
	if !r.opts.Full || len(r.x.relations) == 0 {
		return nil
	}
	byContact, contacts := r.contactRelations()
	in := Integrity{Check: "custom records related to their contact (every relation)"}
	if !r.opts.Deep {
		// A random sample: a relation lost on a fraction p of the related
		// contacts is missed with probability (1-p)^n, so a widespread
		// loss is found and a single one rarely is — the report says so.
		n := r.opts.RelationSample
		if n <= 0 {
			n = (len(contacts) + 199) / 200
		}
		n = min(n, len(contacts))
		r.rng.Shuffle(len(contacts), func(i, j int) { contacts[i], contacts[j] = contacts[j], contacts[i] })
		in.SampledOf = len(contacts)
		contacts = contacts[:n]
		in.Sampled = n
		in.Check = fmt.Sprintf("custom records related to their contact (sampled %d of %d contacts)", n, in.SampledOf)
	}
	for _, c := range contacts {
		have, calls, err := r.relationsOf(ctx, c)
		r.calls += calls
		in.Calls += calls
		if err != nil {
			return err
		}
		for _, rec := range byContact[c] {
			in.Expected++
			if have[rec.HighLevelID] {
				in.Found++
				continue
			}
			in.Orphans = append(in.Orphans, Orphan{ObjectType: rec.Type, SourceKey: rec.SourceKey, HighLevelID: rec.HighLevelID, Reason: "relation to its contact missing"})
		}
	}
	r.rep.Integrity = append(r.rep.Integrity, in)
	return nil
}

func (r *run) compare(ctx context.Context, d *Diff, typ string, rec *record, got readBack) error {
	d.Records++
	if !rec.hasWrite {
		return nil
	}
	// Every field the record holds by the ledger: its create's, as later
	// updates overrode them (an update body leaves out what it does not
	// change, and a contact's gender only a create sets).
	res, err := heldFields(ctx, r.l, rec, got)
	if err != nil {
		return fmt.Errorf("%s %s: %w", typ, rec.SourceKey, err)
	}
	if r.stored[typ] == nil {
		r.stored[typ], r.sentRead[typ] = map[string]int{}, map[string]int{}
	}
	r.read[typ]++
	for _, f := range res {
		d.Fields++
		if f.Stored {
			r.stored[typ][f.Field]++
		}
		if f.Sent {
			r.sentRead[typ][f.Field]++
		}
		if f.Differ {
			d.Differences = append(d.Differences, Difference{ObjectType: typ, SourceKey: rec.SourceKey, HighLevelID: rec.HighLevelID, Kind: KindField, Field: r.fieldName(f.Field)})
		}
	}
	return nil
}

// get reads one record by id.
func (r *run) get(ctx context.Context, typ, id string) (readBack, error) {
	k := kindOf(typ)
	if k == nil {
		return readBack{}, fmt.Errorf("reconcile: cannot read a %s", typ)
	}
	return k.get(r, ctx, typ, id)
}

func contactBack(c *highlevel.Contact) readBack {
	rb := readBack{fields: asMap(c), custom: make(map[string]json.RawMessage, len(c.CustomFields))}
	for _, v := range c.CustomFields {
		rb.custom[v.ID] = v.Value
	}
	return rb
}

func asMap(v any) map[string]json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}

// businessLinks checks that every contact is linked to its office's
// business: one count call per business; a business whose count differs
// has its contacts listed to name the orphans.
func (r *run) businessLinks(ctx context.Context) error {
	if len(r.x.links) == 0 {
		return nil
	}
	want := map[string]map[string]bool{} // business → contacts
	for _, lk := range r.x.links {
		if want[lk.To] == nil {
			want[lk.To] = map[string]bool{}
		}
		want[lk.To][lk.From] = true
	}
	in := Integrity{Check: "contacts linked to their office's business", Expected: len(r.x.links)}
	for _, b := range r.x.records[rollback.TypeBusiness] {
		if r.businesses != nil && !r.businesses[b.HighLevelID] {
			// Listed whole by the count (a read per 100): a business
			// the ledger maps and HighLevel lacks is named, at no read.
			in.Orphans = append(in.Orphans, Orphan{ObjectType: rollback.TypeBusiness, SourceKey: b.SourceKey, HighLevelID: b.HighLevelID, Reason: "missing"})
		}
		q := highlevel.ContactSearch{Filters: []highlevel.SearchFilter{{Field: "businessId", Operator: "eq", Value: b.HighLevelID}}, PageLimit: 500}
		r.calls++
		n, err := r.c.Contacts.Count(ctx, q)
		if err != nil {
			return err
		}
		exp := want[b.HighLevelID]
		if n == len(exp) {
			in.Found += n
			continue
		}
		have := map[string]bool{}
		for p := 1; ; p++ {
			r.calls++
			page, err := r.c.Contacts.SearchPage(ctx, q, highlevel.SearchCursor{Page: p})
			if err != nil {
				return err
			}
			for _, c := range page.Contacts {
				have[c.ID] = true
			}
			if len(page.Contacts) < q.PageLimit {
				break
			}
		}
		for _, id := range sortedKeys(exp) {
			if have[id] {
				in.Found++
				continue
			}
			in.Orphans = append(in.Orphans, r.orphan(rollback.TypeContact, id, "not linked to its office's business"))
		}
		for _, id := range sortedKeys(have) {
			if !exp[id] {
				in.Orphans = append(in.Orphans, r.orphan(rollback.TypeContact, id, "linked to a business the ledger does not say"))
			}
		}
	}
	r.rep.Integrity = append(r.rep.Integrity, in)
	return nil
}

func (r *run) orphan(typ, id, reason string) Orphan {
	o := Orphan{ObjectType: typ, HighLevelID: id, Reason: reason}
	if rec := r.x.byHLID[id]; rec != nil {
		o.SourceKey = rec.SourceKey
	}
	return o
}

// listOpportunities lists the location's opportunities once (ids,
// contacts, pipelines: what the count and the integrity check need).
func (r *run) listOpportunities(ctx context.Context) error {
	if r.opps != nil {
		return nil
	}
	got := map[string]*highlevel.Opportunity{}
	for o, err := range r.c.Opportunities.Search(ctx, highlevel.OpportunitySearch{Status: highlevel.StatusAll}) {
		if err != nil {
			return err
		}
		got[o.ID] = o
	}
	r.calls += len(got)/100 + 1
	r.opps = got
	return nil
}

// opportunities checks every opportunity's contact and pipeline against
// its mapped body, over one listing.
func (r *run) opportunities(ctx context.Context) error {
	recs := r.x.records[rollback.TypeOpportunity]
	if len(recs) == 0 {
		return nil
	}
	in := Integrity{Check: "opportunities on their contact and pipeline", Expected: len(recs)}
	if r.opps == nil && r.oppSample != nil {
		// A full check that is not Deep: the random page read with the
		// count, whose total agreed with the ledger's.
		var sample []*record
		for _, o := range r.oppSample {
			if rec := r.x.byHLID[o.ID]; rec != nil && rec.Type == rollback.TypeOpportunity {
				sample = append(sample, rec)
			}
		}
		recs = sample
		in.Expected, in.Sampled, in.SampledOf = len(recs), len(recs), len(r.x.records[rollback.TypeOpportunity])
		in.Check = fmt.Sprintf("opportunities on their contact and pipeline (sampled %d of %d)", in.Sampled, in.SampledOf)
		r.opps = map[string]*highlevel.Opportunity{}
		for _, o := range r.oppSample {
			r.opps[o.ID] = o
		}
		defer func() { r.opps = nil }()
	} else if err := r.listOpportunities(ctx); err != nil {
		return err
	}
	got := r.opps
	for _, rec := range recs {
		o := got[rec.HighLevelID]
		if o == nil {
			in.Orphans = append(in.Orphans, Orphan{ObjectType: rollback.TypeOpportunity, SourceKey: rec.SourceKey, HighLevelID: rec.HighLevelID, Reason: "missing"})
			continue
		}
		var want struct {
			ContactID  string `json:"contactId"`
			PipelineID string `json:"pipelineId"`
		}
		if rec.hasWrite {
			body, err := r.l.Payload(ctx, rec.write)
			if err != nil {
				return err
			}
			if err := json.Unmarshal(body, &want); err != nil {
				return fmt.Errorf("decode the mapped body of opportunity %s: %w", rec.SourceKey, err)
			}
		}
		switch {
		case r.x.byHLID[o.ContactID] == nil:
			in.Orphans = append(in.Orphans, Orphan{ObjectType: rollback.TypeOpportunity, SourceKey: rec.SourceKey, HighLevelID: rec.HighLevelID, Reason: "contact not in the ledger"})
		case want.ContactID != "" && want.ContactID != o.ContactID:
			in.Orphans = append(in.Orphans, Orphan{ObjectType: rollback.TypeOpportunity, SourceKey: rec.SourceKey, HighLevelID: rec.HighLevelID, Reason: "on another contact"})
		case want.PipelineID != "" && want.PipelineID != o.PipelineID:
			in.Orphans = append(in.Orphans, Orphan{ObjectType: rollback.TypeOpportunity, SourceKey: rec.SourceKey, HighLevelID: rec.HighLevelID, Reason: "in another pipeline"})
		default:
			in.Found++
		}
	}
	r.rep.Integrity = append(r.rep.Integrity, in)
	return nil
}

// errUndecodedBody marks a journaled body mappedFields could not decode.
var errUndecodedBody = errors.New("a journaled body is not a mapped record")

// mappedFields are the fields the ledger says rec holds: its create's
// body as each later update overrode it (an update body carries only what
// HighLevel's update accepts and what changed: a contact's gender is set
// by its create alone).
func mappedFields(ctx context.Context, l *rollback.Ledger, rec *record) ([]fieldResult, error) {
	return heldFields(ctx, l, rec, readBack{})
}

// heldFields compares got with the fields the ledger says rec holds (see
// mappedFields), field by field.
func heldFields(ctx context.Context, l *rollback.Ledger, rec *record, got readBack) ([]fieldResult, error) {
	writes := rec.writes
	if len(writes) == 0 {
		writes = []rollback.Entry{rec.write}
	}
	byField := map[string]fieldResult{}
	for _, w := range writes {
		body, err := l.Payload(ctx, w)
		if err != nil {
			return nil, err
		}
		res, err := compareBody(body, got)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errUndecodedBody, err)
		}
		for _, f := range res {
			byField[f.Field] = f
		}
	}
	out := make([]fieldResult, 0, len(byField))
	for _, k := range sortedKeys(byField) {
		out = append(out, byField[k])
	}
	return out, nil
}

// population tallies, per object type and field, the mapped bodies that
// set it, and HighLevel's share: for contacts one count call per field
// with an "exists" filter; otherwise over the records read back.
func (r *run) population(ctx context.Context) error {
	for _, typ := range r.x.types {
		sent := map[string]int{}
		n := 0
		for _, rec := range r.x.records[typ] {
			if !rec.hasWrite {
				continue
			}
			res, err := mappedFields(ctx, r.l, rec)
			if err != nil {
				return fmt.Errorf("%s %s: %w", typ, rec.SourceKey, err)
			}
			n++
			for _, f := range res {
				if f.Sent {
					sent[f.Field]++
				} else if _, ok := sent[f.Field]; !ok {
					sent[f.Field] = 0
				}
			}
		}
		k := kindOf(typ)
		all := len(r.x.records[typ])
		// A type the check read whole, or (a full check that is not
		// Deep) sampled by a random page, is measured on those records:
		// no counted search.
		by, counted := r.popBy[typ], false
		if by == "" && k != nil && k.countFilled != nil {
			by, counted = byRecords, true
		}
		if by == "" {
			by = byRecords
		}
		// Fields every record's body sets are counted together: one
		// search with an "exists" filter on each; a total of every
		// record says each of them is stored on every record. Otherwise
		// (or for the others) one count per field.
		full := map[string]bool{}
		if counted && all > 0 {
			var every []string
			for _, f := range sortedKeys(sent) {
				if sent[f] == all && !slices.Contains(recordUsers, f) {
					every = append(every, f)
				}
			}
			if len(every) > 1 {
				r.calls++
				c, err := k.countFilled(r, ctx, typ, every)
				switch {
				case err == nil && c == all && !capped(c, all):
					for _, f := range every {
						full[f] = true
					}
				case err == nil, errors.Is(err, highlevel.ErrValidation), errors.Is(err, errNoTotal):
					// Some differ, or no total: per field below.
				default:
					return err
				}
			}
		}
		for _, f := range sortedKeys(sent) {
			p := Population{ObjectType: typ, Field: r.fieldName(f), Records: n, Sent: sent[f], Stored: r.stored[typ][f], StoredOf: r.read[typ], StoredBy: by,
				SentRead: r.sentRead[typ][f]}
			switch {
			case full[f]:
				p.Stored, p.StoredOf, p.StoredBy, p.SentRead = all, all, bySearch, 0
			case slices.Contains(recordUsers, f):
				// A record's owner or followers: no property to search
				// by; the records read stand.
			case counted:
				r.calls++
				c, err := k.countFilled(r, ctx, typ, []string{f})
				switch {
				case err == nil && !capped(c, sent[f]):
					p.Stored, p.StoredOf, p.StoredBy, p.SentRead = c, all, bySearch, 0
				case err == nil:
					// "10,000 or more": the records read stand.
				case !errors.Is(err, highlevel.ErrValidation) && !errors.Is(err, errNoTotal):
					return err
				}
			}
			r.rep.Population = append(r.rep.Population, p)
		}
	}
	return nil
}

// extKey is a contact's source key as its external id field holds it.
func extKey(c *highlevel.Contact, field string) string {
	v, ok := c.CustomField(field)
	if !ok {
		return ""
	}
	if s, ok := v.Text(); ok {
		return s
	}
	if f, ok := v.Number(); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return ""
}
