package pbnhl

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/rollback"
)

// Lookups by identity: how an unknown outcome (or an intent a crash left
// pending) is resolved before anything is retried. Contacts, records and
// opportunities carry our external id; businesses, notes and tasks our
// marker line (see marker); relations join two records of ours. No lookup
// matches on content, and none takes a candidate created before the
// intent (notBefore): that one is someone else's, or an earlier copy the
// duplicate sweep deals with.

// findContact searches contacts by the external-id custom field.
func (m *Migration) findContact(ctx context.Context, fieldID, key string, notBefore time.Time) (string, bool, error) {
	if fieldID == "" {
		return "", false, errors.New("pbnhl: contacts have no external-id field")
	}
	q := highlevel.ContactSearch{Filters: []highlevel.SearchFilter{{Field: "customFields." + fieldID, Operator: "eq", Value: key}}, PageLimit: 10}
	for c, err := range m.opts.Client.Contacts.Search(ctx, q) {
		if err != nil {
			return "", false, err
		}
		if createdBefore(c.DateAdded, notBefore) {
			continue
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
func (m *Migration) findRecord(ctx context.Context, objectKey, prop, key string, notBefore time.Time) (string, bool, error) {
	if prop == "" {
		return "", false, fmt.Errorf("pbnhl: %s has no external-id property", objectKey)
	}
	q := highlevel.RecordSearch{Filters: []highlevel.SearchFilter{{Field: "properties." + prop, Operator: "eq", Value: key}}, PageLimit: 10}
	for r, err := range m.opts.Client.Objects.SearchRecords(ctx, objectKey, q) {
		if err != nil {
			return "", false, err
		}
		if createdBefore(r.DateAdded, notBefore) {
			continue
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
func (m *Migration) findOpportunity(ctx context.Context, contactID, pipelineID, fieldID, key string, notBefore time.Time) (string, bool, error) {
	q := highlevel.OpportunitySearch{ContactID: contactID, PipelineID: pipelineID, Status: highlevel.StatusAll}
	for o, err := range m.opts.Client.Opportunities.Search(ctx, q) {
		if err != nil {
			return "", false, err
		}
		if (o.ContactID != "" && o.ContactID != contactID) || createdBefore(o.CreatedAt, notBefore) {
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

// findBusiness finds the business whose description carries the marker,
// skipping those already mapped to another office.
func (m *Migration) findBusiness(ctx context.Context, idx *idIndex, mk string, notBefore time.Time) (string, bool, error) {
	for b, err := range m.opts.Client.Businesses.List(ctx, highlevel.BusinessListOptions{}) {
		if err != nil {
			return "", false, err
		}
		if (idx != nil && idx.has(rollback.TypeBusiness, b.ID)) || createdBefore(b.CreatedAt, notBefore) {
			continue
		}
		if hasMarker(b.Description, mk) {
			return b.ID, true, nil
		}
	}
	return "", false, nil
}

// findNote finds the contact's note carrying the marker, skipping mapped
// ones. An intent journaled before markers (mk empty) is matched on the
// body it sent, under the same creation-time bound.
func (m *Migration) findNote(ctx context.Context, idx *idIndex, contactID, mk string, notBefore time.Time, legacyBody string) (string, bool, error) {
	notes, err := m.opts.Client.Contacts.ListNotes(ctx, contactID)
	if err != nil {
		return "", false, err
	}
	for _, n := range notes {
		match := hasMarker(n.Body, mk)
		if mk == "" {
			match = strings.TrimSpace(n.Body) == strings.TrimSpace(legacyBody)
		}
		if match && (idx == nil || !idx.has(rollback.TypeNote, n.ID)) && !createdBefore(n.DateAdded, notBefore) {
			return n.ID, true, nil
		}
	}
	return "", false, nil
}

// findBusinessLegacy settles a business intent journaled before identity
// markers: matched on the fields sent, never one created before the intent.
func (m *Migration) findBusinessLegacy(ctx context.Context, idx *idIndex, body []byte, notBefore time.Time) (string, bool, error) {
	want := rollback.Digest(body)
	for b, err := range m.opts.Client.Businesses.List(ctx, highlevel.BusinessListOptions{}) {
		if err != nil {
			return "", false, err
		}
		if (idx != nil && idx.has(rollback.TypeBusiness, b.ID)) || createdBefore(b.CreatedAt, notBefore) {
			continue
		}
		cur, _ := json.Marshal(b)
		if d, err := rollback.ProjectDigest(cur, body); err == nil && d == want {
			return b.ID, true, nil
		}
	}
	return "", false, nil
}

// findTask finds the contact's task carrying the marker, skipping mapped
// ones (HighLevel tells no creation time for tasks: the marker alone says
// the task is this migration's).
func (m *Migration) findTask(ctx context.Context, idx *idIndex, contactID, mk string) (string, bool, error) {
	ts, err := m.opts.Client.Contacts.ListTasks(ctx, contactID)
	if err != nil {
		return "", false, err
	}
	for _, t := range ts {
		if hasMarker(t.Body, mk) && (idx == nil || !idx.has(rollback.TypeTask, t.ID)) {
			return t.ID, true, nil
		}
	}
	return "", false, nil
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
func (m *Migration) resolvePending(ctx context.Context, p *prepared, idx *idIndex, mid string, mark func(rollback.Entry, []byte)) (int, error) {
	n, _, err := m.settlePending(ctx, p, idx, mid, mark, nil)
	return n, err
}

// settlePending is resolvePending over the intents keep accepts (nil: every
// intent of a data or schema run). It also returns how many of those it
// settled were writes found not applied: records, links or updates that
// still have to be made.
func (m *Migration) settlePending(ctx context.Context, p *prepared, idx *idIndex, mid string, mark func(rollback.Entry, []byte),
	keep func(rollback.Entry) bool) (n, missing int, err error) {
	runs, err := m.opts.Ledger.Runs(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("pbnhl: list runs: %w", err)
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
			return 0, 0, fmt.Errorf("pbnhl: read pending intents: %w", err)
		}
		if !undo[e.Run] && (keep == nil || keep(e)) {
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
	unsettled := 0
	for i, e := range pending {
		if err := m.waitInflight(ctx, m.inflightUntil(e), len(pending)-i); err != nil {
			return n, missing, err
		}
		o, err := m.resolveEntry(ctx, p, idx, mid, e)
		for attempt := 1; err != nil && !errors.Is(err, errNoLookup) && ctx.Err() == nil && attempt < m.opts.MaxAttempts; attempt++ {
			// A lookup that failed proves nothing: try again before giving up.
			if serr := sleep(ctx, time.Duration(attempt)*200*time.Millisecond); serr != nil {
				return n, missing, serr
			}
			o, err = m.resolveEntry(ctx, p, idx, mid, e)
		}
		if err != nil {
			if ctx.Err() != nil {
				return n, missing, ctx.Err()
			}
			m.log.LogAttrs(ctx, levelWarn, "pending intent not resolved", attrObj(e.ObjectType), attrKey(e.SourceKey))
			if !errors.Is(err, errNoLookup) {
				unsettled++
			}
			continue
		}
		if err := m.opts.Ledger.Outcome(ctx, e.Run, e.Seq, o); err != nil {
			if errors.Is(err, rollback.ErrOutcomeFinal) {
				continue // settled meanwhile by the call's own late outcome
			}
			return n, missing, fmt.Errorf("pbnhl: journal outcome: %w", err)
		}
		if o.Status == rollback.OutcomeRejected && (e.Op == rollback.OpCreate || e.Op == rollback.OpLink || e.Op == rollback.OpUpdate) {
			missing++
		}
		if o.Status == rollback.OutcomeDone && (e.Op == rollback.OpCreate || e.Op == rollback.OpUpdate) {
			// The id map changed under the index: keep them equal.
			idx.set(e.ObjectType, e.SourceKey, o.ID, e.PayloadDigest)
		}
		if e.Op == rollback.OpCreate && mark != nil {
			payload, _ := m.opts.Ledger.Payload(ctx, e)
			mark(e, payload)
		}
		n++
	}
	if n > 0 {
		m.log.LogAttrs(ctx, levelInfo, "resolved pending intents by lookup", attrCount("resolved", n))
	}
	if unsettled > 0 {
		// Writing on would create again what may exist: stop, and let the
		// next run settle them.
		return n, missing, &unsettledError{msg: fmt.Sprintf("pbnhl: %d intents left pending could not be settled by lookup (HighLevel kept failing); run the phase again", unsettled)}
	}
	return n, missing, nil
}

// unsettledError stops a phase that cannot account for every write of its
// run: intents whose outcome lookups could not settle, or writes found not
// applied that are still to make. The run is left running, like a
// cancelled one, so the next phase of its kind resumes it (one load, one
// run) and settles or makes them.
type unsettledError struct{ msg string }

func (e *unsettledError) Error() string { return e.msg }

// errNoLookup: the intent's outcome cannot be looked up.
var errNoLookup = errors.New("pbnhl: no lookup")

func (m *Migration) resolveEntry(ctx context.Context, p *prepared, idx *idIndex, mid string, e rollback.Entry) (rollback.Outcome, error) {
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
	nb := notBefore(e.IntentAt)
	// A note, task or business journaled before identity markers carries
	// none: such an intent is settled by what was sent, as it was then.
	marked := func(body string) (string, bool) {
		mk := marker(mid, e.ObjectType, e.SourceKey)
		return mk, hasMarker(body, mk)
	}
	switch e.Op {
	case rollback.OpSchema:
		return m.resolveSchema(ctx, p.diff, e)
	case rollback.OpCreate:
		switch {
		case e.ObjectType == rollback.TypeContact:
			return found(m.findContact(ctx, p.extField[rollback.TypeContact], e.SourceKey, nb))
		case e.ObjectType == rollback.TypeBusiness:
			if err := idx.load(ctx, rollback.TypeBusiness); err != nil {
				return rollback.Outcome{}, err
			}
			var b highlevel.BusinessInput
			_ = json.Unmarshal(payload, &b)
			mk, ok := marked(b.Description)
			if !ok {
				return found(m.findBusinessLegacy(ctx, idx, payload, nb))
			}
			return found(m.findBusiness(ctx, idx, mk, nb))
		case e.ObjectType == rollback.TypeOpportunity:
			var b struct {
				ContactID  string `json:"contactId"`
				PipelineID string `json:"pipelineId"`
			}
			_ = json.Unmarshal(payload, &b)
			return found(m.findOpportunity(ctx, b.ContactID, b.PipelineID, p.extField[rollback.TypeOpportunity], e.SourceKey, nb))
		case e.ObjectType == rollback.TypeNote:
			var b highlevel.NoteInput
			_ = json.Unmarshal(payload, &b)
			if err := idx.load(ctx, rollback.TypeNote); err != nil {
				return rollback.Outcome{}, err
			}
			mk, ok := marked(b.Body)
			if !ok {
				mk = "" // journaled before markers: matched on the body sent
			}
			return found(m.findNote(ctx, idx, e.TargetID, mk, nb, b.Body))
		case e.ObjectType == rollback.TypeTask:
			var b struct {
				Body string `json:"body"`
			}
			_ = json.Unmarshal(payload, &b)
			if err := idx.load(ctx, rollback.TypeTask); err != nil {
				return rollback.Outcome{}, err
			}
			mk, ok := marked(b.Body)
			if !ok {
				return rollback.Outcome{}, fmt.Errorf("%w: task intent %d carries no identity marker", errNoLookup, e.ID)
			}
			return found(m.findTask(ctx, idx, e.TargetID, mk))
		case strings.HasPrefix(e.ObjectType, rollback.RecordTypePrefix):
			return found(m.findRecord(ctx, e.ObjectType, p.extField[e.ObjectType], e.SourceKey, nb))
		}
	case rollback.OpLink:
		switch e.ObjectType {
		case rollback.TypeRelation:
			var in highlevel.RelationInput
			if err := json.Unmarshal(payload, &in); err != nil {
				return rollback.Outcome{}, err
			}
			return found(m.findRelation(ctx, in, nb))
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
	return rollback.Outcome{}, fmt.Errorf("%w for %s of %s", errNoLookup, e.Op, e.ObjectType)
}

// resolveSchema settles a schema creation whose outcome is unknown: the
// element exists and no other call is recorded as creating it → this call
// did; otherwise it had no effect.
func (m *Migration) resolveSchema(ctx context.Context, diff *mapping.SchemaDiff, e rollback.Entry) (rollback.Outcome, error) {
	for d, err := range m.opts.Ledger.Entries(ctx, rollback.EntryFilter{ObjectTypes: []string{e.ObjectType}, Outcomes: []rollback.OutcomeStatus{rollback.OutcomeDone}}) {
		if err != nil {
			return rollback.Outcome{}, err
		}
		if d.Op == rollback.OpSchema && d.SourceKey == e.SourceKey && d.ID != e.ID {
			return rollback.Rejected(0, notApplied+"created by a later call"), nil
		}
	}
	for _, it := range diff.Items {
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

// Identity. Contacts and custom object records carry the source key in
// their external-id field, opportunities in theirs (under a contact the id
// map names). Businesses, notes and tasks have no such field: they carry a
// marker line — markerPrefix, this ledger's migration id, the object type
// and the source key — at the end of their description or body, so a
// settle-lookup matches this migration's own object and never another
// one's, however alike their content. And whatever the identity, a
// candidate HighLevel created before the intent was journaled (less
// clockSlack) is never taken for what the intent created.

// markerPrefix starts the identity line of businesses, notes and tasks.
const markerPrefix = "pbnhl-id "

// clockSlack allows for HighLevel's clock running behind ours when a
// candidate's creation time is compared with an intent's.
const clockSlack = 5 * time.Second

// marker is the identity line of (typ, key) in migration mid.
func marker(mid, typ, key string) string { return markerPrefix + mid + "/" + typ + "/" + key }

// withMarker appends the identity line to a description or body.
func withMarker(text, mk string) string {
	if strings.TrimSpace(text) == "" {
		return mk
	}
	return text + "\n\n" + mk
}

// hasMarker reports whether text carries the identity line mk.
func hasMarker(text, mk string) bool {
	for line := range strings.Lines(text) {
		if strings.TrimSpace(line) == mk {
			return true
		}
	}
	return false
}

// createdBefore reports whether a candidate was created before notBefore
// (zero notBefore: no bound; zero created: unknown, not before).
func createdBefore(created highlevel.Timestamp, notBefore time.Time) bool {
	t := created.Time
	return !notBefore.IsZero() && !t.IsZero() && t.Before(notBefore)
}

// notBefore is the earliest creation time an object made by an intent
// journaled at at can have.
func notBefore(at time.Time) time.Time {
	if at.IsZero() {
		return at
	}
	return at.Add(-clockSlack)
}

// migrationID returns the ledger's migration id: random, made once with
// the ledger and stable forever (rollback Info.MigrationID). A ledger
// opened read-only before it got one has an id derived from its first
// run instead, as stable as the ledger.
func (m *Migration) migrationID(ctx context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mid != "" {
		return m.mid, nil
	}
	info, err := m.opts.Ledger.Info(ctx)
	if err != nil {
		return "", fmt.Errorf("pbnhl: ledger info: %w", err)
	}
	if id, ok, err := m.continuedID(ctx); err != nil || ok { // a ledger that adopted a location (identity.go)
		m.mid = id
		return id, err
	}
	if info.MigrationID != "" {
		m.mid = info.MigrationID
		return m.mid, nil
	}
	runs, err := m.opts.Ledger.Runs(ctx)
	if err != nil {
		return "", fmt.Errorf("pbnhl: list runs: %w", err)
	}
	if len(runs) == 0 {
		return "", errors.New("pbnhl: the ledger has no run to derive a migration id from")
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%d|%d|%s", runs[0].ID, runs[0].StartedAt.UnixNano(), runs[0].Location))
	m.mid = hex.EncodeToString(sum[:16])
	return m.mid, nil
}
