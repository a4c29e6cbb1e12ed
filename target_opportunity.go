package pbnhl

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/rollback"
)

// opportunityTarget writes opportunities (treatment plans) under their
// contact, in the pipeline and stage the map resolves.
type opportunityTarget struct{ builtInWriter }

func (opportunityTarget) kind() mapping.TargetKind { return mapping.TargetOpportunity }
func (opportunityTarget) group() loadGroup         { return loadOpportunities }

// need counts contacts with several opportunities in one pipeline: a
// location that refuses duplicate opportunities would reject all but one.
// prepare takes the pipelines (their stage ids) when the map has any, from
// the schema diff's read when it made one.
func (opportunityTarget) prepare(ctx context.Context, m *Migration, p *prepared) (err error) {
	if len(p.plan.Pipelines) == 0 {
		return nil
	}
	if p.schemaAPI != nil { // the schema diff just read them: setup reads once (17.2)
		if ps, ok := p.schemaAPI.ListedPipelines(); ok {
			p.inputs.Pipelines = ps
			return nil
		}
	}
	if p.inputs.Pipelines, err = m.opts.Client.Pipelines.List(ctx); err != nil {
		return fmt.Errorf("pbnhl: pipelines: %w", err)
	}
	return nil
}

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
	return customFieldExternalID(in, o, "opportunity")
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

func (opportunityTarget) deletedWithSource() bool { return true }

func (opportunityTarget) owns(typ string) bool { return typ == rollback.TypeOpportunity }

// sweepScope: the contact and pipeline the create body names.
func (opportunityTarget) sweepScope(body []byte, _ string) (string, string) {
	return opportunityScope(body)
}

// opportunityScope is the contact and pipeline an opportunity create body
// names: where its lookups search.
func opportunityScope(body []byte) (contactID, pipelineID string) {
	var b struct {
		ContactID  string `json:"contactId"`
		PipelineID string `json:"pipelineId"`
	}
	_ = json.Unmarshal(body, &b)
	return b.ContactID, b.PipelineID
}

func (opportunityTarget) settle(ctx context.Context, s lookupScope, e rollback.Entry, payload []byte) (string, bool, error) {
	contactID, pipelineID := opportunityScope(payload)
	return s.m.findOpportunity(ctx, contactID, pipelineID, s.p.extField[rollback.TypeOpportunity], e.SourceKey, notBefore(e.IntentAt))
}

// matches searches the contact's opportunities in the pipeline for sk's key
// in the external-id field (a Get when a result omits custom fields).
func (opportunityTarget) matches(ctx context.Context, s lookupScope, sk sweepKey) ([]string, int, error) {
	c := s.m.opts.Client
	f := s.p.extField[rollback.TypeOpportunity]
	nb := notBefore(sk.since)
	calls := 1
	var ids []string
	q := highlevel.OpportunitySearch{ContactID: sk.parent, PipelineID: sk.pipeline, Status: highlevel.StatusAll}
	for o, err := range c.Opportunities.Search(ctx, q) {
		if err != nil {
			return nil, calls, err
		}
		if (o.ContactID != "" && o.ContactID != sk.parent) || createdBefore(o.CreatedAt, nb) {
			continue
		}
		v, ok := o.CustomField(f)
		if !ok {
			full, err := c.Opportunities.Get(ctx, o.ID)
			calls++
			if err != nil {
				return nil, calls, err
			}
			v, ok = full.CustomField(f)
		}
		if t, _ := v.Text(); ok && t == sk.key {
			ids = append(ids, o.ID)
		}
	}
	return ids, calls, nil
}

// findOpportunity searches the contact's opportunities in the pipeline for
// the external-id custom field.
func (m *Migration) findOpportunity(ctx context.Context, contactID, pipelineID, fieldID, key string, notBefore time.Time) (string, bool, error) {
	q := highlevel.OpportunitySearch{ContactID: contactID, PipelineID: pipelineID, Status: highlevel.StatusAll}
	for o, err := range m.opts.Client.Opportunities.Search(ctx, q) {
		if err != nil {
			return "", false, err
		}
		if (o.ContactID != "" && o.ContactID != contactID) || createdBefore(o.CreatedAt, notBefore) {
			continue
		}
		if v, ok := o.CustomField(fieldID); ok {
			if t, _ := v.Text(); t == key {
				return o.ID, true, nil
			}
			continue
		}
		// Search results may omit custom fields: read the opportunity.
		full, err := m.opts.Client.Opportunities.Get(ctx, o.ID)
		if err != nil {
			return "", false, err
		}
		if v, ok := full.CustomField(fieldID); ok {
			if t, _ := v.Text(); t == key {
				return o.ID, true, nil
			}
		}
	}
	return "", false, nil
}

// resend: HighLevel deletes a contact's opportunities with it, so one
// re-created goes on its contact's new id when this repair re-created the
// contact; that body is what is journaled.
func (opportunityTarget) resend(rs resendScope, key string, body []byte) (resent, error) {
	in, err := opportunityInput(body, rs.moved)
	if err != nil {
		return resent{}, err
	}
	if body, err = in.Body(); err != nil {
		return resent{}, err
	}
	c := rs.m.opts.Client
	return resent{body: body,
		call: func(ctx context.Context) (string, error) {
			x, err := c.Opportunities.Create(ctx, in)
			if err != nil {
				return "", err
			}
			return x.ID, nil
		},
		find: func(ctx context.Context, nb time.Time) (string, bool, error) {
			return rs.m.findOpportunity(ctx, in.ContactID, in.PipelineID, rs.ext, key, nb)
		}}, nil
}

func (t opportunityTarget) current(ctx context.Context, c *highlevel.Client, typ, id, parent string) ([]byte, time.Time, error) {
	return readUpdated(ctx, t, c, typ, id, parent, "updatedAt")
}

// opportunityInput decodes a journaled opportunity create body, its
// contact moved to the id a repair re-created it under.
func opportunityInput(body []byte, moved map[string]string) (highlevel.OpportunityInput, error) {
	var x struct {
		PipelineID      string   `json:"pipelineId"`
		Name            string   `json:"name"`
		PipelineStageID string   `json:"pipelineStageId"`
		Status          string   `json:"status"`
		ContactID       string   `json:"contactId"`
		MonetaryValue   *float64 `json:"monetaryValue"`
		AssignedTo      string   `json:"assignedTo"`
		CustomFields    []struct {
			ID    string          `json:"id"`
			Key   string          `json:"key"`
			Value json.RawMessage `json:"field_value"`
		} `json:"customFields"`
	}
	if err := json.Unmarshal(body, &x); err != nil {
		return highlevel.OpportunityInput{}, fmt.Errorf("decode the journaled body: %w", err)
	}
	in := highlevel.OpportunityInput{PipelineID: x.PipelineID, Name: x.Name, PipelineStageID: x.PipelineStageID,
		Status: highlevel.OpportunityStatus(x.Status), ContactID: x.ContactID, AssignedTo: x.AssignedTo}
	if id := moved[in.ContactID]; id != "" {
		in.ContactID = id
	}
	if x.MonetaryValue != nil {
		c := highlevel.Cents(math.Round(*x.MonetaryValue * 100))
		in.MonetaryValue = &c
	}
	for _, f := range x.CustomFields {
		in.CustomFields = append(in.CustomFields, highlevel.CustomFieldInput{ID: f.ID, Key: f.Key, Value: highlevel.RawValue(f.Value)})
	}
	return in, nil
}
