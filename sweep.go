package pbnhl

import (
	"context"
	"errors"
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
	sk.parent, sk.pipeline = targetOfType(typ).sweepScope(body, parent)
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
	contactID := ""
	if targetOfType(sk.typ).underContact() {
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
	res, err := ph.m.journaledCall(ctx, ph.run, ph.m.deleteWrite(sk.typ, sk.key, sk.entity, time.Time{}, id, contactID, before))
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

// deleteWrite is the journaled delete of record id of type typ (a note or
// task under contactID), with its before-image: a record already gone
// counts as deleted, and an unknown outcome is settled by reading it.
func (m *Migration) deleteWrite(typ, key, entity string, modified time.Time, id, contactID string, before []byte) write {
	t, c := targetOfType(typ), m.opts.Client
	return write{op: rollback.OpDelete, objType: typ, key: key, entity: entity, modified: modified,
		target: id, related: contactID, before: before,
		call: func(ctx context.Context) (string, error) {
			err := t.remove(ctx, c, typ, id, contactID)
			if errors.Is(err, highlevel.ErrNotFound) {
				err = nil
			}
			return id, err
		},
		find: func(ctx context.Context, _ time.Time) (string, bool, error) {
			_, err := m.current(ctx, typ, id, contactID)
			if errors.Is(err, highlevel.ErrNotFound) {
				return id, true, nil
			}
			return "", false, err
		}}
}

// identityMatches lists every object in HighLevel that carries sk's
// identity and was created no earlier than its first intent: the
// external id (contacts, records, opportunities under their contact) or
// the marker line (businesses, notes, tasks). It returns the calls made.
func (m *Migration) identityMatches(ctx context.Context, p *prepared, mid string, sk sweepKey) ([]string, int, error) {
	return targetOfType(sk.typ).matches(ctx, lookupScope{m: m, p: p, mid: mid}, sk)
}
