package pbnhl

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pbnhl/pbnhl/rollback"
)

// ApproveSampleOptions shape a sample sign-off.
type ApproveSampleOptions struct {
	// Actor is who approves (default Options.Actor); required.
	Actor string
	// AcceptDifferences approves a sample whose diff has differing or
	// missing fields, knowingly (e.g. a normalisation the reviewer
	// accepts). Without it such a sample is refused.
	AcceptDifferences bool
}

// ApproveSample records in the ledger that a person reviewed the sample
// report and approves it: who, when, the report's digest and the map
// digest the sample ran with. The ledger is the one the full run uses
// (the production ledger, not the staging one the sample wrote to): the
// report travels between them as the file SampleReport.WriteJSON wrote.
//
// It refuses a report whose digest does not match its content, a report of
// another map than the Migration's current one (the map changed after the
// sample: sample again), a sample that compared no record, and one with
// differences unless AcceptDifferences.
func (m *Migration) ApproveSample(ctx context.Context, rep *SampleReport, opts ApproveSampleOptions) (*rollback.SampleApproval, error) {
	if rep == nil || rep.Diff == nil {
		return nil, fmt.Errorf("%w: empty", ErrSampleReport)
	}
	if d, err := rep.ComputeDigest(); err != nil {
		return nil, err
	} else if d != rep.Digest {
		return nil, fmt.Errorf("%w: its digest does not match its content (edited after it was written?)", ErrSampleReport)
	}
	digest, err := m.verifyMap()
	if err != nil {
		return nil, err
	}
	if rep.MapDigest != digest {
		return nil, fmt.Errorf("pbnhl: the sample ran with map %s but the map is now %s: run the sample again with this map and review it", short(rep.MapDigest), short(digest))
	}
	if rep.Diff.Records == 0 {
		return nil, errors.New("pbnhl: the sample report compared no record: nothing to approve (sample into a fresh staging location and ledger)")
	}
	if !rep.Diff.Agrees() && !opts.AcceptDifferences {
		return nil, fmt.Errorf("pbnhl: the sample has %d differing and %d missing fields: fix the map or accept them knowingly (AcceptDifferences, pbn2hl approve-sample -accept-differences)",
			rep.Diff.Differed, rep.Diff.Missing)
	}
	a := rollback.SampleApproval{Actor: strings.TrimSpace(opts.Actor), MapDigest: rep.MapDigest, ReportDigest: rep.Digest, At: m.now()}
	if a.Actor == "" {
		a.Actor = m.opts.Actor
	}
	if a.Actor == "" {
		return nil, errors.New("pbnhl: say who approves the sample (ApproveSampleOptions.Actor or Options.Actor)")
	}
	if err := m.opts.Ledger.ApproveSample(ctx, a); err != nil {
		return nil, fmt.Errorf("pbnhl: record the sample approval: %w", err)
	}
	m.log.LogAttrs(ctx, levelInfo, "sample approved", attrObj(PhaseSample))
	return m.opts.Ledger.SampleApproval(ctx)
}

// checkSampleApproval is Load's gate (Options.RequireSampleApproval): the
// ledger's latest sample approval must be of the current map. SkipSample
// lifts it (the run journals it); a dry run writes nothing and passes.
func (m *Migration) checkSampleApproval(ctx context.Context) error {
	if !m.opts.RequireSampleApproval || m.opts.SkipSample || m.opts.DryRun {
		return nil
	}
	digest, err := m.verifyMap()
	if err != nil {
		return err
	}
	a, err := m.opts.Ledger.SampleApproval(ctx)
	if err != nil {
		return fmt.Errorf("pbnhl: read the sample approval: %w", err)
	}
	const how = "run `pbn2hl sample` into a staging location, review its diff, then `pbn2hl approve-sample -report FILE` with this ledger; or give -skip-sample (SkipSample) knowingly"
	switch {
	case a == nil:
		return fmt.Errorf("%w (map %s): %s", ErrSampleNotApproved, short(digest), how)
	case a.MapDigest != digest:
		return fmt.Errorf("%w: the approved sample ran with map %s, the map is now %s (changed since): %s", ErrSampleNotApproved, short(a.MapDigest), short(digest), how)
	}
	return nil
}
