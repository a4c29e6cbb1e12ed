package mapping

// The proposal's Markdown review (the map's own review is in review.go).

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// WriteReview renders the proposal for its reviewer, most urgent first:
// the files read (rows, rejected rows, what each became), then every
// column grouped as needs a decision / not migrated (sensitive, skipped) /
// confident, each with its evidence, the files not recognised with their
// columns (to map by hand), the proposer's notes, and last the map itself
// rule by rule ([Map.WriteReview]). Evidence is counts and names: no value.
func (p *Proposal) WriteReview(w io.Writer, opts ReviewOptions) error {
	low := opts.LowConfidence
	if low == 0 {
		low = 0.6
	}
	b := &strings.Builder{}
	fmt.Fprintf(b, "# Proposed field map: %s\n\n", mdText(p.Map.Name))
	var decide, sensitive, skipped, confident []ColumnDecision
	for _, c := range p.Columns {
		switch {
		case c.Decision == DecisionSkip && c.Sensitive:
			sensitive = append(sensitive, c)
		case c.Decision == DecisionSkip:
			skipped = append(skipped, c)
		case c.Decision == DecisionUnmapped || c.Confidence < low || p.flagged(c):
			decide = append(decide, c)
		default:
			confident = append(confident, c)
		}
	}
	// Review items about something other than one column's decision
	// (the entity, its pipelines, a placeholder key, a dropped rule).
	var extra []ReviewItem
	for _, r := range p.Review {
		if !slices.ContainsFunc(decide, func(c ColumnDecision) bool { return c.Object == r.Object && c.Column == r.Field }) {
			extra = append(extra, r)
		}
	}
	fmt.Fprintf(b, "%d files read; %d objects drafted. Columns: **%d need a decision**, %d not migrated (%d of them sensitive), %d confident.\n\n",
		len(p.Files), len(p.Map.Objects), len(decide)+len(extra), len(sensitive)+len(skipped), len(sensitive), len(confident))
	b.WriteString("Nothing runs until the map is approved (`pbn2hl approve`). Edit the YAML to change any decision: a skipped column is migrated by moving it from `skip` into a rule.\n\n")

	b.WriteString("## Files\n\n| File | Rows | Rejected rows | Became | Confidence | Why |\n|---|---|---|---|---|---|\n")
	for _, f := range p.Files {
		name := f.Entity
		if f.File != "" {
			name = f.File
		}
		rows := strconv.FormatInt(f.Rows, 10)
		if f.Rows >= maxCSVSampleRows {
			rows = "≥ " + rows
		}
		became := "—"
		if f.Object != "" {
			became = fmt.Sprintf("`%s` (%s)", f.Object, f.Target)
		}
		conf := "—"
		if f.Confidence > 0 {
			conf = strconv.FormatFloat(f.Confidence, 'f', 2, 64)
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s | %s |\n", mdCell(name), rows, rejectsText(f.Rejects), became, conf, mdCell(orDash(f.Why)))
	}

	fmt.Fprintf(b, "\n## Needs a decision (%d)\n\n", len(decide)+len(extra))
	if len(decide)+len(extra) == 0 {
		b.WriteString("Nothing.\n")
	} else {
		b.WriteString("| Object | Column | Proposed | Confidence | Evidence |\n|---|---|---|---|---|\n")
		for _, c := range decide {
			fmt.Fprintf(b, "| %s | `%s` | %s | %s | %s |\n", mdCell(c.Object), mdCell(c.Column), decisionText(c), confText(c.Confidence), mdCell(p.why(c)))
		}
		for _, r := range extra {
			t := "—"
			if r.Target != "" {
				t = "`" + mdCell(r.Target) + "`"
			}
			fmt.Fprintf(b, "| %s | `%s` | %s | %s | %s |\n", mdCell(r.Object), mdCell(r.Field), t, confText(r.Confidence), mdCell(r.Why))
		}
	}

	fmt.Fprintf(b, "\n## Not migrated: sensitive (%d)\n\n", len(sensitive))
	if len(sensitive) == 0 {
		b.WriteString("None found.\n")
	} else {
		b.WriteString("| Object | Column | Why |\n|---|---|---|\n")
		for _, c := range sensitive {
			fmt.Fprintf(b, "| %s | `%s` | %s |\n", mdCell(c.Object), mdCell(c.Column), mdCell(c.Why))
		}
	}
	fmt.Fprintf(b, "\n## Skipped (%d)\n\n", len(skipped))
	if len(skipped) == 0 {
		b.WriteString("None.\n")
	} else {
		b.WriteString("| Object | Column | Confidence | Why |\n|---|---|---|---|\n")
		for _, c := range skipped {
			fmt.Fprintf(b, "| %s | `%s` | %s | %s |\n", mdCell(c.Object), mdCell(c.Column), confText(c.Confidence), mdCell(c.Why))
		}
	}
	fmt.Fprintf(b, "\n## Confident (%d)\n\n", len(confident))
	if len(confident) == 0 {
		b.WriteString("None.\n")
	} else {
		b.WriteString("| Object | Column | Proposed | Confidence | Evidence |\n|---|---|---|---|---|\n")
		for _, c := range confident {
			fmt.Fprintf(b, "| %s | `%s` | %s | %s | %s |\n", mdCell(c.Object), mdCell(c.Column), decisionText(c), confText(c.Confidence), mdCell(c.Why))
		}
	}
	var unrec []FileSummary
	for _, f := range p.Files {
		if f.Object == "" && strings.HasPrefix(f.Why, "not recognised") || strings.HasPrefix(f.Why, "could not be drafted") {
			unrec = append(unrec, f)
		}
	}
	if len(unrec) > 0 {
		b.WriteString("\n## Not recognised — map by hand\n\nAdd an object for each file you want migrated (source: the name below); its columns:\n\n")
		for _, f := range unrec {
			cols := make([]string, len(f.Columns))
			for i, c := range f.Columns {
				cols[i] = "`" + mdCell(c) + "`"
			}
			fmt.Fprintf(b, "- `%s` (%d rows): %s\n", mdCell(f.Entity), f.Rows, strings.Join(cols, ", "))
		}
	}
	if len(p.Notes) > 0 {
		b.WriteString("\n## Notes\n\n")
		for _, n := range p.Notes {
			fmt.Fprintf(b, "- %s\n", mdText(n))
		}
	}
	b.WriteString("\n---\n\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	return p.Map.WriteReview(w, opts)
}

// flagged reports whether the review lists a column's rule (a suggester's
// proposal, a disagreement).
func (p *Proposal) flagged(c ColumnDecision) bool {
	return slices.ContainsFunc(p.Review, func(r ReviewItem) bool { return r.Object == c.Object && r.Field == c.Column })
}

// why is a decision's evidence, with the review's words when it lists it.
func (p *Proposal) why(c ColumnDecision) string {
	var parts []string
	if c.Why != "" {
		parts = append(parts, c.Why)
	}
	for _, r := range p.Review {
		if r.Object == c.Object && r.Field == c.Column && r.Why != c.Why && !slices.Contains(parts, r.Why) {
			parts = append(parts, r.Why)
		}
	}
	return strings.Join(parts, "; ")
}

func decisionText(c ColumnDecision) string {
	switch c.Decision {
	case DecisionKey:
		return "source key"
	case DecisionLookup:
		return "link → `" + mdCell(c.Target) + "`"
	case DecisionStage:
		return "pipeline stages"
	case DecisionUnmapped:
		return "—"
	case DecisionField:
		if c.Custom {
			return "custom `" + mdCell(c.Target) + "`"
		}
		return "`" + mdCell(c.Target) + "`"
	}
	return c.Decision
}

func confText(f float64) string {
	if f <= 0 {
		return "—"
	}
	return strconv.FormatFloat(f, 'f', 2, 64)
}

// rejectsText totals a file's rejected rows with their reasons, most
// frequent first.
func rejectsText(r map[string]int) string {
	if len(r) == 0 {
		return "0"
	}
	type kv struct {
		k string
		v int
	}
	var all []kv
	total := 0
	for k, v := range r {
		all = append(all, kv{k, v})
		total += v
	}
	slices.SortFunc(all, func(a, b kv) int {
		if a.v != b.v {
			return b.v - a.v
		}
		return strings.Compare(a.k, b.k)
	})
	parts := make([]string, len(all))
	for i, x := range all {
		parts[i] = fmt.Sprintf("%d %s", x.v, mdCell(x.k))
	}
	return fmt.Sprintf("**%d**: %s", total, strings.Join(parts, "; "))
}
