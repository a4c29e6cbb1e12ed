package pbnhl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

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
	reads := mp.RelatedReads()
	if len(reads) == 0 {
		return nil, nil
	}
	rv := mapping.NewRelatedValues(mp)
	for _, rd := range reads {
		src := rd.Object.Source
		if bad != nil && bad[src] {
			continue
		}
		it, err := records(ctx, m.opts.Source, src, pbn.ListOptions{})
		if err != nil {
			return nil, err
		}
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
				return nil, fmt.Errorf("pbnhl: read %s for the related rules of the map: %w", src, err)
			}
			rv.Add(rd.Object.Name, r.rec)
		}
		m.log.LogAttrs(ctx, slog.LevelDebug, "related values read", attrObj(rd.Object.Name), attrCount("records", rv.Len(rd.Object.Name)))
	}
	return rv, nil
}
