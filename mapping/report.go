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
}

// Add counts one payload (after the Validator, when one is used).
func (r *Report) Add(p *Payload) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.objects == nil {
		r.objects = map[string]*ObjectTally{}
	}
	t := r.objects[p.Object]
	if t == nil {
		t = &ObjectTally{Rules: map[string]int{}}
		r.objects[p.Object] = t
	}
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
