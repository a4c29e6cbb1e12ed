package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/internal/human"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/rollback"
)

// countRow is one HighLevel kind: what the source says should be there,
// what the ledger's id map holds and what HighLevel holds.
type countRow struct {
	Kind      string
	Objects   []string // map objects that write this kind
	Source    int      // source records the objects read (final state)
	Valid     int      // of those, the ones the map sends (not invalid, not filtered)
	Kept      int      // deleted in the source, kept in HighLevel by the deletion policy
	Rejected  int      // sent, refused by HighLevel (reported, never retried in a loop)
	Ledger    int      // id map rows
	HighLevel int
}

// OK reports whether the three agree.
func (r countRow) OK() bool { return r.Valid+r.Kept-r.Rejected == r.Ledger && r.Ledger == r.HighLevel }

// counts re-validates the final source, and compares per kind what should
// be in HighLevel with the ledger and with HighLevel itself.
func (d *demo) counts(ctx context.Context) error {
	pf, err := d.mig.Preflight(ctx)
	if err != nil {
		return fmt.Errorf("preflight over the final source: %w", err)
	}
	tallies := pf.Validation.Objects()
	rows := map[string]*countRow{}
	var order []string
	for _, o := range d.m.Objects {
		// The ledger's record type is also the simulator's kind (a custom
		// object's records: its schema key).
		typ := o.RecordType()
		if typ == "" {
			continue // no record of its own
		}
		r := rows[typ]
		if r == nil {
			r = &countRow{Kind: typ}
			rows[typ] = r
			order = append(order, typ)
		}
		r.Objects = append(r.Objects, o.Name)
		t := tallies[o.Name]
		r.Source += t.Records
		r.Valid += t.Valid
	}
	loc := hltest.DefaultLocationID
	deleted, err := d.deletedIDs(ctx)
	if err != nil {
		return err
	}
	kept, err := d.keptDeleted(ctx, deleted)
	if err != nil {
		return err
	}
	rejected, err := d.rejected(ctx)
	if err != nil {
		return err
	}
	anyRejected := false
	for _, typ := range order {
		r := rows[typ]
		r.Kept = kept[typ]
		r.Rejected = rejected[typ]
		anyRejected = anyRejected || r.Rejected > 0
		if r.Ledger, err = d.idMapCount(ctx, typ, deleted); err != nil {
			return err
		}
		r.HighLevel = d.hl.Count(loc, hltest.Kind(r.Kind))
	}
	d.say("The final source re-validated (%s records), compared with the ledger's id map and with HighLevel:", human.Int(sumSource(rows)))
	d.say("  %-24s %-28s %8s %8s %8s %8s %8s %9s", "HighLevel kind", "from map objects", "source", "to send", "kept", "rejected", "ledger", "HighLevel")
	failed := false
	for _, typ := range order {
		r := rows[typ]
		mark := "✓"
		if !r.OK() {
			mark = "✗ MISMATCH"
			failed = true
		}
		d.say("  %-24s %-28s %8s %8s %8s %8s %8s %9s  %s", strings.TrimPrefix(r.Kind, "custom_objects."), clip(strings.Join(r.Objects, "+"), 28),
			human.Int(r.Source), human.Int(r.Valid), human.Int(r.Kept), human.Int(r.Rejected), human.Int(r.Ledger), human.Int(r.HighLevel), mark)
		d.res.Counts = append(d.res.Counts, *r)
	}
	live, err := d.liveIDs(ctx, order, deleted)
	if err != nil {
		return err
	}
	rel, err := d.linkCount(ctx, rollback.TypeRelation, live)
	if err != nil {
		return err
	}
	links, err := d.linkCount(ctx, rollback.TypeContactBusiness, live)
	if err != nil {
		return err
	}
	linked := 0
	for _, c := range d.hl.Contacts(loc) {
		if c.BusinessID != "" {
			linked++
		}
	}
	relRow := countRow{Kind: "relation", Objects: []string{"record ↔ contact"}, Ledger: rel, HighLevel: d.hl.Count(loc, hltest.KindRelation)}
	relRow.Valid, relRow.Source = relRow.Ledger, relRow.Ledger
	linkRow := countRow{Kind: "contact → business", Objects: []string{"patients.officeId"}, Ledger: links, HighLevel: linked}
	linkRow.Valid, linkRow.Source = linkRow.Ledger, linkRow.Ledger
	for _, r := range []countRow{relRow, linkRow} {
		mark := "✓"
		if r.Ledger != r.HighLevel {
			mark = "✗ MISMATCH"
			failed = true
		}
		d.say("  %-24s %-28s %8s %8s %8s %8s %8s %9s  %s", r.Kind, r.Objects[0], "", "", "", "", human.Int(r.Ledger), human.Int(r.HighLevel), mark)
		d.res.Counts = append(d.res.Counts, r)
	}
	dups := 0
	for _, g := range d.hl.Duplicates(loc) {
		if g.Field != "email" && g.Field != "phone" {
			dups++
		}
	}
	d.say("Contacts sharing one patient id (identity duplicates): %d. (Families sharing e-mails or phones are not duplicates.)", dups)
	if failed || dups > 0 {
		return fmt.Errorf("counts disagree (see the table): the ledger %s and problems.csv say more", d.ledgerShown())
	}
	if anyRejected {
		d.say("Every record the map sends is in HighLevel exactly once, except those HighLevel rejected (problems.csv has")
		d.say("  their reasons); the ledger knows each record (undo relies on it).")
	} else {
		d.say("Every record the map sends is in HighLevel exactly once, and the ledger knows each one (undo relies on it).")
	}
	if d.cfg.deletions == "keep" {
		d.say("\"kept\": deleted in the source, left in HighLevel by the default deletion policy (-deletions mirror deletes them).")
	}
	return nil
}

func sumSource(rows map[string]*countRow) int {
	n := 0
	for _, r := range rows {
		n += r.Source
	}
	return n
}

// idMapCount counts the id map rows of a type whose record exists: the id
// map keeps a record the delta deleted (with its journaled delete).
func (d *demo) idMapCount(ctx context.Context, typ string, deleted map[string]bool) (int, error) {
	n := 0
	for m, err := range d.ledger.IDMap(ctx, typ) {
		if err != nil {
			return 0, fmt.Errorf("read the id map: %w", err)
		}
		if m.HighLevelID != "" && !deleted[typ+"\x00"+m.SourceKey] {
			n++
		}
	}
	return n, nil
}

// liveIDs are the HighLevel ids the id map holds for the given types.
func (d *demo) liveIDs(ctx context.Context, types []string, deleted map[string]bool) (map[string]bool, error) {
	live := map[string]bool{}
	for _, typ := range types {
		for m, err := range d.ledger.IDMap(ctx, typ) {
			if err != nil {
				return nil, fmt.Errorf("read the id map: %w", err)
			}
			if m.HighLevelID != "" && !deleted[typ+"\x00"+m.SourceKey] {
				live[m.HighLevelID] = true
			}
		}
	}
	return live, nil
}

// linkCount counts the links of a type the journal says exist: made, not
// undone, the latest per source key, between two records that still exist.
func (d *demo) linkCount(ctx context.Context, typ string, live map[string]bool) (int, error) {
	undone := map[int64]bool{}
	for e, err := range d.ledger.Entries(ctx, rollback.EntryFilter{Outcomes: []rollback.OutcomeStatus{rollback.OutcomeDone}}) {
		if err != nil {
			return 0, fmt.Errorf("read the journal: %w", err)
		}
		if e.Compensates != 0 {
			undone[e.Compensates] = true
		}
	}
	latest := map[string]rollback.Entry{}
	for e, err := range d.ledger.Entries(ctx, rollback.EntryFilter{ObjectTypes: []string{typ}, Outcomes: []rollback.OutcomeStatus{rollback.OutcomeDone}}) {
		if err != nil {
			return 0, fmt.Errorf("read the journal: %w", err)
		}
		if e.Op == rollback.OpLink && e.Compensates == 0 && !undone[e.ID] {
			latest[e.SourceKey] = e
		}
	}
	n := 0
	for _, e := range latest {
		if live[e.TargetID] && live[e.RelatedID] {
			n++
		}
	}
	return n, nil
}

// deletedIDs are the records (object type and source key) whose latest
// journaled write is a delete: a delta mirroring source deletions. The id
// map keeps their rows, with the journaled delete after them.
func (d *demo) deletedIDs(ctx context.Context) (map[string]bool, error) {
	latest := map[string]rollback.Op{}
	for e, err := range d.ledger.Entries(ctx, rollback.EntryFilter{Outcomes: []rollback.OutcomeStatus{rollback.OutcomeDone}}) {
		if err != nil {
			return nil, fmt.Errorf("read the journal: %w", err)
		}
		if e.Compensates == 0 && e.SourceKey != "" && e.Op != rollback.OpLink {
			latest[e.ObjectType+"\x00"+e.SourceKey] = e.Op
		}
	}
	out := map[string]bool{}
	for k, op := range latest {
		if op == rollback.OpDelete {
			out[k] = true
		}
	}
	return out, nil
}

// keptDeleted counts, per ledger type, the records the source deleted that
// HighLevel keeps under the keep policy. Under the mirror policy nothing is
// kept, so a record left behind shows as a mismatch.
func (d *demo) keptDeleted(ctx context.Context, deleted map[string]bool) (map[string]int, error) {
	out := map[string]int{}
	if d.cfg.deletions != "keep" {
		return out, nil
	}
	types := map[string][]string{} // source entity → ledger types
	for _, o := range d.m.Objects {
		if typ := o.RecordType(); typ != "" {
			types[o.Source] = append(types[o.Source], typ)
		}
	}
	for del, err := range d.src.Deletions(ctx, pbn.ListOptions{}) {
		if err != nil {
			return nil, fmt.Errorf("read the deletions feed: %w", err)
		}
		key := strconv.FormatInt(del.ID, 10)
		for _, typ := range types[string(del.Entity)] {
			m, ok, err := d.ledger.Lookup(ctx, typ, key)
			if err != nil {
				return nil, fmt.Errorf("id map lookup: %w", err)
			}
			if ok && m.HighLevelID != "" && !deleted[typ+"\x00"+key] {
				out[typ]++
			}
		}
	}
	return out, nil
}

// rejected counts, per ledger type, the records of the final source that
// HighLevel refused and that are not in HighLevel now (a later run may have
// written them).
func (d *demo) rejected(ctx context.Context) (map[string]int, error) {
	seen := map[string]bool{}
	for del, err := range d.src.Deletions(ctx, pbn.ListOptions{}) {
		if err != nil {
			return nil, fmt.Errorf("read the deletions feed: %w", err)
		}
		seen["deleted\x00"+string(del.Entity)+"\x00"+strconv.FormatInt(del.ID, 10)] = true
	}
	out := map[string]int{}
	for p, err := range d.ledger.Problems(ctx) {
		if err != nil {
			return nil, fmt.Errorf("read the problems: %w", err)
		}
		k := p.ObjectType + "\x00" + p.SourceKey
		if p.Kind == rollback.ProblemInvalid || seen[k] || seen["deleted\x00"+p.Entity+"\x00"+p.SourceKey] {
			continue
		}
		seen[k] = true
		m, ok, err := d.ledger.Lookup(ctx, p.ObjectType, p.SourceKey)
		if err != nil {
			return nil, fmt.Errorf("id map lookup: %w", err)
		}
		if !ok || m.HighLevelID == "" {
			out[p.ObjectType]++
		}
	}
	return out, nil
}
