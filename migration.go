package pbnhl

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/rollback"
)

// DailyLimitPolicy says what a phase does when the location's daily quota
// of API calls is spent.
type DailyLimitPolicy int

const (
	// PauseOnDailyLimit waits until HighLevel's daily quota resets, then
	// goes on (the default).
	PauseOnDailyLimit DailyLimitPolicy = iota
	// StopOnDailyLimit stops the phase cleanly with a *DailyLimitError that
	// says when to resume.
	StopOnDailyLimit
)

// DeletionPolicy says what a delta does with records the source deleted.
type DeletionPolicy int

const (
	// KeepDeleted leaves them in HighLevel and reports them (the default).
	KeepDeleted DeletionPolicy = iota
	// DeleteDeleted deletes the HighLevel record (journaled with its
	// before-image; HighLevel deletes are final, so Undo cannot bring it back).
	DeleteDeleted
)

// DefaultSearchLag is Options.SearchLag when it is 0: how long HighLevel's
// search has been seen to lag a write, with a margin.
const DefaultSearchLag = 5 * time.Second

// NoSearchLag, as Options.SearchLag, means search sees a write at once
// (a simulator without lag). The zero value cannot say it: it means the
// default, so that a host that never heard of search lag is safe.
const NoSearchLag time.Duration = -1

// Options configure a Migration. Source, Client, Map and Ledger are required.
type Options struct {
	Source pbn.Source
	Client *highlevel.Client
	// Map is the approved field map; every phase refuses a map whose
	// approval does not match its content.
	Map    *mapping.Map
	Ledger *rollback.Ledger

	// CompanyID is the agency id HighLevel's user search needs for owner
	// resolution.
	CompanyID string
	// FallbackOwner is the id or e-mail of the HighLevel user that owns
	// records whose staff member has no user. Required when the map
	// resolves owners.
	FallbackOwner string
	// ConversationProvider is the conversationProviderId of messages whose
	// map sets none (the map's "provider" field wins): needed for Custom
	// messages, optional for the others.
	ConversationProvider string

	// Concurrency is how many calls are in flight at once (default 8). All
	// of them share the client's one per-location limiter: concurrency
	// hides latency, it does not raise the rate.
	Concurrency int
	// DryRun does everything but the writes: nothing is sent to HighLevel
	// and nothing is journaled; reports say what would be written and how
	// many calls it would take.
	DryRun bool
	// DailyLimit chooses between pausing and stopping when the daily quota
	// is spent.
	DailyLimit DailyLimitPolicy
	// Deletions chooses what a delta does with source deletions.
	Deletions DeletionPolicy
	// DailyLimitWait is how long a paused phase waits when neither
	// HighLevel nor the client says when the daily quota resets (default 1
	// minute; the client then probes with one call).
	DailyLimitWait time.Duration
	// OnDailyLimitPause, when set, is called once per pause
	// (PauseOnDailyLimit) with the time the phase tries again, before it
	// waits: a host shows it, as a pause may last hours and the library
	// says so only through Logger. It runs on a worker; keep it short.
	OnDailyLimitPause func(resumeAt time.Time)
	// DeltaOverlap is subtracted from a watermark before a delta reads
	// (default 5 minutes), against clock skew between the source's writers.
	DeltaOverlap time.Duration
	// SearchLag is how long HighLevel's search takes to see a new record:
	// an unknown outcome is looked up this long after the call's deadline.
	// 0 means DefaultSearchLag; NoSearchLag (any negative value) means
	// none, for a simulator without lag. pbn2hl's -search-lag reads the
	// same way ("none" for NoSearchLag).
	SearchLag time.Duration
	// RequestTimeout bounds every mutating call (default: the client's
	// RequestTimeout when it has one, else 2 minutes, the transport's
	// default). The call is cut off at the deadline, and intent time +
	// RequestTimeout + SearchLag is journaled with the intent as the
	// instant after which the write can no longer be in flight: an unknown
	// outcome (or an intent a kill left pending) is looked up only after
	// it, so a write HighLevel applies late is found, not created twice.
	RequestTimeout time.Duration
	// MaxAttempts bounds how often one record is tried when its outcomes
	// stay unknown or the call is refused without being sent (default 5).
	MaxAttempts int
	// MaxInvalidShare is the share of an object's records (0..1) that may
	// be invalid before Preflight blocks and a full Load refuses to start
	// (default 0.02; negative: none may be). AcceptInvalid goes on
	// knowingly past that limit: Preflight then lists the objects as
	// accepted instead of blocking, the run starts, and its report says
	// so. Neither ever makes an invalid record migrate.
	MaxInvalidShare float64
	AcceptInvalid   bool

	// RequireSampleApproval makes a full Load refuse (ErrSampleNotApproved)
	// unless the ledger holds a sample approval (ApproveSample) of the
	// current map digest. Off by default for embedding programs and
	// tests; the pbn2hl CLI always sets it. SkipSample lifts it knowingly:
	// the run journals that it went without (rollback.Ledger.SampleSkipped).
	RequireSampleApproval bool
	SkipSample            bool

	// Actor is recorded on every run (a user or host name).
	Actor string
	// Logger receives operational records: object names, counts, ids and
	// reasons, never field values. Nil discards.
	Logger *slog.Logger
	// Progress, when set, receives per-object progress events. It is
	// called from the migration's goroutines one at a time and must not
	// block for long.
	Progress func(Progress)
	// ProgressInterval is the least time between two events of one object
	// (default 500ms); the final event of an object is always sent.
	ProgressInterval time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Migration moves one practice into one HighLevel location, phase by phase:
// Preflight, ApplySchema, Sample, Load, Delta, Undo. Each phase is recorded
// as a run in the ledger. A Migration is safe to use from one goroutine at a
// time; its phases run their calls concurrently.
type Migration struct {
	opts   Options
	log    *slog.Logger
	now    func() time.Time
	digest string

	mu   sync.Mutex
	prep *prepared // schema ids, pipelines, owners: read once per Migration
	mid  string    // the ledger's migration id, read once (identity markers)
	pauseGate
	// inflightWaiting is the writes waitInflight is waiting on now
	// (Progress.Waiting).
	inflightWaiting atomic.Int64
	progressMu      sync.Mutex
	counts          map[pbn.Entity]int64 // source inventory, for progress totals
}

// New checks the options and returns a Migration. It makes no call.
func New(opts Options) (*Migration, error) {
	switch {
	case opts.Source == nil:
		return nil, fmt.Errorf("%w: Source is required", ErrInvalidOptions)
	case opts.Client == nil:
		return nil, fmt.Errorf("%w: Client is required", ErrInvalidOptions)
	case opts.Map == nil:
		return nil, fmt.Errorf("%w: Map is required", ErrInvalidOptions)
	case opts.Ledger == nil:
		return nil, fmt.Errorf("%w: Ledger is required", ErrInvalidOptions)
	case opts.Concurrency < 0:
		return nil, fmt.Errorf("%w: Concurrency must not be negative", ErrInvalidOptions)
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = 8
	}
	if opts.DailyLimitWait <= 0 {
		opts.DailyLimitWait = time.Minute
	}
	if opts.DeltaOverlap == 0 {
		opts.DeltaOverlap = 5 * time.Minute
	}
	switch {
	case opts.SearchLag == 0:
		opts.SearchLag = DefaultSearchLag
	case opts.SearchLag < 0:
		opts.SearchLag = 0 // NoSearchLag
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	if opts.RequestTimeout < 0 {
		return nil, fmt.Errorf("%w: RequestTimeout must not be negative", ErrInvalidOptions)
	}
	if opts.RequestTimeout == 0 {
		opts.RequestTimeout = clientRequestTimeout(opts.Client)
	}
	if opts.ProgressInterval <= 0 {
		opts.ProgressInterval = 500 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Migration{opts: opts, log: log, now: opts.Now}
	return m, nil
}

// verifyMap checks the approval and returns the map's digest.
func (m *Migration) verifyMap() (string, error) {
	if err := m.opts.Map.Verify(); err != nil {
		return "", fmt.Errorf("pbnhl: the map must be approved for its current content: %w", err)
	}
	d, err := m.opts.Map.Digest()
	if err != nil {
		return "", fmt.Errorf("pbnhl: map digest: %w", err)
	}
	return d, nil
}

func (m *Migration) location() string { return m.opts.Client.LocationID() }
