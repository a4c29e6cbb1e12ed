package pbnhl

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/reconcile"
	"github.com/pbnhl/pbnhl/rollback"
)

// Links. A link joins two records the migration wrote and is journaled
// with op link, naming the records as target and related: an association
// relation between two records (rollback.TypeRelation, made by the custom
// record target, target_record.go) and a contact's business
// (rollback.TypeContactBusiness, made in bulk by the links phase,
// phase.go). A linkKind is what the lookups and repair need of one kind:
// how an intent whose outcome is unknown is settled, which records a link
// hangs on, and how repair makes a journaled link again. lookup.go and
// repair.go ask linkOf and name no link type; a new kind of link is one
// entry in linkKinds.
type linkKind struct {
	typ string
	// noun names the link in repair's reasons.
	noun string
	// orphan is reconcile's integrity reason (reconcile.Orphan.Reason)
	// for a link of this kind found missing: repair makes it again.
	orphan string
	// settle reports whether the link intent e (journaled payload) is in
	// HighLevel: the link's id and true.
	settle func(ctx context.Context, m *Migration, e rollback.Entry, payload []byte) (string, bool, error)
	// onRecord reports whether journaled link e, keyed key, hangs on the
	// record of the ledger's (key, HighLevel id) recordKey, recordID:
	// HighLevel removes a record's links with it, so repair makes them
	// again when it re-creates the record.
	onRecord func(key string, e rollback.Entry, recordKey, recordID string) bool
	// orphaned are the journaled links (by key) a reconcile orphan of
	// this kind names; moved maps ids a repair re-created to their new
	// ones. none is repair's reason when the journal holds none, and
	// noneKey the source key it is listed under.
	orphaned func(links map[string]rollback.Entry, o reconcile.Orphan, moved map[string]string) (found []keyedLink, noneKey, none string)
	// remake is the write making journaled link e again from its
	// journaled payload, the ids of records the repair re-created moved
	// to their new ones by move; ok false when the ledger holds no body it
	// needs (purged).
	remake func(m *Migration, e rollback.Entry, payload []byte, move func(id string) string) (w write, ok bool)
	// needsBody says remake reads the journaled payload.
	needsBody bool
	// replay, for a link that changes its own record's fields (a
	// contact's tag calls) rather than joining two records, lays a
	// journaled call's payload over the body of the record of type of
	// (keyed by the link's source key) that repair re-creates: the
	// record then holds what the calls left it with.
	replay func(held map[string]json.RawMessage, payload []byte) error
	of     string
}

// keyedLink is a journaled link and its source key.
type keyedLink struct {
	key string
	e   rollback.Entry
}

// linkKinds is the registry of links: one entry per kind.
var linkKinds = []*linkKind{&relationLink, &businessLink, &tagsAddedLink, &tagsRemovedLink}

// linkOf is the kind of link journaled as typ, or nil.
func linkOf(typ string) *linkKind {
	for _, k := range linkKinds {
		if k.typ == typ {
			return k
		}
	}
	return nil
}

// relationLink is an association relation: its key is the record's
// relation key (relationKey), its target the first record, its related
// the second; its body the RelationInput sent.
var relationLink = linkKind{typ: rollback.TypeRelation, noun: "relation", orphan: "relation to its contact missing", needsBody: true,
	settle: func(ctx context.Context, m *Migration, e rollback.Entry, payload []byte) (string, bool, error) {
		var in highlevel.RelationInput
		if err := json.Unmarshal(payload, &in); err != nil {
			return "", false, err
		}
		return m.findRelation(ctx, in, notBefore(e.IntentAt))
	},
	onRecord: func(_ string, e rollback.Entry, _, id string) bool { return e.TargetID == id || e.RelatedID == id },
	orphaned: func(links map[string]rollback.Entry, o reconcile.Orphan, moved map[string]string) ([]keyedLink, string, string) {
		var found []keyedLink
		id := o.HighLevelID
		for _, k := range slices.Sorted(maps.Keys(links)) {
			e := links[k]
			if e.TargetID == id || e.RelatedID == id || moved[e.TargetID] == id || moved[e.RelatedID] == id {
				found = append(found, keyedLink{k, e})
			}
		}
		return found, "", "the journal holds no relation made for this record"
	},
	remake: func(m *Migration, e rollback.Entry, payload []byte, move func(string) string) (write, bool) {
		var in highlevel.RelationInput
		if payload == nil || json.Unmarshal(payload, &in) != nil || in.AssociationID == "" {
			return write{}, false
		}
		in.FirstRecordID, in.SecondRecordID = move(in.FirstRecordID), move(in.SecondRecordID)
		return m.relationWrite(in, e.SourceKey, e.Entity), true
	}}

// relationWrite is the journaled creation of relation in, keyed key:
// settled by the first record's relations after an unknown outcome, and
// a refusal saying it exists is settled as adopted.
func (m *Migration) relationWrite(in highlevel.RelationInput, key, entity string) write {
	c := m.opts.Client
	body, _ := in.Body() // three strings: cannot fail
	return write{op: rollback.OpLink, objType: rollback.TypeRelation, key: key, entity: entity,
		target: in.FirstRecordID, related: in.SecondRecordID, payload: body,
		call: func(ctx context.Context) (string, error) {
			x, err := c.Associations.CreateRelation(ctx, in)
			if err != nil {
				return "", err
			}
			return x.ID, nil
		},
		find:   func(ctx context.Context, nb time.Time) (string, bool, error) { return m.findRelation(ctx, in, nb) },
		exists: alreadyExists}
}

// findRelation looks for the relation among the record's relations.
func (m *Migration) findRelation(ctx context.Context, in highlevel.RelationInput, notBefore time.Time) (string, bool, error) {
	for r, err := range m.opts.Client.Associations.Relations(ctx, in.FirstRecordID, highlevel.RelationListOptions{AssociationIDs: []string{in.AssociationID}}) {
		if err != nil {
			if errors.Is(err, highlevel.ErrNotFound) {
				return "", false, nil
			}
			return "", false, err
		}
		if createdBefore(r.CreatedAt, notBefore) {
			continue
		}
		if (r.FirstRecordID == in.FirstRecordID && r.SecondRecordID == in.SecondRecordID) ||
			(r.FirstRecordID == in.SecondRecordID && r.SecondRecordID == in.FirstRecordID) {
			return r.ID, true, nil
		}
	}
	return "", false, nil
}

// businessLink is a contact's business: keyed by the contact's source
// key, its target the contact, its related the business.
var businessLink = linkKind{typ: rollback.TypeContactBusiness, noun: "link", orphan: "not linked to its office's business",
	settle: func(ctx context.Context, m *Migration, e rollback.Entry, _ []byte) (string, bool, error) {
		c, err := m.opts.Client.Contacts.Get(ctx, e.TargetID)
		if errors.Is(err, highlevel.ErrNotFound) {
			return "", false, nil
		}
		if err != nil {
			return "", false, err
		}
		return e.TargetID, c.BusinessID == e.RelatedID, nil
	},
	// A business made again gets back the contacts HighLevel unlinked
	// when it was deleted, a contact made again its business.
	onRecord: func(key string, e rollback.Entry, recordKey, id string) bool {
		return e.RelatedID == id || key == recordKey && e.TargetID == id
	},
	orphaned: func(links map[string]rollback.Entry, o reconcile.Orphan, _ map[string]string) ([]keyedLink, string, string) {
		none := "the journal holds no business link for this contact"
		e, ok := links[o.SourceKey]
		if !ok {
			return nil, o.SourceKey, none
		}
		e.TargetID = o.HighLevelID // the contact reconcile found unlinked
		return []keyedLink{{o.SourceKey, e}}, o.SourceKey, none
	},
	// Linking is idempotent: an unknown outcome is simply repeated (nil
	// find), as the load's bulk links are.
	remake: func(m *Migration, e rollback.Entry, _ []byte, move func(string) string) (write, bool) {
		contactID, businessID := move(e.TargetID), move(e.RelatedID)
		body, _ := json.Marshal(map[string]string{"businessId": businessID})
		c := m.opts.Client
		return write{op: rollback.OpLink, objType: rollback.TypeContactBusiness, key: e.SourceKey, entity: e.Entity,
			target: contactID, related: businessID, payload: body,
			call: func(ctx context.Context) (string, error) {
				_, err := c.Businesses.LinkContacts(ctx, businessID, []string{contactID})
				return contactID, err
			}}, true
	}}
