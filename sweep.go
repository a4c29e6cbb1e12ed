package pbnhl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/rollback"
)

// The duplicate sweep. A write HighLevel applies later than its horizon
// (a model the in-flight wait cannot rule out) leaves two objects for one
// source record: the one a retry created, which the ledger knows, and the
// late one. Identity is ours, so the pair is detectable: after a phase
// that settled anything by lookup, every key so settled (in this run, or
// left pending by an earlier one) is searched by its identity, and any
// object carrying it that the ledger does not know — and that was created
// no earlier than the key's first intent, so never someone else's — is
// deleted, journaled with its before-image. The happy path settles
// nothing by lookup and sweeps nothing: it costs no call.

// sweepKey is a record whose identity the sweep checks.
type sweepKey struct {
	typ, key, entity string
	// parent is the contact of a note, task or opportunity.
	parent   string
	pipeline string // opportunities
	// since is the earliest intent time of the key seen by the phase: an
	// object created before it (less clockSlack) is not the migration's.
	since time.Time
}

// markSweep queues (typ, key) for the sweep; body is the create's payload
// (its contact and pipeline name an opportunity's search scope).
func (ph *phase) markSweep(typ, key, entity, parent string, body []byte, since time.Time) {
	sk := sweepKey{typ: typ, key: key, entity: entity, parent: parent, since: since}
	if typ == rollback.TypeOpportunity {
		var b struct {
			ContactID  string `json:"contactId"`
			PipelineID string `json:"pipelineId"`
		}
		_ = json.Unmarshal(body, &b)
		sk.parent, sk.pipeline = b.ContactID, b.PipelineID
	}
	ph.mu.Lock()
	defer ph.mu.Unlock()
	if ph.sweep == nil {
		ph.sweep = map[[2]string]sweepKey{}
	}
	id := [2]string{typ, key}
	if old, ok := ph.sweep[id]; ok && !old.since.IsZero() && (since.IsZero() || old.since.Before(since)) {
		sk.since = old.since
	}
	ph.sweep[id] = sk
}

// sweepDuplicates deletes the objects that carry the identity of a swept
// key but are not the one the id map holds.
func (ph *phase) sweepDuplicates(ctx context.Context) error {
	ph.mu.Lock()
	keys := make([]sweepKey, 0, len(ph.sweep))
	for _, sk := range ph.sweep {
		keys = append(keys, sk)
	}
	ph.sweep = nil
	ph.mu.Unlock()
	if len(keys) == 0 || ph.dry || ph.run == nil {
		return nil
	}
	slices.SortFunc(keys, func(a, b sweepKey) int { return strings.Compare(a.typ+"\x00"+a.key, b.typ+"\x00"+b.key) })
	tr := ph.m.track(ph.name, PhaseSweep, int64(len(keys)))
	defer func() { ph.addProgress(tr.finish()) }()
	for _, sk := range keys {
		if err := ph.idx.load(ctx, sk.typ); err != nil {
			return err
		}
		known, ok := ph.idx.get(sk.typ, sk.key)
		if !ok {
			tr.skipped.Add(1) // nothing kept for this key: reconcile reports what HighLevel holds
			tr.tick()
			continue
		}
		ids, calls, err := ph.m.identityMatches(ctx, ph.p, ph.mid, sk)
		tr.calls.Add(int64(calls))
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			ph.m.log.LogAttrs(ctx, levelWarn, "duplicate sweep: lookup failed", attrObj(sk.typ), attrKey(sk.key))
			tr.rejected.Add(1)
			tr.tick()
			continue
		}
		extra := 0
		for _, id := range ids {
			if id == known.id {
				continue
			}
			extra++
			if err := ph.deleteDuplicate(ctx, tr, sk, id); err != nil {
				return err
			}
		}
		if extra == 0 {
			tr.existing.Add(1)
		}
		tr.tick()
	}
	return nil
}

// deleteDuplicate deletes one object that carries a key's identity but is
// not the one the ledger knows, journaled (with its before-image; HighLevel
// deletes are final, so Undo reports it as irreversible).
func (ph *phase) deleteDuplicate(ctx context.Context, tr *tracker, sk sweepKey, id string) error {
	c := ph.m.opts.Client
	contactID := ""
	if sk.typ == rollback.TypeNote || sk.typ == rollback.TypeTask {
		contactID = sk.parent
	}
	before, err := ph.m.current(ctx, sk.typ, id, contactID)
	tr.calls.Add(1)
	if errors.Is(err, highlevel.ErrNotFound) {
		return nil // gone meanwhile
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		tr.rejected.Add(1)
		return nil
	}
	res, err := ph.m.exec(ctx, ph.run, write{op: rollback.OpDelete, objType: sk.typ, key: sk.key, entity: sk.entity,
		target: id, related: contactID, before: before,
		call: func(ctx context.Context) (string, error) {
			var err error
			switch {
			case sk.typ == rollback.TypeContact:
				err = c.Contacts.Delete(ctx, id)
			case sk.typ == rollback.TypeBusiness:
				err = c.Businesses.Delete(ctx, id)
			case sk.typ == rollback.TypeOpportunity:
				err = c.Opportunities.Delete(ctx, id)
			case sk.typ == rollback.TypeNote:
				err = c.Contacts.DeleteNote(ctx, contactID, id)
			case sk.typ == rollback.TypeTask:
				err = c.Contacts.DeleteTask(ctx, contactID, id)
			default:
				err = c.Objects.DeleteRecord(ctx, sk.typ, id)
			}
			if errors.Is(err, highlevel.ErrNotFound) {
				err = nil
			}
			return id, err
		},
		find: func(ctx context.Context, _ time.Time) (string, bool, error) {
			_, err := ph.m.current(ctx, sk.typ, id, contactID)
			if errors.Is(err, highlevel.ErrNotFound) {
				return id, true, nil
			}
			return "", false, err
		}})
	tr.calls.Add(int64(res.calls))
	if err != nil {
		return err
	}
	if res.rejected {
		tr.rejected.Add(1)
		return nil
	}
	ph.m.log.LogAttrs(ctx, levelWarn, "duplicate deleted", attrObj(sk.typ), attrKey(sk.key))
	tr.written.Add(1)
	ph.mu.Lock()
	ph.report.Swept++
	ph.mu.Unlock()
	return nil
}

// identityMatches lists every object in HighLevel that carries sk's
// identity and was created no earlier than its first intent: the
// external id (contacts, records, opportunities under their contact) or
// the marker line (businesses, notes, tasks). It returns the calls made.
func (m *Migration) identityMatches(ctx context.Context, p *prepared, mid string, sk sweepKey) ([]string, int, error) {
	c := m.opts.Client
	nb := notBefore(sk.since)
	var ids []string
	calls := 1
	switch {
	case sk.typ == rollback.TypeContact:
		f := p.extField[rollback.TypeContact]
		if f == "" {
			return nil, 0, errors.New("pbnhl: contacts have no external-id field")
		}
		q := highlevel.ContactSearch{Filters: []highlevel.SearchFilter{{Field: "customFields." + f, Operator: "eq", Value: sk.key}}, PageLimit: 100}
		for x, err := range c.Contacts.Search(ctx, q) {
			if err != nil {
				return nil, calls, err
			}
			if v, ok := x.CustomField(f); ok && !createdBefore(x.DateAdded, nb) {
				if t, _ := v.Text(); t == sk.key {
					ids = append(ids, x.ID)
				}
			}
		}
	case strings.HasPrefix(sk.typ, rollback.RecordTypePrefix):
		prop := p.extField[sk.typ]
		if prop == "" {
			return nil, 0, fmt.Errorf("pbnhl: %s has no external-id property", sk.typ)
		}
		q := highlevel.RecordSearch{Filters: []highlevel.SearchFilter{{Field: "properties." + prop, Operator: "eq", Value: sk.key}}, PageLimit: 100}
		for r, err := range c.Objects.SearchRecords(ctx, sk.typ, q) {
			if err != nil {
				return nil, calls, err
			}
			var v string
			if raw, ok := r.Properties[prop]; ok && json.Unmarshal(raw, &v) == nil && v == sk.key && !createdBefore(r.DateAdded, nb) {
				ids = append(ids, r.ID)
			}
		}
	case sk.typ == rollback.TypeOpportunity:
		f := p.extField[rollback.TypeOpportunity]
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
	case sk.typ == rollback.TypeBusiness:
		mk := marker(mid, sk.typ, sk.key)
		for b, err := range c.Businesses.List(ctx, highlevel.BusinessListOptions{}) {
			if err != nil {
				return nil, calls, err
			}
			if hasMarker(b.Description, mk) && !createdBefore(b.CreatedAt, nb) {
				ids = append(ids, b.ID)
			}
		}
	case sk.typ == rollback.TypeNote:
		mk := marker(mid, sk.typ, sk.key)
		notes, err := c.Contacts.ListNotes(ctx, sk.parent)
		if err != nil {
			return nil, calls, err
		}
		for _, n := range notes {
			if hasMarker(n.Body, mk) && !createdBefore(n.DateAdded, nb) {
				ids = append(ids, n.ID)
			}
		}
	case sk.typ == rollback.TypeTask:
		mk := marker(mid, sk.typ, sk.key)
		ts, err := c.Contacts.ListTasks(ctx, sk.parent)
		if err != nil {
			return nil, calls, err
		}
		for _, t := range ts {
			if hasMarker(t.Body, mk) {
				ids = append(ids, t.ID)
			}
		}
	default:
		return nil, 0, fmt.Errorf("%w: no identity search for %s", errNoLookup, sk.typ)
	}
	return ids, calls, nil
}
