package pbnhl

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/rollback"
)

// AdoptReport says what Adopt found in the location and recorded.
type AdoptReport struct {
	// Run is the adopt run in the ledger.
	Run rollback.RunID
	// MigrationID is the migration the location names (its custom value),
	// now continued by this ledger; empty when the location names none.
	MigrationID string
	// Owned reports that the location's custom value proved the records
	// are the migration's: they are recorded as created by it, so Undo may
	// delete them. Without that proof they are recorded as adopted, and
	// Undo leaves them in place.
	Owned bool
	// Found counts, per object type ("contact", "business", a custom
	// object key, ...), the records found by identity and added to the id
	// map; Known those the id map already held (left as they were).
	Found map[string]int
	Known map[string]int
	// Duplicates counts, per object type, identities held by more than one
	// object in HighLevel: the oldest is recorded, the others are left
	// alone (Adopt writes nothing) for the reconcile report.
	Duplicates map[string]int
	// Settled counts records an interrupted Adopt had left unsettled.
	Settled  int
	Duration time.Duration
}

// Adopt rebuilds the ledger's id map from the location, by identity,
// without writing anything to HighLevel: contacts by the external-id
// custom field, custom object records by their external-id property,
// opportunities by their external-id field, and businesses, notes and
// tasks by their identity line ("pbnhl-id <migration id>/<type>/<source
// key>"). It recovers a lost or mistyped ledger: afterwards the ledger
// passes the ownership check of every mutating phase, and a Load creates
// only what is missing (no duplicates), then advances the watermarks a
// Delta needs.
//
// Each record found is journaled in a run of kind rollback.KindAdopt as a
// create settled at once. Whether Undo may delete it follows one rule:
// when the location's custom value names a migration (this ledger's, or
// the lost one's, which the ledger then continues), the location was
// loaded by that migration alone — every phase refuses another ledger —
// so the records carrying its identity are its own, recorded as created
// (rollback.Done): Undo deletes them as the lost ledger would have. When
// the location names no migration, nothing proves who made them: they are
// recorded as adopted (rollback.Adopted) and Undo leaves them in place.
//
// The calls are reads: one custom value List, one search page per 100
// contacts, records and opportunities (plus a Get for an opportunity whose
// search result omits its custom fields), one business List, and, when the
// map loads notes or tasks, one List per contact for each. Adopt honours
// neither DryRun nor Concurrency: it writes nothing and reads one call at a
// time. Relations and business links are not read: a Load after Adopt finds
// each relation HighLevel reports as existing and records it as adopted,
// and links contacts to businesses again (idempotent in HighLevel).
func (m *Migration) Adopt(ctx context.Context) (*AdoptReport, error) {
	start := m.now()
	p, err := m.prepare(ctx)
	if err != nil {
		return nil, err
	}
	mid, err := m.migrationID(ctx)
	if err != nil {
		return nil, err
	}
	if other, err := m.otherLocation(ctx); err != nil {
		return nil, err
	} else if other != "" {
		return nil, &LedgerMismatchError{Location: m.location(), MigrationID: mid, Ledger: m.ledgerFingerprint(ctx), OtherLocation: other}
	}
	rep := &AdoptReport{Found: map[string]int{}, Known: map[string]int{}, Duplicates: map[string]int{}}
	cv, err := m.opts.Client.CustomValues.Find(ctx, CustomValueName)
	if err != nil {
		return nil, fmt.Errorf("pbnhl: read the location's migration id (custom value %q): %w", CustomValueName, err)
	}
	// Identity lines of these migrations are ours; with no custom value,
	// any migration's (the location names none, and the records are then
	// adopted, never deleted).
	marks := map[string]bool{mid: true}
	if info, err := m.opts.Ledger.Info(ctx); err == nil && info.MigrationID != "" {
		marks[info.MigrationID] = true // written before the ledger continued another
	}
	if cv != nil {
		owner, _ := parseIdentity(cv.Value)
		if owner == "" {
			return nil, fmt.Errorf("pbnhl: the location's custom value %q (id %s) names no migration id: fix or delete it in HighLevel, then adopt", CustomValueName, cv.ID)
		}
		rep.Owned, rep.MigrationID = true, owner
		marks[owner] = true
	}

	sc := &adoptScan{m: m, p: p, marks: marks, anyMark: cv == nil, found: map[string]map[string]adopted{}, dups: rep.Duplicates}
	if err := sc.scan(ctx); err != nil {
		return nil, err
	}

	run, err := m.opts.Ledger.BeginRun(ctx, rollback.RunOptions{Kind: rollback.KindAdopt, MapDigest: p.digest, Location: m.location(), Actor: m.opts.Actor})
	if err != nil {
		return nil, fmt.Errorf("pbnhl: begin run: %w", err)
	}
	rep.Run = run.ID()
	err = m.recordAdopted(ctx, run, sc, cv, rep)
	if err != nil && ctx.Err() == nil {
		err = fmt.Errorf("pbnhl: adopt: %w", err)
	}
	rep.Duration = m.now().Sub(start)
	status := rollback.StatusSucceeded
	if err != nil {
		status = rollback.StatusFailed
	}
	if ferr := run.Finish(context.WithoutCancel(ctx), status); ferr != nil && err == nil {
		err = fmt.Errorf("pbnhl: finish run: %w", ferr)
	}
	m.mu.Lock()
	m.prep = nil // the id map changed
	m.mid = ""   // and the migration this ledger continues
	m.mu.Unlock()
	m.log.LogAttrs(ctx, levelInfo, "adopt finished", attrRun(int64(rep.Run)))
	return rep, err
}

// adopted is one object found by identity.
type adopted struct {
	id, target, entity string
	created            time.Time
}

// adoptScan reads the location.
type adoptScan struct {
	m       *Migration
	p       *prepared
	marks   map[string]bool // migration ids whose identity lines are ours
	anyMark bool
	found   map[string]map[string]adopted // object type → source key → object
	order   []string                      // object types in dependency order
	dups    map[string]int
	// contactList: the contacts whose notes and tasks are read (contactIDs).
	contactList []string
}

func (sc *adoptScan) add(typ, key string, a adopted) {
	if key == "" {
		return
	}
	byKey := sc.found[typ]
	if byKey == nil {
		byKey = map[string]adopted{}
		sc.found[typ] = byKey
		sc.order = append(sc.order, typ)
	}
	if prev, ok := byKey[key]; ok {
		if prev.id == a.id {
			return // read twice (two map objects of one custom object)
		}
		sc.dups[typ]++
		// Keep the oldest: the one made first is the one a ledger recorded.
		if prev.created.IsZero() || (!a.created.IsZero() && !a.created.Before(prev.created)) {
			return
		}
	}
	byKey[key] = a
}

// markerKey returns the source key of an identity line of type typ in
// text, when the line is one of ours.
func (sc *adoptScan) markerKey(text, typ string) string {
	for line := range strings.Lines(text) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), rollback.IdentityPrefix)
		if !ok {
			continue
		}
		mid, tk, ok := strings.Cut(rest, "/")
		if !ok || (!sc.anyMark && !sc.marks[mid]) {
			continue
		}
		if t, key, ok := strings.Cut(tk, "/"); ok && t == typ {
			return key
		}
	}
	return ""
}

// scan asks every target of the map, in load order, for the records of
// this migration the location holds. Map objects sharing a record type
// and external id (two objects of one custom object) are read once.
func (sc *adoptScan) scan(ctx context.Context) error {
	scanned := map[string]bool{}
	for _, g := range groups(sc.p.order) {
		for _, o := range g {
			typ := o.RecordType()
			if typ == "" || scanned[typ+"/"+o.ExternalID] {
				continue
			}
			scanned[typ+"/"+o.ExternalID] = true
			if err := targetOf(o).adopt(ctx, sc, o); err != nil {
				return err
			}
		}
	}
	return nil
}

// recordAdopted journals what the scan found and the ledger lacks, settles
// what an interrupted Adopt left pending, and records the migration the
// location names as continued by this ledger.
func (m *Migration) recordAdopted(ctx context.Context, run *rollback.Run, sc *adoptScan, cv *highlevel.CustomValue, rep *AdoptReport) error {
	jctx := context.WithoutCancel(ctx) // an intent and its outcome are written together
	outcome := rollback.Adopted
	if rep.Owned {
		outcome = rollback.Done
	}
	// Settle first what an interrupted Adopt left pending: with what this
	// scan found, or as not found.
	earlier, err := m.adoptRuns(ctx)
	if err != nil {
		return err
	}
	delete(earlier, run.ID())
	if len(earlier) > 0 {
		var pending []rollback.Entry
		for e, err := range m.opts.Ledger.Pending(ctx, true) {
			if err != nil {
				return fmt.Errorf("read pending intents: %w", err)
			}
			if earlier[e.Run] {
				pending = append(pending, e)
			}
		}
		for _, e := range pending {
			o := rollback.Rejected(404, "adopt: not found in the location by identity")
			if a, ok := sc.found[e.ObjectType][e.SourceKey]; ok {
				o = outcome(a.id)
			}
			if e.ObjectType == TypeMigration && cv != nil {
				o = rollback.Adopted(cv.ID)
			}
			if err := m.opts.Ledger.Outcome(jctx, e.Run, e.Seq, o); err != nil {
				return fmt.Errorf("journal outcome: %w", err)
			}
			rep.Settled++
		}
	}
	for _, typ := range sc.order {
		known := map[string]bool{}
		for mp, err := range m.opts.Ledger.IDMap(ctx, typ) {
			if err != nil {
				return fmt.Errorf("read the id map: %w", err)
			}
			known[mp.SourceKey] = true
		}
		keys := make([]string, 0, len(sc.found[typ]))
		for k := range sc.found[typ] {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, key := range keys {
			if known[key] {
				rep.Known[typ]++
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			a := sc.found[typ][key]
			if err := journalFound(jctx, run, rollback.Intent{Op: rollback.OpCreate, ObjectType: typ, SourceKey: key, Entity: a.entity, TargetID: a.target}, outcome(a.id)); err != nil {
				return err
			}
			rep.Found[typ]++
		}
	}
	if cv == nil || rep.MigrationID == "" {
		return nil
	}
	cont, err := m.continued(ctx)
	if err != nil {
		return err
	}
	mid, err := m.migrationID(ctx)
	if err != nil {
		return err
	}
	if rep.MigrationID == mid || cont[rep.MigrationID] {
		return nil
	}
	// The custom value is the location's, never deleted by Undo: adopted.
	return journalFound(jctx, run, rollback.Intent{Op: rollback.OpCreate, ObjectType: TypeMigration, SourceKey: rep.MigrationID}, rollback.Adopted(cv.ID))
}

func journalFound(ctx context.Context, run *rollback.Run, in rollback.Intent, o rollback.Outcome) error {
	seq, err := run.Intent(ctx, in)
	if err != nil {
		return fmt.Errorf("journal intent: %w", err)
	}
	if err := run.Outcome(ctx, seq, o); err != nil {
		return fmt.Errorf("journal outcome: %w", err)
	}
	return nil
}
