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
// duplicate sweep deals with. Each target's lookups (find*, settle,
// matches) live in its target file; this file settles intents by them.

// current reads a record as JSON in HighLevel's field names: the
// before-image of an update, and what a change check projects. Notes and
// tasks are read under their contact (contactID).
func (m *Migration) current(ctx context.Context, typ, id, contactID string) ([]byte, error) {
	v, err := targetOfType(typ).read(ctx, m.opts.Client, typ, id, contactID)
	if err != nil {
		return nil, err
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
	var t *tracker
	if len(pending) > 0 {
		t = m.track(PhaseResolve, "pending_intents", int64(len(pending)))
		defer t.finish()
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
		if o.Status == rollback.OutcomeRejected {
			t.skipped.Add(1) // not applied: the phase writes it
		} else {
			t.existing.Add(1)
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
	switch e.Op {
	case rollback.OpSchema:
		return m.resolveSchema(ctx, p.diff, e)
	case rollback.OpCreate:
		return found(targetOfType(e.ObjectType).settle(ctx, lookupScope{m: m, p: p, idx: idx, mid: mid}, e, payload))
	case rollback.OpLink:
		if k := linkOf(e.ObjectType); k != nil {
			return found(k.settle(ctx, m, e, payload))
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
	if !targetOfType(e.ObjectType).underContact() {
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
// marker line — rollback.IdentityPrefix, this ledger's migration id, the object type
// and the source key — at the end of their description or body, so a
// settle-lookup matches this migration's own object and never another
// one's, however alike their content. And whatever the identity, a
// candidate HighLevel created before the intent was journaled (less
// clockSlack) is never taken for what the intent created.

// clockSlack allows for HighLevel's clock running behind ours when a
// candidate's creation time is compared with an intent's.
const clockSlack = 5 * time.Second

// marker is the identity line of (typ, key) in migration mid.
func marker(mid, typ, key string) string {
	return rollback.IdentityPrefix + mid + "/" + typ + "/" + key
}

// withMarker appends the identity line to a description or body.
func withMarker(text, mk string) string {
	if strings.TrimSpace(text) == "" {
		return mk
	}
	return text + "\n\n" + mk
}

// createdBefore reports whether a candidate was created before notBefore
// (zero notBefore: no bound; zero created: unknown, not before).
func createdBefore(created highlevel.Timestamp, notBefore time.Time) bool {
	t := created.Time
	return !notBefore.IsZero() && !t.IsZero() && t.Before(notBefore)
}

// findOptions are a lookup's rules (rollback.FindOptions): never an object
// created before notBefore, nor one the id index maps for typ (idx nil:
// none skipped, as in repair's lookups).
func findOptions(idx *idIndex, typ string, notBefore time.Time) rollback.FindOptions {
	o := rollback.FindOptions{NotBefore: notBefore}
	if idx != nil {
		o.Skip = func(id string) bool { return idx.has(typ, id) }
	}
	return o
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
