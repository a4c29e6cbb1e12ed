package pbnhl

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/rollback"
)

// recordTarget writes custom object records (appointments, treatments…),
// then relates each to its parents through the map's associations. The
// ledger record type is the object's schema key.
type recordTarget struct{ builtInWriter }

func (recordTarget) kind() mapping.TargetKind { return mapping.TargetCustomObject }
func (recordTarget) group() loadGroup         { return loadRecords }

// tally: the record, and one relation per association it names.
func (recordTarget) tally(p *mapping.Payload, t *callTally) {
	t.calls++
	for _, l := range p.Links {
		if l.To == mapping.LinkAssociation && l.Key != "" {
			t.calls++
		}
	}
}

// externalField is the short key of the record property holding the
// source key.
func (recordTarget) externalField(_ *mapping.Inputs, o *mapping.Object) (string, error) {
	return o.ExternalID, nil
}

func (recordTarget) write(ctx context.Context, ph *phase, o *mapping.Object, tr *tracker, j *job) error {
	p := &j.p
	c := ph.m.opts.Client
	var rels []relation
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
		rels = append(rels, relation{assoc: l.Association, assocID: aid, parentID: pid})
	}
	in, err := ph.p.inputs.Record(p)
	if err != nil {
		tr.invalid.Add(1)
		return ph.invalidReason(ctx, o, p.SourceKey, j.modified, err.Error())
	}
	body, err := in.Body()
	if err != nil {
		return fmt.Errorf("pbnhl: %s: %w", o.Name, err)
	}
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
			wire, err := u.Body()
			return wire, func(ctx context.Context, id string) error {
				_, err := c.Objects.UpdateRecord(ctx, o.Key, id, u)
				return err
			}, err
		})
	if err != nil || !ok {
		return err
	}
	for _, r := range rels {
		if err := ph.relate(ctx, o, tr, j, p.SourceKey, id, r); err != nil {
			return err
		}
	}
	return nil
}

// adopt searches the object's records (one page per 100) for the
// external-id property.
func (recordTarget) adopt(ctx context.Context, sc *adoptScan, o *mapping.Object) error {
	if o.ExternalID == "" {
		return nil
	}
	prop := sc.p.extField[o.Key]
	for r, err := range sc.m.opts.Client.Objects.SearchRecords(ctx, o.Key, highlevel.RecordSearch{PageLimit: 100}) {
		if err != nil {
			return fmt.Errorf("pbnhl: search %s records: %w", o.Key, err)
		}
		var key string
		if raw, ok := r.Properties[prop]; ok && json.Unmarshal(raw, &key) == nil {
			sc.add(o.Key, key, adopted{id: r.ID, entity: o.Source, created: r.DateAdded.Time})
		}
	}
	return nil
}

// relation is one association of a record to a parent record.
type relation struct {
	assoc, assocID, parentID string
}

// relate makes the relation of record id (source key key) to its parent,
// unless the ledger knows it made it: journaled like a create, settled
// by the record's relations after an unknown outcome, and a refusal
// saying it exists is settled as adopted.
func (ph *phase) relate(ctx context.Context, o *mapping.Object, tr *tracker, j *job, key, id string, r relation) error {
	rkey := relationKey(o.Key, key, r.assoc)
	if done, err := ph.relDone.done(ctx, rkey, id, r.parentID); err != nil {
		return err
	} else if done {
		tr.existing.Add(0) // the record counted once; its relation exists
		return nil
	}
	if ph.dry {
		tr.calls.Add(1)
		return nil
	}
	w := ph.m.relationWrite(highlevel.RelationInput{AssociationID: r.assocID, FirstRecordID: id, SecondRecordID: r.parentID}, rkey, o.Source)
	w.modified = j.modified
	res, err := ph.m.journaledCall(ctx, ph.run, w)
	tr.calls.Add(int64(res.calls))
	if err != nil {
		return err
	}
	if res.rejected {
		tr.rejected.Add(1)
		return nil
	}
	ph.collect(o, rollback.TypeRelation, rkey, res.id, rollback.OpLink, w.payload)
	return nil
}

// relationKey is the id-map key of a record's relation through an
// association: one relation per record and association.
func relationKey(recordType, sourceKey, association string) string {
	return recordType + "/" + sourceKey + "/" + association
}

func (recordTarget) deletedWithSource() bool { return true }

func (recordTarget) owns(typ string) bool { return strings.HasPrefix(typ, rollback.RecordTypePrefix) }

func (recordTarget) settle(ctx context.Context, s lookupScope, e rollback.Entry, _ []byte) (string, bool, error) {
	return s.m.findRecord(ctx, e.ObjectType, s.p.extField[e.ObjectType], e.SourceKey, notBefore(e.IntentAt))
}

// matches searches the object's records holding sk's key in the
// external-id property.
func (recordTarget) matches(ctx context.Context, s lookupScope, sk sweepKey) ([]string, int, error) {
	prop := s.p.extField[sk.typ]
	if prop == "" {
		return nil, 0, fmt.Errorf("pbnhl: %s has no external-id property", sk.typ)
	}
	nb := notBefore(sk.since)
	var ids []string
	q := highlevel.RecordSearch{Filters: []highlevel.SearchFilter{{Field: "properties." + prop, Operator: "eq", Value: sk.key}}, PageLimit: 100}
	for r, err := range s.m.opts.Client.Objects.SearchRecords(ctx, sk.typ, q) {
		if err != nil {
			return nil, 1, err
		}
		var v string
		if raw, ok := r.Properties[prop]; ok && json.Unmarshal(raw, &v) == nil && v == sk.key && !createdBefore(r.DateAdded, nb) {
			ids = append(ids, r.ID)
		}
	}
	return ids, 1, nil
}

// findRecord searches a custom object's records by the external-id
// property (rollback.FindRecord, the lookup Undo's settle makes too).
func (m *Migration) findRecord(ctx context.Context, objectKey, prop, key string, notBefore time.Time) (string, bool, error) {
	if prop == "" {
		return "", false, fmt.Errorf("pbnhl: %s has no external-id property", objectKey)
	}
	return rollback.FindRecord(ctx, m.opts.Client, objectKey, prop, key, rollback.FindOptions{NotBefore: notBefore})
}

// resend: the journaled properties, owner and followers.
func (recordTarget) resend(rs resendScope, key string, body []byte) (resent, error) {
	in, err := recordInput(body)
	if err != nil {
		return resent{}, err
	}
	c, typ := rs.m.opts.Client, rs.typ
	return resent{body: body,
		call: func(ctx context.Context) (string, error) {
			x, err := c.Objects.CreateRecord(ctx, typ, in)
			if err != nil {
				return "", err
			}
			return x.ID, nil
		},
		find: func(ctx context.Context, nb time.Time) (string, bool, error) {
			return rs.m.findRecord(ctx, typ, rs.ext, key, nb)
		}}, nil
}

func (recordTarget) current(ctx context.Context, c *highlevel.Client, typ, id, _ string) ([]byte, time.Time, error) {
	x, err := c.Objects.GetRecord(ctx, typ, id)
	if err != nil {
		return nil, time.Time{}, err
	}
	b, err := json.Marshal(map[string]any{"id": x.ID, "properties": x.Properties, "owner": x.Owner, "followers": x.Followers})
	return b, x.DateUpdated.Time, err
}

// recordInput decodes a journaled custom object record body.
func recordInput(body []byte) (highlevel.RecordInput, error) {
	var x struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Owner      []string                   `json:"owner"`
		Followers  []string                   `json:"followers"`
	}
	if err := json.Unmarshal(body, &x); err != nil {
		return highlevel.RecordInput{}, fmt.Errorf("decode the journaled body: %w", err)
	}
	in := highlevel.RecordInput{Properties: map[string]highlevel.FieldValue{}, Owner: x.Owner, Followers: x.Followers}
	for k, v := range x.Properties {
		in.Properties[k] = highlevel.RawValue(v)
	}
	return in, nil
}
