package pbnhl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/rollback"
)

// Lookups by identity: how an unknown outcome (or an intent a crash left
// pending) is resolved before anything is retried. Contacts, records and
// opportunities carry our external id; businesses, notes and relations are
// matched on what we sent.

// findContact searches contacts by the external-id custom field.
func (m *Migration) findContact(ctx context.Context, fieldID, key string) (string, bool, error) {
	if fieldID == "" {
		return "", false, errors.New("pbnhl: contacts have no external-id field")
	}
	q := highlevel.ContactSearch{Filters: []highlevel.SearchFilter{{Field: "customFields." + fieldID, Operator: "eq", Value: key}}, PageLimit: 10}
	for c, err := range m.opts.Client.Contacts.Search(ctx, q) {
		if err != nil {
			return "", false, err
		}
		if v, ok := c.CustomField(fieldID); ok {
			if t, _ := v.Text(); t == key {
				return c.ID, true, nil
			}
		}
	}
	return "", false, nil
}

// findRecord searches a custom object's records by the external-id property.
func (m *Migration) findRecord(ctx context.Context, objectKey, prop, key string) (string, bool, error) {
	if prop == "" {
		return "", false, fmt.Errorf("pbnhl: %s has no external-id property", objectKey)
	}
	q := highlevel.RecordSearch{Filters: []highlevel.SearchFilter{{Field: "properties." + prop, Operator: "eq", Value: key}}, PageLimit: 10}
	for r, err := range m.opts.Client.Objects.SearchRecords(ctx, objectKey, q) {
		if err != nil {
			return "", false, err
		}
		var v string
		if raw, ok := r.Properties[prop]; ok && json.Unmarshal(raw, &v) == nil && v == key {
			return r.ID, true, nil
		}
	}
	return "", false, nil
}

// findOpportunity searches the contact's opportunities in the pipeline for
// the external-id custom field.
func (m *Migration) findOpportunity(ctx context.Context, contactID, pipelineID, fieldID, key string) (string, bool, error) {
	q := highlevel.OpportunitySearch{ContactID: contactID, PipelineID: pipelineID, Status: highlevel.StatusAll}
	for o, err := range m.opts.Client.Opportunities.Search(ctx, q) {
		if err != nil {
			return "", false, err
		}
		if o.ContactID != "" && o.ContactID != contactID {
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

// findBusiness matches the location's businesses on the fields we wrote,
// skipping those already mapped to another office.
func (m *Migration) findBusiness(ctx context.Context, idx *idIndex, body []byte) (string, bool, error) {
	want := rollback.Digest(body)
	for b, err := range m.opts.Client.Businesses.List(ctx, highlevel.BusinessListOptions{}) {
		if err != nil {
			return "", false, err
		}
		if idx != nil && idx.has(rollback.TypeBusiness, b.ID) {
			continue
		}
		cur, _ := json.Marshal(b)
		if d, err := rollback.ProjectDigest(cur, body); err == nil && d == want {
			return b.ID, true, nil
		}
	}
	return "", false, nil
}

// findNote matches the contact's notes on the body, skipping mapped ones.
func (m *Migration) findNote(ctx context.Context, idx *idIndex, contactID, body string) (string, bool, error) {
	notes, err := m.opts.Client.Contacts.ListNotes(ctx, contactID)
	if err != nil {
		return "", false, err
	}
	for _, n := range notes {
		if strings.TrimSpace(n.Body) == strings.TrimSpace(body) && (idx == nil || !idx.has(rollback.TypeNote, n.ID)) {
			return n.ID, true, nil
		}
	}
	return "", false, nil
}

// findRelation looks for the relation among the record's relations.
func (m *Migration) findRelation(ctx context.Context, in highlevel.RelationInput) (string, bool, error) {
	for r, err := range m.opts.Client.Associations.Relations(ctx, in.FirstRecordID, highlevel.RelationListOptions{AssociationIDs: []string{in.AssociationID}}) {
		if err != nil {
			if errors.Is(err, highlevel.ErrNotFound) {
				return "", false, nil
			}
			return "", false, err
		}
		if (r.FirstRecordID == in.FirstRecordID && r.SecondRecordID == in.SecondRecordID) ||
			(r.FirstRecordID == in.SecondRecordID && r.SecondRecordID == in.FirstRecordID) {
			return r.ID, true, nil
		}
	}
	return "", false, nil
}

// current reads a record as JSON in HighLevel's field names: the
// before-image of an update, and what a change check projects. Notes and
// tasks are read under their contact (contactID).
func (m *Migration) current(ctx context.Context, typ, id, contactID string) ([]byte, error) {
	c := m.opts.Client
	var v any
	switch {
	case typ == rollback.TypeContact:
		x, err := c.Contacts.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		v = x
	case typ == rollback.TypeBusiness:
		x, err := c.Businesses.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		v = x
	case typ == rollback.TypeOpportunity:
		x, err := c.Opportunities.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(x)
		if err != nil {
			return nil, err
		}
		var mm map[string]any
		if err := json.Unmarshal(b, &mm); err != nil {
			return nil, err
		}
		mm["customFields"] = x.CustomFields
		v = mm
	case strings.HasPrefix(typ, rollback.RecordTypePrefix):
		x, err := c.Objects.GetRecord(ctx, typ, id)
		if err != nil {
			return nil, err
		}
		v = map[string]any{"id": x.ID, "properties": x.Properties, "owner": x.Owner, "followers": x.Followers}
	case typ == rollback.TypeNote && contactID != "":
		x, err := c.Contacts.GetNote(ctx, contactID, id)
		if err != nil {
			return nil, err
		}
		v = x
	case typ == rollback.TypeTask && contactID != "":
		x, err := c.Contacts.GetTask(ctx, contactID, id)
		if err != nil {
			return nil, err
		}
		v = x
	default:
		return nil, fmt.Errorf("pbnhl: cannot read a %s", typ)
	}
	return json.Marshal(v)
}

// applied reports whether the record's current state holds what body wrote.
func (m *Migration) applied(ctx context.Context, typ, id, contactID string, body []byte) (string, bool, error) {
	cur, err := m.current(ctx, typ, id, contactID)
	if err != nil {
		return "", false, err
	}
	d, err := rollback.ProjectDigest(cur, body)
	if err != nil {
		return "", false, err
	}
	return id, d == rollback.Digest(body), nil
}

// resolvePending settles every intent an earlier phase left without a
// final outcome (a crash, Ctrl-C, an unknown answer) by looking the record
// up, so that nothing is retried before its first attempt is known.
func (m *Migration) resolvePending(ctx context.Context, p *prepared, idx *idIndex) (int, error) {
	runs, err := m.opts.Ledger.Runs(ctx)
	if err != nil {
		return 0, fmt.Errorf("pbnhl: list runs: %w", err)
	}
	undo := map[rollback.RunID]bool{}
	for _, r := range runs {
		if r.Kind == rollback.KindUndo {
			undo[r.ID] = true
		}
	}
	var pending []rollback.Entry
	for e, err := range m.opts.Ledger.Pending(ctx, true) {
		if err != nil {
			return 0, fmt.Errorf("pbnhl: read pending intents: %w", err)
		}
		if !undo[e.Run] {
			pending = append(pending, e)
		}
	}
	// Oldest horizon first: intents that can no longer be in flight are
	// settled at once; for the young ones (a kill moments ago) the phase
	// waits, visibly, until the write they announced can no longer land.
	slices.SortStableFunc(pending, func(a, b rollback.Entry) int { return m.inflightUntil(a).Compare(m.inflightUntil(b)) })
	if young := len(pending) - sort.Search(len(pending), func(i int) bool { return m.inflightUntil(pending[i]).After(time.Now()) }); young > 0 {
		m.log.LogAttrs(ctx, levelWarn, "intents left pending may still be in flight: settling the old ones first, then waiting for the young ones",
			attrCount("pending", len(pending)), attrCount("young", young))
	}
	n := 0
	for i, e := range pending {
		if err := m.waitInflight(ctx, m.inflightUntil(e), len(pending)-i); err != nil {
			return n, err
		}
		o, err := m.resolveEntry(ctx, p, idx, e)
		if err != nil {
			if ctx.Err() != nil {
				return n, ctx.Err()
			}
			m.log.LogAttrs(ctx, levelWarn, "pending intent not resolved", attrObj(e.ObjectType), attrKey(e.SourceKey))
			continue
		}
		if err := m.opts.Ledger.Outcome(ctx, e.Run, e.Seq, o); err != nil {
			if errors.Is(err, rollback.ErrOutcomeFinal) {
				continue // settled meanwhile by the call's own late outcome
			}
			return n, fmt.Errorf("pbnhl: journal outcome: %w", err)
		}
		if o.Status == rollback.OutcomeDone && (e.Op == rollback.OpCreate || e.Op == rollback.OpUpdate) {
			// The id map changed under the index: keep them equal.
			idx.set(e.ObjectType, e.SourceKey, o.ID, e.PayloadDigest)
		}
		n++
	}
	if n > 0 {
		m.log.LogAttrs(ctx, levelInfo, "resolved pending intents by lookup", attrCount("resolved", n))
	}
	return n, nil
}

func (m *Migration) resolveEntry(ctx context.Context, p *prepared, idx *idIndex, e rollback.Entry) (rollback.Outcome, error) {
	payload, err := m.opts.Ledger.Payload(ctx, e)
	if err != nil {
		return rollback.Outcome{}, err
	}
	found := func(id string, ok bool, err error) (rollback.Outcome, error) {
		if err != nil {
			return rollback.Outcome{}, err
		}
		if ok {
			return rollback.Done(id), nil
		}
		return rollback.Rejected(0, notApplied+"not found by lookup after an interruption"), nil
	}
	switch e.Op {
	case rollback.OpSchema:
		return m.resolveSchema(ctx, p, e)
	case rollback.OpCreate:
		switch {
		case e.ObjectType == rollback.TypeContact:
			return found(m.findContact(ctx, p.extField[rollback.TypeContact], e.SourceKey))
		case e.ObjectType == rollback.TypeBusiness:
			if err := idx.load(ctx, rollback.TypeBusiness); err != nil {
				return rollback.Outcome{}, err
			}
			return found(m.findBusiness(ctx, idx, payload))
		case e.ObjectType == rollback.TypeOpportunity:
			var b struct {
				ContactID  string `json:"contactId"`
				PipelineID string `json:"pipelineId"`
			}
			_ = json.Unmarshal(payload, &b)
			return found(m.findOpportunity(ctx, b.ContactID, b.PipelineID, p.extField[rollback.TypeOpportunity], e.SourceKey))
		case e.ObjectType == rollback.TypeNote:
			var b highlevel.NoteInput
			_ = json.Unmarshal(payload, &b)
			if err := idx.load(ctx, rollback.TypeNote); err != nil {
				return rollback.Outcome{}, err
			}
			return found(m.findNote(ctx, idx, e.TargetID, b.Body))
		case strings.HasPrefix(e.ObjectType, rollback.RecordTypePrefix):
			return found(m.findRecord(ctx, e.ObjectType, p.extField[e.ObjectType], e.SourceKey))
		}
	case rollback.OpLink:
		switch e.ObjectType {
		case rollback.TypeRelation:
			var in highlevel.RelationInput
			if err := json.Unmarshal(payload, &in); err != nil {
				return rollback.Outcome{}, err
			}
			return found(m.findRelation(ctx, in))
		case rollback.TypeContactBusiness:
			c, err := m.opts.Client.Contacts.Get(ctx, e.TargetID)
			if errors.Is(err, highlevel.ErrNotFound) {
				return found("", false, nil)
			}
			if err != nil {
				return rollback.Outcome{}, err
			}
			return found(e.TargetID, c.BusinessID == e.RelatedID, nil)
		}
	case rollback.OpUpdate:
		// Notes and tasks: TargetID is the note or task, RelatedID its contact.
		return found(m.applied(ctx, e.ObjectType, e.TargetID, e.RelatedID, payload))
	case rollback.OpDelete:
		id, contactID, err := m.deleted(ctx, e)
		if err != nil {
			return rollback.Outcome{}, err
		}
		_, err = m.current(ctx, e.ObjectType, id, contactID)
		if errors.Is(err, highlevel.ErrNotFound) {
			return rollback.Done(id), nil
		}
		return found("", false, err)
	}
	return rollback.Outcome{}, fmt.Errorf("pbnhl: no lookup for %s of %s", e.Op, e.ObjectType)
}

// resolveSchema settles a schema creation whose outcome is unknown: the
// element exists and no other call is recorded as creating it → this call
// did; otherwise it had no effect.
func (m *Migration) resolveSchema(ctx context.Context, p *prepared, e rollback.Entry) (rollback.Outcome, error) {
	for d, err := range m.opts.Ledger.Entries(ctx, rollback.EntryFilter{ObjectTypes: []string{e.ObjectType}, Outcomes: []rollback.OutcomeStatus{rollback.OutcomeDone}}) {
		if err != nil {
			return rollback.Outcome{}, err
		}
		if d.Op == rollback.OpSchema && d.SourceKey == e.SourceKey && d.ID != e.ID {
			return rollback.Rejected(0, notApplied+"created by a later call"), nil
		}
	}
	for _, it := range p.diff.Items {
		if it.Key == e.SourceKey && it.ID != "" {
			return rollback.Done(it.ID), nil
		}
	}
	return rollback.Rejected(0, notApplied+"not found in the location"), nil
}

// deleted names what a delete intent acts on: its target, and for a note
// or task the contact too. Ledgers written before note deletes named the
// note (TargetID the contact, the note only in the before-image) are read
// as well.
func (m *Migration) deleted(ctx context.Context, e rollback.Entry) (id, contactID string, err error) {
	if e.ObjectType != rollback.TypeNote && e.ObjectType != rollback.TypeTask {
		return e.TargetID, "", nil
	}
	if e.RelatedID != "" {
		return e.TargetID, e.RelatedID, nil
	}
	before, err := m.opts.Ledger.Before(ctx, e)
	if err != nil {
		return "", "", err
	}
	var b struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(before, &b); err != nil || b.ID == "" {
		return "", "", fmt.Errorf("pbnhl: %s delete %d names no %s id", e.ObjectType, e.ID, e.ObjectType)
	}
	return b.ID, e.TargetID, nil
}
