package pbnhl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/rollback"
)

// handle writes one valid payload.
func (ph *phase) handle(ctx context.Context, o *mapping.Object, tr *tracker, j *job) error {
	p := &j.p
	c := ph.m.opts.Client
	switch o.Target {
	case mapping.TargetBusiness:
		in, err := ph.p.inputs.Business(p)
		if err != nil {
			tr.invalid.Add(1)
			return ph.invalidReason(ctx, o, p.SourceKey, j.modified, err.Error())
		}
		body, _ := json.Marshal(in)
		_, _, err = ph.put(ctx, o, tr, rollback.TypeBusiness, p.SourceKey, j.modified, "", body,
			func(ctx context.Context) (string, error) {
				b, err := c.Businesses.Create(ctx, in)
				if err != nil {
					return "", err
				}
				return b.ID, nil
			},
			func(ctx context.Context) (string, bool, error) { return ph.m.findBusiness(ctx, ph.idx, body) },
			func(ctx context.Context, id string) error {
				u, err := ph.p.inputs.BusinessUpdate(p)
				if err != nil {
					return err
				}
				_, err = c.Businesses.Update(ctx, id, u)
				return err
			})
		return err

	case mapping.TargetContact:
		return ph.handleContact(ctx, o, tr, j)

	case mapping.TargetCustomObject:
		return ph.handleRecord(ctx, o, tr, j)

	case mapping.TargetOpportunity:
		l, _ := p.Link(mapping.LinkContact)
		contactID, ok := ph.parentID(l)
		if !ok {
			tr.invalid.Add(1)
			return ph.invalidReason(ctx, o, p.SourceKey, j.modified, "its contact is not in HighLevel (invalid or rejected)")
		}
		in, err := ph.p.inputs.Opportunity(p, contactID)
		if err != nil {
			tr.invalid.Add(1)
			return ph.invalidReason(ctx, o, p.SourceKey, j.modified, err.Error())
		}
		body := opportunityJSON(in)
		ext := ph.p.extField[rollback.TypeOpportunity]
		_, _, err = ph.put(ctx, o, tr, rollback.TypeOpportunity, p.SourceKey, j.modified, "", body,
			func(ctx context.Context) (string, error) {
				op, err := c.Opportunities.Create(ctx, in)
				if err != nil {
					return "", err
				}
				return op.ID, nil
			},
			func(ctx context.Context) (string, bool, error) {
				return ph.m.findOpportunity(ctx, contactID, in.PipelineID, ext, p.SourceKey)
			},
			func(ctx context.Context, id string) error {
				u, err := ph.p.inputs.OpportunityUpdate(p)
				if err != nil {
					return err
				}
				_, err = c.Opportunities.Update(ctx, id, u)
				return err
			})
		return err

	case mapping.TargetNote, mapping.TargetTask:
		l, _ := p.Link(mapping.LinkContact)
		contactID, ok := ph.parentID(l)
		if !ok {
			tr.invalid.Add(1)
			return ph.invalidReason(ctx, o, p.SourceKey, j.modified, "its contact is not in HighLevel (invalid or rejected)")
		}
		if o.Target == mapping.TargetTask {
			return ph.handleTask(ctx, o, tr, j, contactID)
		}
		in, err := ph.p.inputs.Note(p)
		if err != nil {
			tr.invalid.Add(1)
			return ph.invalidReason(ctx, o, p.SourceKey, j.modified, err.Error())
		}
		body, _ := json.Marshal(in)
		if err := ph.replaceNote(ctx, o, tr, p.SourceKey, j.modified, contactID, body); err != nil {
			return err
		}
		_, _, err = ph.put(ctx, o, tr, rollback.TypeNote, p.SourceKey, j.modified, contactID, body,
			func(ctx context.Context) (string, error) {
				n, err := c.Contacts.CreateNote(ctx, contactID, in)
				if err != nil {
					return "", err
				}
				return n.ID, nil
			},
			func(ctx context.Context) (string, bool, error) {
				return ph.m.findNote(ctx, ph.idx, contactID, in.Body)
			}, nil)
		return err
	}
	return fmt.Errorf("pbnhl: %s: target %q is not loadable", o.Name, o.Target)
}

func (ph *phase) handleTask(ctx context.Context, o *mapping.Object, tr *tracker, j *job, contactID string) error {
	p := &j.p
	in := highlevel.TaskInput{AssignedTo: p.AssignedTo}
	for _, v := range p.Fields {
		switch v.Key {
		case "title":
			in.Title = v.Text
		case "body":
			in.Body = v.Text
		case "completed":
			in.Completed = v.Text == "true" || v.Text == "Yes"
		case "dueDate":
			t, err := time.Parse(time.RFC3339, v.Text)
			if err != nil {
				if t, err = time.Parse(time.DateOnly, v.Text); err != nil {
					tr.invalid.Add(1)
					return ph.invalidReason(ctx, o, p.SourceKey, j.modified, "dueDate is not a date")
				}
			}
			in.DueDate = t
		}
	}
	body, _ := json.Marshal(map[string]any{"title": in.Title, "body": in.Body, "dueDate": in.DueDate, "completed": in.Completed, "assignedTo": in.AssignedTo})
	c := ph.m.opts.Client
	_, _, err := ph.put(ctx, o, tr, rollback.TypeTask, p.SourceKey, j.modified, contactID, body,
		func(ctx context.Context) (string, error) {
			t, err := c.Contacts.CreateTask(ctx, contactID, in)
			if err != nil {
				return "", err
			}
			return t.ID, nil
		},
		func(ctx context.Context) (string, bool, error) {
			ts, err := c.Contacts.ListTasks(ctx, contactID)
			if err != nil {
				return "", false, err
			}
			for _, t := range ts {
				if t.Title == in.Title && t.Body == in.Body && !ph.idx.has(rollback.TypeTask, t.ID) {
					return t.ID, true, nil
				}
			}
			return "", false, nil
		}, nil)
	return err
}

func (ph *phase) handleContact(ctx context.Context, o *mapping.Object, tr *tracker, j *job) error {
	p := &j.p
	c := ph.m.opts.Client
	in, err := ph.p.inputs.Contact(p)
	if err != nil {
		tr.invalid.Add(1)
		return ph.invalidReason(ctx, o, p.SourceKey, j.modified, err.Error())
	}
	folded, err := ph.spool.take(ctx, p.SourceKey)
	if err != nil {
		return err
	}
	for i := range folded {
		ph.agg.Add(&folded[i])
	}
	vals, err := ph.agg.Take(p.SourceKey)
	if err != nil {
		return fmt.Errorf("pbnhl: fold contact fields: %w", err)
	}
	for _, v := range vals {
		cf, err := ph.p.inputs.ContactField(v)
		if err != nil {
			return fmt.Errorf("pbnhl: %s: %w", v.Object, err)
		}
		in.CustomFields = append(in.CustomFields, cf)
	}
	body, _ := json.Marshal(in)
	ext := ph.p.extField[rollback.TypeContact]
	id, ok, err := ph.put(ctx, o, tr, rollback.TypeContact, p.SourceKey, j.modified, "", body,
		func(ctx context.Context) (string, error) {
			ct, err := c.Contacts.Create(ctx, in)
			if err != nil {
				return "", err
			}
			return ct.ID, nil
		},
		func(ctx context.Context) (string, bool, error) { return ph.m.findContact(ctx, ext, p.SourceKey) },
		func(ctx context.Context, id string) error {
			u, err := ph.p.inputs.ContactUpdate(p)
			if err != nil {
				return err
			}
			u.CustomFields = append(u.CustomFields, in.CustomFields[len(in.CustomFields)-len(vals):]...)
			u.CustomFields = append(u.CustomFields, clearedFolds(ph.m.opts.Map, vals, ph.p.inputs.FieldIDs)...)
			_, err = c.Contacts.Update(ctx, id, u)
			return err
		})
	if err != nil || !ok {
		return err
	}
	if l, has := p.Link(mapping.LinkBusiness); has && l.Key != "" {
		if bid, found := ph.parentID(l); found {
			ph.addLink(pendingLink{contactKey: p.SourceKey, contactID: id, businessID: bid})
		}
	}
	return nil
}

func (ph *phase) handleRecord(ctx context.Context, o *mapping.Object, tr *tracker, j *job) error {
	p := &j.p
	c := ph.m.opts.Client
	type rel struct {
		assoc, assocID, parentID string
	}
	var rels []rel
	for _, l := range p.Links {
		if l.To != mapping.LinkAssociation {
			continue
		}
		pid, ok := ph.parentID(l)
		if !ok {
			if l.Required {
				tr.invalid.Add(1)
				return ph.invalidReason(ctx, o, p.SourceKey, j.modified, fmt.Sprintf("its %s record is not in HighLevel (invalid or rejected)", l.Object))
			}
			continue
		}
		aid, ok := ph.p.assoc[l.Association]
		if !ok {
			return fmt.Errorf("pbnhl: %s: association %s does not exist (apply the schema plan)", o.Name, l.Association)
		}
		rels = append(rels, rel{assoc: l.Association, assocID: aid, parentID: pid})
	}
	in, err := ph.p.inputs.Record(p)
	if err != nil {
		tr.invalid.Add(1)
		return ph.invalidReason(ctx, o, p.SourceKey, j.modified, err.Error())
	}
	body := recordJSON(in)
	ext := ph.p.extField[o.Key]
	id, ok, err := ph.put(ctx, o, tr, o.Key, p.SourceKey, j.modified, "", body,
		func(ctx context.Context) (string, error) {
			r, err := c.Objects.CreateRecord(ctx, o.Key, in)
			if err != nil {
				return "", err
			}
			return r.ID, nil
		},
		func(ctx context.Context) (string, bool, error) { return ph.m.findRecord(ctx, o.Key, ext, p.SourceKey) },
		func(ctx context.Context, id string) error {
			u, err := ph.p.inputs.RecordUpdate(p)
			if err != nil {
				return err
			}
			_, err = c.Objects.UpdateRecord(ctx, o.Key, id, u)
			return err
		})
	if err != nil || !ok {
		return err
	}
	for _, r := range rels {
		key := relationKey(o.Key, p.SourceKey, r.assoc)
		ph.mu.Lock()
		done := ph.relDone[key] == linkPair(id, r.parentID)
		ph.mu.Unlock()
		if done {
			tr.existing.Add(0) // the record counted once; its relation exists
			continue
		}
		if ph.dry {
			tr.calls.Add(1)
			continue
		}
		in := highlevel.RelationInput{AssociationID: r.assocID, FirstRecordID: id, SecondRecordID: r.parentID}
		rb, _ := json.Marshal(in)
		res, err := ph.m.exec(ctx, ph.run, write{op: rollback.OpLink, objType: rollback.TypeRelation, key: key, entity: o.Source,
			modified: j.modified, target: id, related: r.parentID, payload: rb,
			call: func(ctx context.Context) (string, error) {
				x, err := c.Associations.CreateRelation(ctx, in)
				if err != nil {
					return "", err
				}
				return x.ID, nil
			},
			find: func(ctx context.Context) (string, bool, error) { return ph.m.findRelation(ctx, in) }})
		tr.calls.Add(int64(res.calls))
		if err != nil {
			return err
		}
		if res.rejected {
			tr.rejected.Add(1)
			continue
		}
		ph.mu.Lock()
		ph.relDone[key] = linkPair(id, r.parentID)
		ph.mu.Unlock()
		ph.collect(o, rollback.TypeRelation, key, res.id, rollback.OpLink, rb)
	}
	return nil
}

// recordJSON is a record create body in HighLevel's wire form.
func recordJSON(in highlevel.RecordInput) []byte {
	m := map[string]any{"properties": in.Properties}
	if len(in.Owner) > 0 {
		m["owner"] = in.Owner
	}
	b, _ := json.Marshal(m)
	return b
}

// opportunityJSON is an opportunity create body in HighLevel's wire form.
func opportunityJSON(in highlevel.OpportunityInput) []byte {
	m := map[string]any{"pipelineId": in.PipelineID, "pipelineStageId": in.PipelineStageID, "name": in.Name,
		"status": in.Status, "contactId": in.ContactID}
	if in.MonetaryValue != nil {
		m["monetaryValue"] = float64(*in.MonetaryValue) / 100
	}
	if in.AssignedTo != "" {
		m["assignedTo"] = in.AssignedTo
	}
	if len(in.CustomFields) > 0 {
		m["customFields"] = in.CustomFields
	}
	b, _ := json.Marshal(m)
	return b
}

// clearedFolds empties the contact_field fields (communication log,
// forms) that have no entry any more, on a contact update.
func clearedFolds(m *mapping.Map, vals []mapping.ContactFieldValue, ids map[string]string) []highlevel.CustomFieldInput {
	set := map[string]bool{}
	for _, v := range vals {
		set[v.FieldKey] = true
	}
	var out []highlevel.CustomFieldInput
	for _, x := range m.Objects {
		if x.Target == mapping.TargetContactField && !set[x.Key] {
			if id, ok := ids["contact."+x.Key]; ok {
				out = append(out, highlevel.CustomFieldInput{ID: id, Value: highlevel.TextValue("")})
			}
		}
	}
	return out
}

// replaceNote deletes a migrated note whose source message changed, so the
// put that follows creates it anew: the client has no note update. The
// delete is journaled with the note as before-image; HighLevel deletes are
// final, so Undo reports it as irreversible (the re-created note is undone).
func (ph *phase) replaceNote(ctx context.Context, o *mapping.Object, tr *tracker, key string, modified time.Time, contactID string, body []byte) error {
	if ph.since == nil {
		return nil
	}
	r, ok := ph.idx.get(rollback.TypeNote, key)
	if !ok || r.digest == rollback.Digest(body) {
		return nil
	}
	if ph.dry {
		tr.calls.Add(2)
		ph.idx.forget(rollback.TypeNote, key)
		return nil
	}
	c := ph.m.opts.Client
	notes, err := c.Contacts.ListNotes(ctx, contactID)
	tr.calls.Add(1)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return nil // left as it was; counted unchanged by the put
	}
	var before []byte
	for _, n := range notes {
		if n.ID == r.id {
			before, _ = json.Marshal(n)
		}
	}
	if before == nil { // gone already
		ph.idx.forget(rollback.TypeNote, key)
		return nil
	}
	res, err := ph.m.exec(ctx, ph.run, write{op: rollback.OpDelete, objType: rollback.TypeNote, key: key, entity: o.Source, modified: modified,
		target: contactID, before: before,
		call: func(ctx context.Context) (string, error) {
			err := c.Contacts.DeleteNote(ctx, contactID, r.id)
			if errors.Is(err, highlevel.ErrNotFound) {
				err = nil
			}
			return r.id, err
		},
		find: func(ctx context.Context) (string, bool, error) {
			ns, err := c.Contacts.ListNotes(ctx, contactID)
			if err != nil {
				return "", false, err
			}
			for _, n := range ns {
				if n.ID == r.id {
					return "", false, nil
				}
			}
			return r.id, true, nil
		}})
	tr.calls.Add(int64(res.calls))
	if err != nil || res.rejected {
		return err
	}
	ph.idx.forget(rollback.TypeNote, key)
	return nil
}
