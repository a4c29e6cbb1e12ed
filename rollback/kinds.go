package rollback

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pbnhl/pbnhl/highlevel"
)

// recordKind is how HighLevelTarget undoes the records of one object
// type: delete one, read one as the change check compares it, put an
// updated one back. Each kind is written beside what it needs (contact,
// business, opportunity, note, task and custom object records, here and
// in highlevel.go) and joins recordKinds with one line; HighLevelTarget's
// methods only look the kind up, so the generic machinery never names a
// record type. The kinds written since (events, conversations and
// messages, media) are supplied by the package that writes them (see
// RecordKind): rollback holds only their ledger type names.
type recordKind struct {
	// types are the object types the kind serves; prefix, when set, the
	// start of every type it serves (custom object records).
	types  []string
	prefix string
	// remove deletes one record.
	remove func(h *HighLevelTarget, ctx context.Context, ref Ref) error
	// read returns the record as JSON-marshalable in HighLevel's field
	// names (nil, nil: not found); nil when the kind cannot be read by id.
	read func(h *HighLevelTarget, ctx context.Context, ref Ref) (any, error)
	// restore puts an updated record back to its before-image; nil when
	// the kind is never updated.
	restore func(h *HighLevelTarget, ctx context.Context, ref Ref, im images) error
	// exists checks the record is there (a not-found error when gone),
	// for kinds without a read: their records cannot change, so one that
	// exists is as written.
	exists func(h *HighLevelTarget, ctx context.Context, ref Ref) error
	// digest replaces the change check of a kind that is neither read
	// nor checked by id (media).
	digest func(h *HighLevelTarget, ctx context.Context, ref Ref, written []byte) (string, error)
}

// images are a restore's inputs: the before-image and the written
// payload, raw and by field (the before-image's keys folded to
// HighLevel's spelling).
type images struct {
	before, written []byte
	b, w            map[string]json.RawMessage
}

// recordKinds is the registry: one line per record kind.
var recordKinds = []*recordKind{
	&contactKind,
	&businessKind,
	&opportunityKind,
	&noteKind,
	&taskKind,
	&customRecordKind,
}

var kindByType = func() map[string]*recordKind {
	m := map[string]*recordKind{}
	for _, k := range recordKinds {
		for _, t := range k.types {
			m[t] = k
		}
	}
	return m
}()

// kindOf is the kind serving objectType, or nil: one the caller supplied
// (WithKinds) first, then the built-in ones.
func (h *HighLevelTarget) kindOf(objectType string) *recordKind {
	if k, ok := h.kinds[objectType]; ok {
		return k
	}
	return kindOf(objectType)
}

// kindOf is the built-in kind serving objectType, or nil.
func kindOf(objectType string) *recordKind {
	if k, ok := kindByType[objectType]; ok {
		return k
	}
	for _, k := range recordKinds {
		if k.prefix != "" && strings.HasPrefix(objectType, k.prefix) {
			return k
		}
	}
	return nil
}

// The kinds whose records the migration has written since the first
// version: their restores (highlevel.go) each send one update.
var (
	contactKind = recordKind{types: []string{TypeContact},
		remove: func(h *HighLevelTarget, ctx context.Context, ref Ref) error {
			return h.c.Contacts.Delete(ctx, ref.ID)
		},
		read: func(h *HighLevelTarget, ctx context.Context, ref Ref) (any, error) {
			return h.c.Contacts.Get(ctx, ref.ID)
		},
		restore: func(h *HighLevelTarget, ctx context.Context, ref Ref, im images) error {
			return h.restoreContact(ctx, ref, im.b, im.w)
		}}
	businessKind = recordKind{types: []string{TypeBusiness},
		remove: func(h *HighLevelTarget, ctx context.Context, ref Ref) error {
			return h.c.Businesses.Delete(ctx, ref.ID)
		},
		read: func(h *HighLevelTarget, ctx context.Context, ref Ref) (any, error) {
			return h.c.Businesses.Get(ctx, ref.ID)
		},
		restore: (*HighLevelTarget).restoreBusiness}
	opportunityKind = recordKind{types: []string{TypeOpportunity},
		remove: func(h *HighLevelTarget, ctx context.Context, ref Ref) error {
			return h.c.Opportunities.Delete(ctx, ref.ID)
		},
		read: (*HighLevelTarget).currentOpportunity,
		restore: func(h *HighLevelTarget, ctx context.Context, ref Ref, im images) error {
			return h.restoreOpportunity(ctx, ref, im.b, im.w)
		}}
	noteKind = recordKind{types: []string{TypeNote},
		remove: func(h *HighLevelTarget, ctx context.Context, ref Ref) error {
			return h.c.Contacts.DeleteNote(ctx, activityContact(ref), ref.ID)
		},
		read: func(h *HighLevelTarget, ctx context.Context, ref Ref) (any, error) {
			return h.c.Contacts.GetNote(ctx, activityContact(ref), ref.ID)
		},
		restore: func(h *HighLevelTarget, ctx context.Context, ref Ref, im images) error {
			return h.restoreNote(ctx, ref, im.b, im.w)
		}}
	taskKind = recordKind{types: []string{TypeTask},
		remove: func(h *HighLevelTarget, ctx context.Context, ref Ref) error {
			return h.c.Contacts.DeleteTask(ctx, activityContact(ref), ref.ID)
		},
		read: func(h *HighLevelTarget, ctx context.Context, ref Ref) (any, error) {
			return h.c.Contacts.GetTask(ctx, activityContact(ref), ref.ID)
		},
		restore: func(h *HighLevelTarget, ctx context.Context, ref Ref, im images) error {
			return h.restoreTask(ctx, ref, im.b, im.w)
		}}
	customRecordKind = recordKind{prefix: RecordTypePrefix,
		remove: func(h *HighLevelTarget, ctx context.Context, ref Ref) error {
			return h.c.Objects.DeleteRecord(ctx, ref.ObjectType, ref.ID)
		},
		read: func(h *HighLevelTarget, ctx context.Context, ref Ref) (any, error) {
			r, err := h.c.Objects.GetRecord(ctx, ref.ObjectType, ref.ID)
			if err != nil || r == nil {
				return nil, err
			}
			return recordJSON(r), nil
		},
		restore: func(h *HighLevelTarget, ctx context.Context, ref Ref, im images) error {
			return h.restoreRecord(ctx, ref, im.b, im.w)
		}}
)

// currentOpportunity reads an opportunity with its custom fields, which
// the highlevel type hides from its JSON.
func (h *HighLevelTarget) currentOpportunity(ctx context.Context, ref Ref) (any, error) {
	o, err := h.c.Opportunities.Get(ctx, ref.ID)
	if err != nil || o == nil {
		return nil, err
	}
	b, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	m["customFields"] = o.CustomFields
	return m, nil
}

// RecordKind is a record kind's undo supplied by the caller rather than
// built into rollback: a package that writes a record type (the root
// package's target files) keeps its delete and read in one place and
// hands them to Undo through HighLevelTarget.WithKinds, so rollback need
// not repeat them. Delete deletes one record (a not-found error when it
// is gone). A RecordKind implements what its records allow of
// RecordReader, RecordRestorer, RecordExister and RecordDigester; the
// change check uses, in this order, Digest, Exists (a record that cannot
// change is as written when it exists) or Read projected onto the
// written fields.
type RecordKind interface {
	// Types are the object types the kind serves.
	Types() []string
	Delete(ctx context.Context, ref Ref) error
}

// RecordReader reads one record as JSON-marshalable in HighLevel's field
// names, as the change check compares it to what was written (nil, nil:
// not found).
type RecordReader interface {
	Read(ctx context.Context, ref Ref) (any, error)
}

// RecordRestorer puts an updated record back to its before-image; written
// is the payload the update sent.
type RecordRestorer interface {
	Restore(ctx context.Context, ref Ref, before, written []byte) error
}

// RecordExister checks a record that cannot change is still there (a
// not-found error when gone).
type RecordExister interface {
	Exists(ctx context.Context, ref Ref) error
}

// RecordDigester replaces the change check of a kind that is neither read
// nor checked by id: the digest of the record as it now is, comparable
// to Digest(written).
type RecordDigester interface {
	Digest(ctx context.Context, ref Ref, written []byte) (string, error)
}

// WithKinds makes h undo the object types of kinds with them, ahead of
// the built-in kinds serving the same types, and returns h. Call it
// before h is used; it is not safe to call while an Undo runs.
func (h *HighLevelTarget) WithKinds(kinds ...RecordKind) *HighLevelTarget {
	if h.kinds == nil {
		h.kinds = map[string]*recordKind{}
	}
	for _, k := range kinds {
		rk := suppliedKind(k)
		for _, t := range rk.types {
			h.kinds[t] = rk
		}
	}
	return h
}

// suppliedKind adapts a caller's Kind to the registry's shape.
func suppliedKind(k RecordKind) *recordKind {
	rk := &recordKind{types: k.Types(),
		remove: func(_ *HighLevelTarget, ctx context.Context, ref Ref) error { return k.Delete(ctx, ref) }}
	if r, ok := k.(RecordReader); ok {
		rk.read = func(_ *HighLevelTarget, ctx context.Context, ref Ref) (any, error) { return r.Read(ctx, ref) }
	}
	if r, ok := k.(RecordRestorer); ok {
		rk.restore = func(_ *HighLevelTarget, ctx context.Context, ref Ref, im images) error {
			return hlErr(r.Restore(ctx, ref, im.before, im.written))
		}
	}
	if e, ok := k.(RecordExister); ok {
		rk.exists = func(_ *HighLevelTarget, ctx context.Context, ref Ref) error { return e.Exists(ctx, ref) }
	}
	if d, ok := k.(RecordDigester); ok {
		rk.digest = func(_ *HighLevelTarget, ctx context.Context, ref Ref, written []byte) (string, error) {
			s, err := d.Digest(ctx, ref, written)
			return s, hlErr(err)
		}
	}
	return rk
}

// BuiltIn is the undo rollback holds for objectType's records (contacts,
// businesses, opportunities, notes, tasks, custom object records: the
// kinds in recordKinds) on c's location, as a RecordKind that is also a
// RecordReader; nil when rollback holds none for the type. The package
// that writes those records reads and deletes them through it, so each
// kind's read and delete are written once, here. A note's or task's Ref
// names its contact as RelatedID (or TargetID). Its errors are the
// client's, as they come (Undo classifies them); Read returns nil, nil for
// a record the client answered without.
func BuiltIn(c *highlevel.Client, objectType string) RecordKind {
	k := kindOf(objectType)
	if k == nil {
		return nil
	}
	return builtIn{h: NewHighLevelTarget(c), k: k, typ: objectType}
}

type builtIn struct {
	h   *HighLevelTarget
	k   *recordKind
	typ string
}

func (b builtIn) Types() []string {
	if len(b.k.types) > 0 {
		return b.k.types
	}
	return []string{b.typ} // a prefix kind: the type asked for
}

func (b builtIn) Delete(ctx context.Context, ref Ref) error { return b.k.remove(b.h, ctx, ref) }

func (b builtIn) Read(ctx context.Context, ref Ref) (any, error) { return b.k.read(b.h, ctx, ref) }

// linkKind is how HighLevelTarget undoes one kind of link (Op link):
// remove it, tell whether it is there and, for a link that replaced
// another (a contact's business), read it as the change check compares it
// and put the one before back. Its methods look the kind up (linkOf); a
// new kind of link is one entry in linkKinds.
type linkKind struct {
	unlink func(h *HighLevelTarget, ctx context.Context, ref Ref) error
	// exists: its error is the client's (Exists classifies it).
	exists func(h *HighLevelTarget, ctx context.Context, ref Ref) (bool, error)
	// settle looks up a link intent a killed run left pending (Settle):
	// the link's id and true when it was made; an error matching
	// ErrNoSettle when the intent cannot be looked up.
	settle func(h *HighLevelTarget, ctx context.Context, e Entry, payload []byte) (string, bool, error)
	// read and restore are nil for a link that replaces nothing; restore's
	// errors are classified (hlErr), as a record kind's are.
	read    func(h *HighLevelTarget, ctx context.Context, ref Ref) (any, error)
	restore func(h *HighLevelTarget, ctx context.Context, ref Ref, im images) error
	// digest, when set, replaces the read and projection of Digest (the
	// change check before a restore).
	digest func(h *HighLevelTarget, ctx context.Context, ref Ref, written []byte) (string, error)
	// unit, when set, is the object type whose steps this kind's share a
	// worker with in a concurrent Undo (by contact), so they unwind in
	// plan order.
	unit string
}

// linkKinds is the registry of links by object type.
var linkKinds = map[string]*linkKind{
	TypeContactBusiness:    &businessLinkKind,
	TypeRelation:           &relationLinkKind,
	TypeContactTagsAdded:   tagsLinkKind(true),
	TypeContactTagsRemoved: tagsLinkKind(false),
}

// linkOf is the kind of a link journaled as objectType: a link of a type
// no kind serves is taken for an association relation (removed by its
// relation id), as Unlink always has.
func linkOf(objectType string) *linkKind {
	if k, ok := linkKinds[objectType]; ok {
		return k
	}
	return &relationLinkKind
}

var (
	// relationLinkKind: an association relation, by its relation id
	// (ref.ID) among its first record's (ref.TargetID) relations.
	relationLinkKind = linkKind{
		unlink: func(h *HighLevelTarget, ctx context.Context, ref Ref) error {
			if ref.ID == "" {
				return fmt.Errorf("%w: relation of type %q has no relation id", ErrIrreversible, ref.ObjectType)
			}
			return h.c.Associations.DeleteRelation(ctx, ref.ID)
		},
		exists: func(h *HighLevelTarget, ctx context.Context, ref Ref) (bool, error) {
			if ref.ID == "" || ref.TargetID == "" {
				return false, unsupported("existence check", ref.ObjectType)
			}
			for r, err := range h.c.Associations.Relations(ctx, ref.TargetID, highlevel.RelationListOptions{}) {
				if err != nil {
					return false, err
				}
				if r.ID == ref.ID {
					return true, nil
				}
			}
			return false, nil
		},
		settle: func(h *HighLevelTarget, ctx context.Context, _ Entry, payload []byte) (string, bool, error) {
			var in highlevel.RelationInput
			if err := json.Unmarshal(payload, &in); err != nil {
				return "", false, fmt.Errorf("%w: %w", ErrNoSettle, err)
			}
			for r, err := range h.c.Associations.Relations(ctx, in.FirstRecordID, highlevel.RelationListOptions{AssociationIDs: []string{in.AssociationID}}) {
				if errors.Is(err, highlevel.ErrNotFound) {
					return "", false, nil
				}
				if err != nil {
					return "", false, err
				}
				if (r.FirstRecordID == in.FirstRecordID && r.SecondRecordID == in.SecondRecordID) ||
					(r.FirstRecordID == in.SecondRecordID && r.SecondRecordID == in.FirstRecordID) {
					return r.ID, true, nil
				}
			}
			return "", false, nil
		}}
	// businessLinkKind: a contact's (ref.TargetID) business
	// (ref.RelatedID), made with the bulk business endpoint.
	businessLinkKind = linkKind{
		unlink: func(h *HighLevelTarget, ctx context.Context, ref Ref) error {
			c, err := h.c.Contacts.Get(ctx, ref.TargetID)
			if err != nil {
				return err
			}
			if c.BusinessID != ref.RelatedID {
				// Unlinked or relinked since: the link we made is gone.
				return fmt.Errorf("contact %s is no longer linked to business %s: %w", ref.TargetID, ref.RelatedID, ErrNotFound)
			}
			_, err = h.c.Businesses.UnlinkContacts(ctx, []string{ref.TargetID})
			return err
		},
		exists: func(h *HighLevelTarget, ctx context.Context, ref Ref) (bool, error) {
			c, err := h.c.Contacts.Get(ctx, ref.TargetID)
			if err != nil {
				return false, err
			}
			return c.BusinessID == ref.RelatedID, nil
		},
		settle: func(h *HighLevelTarget, ctx context.Context, e Entry, _ []byte) (string, bool, error) {
			c, err := h.c.Contacts.Get(ctx, e.TargetID)
			if errors.Is(err, highlevel.ErrNotFound) {
				return "", false, nil
			}
			if err != nil {
				return "", false, err
			}
			return e.TargetID, c.BusinessID == e.RelatedID, nil
		},
		read: func(h *HighLevelTarget, ctx context.Context, ref Ref) (any, error) {
			c, err := h.c.Contacts.Get(ctx, ref.TargetID)
			if err != nil {
				return nil, err
			}
			return map[string]string{"businessId": c.BusinessID}, nil
		},
		// The link back to the business the contact had, or none.
		restore: func(h *HighLevelTarget, ctx context.Context, ref Ref, im images) error {
			var prev string
			if raw, ok := im.b["businessId"]; ok && string(raw) != "null" {
				if err := json.Unmarshal(raw, &prev); err != nil {
					return fmt.Errorf("rollback: before-image businessId: %w", err)
				}
			}
			var err error
			if prev != "" {
				_, err = h.c.Businesses.LinkContacts(ctx, prev, []string{ref.TargetID})
			} else {
				_, err = h.c.Businesses.UnlinkContacts(ctx, []string{ref.TargetID})
			}
			return hlErr(err)
		}}
)

// tagsLinkKind: a tag call on a contact (ref.TargetID), an add or a
// removal (TypeContactTagsAdded, TypeContactTagsRemoved). Its restore puts
// back only what the call changed, from the tags it sent and those of
// them the contact had (the before-image's "had"); each call idempotent.
func tagsLinkKind(added bool) *linkKind {
	return &linkKind{
		unit: TypeContactTagsAdded,
		unlink: func(*HighLevelTarget, context.Context, Ref) error {
			return fmt.Errorf("%w: a tag call journaled without its before-image", ErrIrreversible)
		},
		exists: func(h *HighLevelTarget, ctx context.Context, ref Ref) (bool, error) {
			_, err := h.c.Contacts.Get(ctx, ref.TargetID)
			return err == nil, err
		},
		settle: func(h *HighLevelTarget, ctx context.Context, e Entry, payload []byte) (string, bool, error) {
			return TagsApplied(ctx, h.c, e.ObjectType, e.TargetID, payload)
		},
		// The change check: the contact is there. A restore changes only
		// the tags the call changed, back, which a later change by staff of
		// those same tags cannot make wrong (a tag the call added and staff
		// took off stays off; one it removed and staff gave back stays).
		digest: func(h *HighLevelTarget, ctx context.Context, ref Ref, written []byte) (string, error) {
			if _, err := h.c.Contacts.Get(ctx, ref.TargetID); err != nil {
				return "", hlErr(err)
			}
			return Digest(written), nil
		},
		restore: func(h *HighLevelTarget, ctx context.Context, ref Ref, im images) error {
			sent, err := stringList(im.w["tags"])
			if err != nil {
				return fmt.Errorf("rollback: written tags: %w", err)
			}
			had, err := stringList(im.b["had"])
			if err != nil {
				return fmt.Errorf("rollback: before-image tags: %w", err)
			}
			if added {
				// Remove what the add gave the contact: the tags it lacked.
				var gave []string
				for _, t := range sent {
					if !slices.ContainsFunc(had, func(x string) bool { return strings.EqualFold(x, t) }) {
						gave = append(gave, t)
					}
				}
				if len(gave) == 0 {
					return nil
				}
				_, err = h.c.Contacts.RemoveTags(ctx, ref.TargetID, gave...)
				return hlErr(err)
			}
			// Give back what the removal took off: the tags it had.
			if len(had) == 0 {
				return nil
			}
			_, err = h.c.Contacts.AddTags(ctx, ref.TargetID, had...)
			return hlErr(err)
		}}
}

// TagsApplied settles a tag call journaled as objectType
// (TypeContactTagsAdded or TypeContactTagsRemoved) on contactID whose
// outcome is unknown: applied when the contact holds every tag payload
// ({"tags": [...]}, the body sent) added, or none it removed. The id is
// the contact's. A contact that is gone settles as not applied.
func TagsApplied(ctx context.Context, c *highlevel.Client, objectType, contactID string, payload []byte) (string, bool, error) {
	var body struct {
		Tags []string `json:"tags"`
	}
	if err := json.Unmarshal(payload, &body); err != nil {
		return "", false, fmt.Errorf("%w: %w", ErrNoSettle, err)
	}
	ct, err := c.Contacts.Get(ctx, contactID)
	if errors.Is(err, highlevel.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	for _, t := range body.Tags {
		has := slices.ContainsFunc(ct.Tags, func(x string) bool { return strings.EqualFold(x, t) })
		if has != (objectType == TypeContactTagsAdded) {
			return "", false, nil
		}
	}
	return contactID, true, nil
}
