package fleet

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/rollback"
)

// ErrTypeDailyLimit is the application error type of an activity stopped
// by HighLevel's daily limit; its details are a DailyLimitPause. The
// workflow, not Temporal's retry policy, handles it: it sleeps on a
// durable timer until the reset and runs the phase again.
const ErrTypeDailyLimit = "DailyLimit"

// DailyLimitPause says when the daily quota comes back and how many calls
// the stopped phase made before it stopped.
type DailyLimitPause struct {
	ResumeAt time.Time `json:"resumeAt,omitzero"` // zero: HighLevel did not say
	Calls    int64     `json:"calls"`
}

// Live is what a running phase heartbeats: counts only.
type Live struct {
	Phase   string        `json:"phase"`
	Done    int64         `json:"done"`
	Total   int64         `json:"total"`
	Calls   int64         `json:"calls"`
	ETA     time.Duration `json:"eta"`
	Percent float64       `json:"percent"`
}

// PreflightResult is a preflight's verdict: counts, digests and the
// blockers' one-line names (the library keeps values out of them).
type PreflightResult struct {
	Ready       bool     `json:"ready"`
	MapApproved bool     `json:"mapApproved"`
	MapDigest   string   `json:"mapDigest"`
	Calls       int64    `json:"calls"`
	Days        int      `json:"days"`
	Blocking    []string `json:"blocking,omitempty"`
}

// PhaseResult is a sample, run or delta that finished.
type PhaseResult struct {
	Calls    int64  `json:"calls"`
	Done     int64  `json:"done"`
	Written  int64  `json:"written"`
	Invalid  int64  `json:"invalid"`
	Rejected int64  `json:"rejected"`
	Resolved int    `json:"resolved"`
	Digest   string `json:"digest,omitempty"` // sample: the report's digest
	Agrees   bool   `json:"agrees,omitempty"` // sample: no field differs
}

// ReconcileResult is the reconcile's verdict.
type ReconcileResult struct {
	OK                bool `json:"ok"`
	Complete          bool `json:"complete"`
	SourceMissing     int  `json:"sourceMissing"`
	LedgerMatches     bool `json:"ledgerMatches"`
	Differences       int  `json:"differences"`
	LedgerDifferences int  `json:"ledgerDifferences"`
	Calls             int  `json:"calls"`
}

// UndoResult is an undo's outcome.
type UndoResult struct {
	Complete      bool `json:"complete"`
	Reversed      bool `json:"reversed"`
	Compensations int  `json:"compensations"`
	Manual        int  `json:"manual"`
}

// Activities run the library's phases for a LocationSpec. Each call
// builds its clients and opens the ledger afresh, so any worker can take
// any phase of any location: what survives a worker is the ledger.
type Activities struct {
	// Getenv resolves the spec's token and key variables (default
	// os.Getenv). Tokens never leave the worker.
	Getenv func(string) string
	// Actor is recorded on every ledger run (default "pbnhl-fleet").
	Actor string
	// Tune, when set, may adjust the library's options before a phase (a
	// test's clock, say). It must not change what is migrated.
	Tune func(spec LocationSpec, o *pbnhl.Options)
}

// session is one activity's migration and what to close after it.
type session struct {
	mig    *pbnhl.Migration
	ledger *rollback.Ledger
	src    *pbn.Client
	mapped *mapping.Map
	lim    *highlevel.Limiter
}

func (a *Activities) getenv(k string) string {
	if a.Getenv != nil {
		return a.Getenv(k)
	}
	return os.Getenv(k)
}

func (a *Activities) actor() string {
	if a.Actor != "" {
		return a.Actor
	}
	return "pbnhl-fleet"
}

func (s LocationSpec) mapPath() string    { return filepath.Join(s.WorkDir, "map.yaml") }
func (s LocationSpec) samplePath() string { return filepath.Join(s.WorkDir, "sample.json") }

// config errors do not heal on retry.
func permanent(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), "Config", nil)
}

func (a *Activities) source(spec LocationSpec) (*pbn.Client, error) {
	tok := a.getenv(spec.PbNTokenEnv)
	if tok == "" {
		return nil, permanent(fmt.Errorf("location %s: $%s is empty", spec.ID, spec.PbNTokenEnv))
	}
	return pbn.NewClient(pbn.Options{BaseURL: spec.PbNURL, Token: tok, RateLimit: spec.PbNRateLimit})
}

// open builds the migration. proposed allows a map not yet approved
// (preflight before the approval); the map file is proposed from the
// practice's inventory when missing.
func (a *Activities) open(ctx context.Context, spec LocationSpec, opts pbnhl.Options) (*session, error) {
	src, err := a.source(spec)
	if err != nil {
		return nil, err
	}
	tok := a.getenv(spec.HLTokenEnv)
	if tok == "" {
		return nil, permanent(fmt.Errorf("location %s: $%s is empty", spec.ID, spec.HLTokenEnv))
	}
	lim, err := highlevel.NewLimiter(highlevel.LimiterOptions{Name: spec.HLLocation, Requests: spec.HLRequests, Window: spec.HLWindow})
	if err != nil {
		return nil, permanent(err)
	}
	hl, err := highlevel.NewClient(highlevel.Options{BaseURL: spec.HLURL, LocationID: spec.HLLocation,
		Auth: highlevel.StaticToken(tok), Limiter: lim})
	if err != nil {
		return nil, permanent(err)
	}
	m, err := a.loadMap(ctx, spec, src)
	if err != nil {
		return nil, err
	}
	lopts := rollback.Options{Plaintext: spec.LedgerPlaintext}
	if spec.LedgerKeyEnv != "" {
		key, err := decodeKey(a.getenv(spec.LedgerKeyEnv))
		if err != nil {
			return nil, permanent(fmt.Errorf("location %s: $%s: %w", spec.ID, spec.LedgerKeyEnv, err))
		}
		lopts = rollback.Options{Key: key}
	}
	if dir, ok := ledgerDir(spec.Ledger); ok {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	}
	led, err := rollback.Open(ctx, spec.Ledger, lopts)
	if err != nil {
		return nil, err
	}
	opts.Source, opts.Client, opts.Map, opts.Ledger = src, hl, m, led
	opts.CompanyID, opts.FallbackOwner, opts.Concurrency = spec.CompanyID, spec.FallbackOwner, spec.Concurrency
	opts.Actor = a.actor()
	opts.DailyLimit = pbnhl.StopOnDailyLimit
	switch spec.SearchLag {
	case "":
	case "none":
		opts.SearchLag = pbnhl.NoSearchLag
	default:
		d, err := time.ParseDuration(spec.SearchLag)
		if err != nil {
			led.Close()
			return nil, permanent(fmt.Errorf("location %s: search_lag: %w", spec.ID, err))
		}
		opts.SearchLag = d
	}
	if a.Tune != nil {
		a.Tune(spec, &opts)
	}
	mig, err := pbnhl.New(opts)
	if err != nil {
		led.Close()
		return nil, permanent(err)
	}
	return &session{mig: mig, ledger: led, src: src, mapped: m, lim: lim}, nil
}

func (s *session) close() { s.ledger.Close() }

func decodeKey(v string) ([]byte, error) {
	if k, err := hex.DecodeString(v); err == nil && len(k) == 32 {
		return k, nil
	}
	if k, err := base64.StdEncoding.DecodeString(v); err == nil && len(k) == 32 {
		return k, nil
	}
	return nil, errors.New("want 32 bytes as 64 hex digits or base64")
}

// loadMap reads the location's map file, proposing the default map for
// the practice's custom properties when there is none yet, with the links
// drafted from the practice's lists as pbn2hl propose does
// (mapping.DraftLinks): cohorts as contact tags, providers and hygienists
// by name, and for several offices the other offices a patient was seen
// at.
func (a *Activities) loadMap(ctx context.Context, spec LocationSpec, src *pbn.Client) (*mapping.Map, error) {
	m, err := mapping.Load(spec.mapPath())
	if err == nil {
		return m, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, permanent(err)
	}
	inv, err := src.Inventory(ctx)
	if err != nil {
		return nil, err
	}
	if m, err = mapping.Default(inv.CustomProperties); err != nil {
		return nil, permanent(err)
	}
	if _, err := mapping.DraftLinks(ctx, src, m); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(spec.WorkDir, 0o700); err != nil {
		return nil, err
	}
	if err := m.SaveFile(spec.mapPath()); err != nil {
		return nil, err
	}
	return m, nil
}

// heartbeat keeps a phase alive on the server while it runs (a call can
// outlast the heartbeat timeout) with the latest progress.
func heartbeat(ctx context.Context, every time.Duration, live func() Live) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx, live())
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func beat(ctx context.Context) time.Duration {
	hb := activity.GetInfo(ctx).HeartbeatTimeout
	if hb <= 0 {
		return 10 * time.Second
	}
	return max(hb/4, 100*time.Millisecond)
}

// tracker folds the library's per-object progress into one Live.
type tracker struct {
	mu      sync.Mutex
	phase   string
	objects map[string]pbnhl.Progress
}

func (t *tracker) add(p pbnhl.Progress) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.objects[p.Phase+"/"+p.Object] = p
}

func (t *tracker) live() Live {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := Live{Phase: t.phase}
	var counted int64 // done of the objects whose total is known
	for _, p := range t.objects {
		l.Done += p.Done
		l.Total += p.Total
		l.Calls += p.Calls
		l.ETA = max(l.ETA, p.ETA)
		if p.Total > 0 {
			counted += min(p.Done, p.Total)
		}
	}
	if l.Total > 0 {
		l.Percent = 100 * float64(counted) / float64(l.Total)
	}
	return l
}

// Preflight checks the location and the practice against the map (the
// proposed one until it is approved) and estimates the run.
func (a *Activities) Preflight(ctx context.Context, spec LocationSpec) (PreflightResult, error) {
	s, err := a.open(ctx, spec, pbnhl.Options{})
	if err != nil {
		return PreflightResult{}, err
	}
	defer s.close()
	defer heartbeat(ctx, beat(ctx), func() Live { return Live{Phase: "preflight"} })()
	rep, err := s.mig.Preflight(ctx)
	if err != nil {
		return PreflightResult{}, phaseErr(err, 0)
	}
	return PreflightResult{Ready: rep.Ready(), MapApproved: rep.MapApproved, MapDigest: rep.MapDigest,
		Calls: rep.Estimate.Calls, Days: max(rep.Estimate.Days, 1), Blocking: rep.Blocking}, nil
}

// ApproveMap approves the location's map file as actor and returns its
// digest.
func (a *Activities) ApproveMap(ctx context.Context, spec LocationSpec, actor string) (string, error) {
	src, err := a.source(spec)
	if err != nil {
		return "", err
	}
	m, err := a.loadMap(ctx, spec, src)
	if err != nil {
		return "", err
	}
	if err := m.Approve(actor, time.Now()); err != nil {
		return "", permanent(err)
	}
	if err := m.SaveFile(spec.mapPath()); err != nil {
		return "", err
	}
	return m.Digest()
}

// ApplySchema creates what the approved map needs in the location.
func (a *Activities) ApplySchema(ctx context.Context, spec LocationSpec) (int, error) {
	s, err := a.open(ctx, spec, pbnhl.Options{})
	if err != nil {
		return 0, err
	}
	defer s.close()
	defer heartbeat(ctx, beat(ctx), func() Live { return Live{Phase: "schema"} })()
	res, err := s.mig.ApplySchema(ctx)
	if err != nil {
		return 0, phaseErr(err, 0)
	}
	return len(res.Created), nil
}

// Sample loads the sample slice, diffs it and writes the report (keys and
// counts, no values) to the work dir for ApproveSample.
func (a *Activities) Sample(ctx context.Context, spec LocationSpec) (PhaseResult, error) {
	tr := &tracker{phase: "sample", objects: map[string]pbnhl.Progress{}}
	s, err := a.open(ctx, spec, pbnhl.Options{Progress: tr.add})
	if err != nil {
		return PhaseResult{}, err
	}
	defer s.close()
	defer heartbeat(ctx, beat(ctx), tr.live)()
	rep, err := s.mig.Sample(ctx, pbnhl.SampleOptions{Patients: spec.SamplePatients})
	if err != nil {
		return PhaseResult{}, phaseErr(err, tr.live().Calls)
	}
	res := summarize(rep)
	if rep.Sample != nil {
		f, err := os.OpenFile(spec.samplePath(), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return res, err
		}
		if err := rep.Sample.WriteJSON(f); err != nil {
			f.Close()
			return res, err
		}
		if err := f.Close(); err != nil {
			return res, err
		}
		res.Digest = rep.Sample.Digest
		res.Agrees = rep.Sample.Diff != nil && rep.Sample.Diff.Agrees()
	}
	return res, nil
}

// ApproveSample signs off the sample report in the ledger.
func (a *Activities) ApproveSample(ctx context.Context, spec LocationSpec, ap Approval) error {
	s, err := a.open(ctx, spec, pbnhl.Options{})
	if err != nil {
		return err
	}
	defer s.close()
	f, err := os.Open(spec.samplePath())
	if err != nil {
		return permanent(err)
	}
	defer f.Close()
	rep, err := pbnhl.ReadSampleReport(f)
	if err != nil {
		return permanent(err)
	}
	if _, err := s.mig.ApproveSample(ctx, rep, pbnhl.ApproveSampleOptions{Actor: ap.Actor, AcceptDifferences: ap.AcceptDifferences}); err != nil {
		return permanent(err)
	}
	return nil
}

// Run is the full run, Delta a delta: both resume from the ledger when a
// worker died under them, and stop with ErrTypeDailyLimit on the quota.
func (a *Activities) Run(ctx context.Context, spec LocationSpec) (PhaseResult, error) {
	return a.load(ctx, spec, "run")
}

// Delta carries the practice's changes since the last run or delta.
func (a *Activities) Delta(ctx context.Context, spec LocationSpec) (PhaseResult, error) {
	return a.load(ctx, spec, "delta")
}

func (a *Activities) load(ctx context.Context, spec LocationSpec, phase string) (PhaseResult, error) {
	tr := &tracker{phase: phase, objects: map[string]pbnhl.Progress{}}
	s, err := a.open(ctx, spec, pbnhl.Options{Progress: tr.add, RequireSampleApproval: true})
	if err != nil {
		return PhaseResult{}, err
	}
	defer s.close()
	defer heartbeat(ctx, beat(ctx), tr.live)()
	var rep *pbnhl.Report
	if phase == "run" {
		rep, err = s.mig.Load(ctx)
	} else {
		rep, err = s.mig.Delta(ctx)
	}
	if err != nil {
		return PhaseResult{}, phaseErr(err, tr.live().Calls)
	}
	return summarize(rep), nil
}

// Reconcile checks the location against the ledger and the practice.
func (a *Activities) Reconcile(ctx context.Context, spec LocationSpec) (ReconcileResult, error) {
	s, err := a.open(ctx, spec, pbnhl.Options{})
	if err != nil {
		return ReconcileResult{}, err
	}
	defer s.close()
	defer heartbeat(ctx, beat(ctx), func() Live { return Live{Phase: "reconcile"} })()
	rep, err := s.mig.Reconcile(ctx, pbnhl.ReconcileOptions{Full: spec.ReconcileFull, Practice: spec.ID})
	if err != nil {
		return ReconcileResult{}, phaseErr(err, 0)
	}
	if left, known := s.lim.DailyRemaining(); !rep.Complete() && known && left <= 0 {
		// The check stopped on the daily limit, not on a difference:
		// pause and check again after the reset.
		return ReconcileResult{}, phaseErr(highlevel.ErrDailyLimit, int64(rep.Calls))
	}
	return ReconcileResult{OK: rep.OK(), Complete: rep.Complete(), LedgerMatches: rep.LedgerMatches(), SourceMissing: rep.SourceMissing,
		Differences: rep.Differences, LedgerDifferences: rep.LedgerDifferences, Calls: rep.Calls}, nil
}

// Undo reverses everything the migration wrote.
func (a *Activities) Undo(ctx context.Context, spec LocationSpec) (UndoResult, error) {
	s, err := a.open(ctx, spec, pbnhl.Options{})
	if err != nil {
		return UndoResult{}, err
	}
	defer s.close()
	defer heartbeat(ctx, beat(ctx), func() Live { return Live{Phase: "undo"} })()
	rep, err := s.mig.Undo(ctx, pbnhl.UndoOptions{})
	if err != nil {
		return UndoResult{}, phaseErr(err, 0)
	}
	return UndoResult{Complete: rep.Complete(), Reversed: rep.Reversed(), Compensations: len(rep.Compensations),
		Manual: len(rep.ManualSteps())}, nil
}

func summarize(rep *pbnhl.Report) PhaseResult {
	r := PhaseResult{Calls: rep.Calls, Resolved: rep.Resolved}
	for _, o := range rep.Objects {
		r.Done += o.Done
		r.Written += o.Written
		r.Invalid += o.Invalid
		r.Rejected += o.Rejected
	}
	return r
}

// phaseErr turns the daily limit into ErrTypeDailyLimit for the workflow;
// other errors go as they are (the library keeps values out of them) and
// Temporal retries them.
func phaseErr(err error, calls int64) error {
	var dl *pbnhl.DailyLimitError
	if errors.As(err, &dl) {
		return temporal.NewApplicationErrorWithOptions("HighLevel's daily API limit is spent", ErrTypeDailyLimit,
			temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{DailyLimitPause{ResumeAt: dl.ResumeAt, Calls: calls}}})
	}
	if errors.Is(err, highlevel.ErrDailyLimit) {
		return temporal.NewApplicationErrorWithOptions("HighLevel's daily API limit is spent", ErrTypeDailyLimit,
			temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{DailyLimitPause{Calls: calls}}})
	}
	if errors.Is(err, pbnhl.ErrInvalidOptions) {
		return permanent(err)
	}
	return err
}

// ledgerDir is the directory a file ledger lives in ("sqlite:PATH" or a
// path), to create before opening it; a PostgreSQL ledger (postgres://…,
// shared by every worker) has none.
func ledgerDir(location string) (string, bool) {
	lower := strings.ToLower(location)
	switch {
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		return "", false
	case strings.HasPrefix(lower, "sqlite:"):
		location = location[len("sqlite:"):]
	}
	return filepath.Dir(location), true
}
