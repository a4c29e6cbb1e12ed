package reconcile

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	c := *r
	if c.Verdict == "" {
		c.Verdict = c.verdict()
	}
	return enc.Encode(&c)
}

// headerLine is the header in one line: practice, location, map digest,
// runs, date — what is known.
func (r *Report) headerLine() string {
	var parts []string
	if r.Practice != "" {
		parts = append(parts, "practice "+r.Practice)
	}
	if r.LocationID != "" {
		parts = append(parts, "location "+r.LocationID)
	}
	if r.MapDigest != "" {
		parts = append(parts, "map "+shortDigest(r.MapDigest))
	}
	if len(r.Runs) > 0 {
		ids := make([]string, len(r.Runs))
		for i, ru := range r.Runs {
			ids[i] = fmt.Sprintf("%d %s", ru.ID, ru.Kind)
		}
		parts = append(parts, "runs "+strings.Join(ids, ", "))
	}
	if !r.CheckedAt.IsZero() {
		parts = append(parts, "checked "+r.CheckedAt.UTC().Format("2006-01-02 15:04 UTC"))
	}
	return strings.Join(parts, "; ")
}

// shortDigest is a digest's first 12 hex digits after its algorithm.
func shortDigest(d string) string {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok {
		alg, hex = "", d
	}
	if len(hex) > 12 {
		hex = hex[:12]
	}
	if alg != "" {
		return alg + ":" + hex
	}
	return hex
}

func rate(n, of int) string {
	if of <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(of))
}

// WriteText writes the report as plain text.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	verdict := r.Verdict
	if verdict == "" {
		verdict = r.verdict()
	}
	fmt.Fprintf(&b, "Reconciliation: %s (%d API calls)\n", verdict, r.Calls)
	if h := r.headerLine(); h != "" {
		b.WriteString(h + "\n")
	}
	if len(r.Unchecked) > 0 {
		b.WriteString("\nNot checked (the report is partial)\n")
		for _, u := range r.Unchecked {
			fmt.Fprintf(&b, "  %s: %s\n", u.Step, u.Reason)
		}
	}
	b.WriteString("\nCounts\n")
	fmt.Fprintf(&b, "  %-36s %8s %8s %6s %7s %8s %9s\n", "object type", "source", "rejected", "kept", "deleted", "ledger", "HighLevel")
	for _, c := range r.Counts {
		src := "-"
		if c.Source >= 0 {
			src = fmt.Sprint(c.Source)
		}
		mark := c.Status()
		if !c.OK() {
			mark = "MISMATCH" + strings.TrimPrefix(mark, "mismatch")
		}
		if c.HighLevelBy != "" {
			mark += " (HighLevel by " + c.HighLevelBy + ")"
		}
		fmt.Fprintf(&b, "  %-36s %8s %8d %6d %7d %8d %9d  %s\n", c.ObjectType, src, c.Rejected, c.Kept, c.Deleted, c.Ledger, c.HighLevel, mark)
		for _, k := range []struct {
			name string
			keys []string
		}{{"rejected", c.RejectedKeys}, {"kept", c.KeptKeys}, {"deleted", c.DeletedKeys}} {
			// A line a person reads: the first keys, and where the rest
			// are (the JSON report and the ledger's problems list hold all).
			const shown = 20
			switch n := len(k.keys); {
			case n > shown:
				fmt.Fprintf(&b, "    %s: %s … and %d more (the JSON report and the ledger's problems list hold all)\n", k.name, strings.Join(k.keys[:shown], ", "), n-shown)
			case n > 0:
				fmt.Fprintf(&b, "    %s: %s\n", k.name, strings.Join(k.keys, ", "))
			}
		}
	}
	b.WriteString("\nRelationship integrity\n")
	for _, i := range r.Integrity {
		fmt.Fprintf(&b, "  %-52s %6d of %6d\n", i.Check, i.Found, i.Expected)
		if i.Sampled > 0 {
			fmt.Fprintf(&b, "    sampled %d of %d: the others are not checked; a loss on a fraction p of the %d is missed with probability (1-p)^%d (Deep reads all)\n", i.Sampled, i.SampledOf, i.SampledOf, i.Sampled)
		}
		for _, o := range i.Orphans {
			fmt.Fprintf(&b, "    orphan %s %s (%s): %s\n", o.ObjectType, o.SourceKey, o.HighLevelID, o.Reason)
		}
	}
	checked := ""
	if len(r.DuplicatesChecked) > 0 {
		checked = " (checked: " + strings.Join(r.DuplicatesChecked, ", ") + ")"
	}
	if len(r.Duplicates) == 0 {
		fmt.Fprintf(&b, "\nExternal ids held twice: none%s\n", checked)
	} else {
		fmt.Fprintf(&b, "\nExternal ids held twice: %d (the ledger's id first)\n", len(r.Duplicates))
		for _, d := range r.Duplicates {
			fmt.Fprintf(&b, "  %s %s: %s\n", d.ObjectType, d.SourceKey, strings.Join(d.HighLevelIDs, ", "))
		}
	}
	for _, typ := range r.DuplicatesUnchecked {
		fmt.Fprintf(&b, "  not checked: %s (its external id field could not be told)\n", typ)
	}
	writeDiff := func(name string, d *Diff) {
		fmt.Fprintf(&b, "\n%s: %d records, %d fields compared, %d API calls, %d records read, %.3f calls per record", name, d.Records, d.Fields, d.Calls, d.RecordsRead, d.ReadsPerRecord())
		if d.Buckets > 0 {
			fmt.Fprintf(&b, ", %d bucket fingerprints", d.Buckets)
		}
		b.WriteString("\n")
		if d.SampledOf > 0 {
			fmt.Fprintf(&b, "  sampled %d of %d records (a random search page per object type whose count agrees, read with the count): a field changed outside the sample is not seen (Deep scans all)\n", d.Sampled, d.SampledOf)
		}
		for _, x := range d.Differences {
			fmt.Fprintf(&b, "  %-7s %s %s (%s) %s\n", x.Kind, x.ObjectType, x.SourceKey, x.HighLevelID, x.Field)
		}
	}
	writeDiff("Field-level diff (sample)", &r.Sample)
	if r.Buckets != nil {
		name := "Bucketed diff (every contact)"
		if r.Buckets.Buckets == 0 {
			name = "Every contact, read whole (search pages of 500)"
		}
		writeDiff(name, r.Buckets)
	}
	if r.Records != nil {
		name := "Scan (every custom object record)"
		if r.Records.SampledOf > 0 {
			name = "Custom object records (sampled; scanned whole where a count differs)"
		}
		writeDiff(name, r.Records)
	}
	b.WriteString("\nField population (mapped body vs HighLevel)\n")
	for _, p := range r.Population {
		by := ""
		if p.StoredBy != "" {
			by = fmt.Sprintf("  (HighLevel by %s, of %d)", p.StoredBy, p.StoredOf)
		}
		if n, of := p.Same(); of != p.Records {
			by += fmt.Sprintf("; mapped on those %s", rate(n, of))
		}
		fmt.Fprintf(&b, "  %-36s %-44s %7s %7s%s\n", p.ObjectType, p.Field, rate(p.Sent, p.Records), rate(p.Stored, p.StoredOf), by)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
