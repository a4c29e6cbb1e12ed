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
type businessTarget struct{ builtInWriter }

func (businessTarget) kind() mapping.TargetKind { return mapping.TargetBusiness }
func (businessTarget) group() loadGroup         { return loadBusinesses }

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
	body, err := in.Body() // the create's wire body, less the location
	if err != nil {
		return fmt.Errorf("pbnhl: %s: %w", o.Name, err)
	}
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
			wire, err := u.Body()
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

func (businessTarget) deletedWithSource() bool { return true }

func (businessTarget) owns(typ string) bool { return typ == rollback.TypeBusiness }

// settle finds the business by its marker line; an intent journaled before
// markers carries none and is matched on the fields it sent.
func (businessTarget) settle(ctx context.Context, s lookupScope, e rollback.Entry, payload []byte) (string, bool, error) {
	if err := s.idx.load(ctx, rollback.TypeBusiness); err != nil {
		return "", false, err
	}
	nb := notBefore(e.IntentAt)
	var b highlevel.BusinessInput
	_ = json.Unmarshal(payload, &b)
	mk := marker(s.mid, e.ObjectType, e.SourceKey)
	if !rollback.HasLine(b.Description, mk) {
		return s.m.findBusinessLegacy(ctx, s.idx, payload, nb)
	}
	return s.m.findBusiness(ctx, s.idx, mk, nb)
}

// matches lists the businesses carrying sk's marker line.
func (businessTarget) matches(ctx context.Context, s lookupScope, sk sweepKey) ([]string, int, error) {
	nb := notBefore(sk.since)
	mk := marker(s.mid, sk.typ, sk.key)
	var ids []string
	for b, err := range s.m.opts.Client.Businesses.List(ctx, highlevel.BusinessListOptions{}) {
		if err != nil {
			return nil, 1, err
		}
		if rollback.HasLine(b.Description, mk) && !createdBefore(b.CreatedAt, nb) {
			ids = append(ids, b.ID)
		}
	}
	return ids, 1, nil
}

// findBusiness finds the business whose description carries the marker,
// skipping those already mapped to another office (rollback.FindBusiness,
// the lookup Undo's settle makes too).
func (m *Migration) findBusiness(ctx context.Context, idx *idIndex, mk string, notBefore time.Time) (string, bool, error) {
	return rollback.FindBusiness(ctx, m.opts.Client, func(b *highlevel.Business) bool { return rollback.HasLine(b.Description, mk) },
		findOptions(idx, rollback.TypeBusiness, notBefore))
}

// findBusinessLegacy settles a business intent journaled before identity
// markers: matched on the fields sent, never one created before the intent.
func (m *Migration) findBusinessLegacy(ctx context.Context, idx *idIndex, body []byte, notBefore time.Time) (string, bool, error) {
	want := rollback.Digest(body)
	return rollback.FindBusiness(ctx, m.opts.Client, func(b *highlevel.Business) bool {
		cur, _ := json.Marshal(b)
		d, err := rollback.ProjectDigest(cur, body)
		return err == nil && d == want
	}, findOptions(idx, rollback.TypeBusiness, notBefore))
}

// resend: the journaled body; the copy made again is found by the load's
// identity line its description carries, as the load finds its own.
func (businessTarget) resend(rs resendScope, _ string, body []byte) (resent, error) {
	var in highlevel.BusinessInput
	if err := json.Unmarshal(body, &in); err != nil {
		return resent{}, fmt.Errorf("decode the journaled body: %w", err)
	}
	c := rs.m.opts.Client
	r := resent{body: body, call: func(ctx context.Context) (string, error) {
		b, err := c.Businesses.Create(ctx, in)
		if err != nil {
			return "", err
		}
		return b.ID, nil
	}}
	if mk := rollback.IdentityLine(in.Description); mk != "" {
		r.find = func(ctx context.Context, nb time.Time) (string, bool, error) {
			return rs.m.findBusiness(ctx, nil, mk, nb)
		}
	}
	return r, nil
}

func (t businessTarget) current(ctx context.Context, c *highlevel.Client, typ, id, parent string) ([]byte, time.Time, error) {
	return readUpdated(ctx, t, c, typ, id, parent, "updatedAt")
}
