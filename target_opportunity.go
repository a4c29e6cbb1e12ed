package pbnhl

import (
	"context"
	"fmt"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/rollback"
)

// opportunityTarget writes opportunities (treatment plans) under their
// contact, in the pipeline and stage the map resolves.
type opportunityTarget struct{ noTarget }

func (opportunityTarget) kind() mapping.TargetKind { return mapping.TargetOpportunity }
func (opportunityTarget) role() targetRole         { return writesRecords }
func (opportunityTarget) group() loadGroup         { return loadOpportunities }
func (opportunityTarget) tally(_ *mapping.Payload, t *callTally) {
	t.calls++
}

// need counts contacts with several opportunities in one pipeline: a
// location that refuses duplicate opportunities would reject all but one.
func (opportunityTarget) need(n *locationNeeds, p *mapping.Payload) {
	l, ok := p.Link(mapping.LinkContact)
	if !ok || l.Key == "" {
		return
	}
	k := n.hash(l.Object, l.Key, p.Pipeline)
	n.pairs[k]++
	if n.pairs[k] > 1 {
		n.extraOpps++
		n.oppContact[n.hash(l.Object, l.Key)] = true
		n.oppObjects = addName(n.oppObjects, p.Object)
	}
}

// externalField is the id of the opportunity custom field holding the
// source key.
func (opportunityTarget) externalField(in *mapping.Inputs, o *mapping.Object) (string, error) {
	if o.ExternalID == "" {
		return "", nil
	}
	id, ok := in.FieldIDs["opportunity."+o.ExternalID]
	if !ok {
		return "", fmt.Errorf("pbnhl: %s: external id field opportunity.%s: %w", o.Name, o.ExternalID, mapping.ErrNoFieldID)
	}
	return id, nil
}

func (opportunityTarget) write(ctx context.Context, ph *phase, o *mapping.Object, tr *tracker, j *job) error {
	p := &j.p
	c := ph.m.opts.Client
	contactID, ok := ph.contactOf(p)
	if !ok {
		return ph.invalidContact(ctx, o, tr, j)
	}
	in, err := ph.p.inputs.Opportunity(p, contactID)
	if err != nil {
		tr.invalid.Add(1)
		return ph.invalidReason(ctx, o, p.SourceKey, j.modified, err.Error())
	}
	body, err := in.Body()
	if err != nil {
		return fmt.Errorf("pbnhl: %s: %w", o.Name, err)
	}
	ext := ph.p.extField[rollback.TypeOpportunity]
	_, _, err = ph.put(ctx, o, tr, rollback.TypeOpportunity, p.SourceKey, j.modified, "", body,
		func(ctx context.Context) (string, error) {
			op, err := c.Opportunities.Create(ctx, in)
			if err != nil {
				return "", err
			}
			return op.ID, nil
		},
		func(ctx context.Context, nb time.Time) (string, bool, error) {
			return ph.m.findOpportunity(ctx, contactID, in.PipelineID, ext, p.SourceKey, nb)
		},
		func() ([]byte, func(context.Context, string) error, error) {
			u, err := ph.p.inputs.OpportunityUpdate(p)
			if err != nil {
				return nil, nil, err
			}
			wire, err := u.Body()
			return wire, func(ctx context.Context, id string) error {
				_, err := c.Opportunities.Update(ctx, id, u)
				return err
			}, err
		})
	return err
}

// adopt searches every opportunity for the external-id field (a Get when
// a search result omits custom fields).
func (opportunityTarget) adopt(ctx context.Context, sc *adoptScan, o *mapping.Object) error {
	if o.ExternalID == "" {
		return nil
	}
	field := sc.p.extField[rollback.TypeOpportunity]
	c := sc.m.opts.Client
	for op, err := range c.Opportunities.Search(ctx, highlevel.OpportunitySearch{Status: highlevel.StatusAll}) {
		if err != nil {
			return fmt.Errorf("pbnhl: search opportunities: %w", err)
		}
		v, ok := op.CustomField(field)
		if !ok {
			// Search results may omit custom fields: read the opportunity.
			full, err := c.Opportunities.Get(ctx, op.ID)
			if err != nil {
				return fmt.Errorf("pbnhl: read an opportunity: %w", err)
			}
			if v, ok = full.CustomField(field); !ok {
				continue
			}
		}
		key, _ := v.Text()
		sc.add(rollback.TypeOpportunity, key, adopted{id: op.ID, entity: o.Source, created: op.CreatedAt.Time})
	}
	return nil
}
