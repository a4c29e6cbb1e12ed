package pbnhl

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"math"
	"strings"
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

// prepare takes the pipelines (their stage ids) when the map has any, from
// the schema diff's read when it made one.
//
// It also reads the location's settings (one call): when the location
// refuses a second opportunity for a contact in one pipeline, the run
// catches such opportunities before sending them (oppScreen). Settings that
// cannot be read leave the check to HighLevel, as before, with a warning.
func (opportunityTarget) prepare(ctx context.Context, m *Migration, p *prepared) (err error) {
	if len(p.plan.Pipelines) == 0 {
		return nil
	}
	loc, err := m.opts.Client.Locations.Get(ctx, "")
	switch {
	case err == nil:
		p.refuseDupOpps = !loc.Settings.AllowDuplicateOpportunity
	case ctx.Err() != nil:
		return fmt.Errorf("pbnhl: read the location's settings: %w", err)
	default:
		m.log.LogAttrs(ctx, levelWarn, "the location's settings could not be read: opportunities that duplicate a contact's pipeline are sent, and HighLevel decides",
			attrStatus(hlStatus(err)))
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

// need counts contacts with several opportunities in one pipeline among
// the records preflight passes as valid: a location that refuses duplicate
// opportunities would reject all but one. When Preflight read that the
// location refuses them, its oppScreen has already held those back, so
// this counts only what the screen could not see.
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
// the external-id custom field (rollback.FindOpportunity, the lookup
// Undo's settle makes too).
func (m *Migration) findOpportunity(ctx context.Context, contactID, pipelineID, fieldID, key string, notBefore time.Time) (string, bool, error) {
	return rollback.FindOpportunity(ctx, m.opts.Client, contactID, pipelineID, fieldID, key, rollback.FindOptions{NotBefore: notBefore})
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

// Opportunities the location would refuse (issue 17.2). A location whose
// "Allow Duplicate Opportunity" setting is off refuses a second opportunity
// for a contact in one pipeline ("Can not create duplicate opportunity for
// the contact"). The rule: one opportunity per contact and pipeline — the
// one already there (an earlier run's, the ledger's id map still holding
// it, or one made in the location by other means), otherwise the first in
// the run's order (the source's order of the map's opportunity objects);
// each later one is held back as invalid (rule duplicate, field
// dupOppField) with the key of the one holding the pipeline, and never
// sent. "Same contact" is after mapping: the contact's
// HighLevel id when it has one (two patients merged into one contact
// share it), else its source key. Opportunities already in the map's
// pipelines that this ledger did not make (by hand, another tool, or
// before an adoption) hold their contact's pipeline too: one search per
// pipeline and 100 of its opportunities reads them (fromLocation).
type oppScreen struct {
	seed maphash.Seed
	// names maps a pipeline id to its name, normalized (pipeKey).
	names map[string]string
	// held maps a contact+pipeline to the record that holds it.
	held map[uint64]oppHolder
	// ours are the opportunities fromLedger placed; self gives the id a
	// source key is mapped to (a record is never its own duplicate).
	ours map[string]bool
	self func(key string) (string, bool)
	// caught counts the opportunities held back; objects names their objects.
	caught  int
	objects []string
}

// dupOppField is the field a held-back opportunity's problem names.
const dupOppField = "contactId+pipeline"

type oppHolder struct {
	object, key string
	earlier     bool // made by an earlier run (from the ledger)
	outside     bool // in the location, not made by this ledger: key is its id
}

func newOppScreen(pipelines []*highlevel.Pipeline, self func(key string) (string, bool)) *oppScreen {
	s := &oppScreen{seed: maphash.MakeSeed(), names: map[string]string{}, held: map[uint64]oppHolder{},
		ours: map[string]bool{}, self: self}
	for _, p := range pipelines {
		s.names[p.ID] = pipeKey(p.Name)
	}
	return s
}

// pipeKey is how a pipeline name is compared (as mapping.Inputs finds it).
func pipeKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

func (s *oppScreen) pair(contact, pipeline string) uint64 {
	var h maphash.Hash
	h.SetSeed(s.seed)
	h.WriteString(contact)
	h.WriteByte(0)
	h.WriteString(pipeline)
	return h.Sum64()
}

// fromLedger holds the contact+pipeline of every opportunity an earlier
// run created (or adopted) that the id map still maps to that object
// (live: not undone, not replaced), read from its journaled create body.
// It makes no HighLevel call.
func (s *oppScreen) fromLedger(ctx context.Context, l *rollback.Ledger, live func(key, id string) bool) error {
	f := rollback.EntryFilter{ObjectTypes: []string{rollback.TypeOpportunity}, Outcomes: []rollback.OutcomeStatus{rollback.OutcomeDone}}
	for e, err := range l.Entries(ctx, f) {
		if err != nil {
			return fmt.Errorf("pbnhl: read the opportunities of earlier runs: %w", err)
		}
		if e.Op != rollback.OpCreate || e.Compensates != 0 || !e.HasPayload() || !live(e.SourceKey, e.RecordID()) {
			continue
		}
		body, err := l.Payload(ctx, e)
		if err != nil {
			return fmt.Errorf("pbnhl: read the opportunities of earlier runs: %w", err)
		}
		contactID, pipelineID := opportunityScope(body)
		name, ok := s.names[pipelineID]
		if contactID == "" || !ok {
			continue // a pipeline the location no longer has
		}
		s.held[s.pair(contactID, name)] = oppHolder{object: e.Entity, key: e.SourceKey, earlier: true}
		s.ours[e.RecordID()] = true
	}
	return nil
}

// fromLocation holds the contact+pipeline of every opportunity in the
// map's pipelines (wanted: their names, normalized) that fromLedger did
// not place — made in the location by other means. It reads each pipeline
// by search, 100 opportunities a call.
func (s *oppScreen) fromLocation(ctx context.Context, c *highlevel.Client, wanted map[string]bool) error {
	for id, name := range s.names {
		if !wanted[name] {
			continue
		}
		for o, err := range c.Opportunities.Search(ctx, highlevel.OpportunitySearch{PipelineID: id, Status: highlevel.StatusAll}) {
			if err != nil {
				return fmt.Errorf("pbnhl: read the opportunities of the map's pipelines: %w", err)
			}
			if s.ours[o.ID] || o.ContactID == "" || (o.PipelineID != "" && o.PipelineID != id) {
				continue
			}
			k := s.pair(o.ContactID, name)
			if _, taken := s.held[k]; !taken {
				s.held[k] = oppHolder{key: o.ID, outside: true}
			}
		}
	}
	return nil
}

// wantedPipelines are the normalized names of the map's pipelines.
func wantedPipelines(plan *mapping.SchemaPlan) map[string]bool {
	out := map[string]bool{}
	for _, p := range plan.Pipelines {
		out[pipeKey(p.Name)] = true
	}
	return out
}

// check holds p's contact+pipeline for p, or marks p invalid when another
// record holds it. contact is the contact's HighLevel id, else "key:" and
// its source key; "" leaves p to the other checks.
func (s *oppScreen) check(o *mapping.Object, p *mapping.Payload, contact string) {
	if !p.Valid() || contact == "" || p.Pipeline == "" {
		return
	}
	k := s.pair(contact, pipeKey(p.Pipeline))
	h, taken := s.held[k]
	if !taken {
		s.held[k] = oppHolder{object: o.Name, key: p.SourceKey}
		return
	}
	if h.key == p.SourceKey && !h.outside {
		return // the record itself (migrated by an earlier run)
	}
	if id, ok := s.self(p.SourceKey); ok && h.outside && id == h.key {
		return // the record itself (adopted, or its create body not journaled)
	}
	var by string
	switch {
	case h.outside:
		by = "HighLevel opportunity " + h.key + ", not made by this migration"
	case h.earlier:
		by = h.object + " " + h.key + ", migrated by an earlier run"
	default:
		by = h.object + " " + h.key + ", earlier in this run"
	}
	p.Problems = append(p.Problems, mapping.Problem{Object: p.Object, SourceKey: p.SourceKey, Field: dupOppField,
		Rule: mapping.RuleDuplicate, Severity: mapping.Invalid,
		Reason: fmt.Sprintf("its contact already has an opportunity in pipeline %q (%s) and the location does not allow duplicate opportunities: "+
			"not sent (HighLevel would refuse it); turn on Allow Duplicate Opportunity to migrate it", p.Pipeline, by)})
	s.caught++
	s.objects = addName(s.objects, o.Name)
}

// oppScreen is the phase's screen for o's records: nil unless o writes
// opportunities into a location that refuses duplicates. The first call
// reads the earlier runs' opportunities from the ledger and the others in
// the map's pipelines from the location.
func (ph *phase) oppScreen(ctx context.Context, o *mapping.Object) (*oppScreen, error) {
	if o.Target != mapping.TargetOpportunity || !ph.p.refuseDupOpps {
		return nil, nil
	}
	if ph.opps != nil {
		return ph.opps, nil
	}
	if err := ph.idx.load(ctx, rollback.TypeOpportunity); err != nil {
		return nil, err
	}
	self := func(key string) (string, bool) {
		r, ok := ph.idx.get(rollback.TypeOpportunity, key)
		return r.id, ok
	}
	s := newOppScreen(ph.p.inputs.Pipelines, self)
	live := func(key, id string) bool {
		got, ok := self(key)
		return ok && got == id
	}
	if err := s.fromLedger(ctx, ph.m.opts.Ledger, live); err != nil {
		return nil, err
	}
	if err := s.fromLocation(ctx, ph.m.opts.Client, wantedPipelines(ph.p.plan)); err != nil {
		return nil, err
	}
	ph.opps = s
	return s, nil
}

// screenOpportunity checks p against the opportunities that hold its
// contact's pipelines (produce calls it in the run's order, one goroutine).
func (ph *phase) screenOpportunity(s *oppScreen, o *mapping.Object, p *mapping.Payload) {
	if s == nil {
		return
	}
	l, ok := p.Link(mapping.LinkContact)
	if !ok || l.Key == "" {
		return
	}
	contact := "key:" + l.Object + "\x00" + l.Key
	if id, ok := ph.parentID(l); ok {
		contact = id
	}
	s.check(o, p, contact)
}

// preflightOppScreen is Preflight's copy of the run's screen (nil when the
// location allows duplicate opportunities, its settings are unknown or the
// map writes none), and the check to pass each payload through: it holds
// back what the run would, so the estimate counts no call for them and the
// validation counts them invalid with their reason. A contact not yet in
// the id map is compared by its source key.
func (m *Migration) preflightOppScreen(ctx context.Context, mp *mapping.Map, plan *mapping.SchemaPlan, order []*mapping.Object, loc *highlevel.Location,
	pipelines []*highlevel.Pipeline, idx *idIndex) (*oppScreen, func(*mapping.Object, *mapping.Payload), error) {
	if loc == nil || loc.Settings.AllowDuplicateOpportunity {
		return nil, nil, nil
	}
	var opps []*mapping.Object
	for _, o := range order {
		if o.Target == mapping.TargetOpportunity {
			opps = append(opps, o)
		}
	}
	if len(opps) == 0 {
		return nil, nil, nil
	}
	types := []string{rollback.TypeOpportunity}
	for _, o := range opps {
		for _, l := range o.Lookups {
			if po := mp.Object(l.Object); po != nil && po.RecordType() != "" {
				types = append(types, po.RecordType())
			}
		}
	}
	for _, typ := range types {
		if err := idx.load(ctx, typ); err != nil {
			return nil, nil, err
		}
	}
	self := func(key string) (string, bool) {
		r, ok := idx.get(rollback.TypeOpportunity, key)
		return r.id, ok
	}
	s := newOppScreen(pipelines, self)
	live := func(key, id string) bool {
		got, ok := self(key)
		return ok && got == id
	}
	if err := s.fromLedger(ctx, m.opts.Ledger, live); err != nil {
		return nil, nil, err
	}
	if err := s.fromLocation(ctx, m.opts.Client, wantedPipelines(plan)); err != nil {
		return nil, nil, err
	}
	check := func(o *mapping.Object, p *mapping.Payload) {
		if o.Target != mapping.TargetOpportunity {
			return
		}
		l, ok := p.Link(mapping.LinkContact)
		if !ok || l.Key == "" {
			return
		}
		contact := "key:" + l.Object + "\x00" + l.Key
		if po := mp.Object(l.Object); po != nil {
			if r, ok := idx.get(po.RecordType(), l.Key); ok {
				contact = r.id
			}
		}
		s.check(o, p, contact)
	}
	return s, check, nil
}

// warning is Preflight's prediction of what the screen holds back.
func (s *oppScreen) warning() string {
	if s == nil || s.caught == 0 {
		return ""
	}
	return fmt.Sprintf("%d opportunities (%s) would duplicate a contact's pipeline: the location does not allow duplicate opportunities, "+
		"so the run holds each back as invalid (one opportunity per contact and pipeline: the one already there, made by an earlier run or by other means, else the first in the source's order; "+
		"the others are not sent and are listed with their reason in the problems CSV); to migrate them, turn on Settings → Business Profile → "+
		"Allow Duplicate Opportunity before the run", s.caught, strings.Join(s.objects, ", "))
}
