package handover

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/rollback"
)

// Cutover is the one-page cutover sheet.
type Cutover struct {
	// LedgerRead says whether counts and the delta window come from a
	// ledger (false: no ledger was given and they are unknown).
	LedgerRead bool          `json:"ledgerRead"`
	Objects    []ObjectCount `json:"objects,omitempty"`
	// Folded are objects written into a field of their contact, not as
	// records of their own.
	Folded []string `json:"folded,omitempty"`
	// Skipped are source fields and entities not migrated, with why and
	// where they are instead.
	Skipped []string `json:"skipped,omitempty"`
	Manual  []string `json:"manual"`
	// LastRun is the last data run (full, delta, repair) that finished,
	// and Watermarks the source change time each entity's next delta reads
	// from.
	LastRun    string   `json:"lastRun,omitempty"`
	Watermarks []string `json:"watermarks,omitempty"`
}

// ObjectCount is what the ledger's id map holds for one HighLevel type
// (contact, custom_objects.pbn_appointment, custom_field, ...): From names
// the map's objects written as it, or says it is the schema.
type ObjectCount struct {
	Object  string `json:"object"`
	From    string `json:"from"`
	Created int64  `json:"created"`
	Adopted int64  `json:"adopted"`
}

// notMigratedHere are the source entities the map never carries, and where
// they are after the migration.
var notMigratedHere = []string{
	"kpi_definitions, kpi_values: this pack, kpis.csv, kpis.json and kpi_values.csv",
	"cohorts: this pack, cohorts.csv (with the HighLevel tag and smart-list filter of each)",
	"automations (workflows, campaigns, message templates): this pack, guide.md / guide.html / guide.json",
}

func buildCutover(ctx context.Context, m *mapping.Map, l *rollback.Ledger) (Cutover, error) {
	c := Cutover{Skipped: slices.Clone(notMigratedHere)}
	from := map[string][]string{}
	calendars := false
	if m != nil {
		for _, o := range m.Objects {
			t := string(o.Target)
			if o.Key != "" && o.Target == mapping.TargetCustomObject {
				t = o.Key
			}
			if !slices.Contains(from[t], o.Name) {
				from[t] = append(from[t], o.Name)
			}
			if f := o.FoldedField(); f != "" {
				c.Folded = append(c.Folded, fmt.Sprintf("%s: one JSON list per patient in the contact field %q (open the contact, Custom Fields)", o.Name, f))
			}
			calendars = calendars || o.UsesCalendars()
			for _, s := range o.Skip {
				why := s.Reason
				if why == "" {
					why = "no reason given in the map"
				}
				if s.Sensitive {
					why += " (sensitive: kept out for privacy)"
				}
				c.Skipped = append(c.Skipped, fmt.Sprintf("%s.%s: not migrated, stays in PbN — %s", o.Name, s.From, why))
			}
		}
	}
	c.Manual = []string{
		"Pipeline stage probabilities: HighLevel's API cannot set them; set each stage's win probability in Opportunities → Pipelines.",
		"Users: invite the staff who had no HighLevel user (their records went to the fallback owner) and reassign them.",
		"Workflows: rebuild them from guide.md in the checklist's order (recall and reminders first) and switch PbN's off as each goes live.",
		"Cohorts: tag the members (or confirm the tags) and save the smart lists in cohorts.csv.",
		"Dashboards: rebuild the KPIs that HighLevel can compute (kpis.csv, column rebuild_in_highlevel); keep kpi_values.csv for history.",
		"Schemas: undo never deletes custom objects, custom fields or pipelines the schema phase created; delete them by hand in Settings if the migration is abandoned.",
	}
	if calendars {
		c.Manual = append(c.Manual[:2], append([]string{"Calendars: check the practice calendars' availability and team members; migrated appointments do not notify patients."}, c.Manual[2:]...)...)
	}
	if l == nil {
		return c, nil
	}
	c.LedgerRead = true
	counts := map[string]*ObjectCount{}
	for e, err := range l.IDMap(ctx, "") {
		if err != nil {
			return c, fmt.Errorf("handover: read the id map: %w", err)
		}
		if e.HighLevelID == "" {
			continue
		}
		oc := counts[e.ObjectType]
		if oc == nil {
			oc = &ObjectCount{Object: e.ObjectType, From: strings.Join(from[e.ObjectType], ", ")}
			if schemaTypes[e.ObjectType] {
				oc.From = "schema (the schema phase)"
			}
			counts[e.ObjectType] = oc
		}
		if e.Origin == rollback.OriginAdopted {
			oc.Adopted++
		} else {
			oc.Created++
		}
	}
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		c.Objects = append(c.Objects, *counts[k])
	}
	runs, err := l.Runs(ctx)
	if err != nil {
		return c, fmt.Errorf("handover: read the runs: %w", err)
	}
	for _, r := range slices.Backward(runs) {
		if (r.Kind == rollback.KindFull || r.Kind == rollback.KindDelta || r.Kind == rollback.KindRepair) && r.Status == rollback.StatusSucceeded {
			c.LastRun = fmt.Sprintf("run %d (%s), finished %s", r.ID, r.Kind, r.FinishedAt.UTC().Format(time.RFC3339))
			break
		}
	}
	if m != nil {
		seen := map[string]bool{}
		for _, o := range m.Objects {
			if seen[o.Source] {
				continue
			}
			seen[o.Source] = true
			at, ok, err := l.Watermark(ctx, o.Source)
			if err != nil {
				return c, fmt.Errorf("handover: read the watermarks: %w", err)
			}
			if ok {
				c.Watermarks = append(c.Watermarks, fmt.Sprintf("%s: changes after %s", o.Source, at.UTC().Format(time.RFC3339)))
			}
		}
	}
	return c, nil
}

// schemaTypes are the id map's types the schema phase creates.
var schemaTypes = map[string]bool{"custom_field": true, "custom_object": true, "object_field": true, "pipeline": true,
	"association": true, "custom_value": true, "calendar": true, "tag": true}

func writeCutoverMD(b *bytes.Buffer, practice string, c Cutover) error {
	title := "Cutover sheet"
	if practice != "" {
		title += " — " + practice
	}
	fmt.Fprintf(b, "# %s\n\n", title)
	b.WriteString("## What moved\n\n")
	if !c.LedgerRead {
		b.WriteString("Not known: the pack was written without the run ledger (give it to count what moved).\n\n")
	} else if len(c.Objects) == 0 {
		b.WriteString("Nothing: the ledger maps no record to HighLevel yet (no run, or every run was undone).\n\n")
	} else {
		b.WriteString("Records in HighLevel the run ledger maps to the source, per HighLevel type:\n\n")
		b.WriteString("| HighLevel type | from PbN | created | adopted (existed) |\n|---|---|---:|---:|\n")
		for _, o := range c.Objects {
			fmt.Fprintf(b, "| %s | %s | %d | %d |\n", o.Object, mdCell(o.From), o.Created, o.Adopted)
		}
		b.WriteString("\n")
	}
	b.WriteString("## Folded or skipped, and where it is\n\n")
	for _, f := range c.Folded {
		fmt.Fprintf(b, "- folded — %s\n", f)
	}
	for _, s := range c.Skipped {
		fmt.Fprintf(b, "- %s\n", s)
	}
	b.WriteString("\n## Manual steps left\n\n")
	for i, s := range c.Manual {
		fmt.Fprintf(b, "%d. %s\n", i+1, s)
	}
	b.WriteString("\n## The delta window and the last delta\n\n")
	switch {
	case !c.LedgerRead:
		b.WriteString("Not known without the ledger.\n")
	case c.LastRun == "":
		b.WriteString("No full or delta run has finished yet.\n")
	default:
		fmt.Fprintf(b, "Last finished data run: %s.\n", c.LastRun)
		if len(c.Watermarks) > 0 {
			b.WriteString("\nThe next delta reads, per source entity:\n\n")
			for _, w := range c.Watermarks {
				fmt.Fprintf(b, "- %s\n", w)
			}
		}
	}
	b.WriteString(`
Everything changed in PbN after these times is still to move. At cutover:
stop work in PbN, run the last delta (` + "`pbn2hl delta -ledger LEDGER -map MAP ...`" + `, the same
flags as the run), check it with ` + "`pbn2hl reconcile`" + `, then switch the team to HighLevel.
A delta only writes what changed; run it again after an interruption.

## How to undo

` + "`pbn2hl undo -ledger LEDGER ...`" + ` reverses the runs newest first: records the migration
created are deleted, records it updated get their before-image back, adopted
records are never deleted. Records someone edited in HighLevel since are left
and listed (undo -force overrides). Schemas stay (see Manual steps).
`)
	return nil
}

func mdCell(s string) string {
	if s == "" {
		return "—"
	}
	return strings.ReplaceAll(s, "|", `\|`)
}
