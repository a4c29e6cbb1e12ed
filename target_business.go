package pbnhl

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/rollback"
)

// businessTarget writes businesses (offices). A business has no custom
// field for an external id: its identity is the marker line at the end of
// its description.
type businessTarget struct{ noTarget }

func (businessTarget) kind() mapping.TargetKind { return mapping.TargetBusiness }
func (businessTarget) role() targetRole         { return writesRecords }
func (businessTarget) group() loadGroup         { return loadBusinesses }
func (businessTarget) tally(_ *mapping.Payload, t *callTally) {
	t.calls++
}

func (businessTarget) write(ctx context.Context, ph *phase, o *mapping.Object, tr *tracker, j *job) error {
	p := &j.p
	c := ph.m.opts.Client
	in, err := ph.p.inputs.Business(p)
	if err != nil {
		tr.invalid.Add(1)
		return ph.invalidReason(ctx, o, p.SourceKey, j.modified, err.Error())
	}
	mk := marker(ph.mid, rollback.TypeBusiness, p.SourceKey)
	in.Description = withMarker(in.Description, mk)
	body, _ := json.Marshal(in)
	_, _, err = ph.put(ctx, o, tr, rollback.TypeBusiness, p.SourceKey, j.modified, "", body,
		func(ctx context.Context) (string, error) {
			b, err := c.Businesses.Create(ctx, in)
			if err != nil {
				return "", err
			}
			return b.ID, nil
		},
		func(ctx context.Context, nb time.Time) (string, bool, error) {
			return ph.m.findBusiness(ctx, ph.idx, mk, nb)
		},
		func() ([]byte, func(context.Context, string) error, error) {
			u, err := ph.p.inputs.BusinessUpdate(p)
			if err != nil {
				return nil, nil, err
			}
			if u.Description != nil {
				d := withMarker(*u.Description, mk) // the identity stays
				u.Description = &d
			}
			wire, err := json.Marshal(u)
			return wire, func(ctx context.Context, id string) error {
				_, err := c.Businesses.Update(ctx, id, u)
				return err
			}, err
		})
	return err
}

// adopt lists the location's businesses (one List) for their marker line.
func (businessTarget) adopt(ctx context.Context, sc *adoptScan, o *mapping.Object) error {
	for b, err := range sc.m.opts.Client.Businesses.List(ctx, highlevel.BusinessListOptions{}) {
		if err != nil {
			return fmt.Errorf("pbnhl: list businesses: %w", err)
		}
		sc.add(rollback.TypeBusiness, sc.markerKey(b.Description, rollback.TypeBusiness), adopted{id: b.ID, entity: o.Source, created: b.CreatedAt.Time})
	}
	return nil
}
