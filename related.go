package pbnhl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// relatedValues reads what the map's related rules read (mapping.Related: a
// treatment row's case type is its plan's pipeline): one pass over each
// related object's source, keeping only the fields the rules read, one
// value per record — never whole records. It is the one place the index is
// built; Preflight, SourceCounts and every data phase (sample, run, delta,
// dry run) call it once and give it to their applier. nil when no rule
// reads a related record.
//
// bad, for Preflight and SourceCounts, is their source check's unreadable
// entities: those are not read, and a file that turns out unreadable part
// way is added to it and read no further (the scan of its own object
// blocks on it). A data phase passes nil: any read error ends the run
// before a record is written with an index cut short. A row the source
// cannot parse is left out either way: it is counted invalid where its own
// object is read, and a rule naming it warns.
func (m *Migration) relatedValues(ctx context.Context, mp *mapping.Map, bad map[string]bool) (*mapping.RelatedValues, error) {
	rv, _, err := m.readRelated(ctx, mp, bad, nil)
	return rv, err
}

// readRelated is relatedValues that also, for a delta (since: its
// per-entity lower bounds), returns per related object the source keys of
// its records changed since: the records whose related rules read them
// are written again even when they did not change themselves
// (relatedRefresh), so a plan moved to another pipeline moves its
// treatment rows' case type too.
func (m *Migration) readRelated(ctx context.Context, mp *mapping.Map, bad map[string]bool,
	since map[string]time.Time) (*mapping.RelatedValues, map[string]map[string]bool, error) {
	reads := mp.RelatedReads()
	if len(reads) == 0 {
		return nil, nil, nil
	}
	var changed map[string]map[string]bool
	rv := mapping.NewRelatedValues(mp)
	for _, rd := range reads {
		src := rd.Object.Source
		if bad != nil && bad[src] {
			continue
		}
		it, err := records(ctx, m.opts.Source, src, pbn.ListOptions{})
		if err != nil {
			return nil, nil, err
		}
		lower, delta := since[src]
		for r, err := range it {
			if err != nil {
				if isRowError(err) {
					continue
				}
				var fe *pbn.FileError
				if bad != nil && errors.As(err, &fe) {
					bad[src] = true
					break
				}
				return nil, nil, fmt.Errorf("pbnhl: read %s for the related rules of the map: %w", src, err)
			}
			rv.Add(rd.Object.Name, r.rec)
			if delta && !r.modified.Before(lower) {
				if key := strings.TrimSpace(rd.Object.KeyOf(r.rec)); key != "" {
					if changed == nil {
						changed = map[string]map[string]bool{}
					}
					if changed[rd.Object.Name] == nil {
						changed[rd.Object.Name] = map[string]bool{}
					}
					changed[rd.Object.Name][strings.Clone(key)] = true
				}
			}
		}
		m.log.LogAttrs(ctx, slog.LevelDebug, "related values read", attrObj(rd.Object.Name), attrCount("records", rv.Len(rd.Object.Name)))
	}
	return rv, changed, nil
}

// relatedRefresh says, for a delta reading o's records, which unchanged
// records must be written again because a related record one of o's
// related rules reads changed since the delta's lower bound (the changed
// keys of readRelated); nil when none must (no such rule, or nothing of
// theirs changed, or not a delta). The delta then reads all of o's
// records: those unchanged whose content digest equals the last write's
// are skipped as ever, so only rows whose related value moved are sent.
func relatedRefresh(o *mapping.Object, changed map[string]map[string]bool) func(mapping.Record) bool {
	type read struct {
		from []string
		keys map[string]bool
	}
	var reads []read
	for _, f := range o.Fields {
		if f.Related == nil || len(changed[f.Related.Object]) == 0 {
			continue
		}
		reads = append(reads, read{from: append([]string{f.From}, f.Fallback...), keys: changed[f.Related.Object]})
	}
	if len(reads) == 0 {
		return nil
	}
	return func(rec mapping.Record) bool {
		for _, rd := range reads {
			for _, fr := range rd.from {
				if v, _ := rec.Get(fr); rd.keys[strings.TrimSpace(v)] {
					return true
				}
			}
		}
		return false
	}
}
