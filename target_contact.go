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
	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/rollback"
)

// contactTarget writes contacts (patients) with their custom fields, tags,
// owner, external id and folded JSON fields (communication log, forms) in
// one create call; the business link follows in bulk (phase.linkBusinesses).
type contactTarget struct{ builtInWriter }

func (contactTarget) kind() mapping.TargetKind { return mapping.TargetContact }
func (contactTarget) group() loadGroup         { return loadContacts }

func (contactTarget) tally(p *mapping.Payload, t *callTally) {
	t.calls++
	if l, ok := p.Link(mapping.LinkBusiness); ok && l.Key != "" {
		perBusiness(t)[l.Key]++
	}
}

// perBusiness is the tally's count of contacts per business key.
func perBusiness(t *callTally) map[string]int64 {
	return tallyState(t, mapping.TargetContact, func() map[string]int64 { return map[string]int64{} })
}

// bulkCalls: one bulk link call per business and 100 contacts.
func (contactTarget) bulkCalls(t *callTally) int64 {
	var n int64
	for _, c := range perBusiness(t) {
		n += (c + 99) / 100
	}
	return n
}

// need counts contacts sharing an e-mail address or phone number with an
// earlier one (families): a location that refuses duplicate contacts
// would reject them.
func (contactTarget) need(n *locationNeeds, p *mapping.Payload) {
	if p.DuplicateOf != "" {
		return // merged into an earlier record: not created
	}
	shared := false
	for _, f := range []string{"email", "phone"} {
		v, ok := p.Field(f)
		text := strings.ToLower(strings.TrimSpace(v.Text))
		if !ok || text == "" {
			continue
		}
		k := n.hash(f, text)
		if n.seen[k] {
			shared = true
		}
		n.seen[k] = true
	}
	if shared {
		n.sharedContact++
		n.contactObjs = addName(n.contactObjs, p.Object)
	}
}

// externalField is the id of the contact custom field holding the source key.
func (contactTarget) externalField(in *mapping.Inputs, o *mapping.Object) (string, error) {
	return customFieldExternalID(in, o, "contact")
}

func (contactTarget) write(ctx context.Context, ph *phase, o *mapping.Object, tr *tracker, j *job) error {
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
	vals, err := ph.agg.TakeContact(p)
	if err != nil {
		return fmt.Errorf("pbnhl: fold contact fields: %w", err)
	}
	for _, v := range vals {
		// A cap that cut entries is said in the report, with where the
		// cut entries still are (mapping.Map.Elsewhere).
		if pr, cut := v.Problem(); cut {
			ph.report.Invalid.AddWarning(pr)
		}
		cf, err := ph.p.inputs.ContactField(v)
		if err != nil {
			return fmt.Errorf("pbnhl: %s: %w", v.Object, err)
		}
		in.CustomFields = append(in.CustomFields, cf)
	}
	body, err := in.Body() // the create's wire body, less the location
	if err != nil {
		return fmt.Errorf("pbnhl: %s: %w", o.Name, err)
	}
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
			// The update carries no tags (HighLevel's would replace those
			// staff gave the contact): the map's tags are added, and the
			// map's own tags the record lost (a cohort left) removed, each
			// call idempotent, so a retry after a lost answer is harmless.
			add, remove, err := ph.p.inputs.ContactTags(ph.m.opts.Map, p)
			if err != nil {
				return nil, nil, err
			}
			wire, err := u.Body()
			if err == nil && ph.dry {
				// A dry run (the delta's estimate) counts the tag calls the
				// update would make beside its own two (phase.update).
				tr.calls.Add(tagCalls(add, remove))
			}
			return wire, func(ctx context.Context, id string) error {
				// The tag calls first, each journaled with the tags of its
				// list the contact had (from the update's before-image), so
				// Undo puts back what each changed; then the update, whose
				// outcome, settled last, says whether the whole was made
				// (an update found not applied is made again, its tag
				// calls with it: idempotent). The journaled call counts
				// the update; each tag call is counted here, as it is made.
				var had struct {
					Tags []string `json:"tags"`
				}
				if b := beforeImage(ctx); b != nil {
					if err := json.Unmarshal(b, &had); err != nil {
						return fmt.Errorf("pbnhl: contact %s: before-image tags: %w", p.SourceKey, err)
					}
				}
				if len(add) > 0 {
					if err := ph.tagCall(ctx, o, tr, p.SourceKey, j.modified, id, rollback.TypeContactTagsAdded, add, had.Tags); err != nil {
						return err
					}
				}
				if len(remove) > 0 {
					if err := ph.tagCall(ctx, o, tr, p.SourceKey, j.modified, id, rollback.TypeContactTagsRemoved, remove, had.Tags); err != nil {
						return err
					}
				}
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

// tagCall adds (typ rollback.TypeContactTagsAdded) or removes
// (rollback.TypeContactTagsRemoved) tags of contactID in a journaled call:
// the body sent as payload, and as before-image {"had": [...]}, the tags
// of the list the contact had (before, its tags before the update). An
// unknown outcome is settled by reading the contact's tags
// (rollback.TagsApplied). A refusal is returned as HighLevel's error, so
// the update it belongs to is refused with it.
func (ph *phase) tagCall(ctx context.Context, o *mapping.Object, tr *tracker, key string, modified time.Time, contactID, typ string,
	tags, before []string) error {
	c := ph.m.opts.Client
	body, err := json.Marshal(struct {
		Tags []string `json:"tags"`
	}{tags})
	if err != nil {
		return fmt.Errorf("pbnhl: %s: tags: %w", o.Name, err)
	}
	had := []string{}
	for _, t := range tags {
		if slices.ContainsFunc(before, func(x string) bool { return strings.EqualFold(x, t) }) {
			had = append(had, t)
		}
	}
	img, err := json.Marshal(struct {
		Had []string `json:"had"`
	}{had})
	if err != nil {
		return fmt.Errorf("pbnhl: %s: tags: %w", o.Name, err)
	}
	var refused error
	res, err := ph.m.journaledCall(ctx, ph.run, write{op: rollback.OpLink, objType: typ, key: key, entity: o.Source, modified: modified,
		target: contactID, payload: body, before: img,
		call: func(ctx context.Context) (string, error) {
			var err error
			if typ == rollback.TypeContactTagsAdded {
				_, err = c.Contacts.AddTags(ctx, contactID, tags...)
			} else {
				_, err = c.Contacts.RemoveTags(ctx, contactID, tags...)
			}
			refused = err
			return contactID, err
		},
		find: func(ctx context.Context, _ time.Time) (string, bool, error) {
			return rollback.TagsApplied(ctx, c, typ, contactID, body)
		}})
	tr.calls.Add(int64(res.calls))
	if err != nil {
		return err
	}
	if res.rejected {
		if refused == nil {
			refused = errors.New(res.reason)
		}
		return refused
	}
	return nil
}

// tagsAddedLink and tagsRemovedLink are a contact's tag calls (tagCall),
// keyed by the contact's source key, their target the contact: an
// unknown outcome is settled by reading the contact's tags. Repair does
// not make them again — a contact it re-creates gets the tags of its
// journaled body — and reconcile reports no orphan of theirs.
var (
	tagsAddedLink = linkKind{typ: rollback.TypeContactTagsAdded, noun: "tag call", settle: settleTags, onRecord: noRecord,
		replay: replayTags(true), of: rollback.TypeContact}
	tagsRemovedLink = linkKind{typ: rollback.TypeContactTagsRemoved, noun: "tag call", settle: settleTags, onRecord: noRecord,
		replay: replayTags(false), of: rollback.TypeContact}
)

func settleTags(ctx context.Context, m *Migration, e rollback.Entry, payload []byte) (string, bool, error) {
	return rollback.TagsApplied(ctx, m.opts.Client, e.ObjectType, e.TargetID, payload)
}

func noRecord(string, rollback.Entry, string, string) bool { return false }

// tagCalls is the tag calls of a contact update: one to add the map's
// tags when there are any, one to remove the map's own tags the record
// no longer has when there are any.
func tagCalls(add, remove []string) int64 {
	var n int64
	if len(add) > 0 {
		n++
	}
	if len(remove) > 0 {
		n++
	}
	return n
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
		if targetOf(&x).role() == foldsRecords && !set[x.Key] {
			if id, ok := ids["contact."+x.Key]; ok {
				v := highlevel.TextValue("")
				if x.List { // a MULTIPLE_OPTIONS field is cleared by []
					v = highlevel.OptionsValue()
				}
				out = append(out, highlevel.CustomFieldInput{ID: id, Value: v})
			}
		}
	}
	return out
}

// adopt searches the contacts that hold any value in the external-id field.
func (contactTarget) adopt(ctx context.Context, sc *adoptScan, o *mapping.Object) error {
	if o.ExternalID == "" {
		return nil
	}
	field := sc.p.extField[rollback.TypeContact]
	q := highlevel.ContactSearch{Filters: []highlevel.SearchFilter{{Field: "customFields." + field, Operator: "exists"}}, PageLimit: 100}
	for ct, err := range sc.m.opts.Client.Contacts.Search(ctx, q) {
		if err != nil {
			return fmt.Errorf("pbnhl: search contacts: %w", err)
		}
		if v, ok := ct.CustomField(field); ok {
			key, _ := v.Text()
			sc.add(rollback.TypeContact, key, adopted{id: ct.ID, entity: o.Source, created: ct.DateAdded.Time})
		}
	}
	return nil
}

func (contactTarget) deletedWithSource() bool { return true }

func (contactTarget) owns(typ string) bool { return typ == rollback.TypeContact }

func (contactTarget) settle(ctx context.Context, s lookupScope, e rollback.Entry, _ []byte) (string, bool, error) {
	return s.m.findContact(ctx, s.p.extField[rollback.TypeContact], e.SourceKey, notBefore(e.IntentAt))
}

// matches searches the contacts holding sk's key in the external-id field.
func (contactTarget) matches(ctx context.Context, s lookupScope, sk sweepKey) ([]string, int, error) {
	f := s.p.extField[rollback.TypeContact]
	if f == "" {
		return nil, 0, errors.New("pbnhl: contacts have no external-id field")
	}
	nb := notBefore(sk.since)
	var ids []string
	q := highlevel.ContactSearch{Filters: []highlevel.SearchFilter{{Field: "customFields." + f, Operator: "eq", Value: sk.key}}, PageLimit: 100}
	for x, err := range s.m.opts.Client.Contacts.Search(ctx, q) {
		if err != nil {
			return nil, 1, err
		}
		if v, ok := x.CustomField(f); ok && !createdBefore(x.DateAdded, nb) {
			if t, _ := v.Text(); t == sk.key {
				ids = append(ids, x.ID)
			}
		}
	}
	return ids, 1, nil
}

// findContact searches contacts by the external-id custom field
// (rollback.FindContact, the lookup Undo's settle makes too).
func (m *Migration) findContact(ctx context.Context, fieldID, key string, notBefore time.Time) (string, bool, error) {
	if fieldID == "" {
		return "", false, errors.New("pbnhl: contacts have no external-id field")
	}
	return rollback.FindContact(ctx, m.opts.Client, fieldID, key, rollback.FindOptions{NotBefore: notBefore})
}

// resend: the journaled create body, with the custom field values as sent.
func (contactTarget) resend(rs resendScope, key string, body []byte) (resent, error) {
	in, err := contactInput(body)
	if err != nil {
		return resent{}, err
	}
	c := rs.m.opts.Client
	return resent{body: body,
		call: func(ctx context.Context) (string, error) {
			ct, err := c.Contacts.Create(ctx, in)
			if err != nil {
				return "", err
			}
			return ct.ID, nil
		},
		find: func(ctx context.Context, nb time.Time) (string, bool, error) {
			return rs.m.findContact(ctx, rs.ext, key, nb)
		}}, nil
}

func (t contactTarget) current(ctx context.Context, c *highlevel.Client, typ, id, parent string) ([]byte, time.Time, error) {
	return readUpdated(ctx, t, c, typ, id, parent, "dateUpdated")
}

// contactInput decodes a journaled contact create body (custom field
// values pass through as they were sent).
func contactInput(body []byte) (highlevel.ContactInput, error) {
	var x struct {
		highlevel.ContactInput
		CustomFields []struct {
			ID    string          `json:"id"`
			Key   string          `json:"key"`
			Value json.RawMessage `json:"field_value"`
		} `json:"customFields"`
	}
	if err := json.Unmarshal(body, &x); err != nil {
		return highlevel.ContactInput{}, fmt.Errorf("decode the journaled body: %w", err)
	}
	in := x.ContactInput
	in.CustomFields = nil
	for _, f := range x.CustomFields {
		in.CustomFields = append(in.CustomFields, highlevel.CustomFieldInput{ID: f.ID, Key: f.Key, Value: highlevel.RawValue(f.Value)})
	}
	return in, nil
}

// replayTags lays a journaled tag call over a contact's held body (its
// "tags"): the tags added (added) or removed, case aside, as HighLevel
// keeps them.
func replayTags(added bool) func(held map[string]json.RawMessage, payload []byte) error {
	return func(held map[string]json.RawMessage, payload []byte) error {
		var have []string
		if raw, ok := held["tags"]; ok {
			if err := json.Unmarshal(raw, &have); err != nil {
				return fmt.Errorf("decode the journaled tags: %w", err)
			}
		}
		var call struct {
			Tags []string `json:"tags"`
		}
		if err := json.Unmarshal(payload, &call); err != nil {
			return fmt.Errorf("decode a journaled tag call: %w", err)
		}
		for _, tag := range call.Tags {
			at := slices.IndexFunc(have, func(x string) bool { return strings.EqualFold(x, tag) })
			switch {
			case added && at < 0:
				have = append(have, tag)
			case !added && at >= 0:
				have = slices.Delete(have, at, at+1)
			}
		}
		raw, err := json.Marshal(have)
		if err != nil {
			return err
		}
		held["tags"] = raw
		return nil
	}
}
