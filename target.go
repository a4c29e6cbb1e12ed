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

// A target is one kind of HighLevel record a map object writes (contact,
// business, custom object record, opportunity, note, task), or one the
// phases must know about without writing it (users, contact fields). It
// is the one place that knows, for its kind: the load group, how a valid
// payload is written (input from mapping.Inputs, create, update, look up
// by identity after an unknown outcome), what a record costs in calls,
// what it asks of the location's settings, its external-id field, how
// Adopt finds it, and, for the ledger's record type it owns: how a record
// is read (before-images), deleted, found again after an unknown outcome
// and searched for duplicates. The ledger record type is
// mapping.Object.RecordType; reconcile counts by it.
//
// Phases never switch on a map object's target or a record type: they ask
// targetOf or targetOfType, and for a link between two records linkOf
// (target_link.go). Repair goes through resend, current and the link
// kinds' remake too (repair.go names no record or link type).
// Adding a target is one file implementing target (embed writer, or
// noTarget for a target that writes nothing, for what it does not do)
// plus one line in targets.
type target interface {
	// kind is the map target kind this target serves.
	kind() mapping.TargetKind
	// role says whether its records are written, resolved or folded.
	role() targetRole
	// group is the load group its objects run in (loadGroups), or
	// loadNone for objects no phase loads on their own.
	group() loadGroup
	// write writes one valid payload of o: builds its input, then creates
	// it through ph.put (or, in a delta, updates it). Only called for
	// role writesRecords.
	write(ctx context.Context, ph *phase, o *mapping.Object, tr *tracker, j *job) error
	// tally adds what writing one valid payload costs to a preflight's
	// estimate; what the target counts across payloads (contacts per
	// business, conversations) it keeps in the tally's state for its kind.
	tally(p *mapping.Payload, t *callTally)
	// bulkCalls is what the target's tallied records cost together once
	// all were tallied (contacts: one bulk business link per business and
	// 100 contacts).
	bulkCalls(t *callTally) int64
	// prepare reads or derives, once per Migration, what writing the
	// target's records needs beyond the schema's field ids (calendar ids,
	// pipelines, owners) into p. It runs for every registered target,
	// before the applier is built.
	prepare(ctx context.Context, m *Migration, p *prepared) error
	// need records what one valid payload asks of the location's settings
	// (duplicate contacts, duplicate opportunities).
	need(n *locationNeeds, p *mapping.Payload)
	// externalField is the external-id field of o's records as the
	// lookups use it (a field id, or a record property key); "" when the
	// target has none or o names none.
	externalField(in *mapping.Inputs, o *mapping.Object) (string, error)
	// adopt adds to sc every record of o's kind that carries this
	// migration's identity in the location.
	adopt(ctx context.Context, sc *adoptScan, o *mapping.Object) error

	// owns reports whether records of a ledger record type are this
	// target's.
	owns(recordType string) bool
	// read reads one record (a value marshalling to HighLevel's field
	// names): before-images and change checks. contactID is the contact of
	// a note or task.
	read(ctx context.Context, c *highlevel.Client, typ, id, contactID string) (any, error)
	// remove deletes one record (contactID: as for read).
	remove(ctx context.Context, c *highlevel.Client, typ, id, contactID string) error
	// underContact says its records live under a contact (notes, tasks):
	// read, remove and lookups need that contact's id.
	underContact() bool
	// deletedWithSource says a delta deletes its records when the source
	// deletes theirs (Options.Deletions DeleteDeleted).
	deletedWithSource() bool
	// settle looks up, by identity, the record a create intent made: its
	// id and true when the create was applied.
	settle(ctx context.Context, s lookupScope, e rollback.Entry, payload []byte) (string, bool, error)
	// matches lists every object carrying sk's identity, created no
	// earlier than its first intent (the duplicate sweep), and the calls
	// made.
	matches(ctx context.Context, s lookupScope, sk sweepKey) ([]string, int, error)

	// resend is how repair creates again a record reconcile found missing,
	// from its last journaled create body: the call, the lookup that finds
	// it after an unknown outcome, and the body to journal (one naming a
	// parent re-created by this repair by its new id). errNoResend when
	// repair does not re-create the kind.
	resend(rs resendScope, key string, body []byte) (resent, error)
	// sweepScope is where the duplicate sweep searches for copies of a
	// record created with body under parent (an opportunity: its contact
	// and pipeline); the parent and no pipeline for every other kind.
	sweepScope(body []byte, parent string) (string, string)
	// current reads a record in the shape its bodies use, with HighLevel's
	// time of its last change: repair's before-image and its check that
	// nobody changed the record since the migration wrote it. parent is
	// the contact of a record under a contact (underContact). A zero time
	// says HighLevel tells none (notes, tasks): repair then takes any
	// difference as someone's edit.
	current(ctx context.Context, c *highlevel.Client, typ, id, parent string) ([]byte, time.Time, error)
}

// resendScope is what a target's resend needs from the repair.
type resendScope struct {
	m   *Migration
	typ string
	// ext is the type's external-id field (prepared.extField).
	ext string
	// moved maps an id this repair re-created to its new id.
	moved map[string]string
	// parent is the contact the journal wrote a record under a contact
	// (underContact) under, as journaled: resend moves it through moved.
	parent string
}

// parentID is the contact to re-create a record under: the journaled
// one, or its new id when this repair re-created it.
func (rs resendScope) parentID() string {
	if id := rs.moved[rs.parent]; id != "" {
		return id
	}
	return rs.parent
}

// resent is a re-creation: what is journaled and sent.
type resent struct {
	body []byte
	// target is the contact a record under a contact is created under:
	// the create's journaled target, as the load journals it (Undo deletes
	// the record through it).
	target string
	call   func(context.Context) (string, error)
	find   func(context.Context, time.Time) (string, bool, error) // nil: no lookup by identity
}

// errNoResend: repair does not re-create records of the kind.
var errNoResend = errors.New("pbnhl: repair does not re-create this kind")

// lookupScope is what identity lookups need: the location's prepared
// field ids, the id index (to skip objects mapped to another key) and the
// migration id of the marker lines.
type lookupScope struct {
	m   *Migration
	p   *prepared
	idx *idIndex
	mid string
}

// intentMarker is the identity marker a create intent of a record under a
// contact journaled at the end of its payload's field (the JSON key of the
// text carrying it), once the id index of its type is loaded (so a lookup
// skips records already mapped); errNoLookup when the payload carries
// none, as the record then has no identity to find it by.
func (s lookupScope) intentMarker(ctx context.Context, e rollback.Entry, payload []byte, field string) (string, error) {
	var b map[string]any
	_ = json.Unmarshal(payload, &b)
	text, _ := b[field].(string)
	if err := s.idx.load(ctx, e.ObjectType); err != nil {
		return "", err
	}
	mk := marker(s.mid, e.ObjectType, e.SourceKey)
	if !rollback.HasLine(text, mk) {
		return "", fmt.Errorf("%w: %s intent %d carries no identity marker", errNoLookup, e.ObjectType, e.ID)
	}
	return mk, nil
}

// targets is the registry: one line per target.
var targets = []target{
	businessTarget{},
	userTarget{},
	contactTarget{},
	contactFieldTarget{},
	recordTarget{},
	opportunityTarget{},
	noteTarget{},
	taskTarget{},
	eventTarget{},
	messageTarget{},
	mediaTarget{},
}

// targetRole is what becomes of an object's valid records.
type targetRole int

const (
	// writesRecords: each valid record is written as a HighLevel record.
	writesRecords targetRole = iota
	// resolvesRecords: each record resolves to something that exists
	// (staff to users); nothing is written.
	resolvesRecords
	// foldsRecords: records fold into their contact's custom field and are
	// written by the contact's own call.
	foldsRecords
)

// loadGroup orders the load: businesses (and users) first, then contacts,
// then — after the business links — opportunities, custom object records,
// and notes and tasks. Map.Order's parents-first order is kept inside
// each group. Opportunities hang only on contacts, so they come before
// the history: a run spread over several days of HighLevel's quota makes
// the CRM (contacts, businesses, the pipeline) whole first.
type loadGroup int

const (
	loadNone loadGroup = iota - 1
	loadBusinesses
	loadContacts
	loadOpportunities
	loadRecords
	loadNotes
	loadGroups // the number of groups
)

var byKind = func() map[mapping.TargetKind]target {
	m := make(map[mapping.TargetKind]target, len(targets))
	for _, t := range targets {
		m[t.kind()] = t
	}
	return m
}()

// targetOf is o's target. A map the mapping package validated names only
// registered kinds; anything else is treated as a target that writes
// nothing and is loaded by no phase.
func targetOf(o *mapping.Object) target {
	if t, ok := byKind[o.Target]; ok {
		return t
	}
	return noTarget{}
}

// targetOfType is the target owning a ledger record type.
func targetOfType(typ string) target {
	for _, t := range targets {
		if t.owns(typ) {
			return t
		}
	}
	return noTarget{}
}

// writes reports whether o's valid records are written to HighLevel.
func writes(o *mapping.Object) bool { return targetOf(o).role() == writesRecords }

// callTally is what a preflight adds up for the valid records still to
// write: the calls they cost, the file bytes uploads send, and each
// target's running state (see tallyState).
type callTally struct {
	calls int64
	bytes int64 // file bytes uploads send (documents)
	state map[mapping.TargetKind]any
}

// tallyState is kind's running state in t (made by mk on first use): what
// a target counts across payloads, so the tally names no target's needs.
func tallyState[S any](t *callTally, kind mapping.TargetKind, mk func() S) S {
	if s, ok := t.state[kind].(S); ok {
		return s
	}
	if t.state == nil {
		t.state = map[mapping.TargetKind]any{}
	}
	s := mk()
	t.state[kind] = s
	return s
}

// bulkCalls asks every target what its tallied records cost together.
func (t *callTally) bulkCalls() int64 {
	var n int64
	for _, tg := range targets {
		n += tg.bulkCalls(t)
	}
	return n
}

// noTarget is the zero target: it writes nothing, costs nothing, needs
// nothing and has no identity to adopt. Targets embed it for what they do
// not do.
type noTarget struct{}

func (noTarget) kind() mapping.TargetKind { return "" }
func (noTarget) role() targetRole         { return resolvesRecords }
func (noTarget) group() loadGroup         { return loadNone }
func (noTarget) write(context.Context, *phase, *mapping.Object, *tracker, *job) error {
	return nil
}
func (noTarget) tally(*mapping.Payload, *callTally) {}
func (noTarget) bulkCalls(*callTally) int64         { return 0 }
func (noTarget) prepare(context.Context, *Migration, *prepared) error {
	return nil
}
func (noTarget) need(*locationNeeds, *mapping.Payload) {}
func (noTarget) externalField(*mapping.Inputs, *mapping.Object) (string, error) {
	return "", nil
}
func (noTarget) adopt(context.Context, *adoptScan, *mapping.Object) error { return nil }
func (noTarget) underContact() bool                                       { return false }
func (noTarget) deletedWithSource() bool                                  { return false }
func (noTarget) owns(string) bool                                         { return false }
func (noTarget) read(_ context.Context, _ *highlevel.Client, typ, _, _ string) (any, error) {
	return nil, fmt.Errorf("pbnhl: cannot read a %s", typ)
}
func (noTarget) remove(_ context.Context, _ *highlevel.Client, typ, _, _ string) error {
	return fmt.Errorf("pbnhl: cannot delete a %s", typ)
}
func (noTarget) settle(_ context.Context, _ lookupScope, e rollback.Entry, _ []byte) (string, bool, error) {
	return "", false, fmt.Errorf("%w for %s of %s", errNoLookup, e.Op, e.ObjectType)
}
func (noTarget) matches(_ context.Context, _ lookupScope, sk sweepKey) ([]string, int, error) {
	return nil, 0, fmt.Errorf("%w: no identity search for %s", errNoLookup, sk.typ)
}
func (noTarget) resend(resendScope, string, []byte) (resent, error)  { return resent{}, errNoResend }
func (noTarget) sweepScope(_ []byte, parent string) (string, string) { return parent, "" }
func (noTarget) current(_ context.Context, _ *highlevel.Client, typ, _, _ string) ([]byte, time.Time, error) {
	return nil, time.Time{}, fmt.Errorf("pbnhl: repair cannot read a %s", typ)
}

// writer is what a target that writes records embeds (in place of
// noTarget, which it embeds for what the target does not do): its role,
// and a cost of one call per record unless the target tallies its own.
type writer struct{ noTarget }

func (writer) role() targetRole                       { return writesRecords }
func (writer) tally(_ *mapping.Payload, t *callTally) { t.calls++ }

// userTarget resolves staff to existing HighLevel users (owners); nothing
// is created. Its objects load with the businesses, so owners are known
// before any contact.
type userTarget struct{ noTarget }

func (userTarget) kind() mapping.TargetKind { return mapping.TargetUser }
func (userTarget) group() loadGroup         { return loadBusinesses }

// prepare resolves the staff to users when the map has a user object.
func (userTarget) prepare(ctx context.Context, m *Migration, p *prepared) (err error) {
	p.owners, err = m.resolveOwners(ctx)
	return err
}

// contactFieldTarget folds records (communication log, forms) into a JSON
// custom field of their contact: the phase spools them before contacts
// are written (phase.aggregate), and contactTarget sends them.
type contactFieldTarget struct{ noTarget }

func (contactFieldTarget) kind() mapping.TargetKind { return mapping.TargetContactField }
func (contactFieldTarget) role() targetRole         { return foldsRecords }

// inputUnderContact opens the write of a record that lives under its
// contact (notes, tasks, events, messages, media): the payload's contact
// and the input build makes of the payload for it. A payload without a
// contact, or one build refuses (its error is a value-free reason), is
// counted and journaled invalid here; ok is then false and err is what
// write returns.
func inputUnderContact[In any](ctx context.Context, ph *phase, o *mapping.Object, tr *tracker, j *job,
	build func(p *mapping.Payload, contactID string) (In, error)) (in In, contactID string, ok bool, err error) {
	p := &j.p
	contactID, found := ph.contactOf(p)
	if !found {
		return in, "", false, ph.invalidContact(ctx, o, tr, j)
	}
	if in, err = build(p, contactID); err != nil {
		tr.invalid.Add(1)
		return in, "", false, ph.invalidReason(ctx, o, p.SourceKey, j.modified, err.Error())
	}
	return in, contactID, true, nil
}

// markedBody puts the record's identity marker (typ, source key) at the
// end of text, the field of the input that carries it, and returns the
// marker and the input's exact wire body, which the journal, its digest
// and the request share.
func markedBody(ph *phase, o *mapping.Object, typ, key string, text *string, body func() ([]byte, error)) (string, []byte, error) {
	mk := marker(ph.mid, typ, key)
	*text = withMarker(*text, mk)
	b, err := body()
	if err != nil {
		return "", nil, fmt.Errorf("pbnhl: %s: %w", o.Name, err)
	}
	return mk, b, nil
}

// readUpdated is the current hook of a target whose read carries
// HighLevel's time of the record's last change in field (its JSON name;
// "" when HighLevel tells none: a zero time): the read as JSON, and that
// time, from one call.
func readUpdated(ctx context.Context, t target, c *highlevel.Client, typ, id, parent, field string) ([]byte, time.Time, error) {
	v, err := t.read(ctx, c, typ, id, parent)
	if err != nil {
		return nil, time.Time{}, err
	}
	b, err := json.Marshal(v)
	if err != nil || field == "" {
		return b, time.Time{}, err
	}
	var m map[string]json.RawMessage
	var at highlevel.Timestamp
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, time.Time{}, err
	}
	if raw, ok := m[field]; ok {
		if err := json.Unmarshal(raw, &at); err != nil {
			return nil, time.Time{}, fmt.Errorf("pbnhl: %s %s: %s: %w", typ, id, field, err)
		}
	}
	return b, at.Time, nil
}

// customFieldExternalID is the external-id field of a kind that keeps its
// source key in a custom field of model (contact, opportunity): the
// field's id, "" when o names none.
func customFieldExternalID(in *mapping.Inputs, o *mapping.Object, model string) (string, error) {
	if o.ExternalID == "" {
		return "", nil
	}
	id, ok := in.FieldIDs[model+"."+o.ExternalID]
	if !ok {
		return "", fmt.Errorf("pbnhl: %s: external id field %s.%s: %w", o.Name, model, o.ExternalID, mapping.ErrNoFieldID)
	}
	return id, nil
}
