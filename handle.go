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
			func(ctx context.Context, nb time.Time) (string, bool, error) {
				return ph.m.findOpportunity(ctx, contactID, in.PipelineID, ext, p.SourceKey, nb)
			},
			func() ([]byte, func(context.Context, string) error, error) {
				u, err := ph.p.inputs.OpportunityUpdate(p)
				if err != nil {
					return nil, nil, err
				}
				return opportunityUpdateJSON(u), func(ctx context.Context, id string) error {
					_, err := c.Opportunities.Update(ctx, id, u)
					return err
				}, nil
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
		mk := marker(ph.mid, rollback.TypeNote, p.SourceKey)
		in.Body = withMarker(in.Body, mk)
		body, _ := json.Marshal(in)
		_, _, err = ph.put(ctx, o, tr, rollback.TypeNote, p.SourceKey, j.modified, contactID, body,
			func(ctx context.Context) (string, error) {
				n, err := c.Contacts.CreateNote(ctx, contactID, in)
				if err != nil {
					return "", err
				}
				return n.ID, nil
			},
			func(ctx context.Context, nb time.Time) (string, bool, error) {
				return ph.m.findNote(ctx, ph.idx, contactID, mk, nb, "")
			},
			// A changed message: the note is updated in place (same id and
			// date), its before-image journaled so Undo restores it.
			func() ([]byte, func(context.Context, string) error, error) {
				return body, func(ctx context.Context, id string) error {
					_, err := c.Contacts.UpdateNote(ctx, contactID, id, in)
					return err
				}, nil
			})
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
	mk := marker(ph.mid, rollback.TypeTask, p.SourceKey)
	in.Body = withMarker(in.Body, mk)
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
		func(ctx context.Context, _ time.Time) (string, bool, error) {
			return ph.m.findTask(ctx, ph.idx, contactID, mk)
		},
		func() ([]byte, func(context.Context, string) error, error) {
			return body, func(ctx context.Context, id string) error {
				_, err := c.Contacts.UpdateTask(ctx, contactID, id, in)
				return err
			}, nil
		})
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
		func(ctx context.Context, nb time.Time) (string, bool, error) {
			return ph.m.findContact(ctx, ext, p.SourceKey, nb)
		},
		func() ([]byte, func(context.Context, string) error, error) {
			u, err := ph.p.inputs.ContactUpdate(p)
			if err != nil {
				return nil, nil, err
			}
			u.CustomFields = append(u.CustomFields, in.CustomFields[len(in.CustomFields)-len(vals):]...)
			u.CustomFields = append(u.CustomFields, clearedFolds(ph.m.opts.Map, vals, ph.p.inputs.FieldIDs)...)
			wire, err := json.Marshal(u)
			return wire, func(ctx context.Context, id string) error {
				_, err := c.Contacts.Update(ctx, id, u)
				return err
			}, err
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
		func(ctx context.Context, nb time.Time) (string, bool, error) {
			return ph.m.findRecord(ctx, o.Key, ext, p.SourceKey, nb)
		},
		func() ([]byte, func(context.Context, string) error, error) {
			u, err := ph.p.inputs.RecordUpdate(p)
			if err != nil {
				return nil, nil, err
			}
			return recordUpdateJSON(u), func(ctx context.Context, id string) error {
				_, err := c.Objects.UpdateRecord(ctx, o.Key, id, u)
				return err
			}, nil
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
			find:   func(ctx context.Context, nb time.Time) (string, bool, error) { return ph.m.findRelation(ctx, in, nb) },
			exists: alreadyExists})
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

// recordUpdateJSON is a record update body in HighLevel's wire form; an
// emptied property is null.
func recordUpdateJSON(u highlevel.RecordUpdate) []byte {
	m := map[string]any{}
	if u.Properties != nil {
		m["properties"] = u.Properties
	}
	if u.Owner != nil {
		m["owner"] = u.Owner
	}
	if u.Followers != nil {
		m["followers"] = u.Followers
	}
	b, _ := json.Marshal(m)
	return b
}

// opportunityUpdateJSON is an opportunity update body in HighLevel's wire
// form (only the fields the update sets).
func opportunityUpdateJSON(u highlevel.OpportunityUpdate) []byte {
	m := map[string]any{}
	set := func(k string, v *string) {
		if v != nil {
			m[k] = *v
		}
	}
	set("pipelineId", u.PipelineID)
	set("pipelineStageId", u.PipelineStageID)
	set("name", u.Name)
	set("assignedTo", u.AssignedTo)
	if u.Status != nil {
		m["status"] = *u.Status
	}
	if u.MonetaryValue != nil {
		m["monetaryValue"] = float64(*u.MonetaryValue) / 100
	}
	if len(u.CustomFields) > 0 {
		m["customFields"] = u.CustomFields
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
