package mapping

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/pbnhl/pbnhl/mapping/transform"
)

// Report tallies payloads per object — valid, invalid, skipped, warned — and
// per rule, and keeps the problems (up to a limit) for a person to read.
// Problems hold no values, so a report can be shared. Safe for concurrent use.
type Report struct {
	// MaxProblems caps the problems kept, invalid ones and warnings each;
	// 0 means 10,000. Counts stay exact.
	MaxProblems int

	mu       sync.Mutex
	objects  map[string]*ObjectTally
	problems []Problem // invalid
	warnings []Problem
	dropped  int
}

// ObjectTally counts one object's payloads.
type ObjectTally struct {
	Records, Valid, Invalid, Skipped, Warned, Merged int
	// Rules counts problems by severity, field and rule: "invalid email format".
	Rules map[string]int

	reasons map[reasonKey]*ReasonCount // invalid problems by field and rule
}

// RuleSource is the rule of a record the source could not give: a row of an
// export file that does not parse (see [Report.AddSourceError]).
const RuleSource = "source"

type reasonKey struct{ field, rule string }

// ReasonCount is one reason records of an object are invalid and how
// often it occurs. Example is the reason of its first occurrence: like
// every reason it names fields, rules and source keys, never values.
type ReasonCount struct {
	Field   string `json:"field,omitempty"`
	Rule    string `json:"rule"`
	Count   int    `json:"count"`
	Example string `json:"example"`
}

func (c ReasonCount) String() string {
	f := c.Rule
	if c.Field != "" {
		f = c.Field + " " + c.Rule
	}
	return fmt.Sprintf("%d × %s (%s)", c.Count, f, c.Example)
}

// Add counts one payload (after the Validator, when one is used).
func (r *Report) Add(p *Payload) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.tally(p.Object)
	t.Records++
	switch {
	case p.Skipped != "":
		t.Skipped++
	case p.Valid():
		t.Valid++
	default:
		t.Invalid++
	}
	if p.DuplicateOf != "" {
		t.Merged++
	}
	warned := false
	limit := r.MaxProblems
	if limit == 0 {
		limit = 10000
	}
	for _, pr := range p.Problems {
		warned = warned || pr.Severity == Warning
		t.Rules[string(pr.Severity)+" "+pr.Field+" "+pr.Rule]++
		if pr.Severity == Invalid && p.Skipped == "" {
			t.countReason(pr)
		}
		switch {
		case pr.Severity == Invalid && len(r.problems) < limit:
			r.problems = append(r.problems, pr)
		case pr.Severity != Invalid && len(r.warnings) < limit:
			r.warnings = append(r.warnings, pr)
		default:
			r.dropped++
		}
	}
	if warned {
		t.Warned++
	}
}

func (t *ObjectTally) countReason(pr Problem) {
	if t.reasons == nil {
		t.reasons = map[reasonKey]*ReasonCount{}
	}
	k := reasonKey{pr.Field, pr.Rule}
	c := t.reasons[k]
	if c == nil {
		c = &ReasonCount{Field: pr.Field, Rule: pr.Rule, Example: pr.Reason}
		t.reasons[k] = c
	}
	c.Count++
}

func (r *Report) tally(object string) *ObjectTally {
	if r.objects == nil {
		r.objects = map[string]*ObjectTally{}
	}
	t := r.objects[object]
	if t == nil {
		t = &ObjectTally{Rules: map[string]int{}}
		r.objects[object] = t
	}
	return t
}

// AddSourceError counts one record of object that the source could not
// give — a row of an export file that does not parse — as an invalid
// record with rule [RuleSource]. reason must hold no value (a
// practicebynumbers RowError's text names file, line, column and the kind
// of problem only). sourceKey may be "" when the row's id is unreadable;
// field names the source column at fault, "" for the row's shape.
func (r *Report) AddSourceError(object, sourceKey, field, reason string) {
	r.Add(&Payload{Object: object, SourceKey: sourceKey,
		Problems: []Problem{{Object: object, SourceKey: sourceKey, Field: field, Rule: RuleSource, Reason: reason, Severity: Invalid}}})
}

// InvalidReasons returns why object's records are invalid, most frequent
// first (then by field and rule). Counts are problems: a record with two
// invalid fields counts under both.
func (r *Report) InvalidReasons(object string) []ReasonCount {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.objects[object]
	if t == nil {
		return nil
	}
	out := make([]ReasonCount, 0, len(t.reasons))
	for _, c := range t.reasons {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b ReasonCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		if a.Field != b.Field {
			return strings.Compare(a.Field, b.Field)
		}
		return strings.Compare(a.Rule, b.Rule)
	})
	return out
}

// WriteReasons writes, per object with invalid records, its invalid count
// and the reasons by frequency (at most top per object; 0 means all), one
// indented line each. It holds no values.
func (r *Report) WriteReasons(w io.Writer, top int) error {
	objs := r.Objects()
	names := make([]string, 0, len(objs))
	for k, t := range objs {
		if t.Invalid > 0 {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "  %s: %d of %d invalid\n", n, objs[n].Invalid, objs[n].Records)
		rs := r.InvalidReasons(n)
		for i, c := range rs {
			if top > 0 && i == top {
				fmt.Fprintf(&b, "    ... %d more reasons\n", len(rs)-top)
				break
			}
			fmt.Fprintf(&b, "    %s\n", c)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Objects returns the tallies by object name.
func (r *Report) Objects() map[string]ObjectTally {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]ObjectTally, len(r.objects))
	for k, v := range r.objects {
		c := *v
		c.Rules = make(map[string]int, len(v.Rules))
		for rk, rv := range v.Rules {
			c.Rules[rk] = rv
		}
		c.reasons = nil // read through InvalidReasons
		out[k] = c
	}
	return out
}

// Problems returns the problems kept: invalid ones, then warnings, each in
// arrival order.
func (r *Report) Problems() []Problem {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append(slices.Clone(r.problems), r.warnings...)
}

// WriteMarkdown renders the tallies and the invalid records.
func (r *Report) WriteMarkdown(w io.Writer) error {
	objs := r.Objects()
	probs := r.Problems()
	b := &strings.Builder{}
	b.WriteString("# Validation report\n\n| Object | Records | Valid | Invalid | Skipped | With warnings | Merged |\n|---|---|---|---|---|---|---|\n")
	names := make([]string, 0, len(objs))
	for k := range objs {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, n := range names {
		t := objs[n]
		fmt.Fprintf(b, "| %s | %d | %d | %d | %d | %d | %d |\n", mdCell(n), t.Records, t.Valid, t.Invalid, t.Skipped, t.Warned, t.Merged)
	}
	b.WriteString("\n## By rule\n\n| Object | Severity, field, rule | Count |\n|---|---|---|\n")
	for _, n := range names {
		rules := make([]string, 0, len(objs[n].Rules))
		for k := range objs[n].Rules {
			rules = append(rules, k)
		}
		slices.Sort(rules)
		for _, k := range rules {
			fmt.Fprintf(b, "| %s | %s | %d |\n", mdCell(n), mdCell(k), objs[n].Rules[k])
		}
	}
	b.WriteString("\n## Invalid records\n\n| Object | Source key | Field | Rule | Reason |\n|---|---|---|---|---|\n")
	for _, p := range probs {
		if p.Severity == Invalid {
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", mdCell(p.Object), mdCell(p.SourceKey), mdCell(p.Field), p.Rule, mdCell(p.Reason))
		}
	}
	r.mu.Lock()
	dropped := r.dropped
	r.mu.Unlock()
	if dropped > 0 {
		fmt.Fprintf(b, "\n%d more problems were counted but not kept.\n", dropped)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteCSV writes every kept problem as CSV (object, source_key, field,
// rule, severity, reason), with spreadsheet formulas neutralised.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"object", "source_key", "field", "rule", "severity", "reason"}); err != nil {
		return err
	}
	for _, p := range r.Problems() {
		row := []string{p.Object, p.SourceKey, p.Field, p.Rule, string(p.Severity), p.Reason}
		for i := range row {
			row[i] = transform.NeutralizeFormula(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Summary is one line per object: "patients: 300 records, 290 valid, ...".
func (r *Report) Summary() string {
	objs := r.Objects()
	names := make([]string, 0, len(objs))
	for k := range objs {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		t := objs[n]
		b.WriteString(n + ": " + strconv.Itoa(t.Records) + " records, " + strconv.Itoa(t.Valid) + " valid, " +
			strconv.Itoa(t.Invalid) + " invalid, " + strconv.Itoa(t.Skipped) + " skipped\n")
	}
	return b.String()
}
