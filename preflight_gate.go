package pbnhl

import (
	"context"

	"github.com/pbnhl/pbnhl/mapping"
)

// gateSource runs Preflight's source checks before a full run writes
// anything, so a run does not go on when almost nothing would migrate
// (a missing column, a cut file) or when more records are invalid than
// allowed — unless AcceptInvalid says to go on knowingly. It reads the
// source once more and makes no HighLevel call.
func (m *Migration) gateSource(ctx context.Context, p *prepared) error {
	r := &PreflightReport{Validation: &mapping.Report{}}
	sc, err := m.checkSource(ctx, m.opts.Map, p.order, r)
	if err != nil {
		return err
	}
	val := mapping.NewValidator(m.opts.Map, mapping.ValidatorOptions{})
	own, err := m.scanSource(ctx, p.applier, val, p.order, r, sc, scanHooks{})
	if err != nil {
		return err
	}
	m.checkInvalidShare(r, p.order, sc, own)
	for _, a := range r.Accepted {
		m.log.LogAttrs(ctx, levelWarn, "accepted knowingly (AcceptInvalid): "+a.Reason, attrObj(a.Object))
	}
	if r.Ready() {
		return nil
	}
	return &SourceNotReadyError{Blockers: r.Blockers}
}
