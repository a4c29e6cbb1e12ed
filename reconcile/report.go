package reconcile

import (
	"encoding/json"
	"fmt"
	"html/template"
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
	fmt.Fprintf(&b, "Reconciliation: %s (%d API calls)\n\nCounts\n", verdict, r.Calls)
	fmt.Fprintf(&b, "  %-36s %8s %8s %8s %9s\n", "object type", "source", "rejected", "ledger", "HighLevel")
	for _, c := range r.Counts {
		src := "-"
		if c.Source >= 0 {
			src = fmt.Sprint(c.Source)
		}
		mark := "ok"
		if !c.OK() {
			mark = "MISMATCH"
		}
		fmt.Fprintf(&b, "  %-36s %8s %8d %8d %9d  %s\n", c.ObjectType, src, c.Rejected, c.Ledger, c.HighLevel, mark)
	}
	b.WriteString("\nRelationship integrity\n")
	for _, i := range r.Integrity {
		fmt.Fprintf(&b, "  %-52s %6d of %6d\n", i.Check, i.Found, i.Expected)
		for _, o := range i.Orphans {
			fmt.Fprintf(&b, "    orphan %s %s (%s): %s\n", o.ObjectType, o.SourceKey, o.HighLevelID, o.Reason)
		}
	}
	if len(r.Duplicates) == 0 {
		b.WriteString("\nExternal ids held twice: none\n")
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
		for _, x := range d.Differences {
			fmt.Fprintf(&b, "  %-7s %s %s (%s) %s\n", x.Kind, x.ObjectType, x.SourceKey, x.HighLevelID, x.Field)
		}
	}
	writeDiff("Field-level diff (sample)", &r.Sample)
	if r.Buckets != nil {
		writeDiff("Bucketed diff (every contact)", r.Buckets)
	}
	if r.Records != nil {
		writeDiff("Scan (every custom object record)", r.Records)
	}
	b.WriteString("\nField population (mapped body vs HighLevel)\n")
	for _, p := range r.Population {
		fmt.Fprintf(&b, "  %-36s %-44s %7s %7s\n", p.ObjectType, p.Field, rate(p.Sent, p.Records), rate(p.Stored, p.StoredOf))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteHTML writes a self-contained HTML page: inline CSS and SVG bars, no
// script, no external asset.
func (r *Report) WriteHTML(w io.Writer) error {
	c := *r
	if c.Verdict == "" {
		c.Verdict = c.verdict()
	}
	return page.Execute(w, &c)
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"rate": rate,
	"join": strings.Join,
	"pct": func(n, of int) float64 {
		if of <= 0 {
			return 0
		}
		return 200 * float64(n) / float64(of)
	},
	"maxc": func(c Count) int { return max(c.Source, c.Ledger, c.HighLevel, 1) },
	"bar": func(n, of int) float64 {
		if of <= 0 {
			return 0
		}
		return 300 * float64(n) / float64(of)
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pbnhl reconciliation</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:right}
td:first-child,th:first-child{text-align:left}.bad{color:#b00020;font-weight:600}.ok{color:#1b7f3b}
svg{vertical-align:middle}
</style></head><body>
<h1>Reconciliation</h1>
<p class="{{if .OK}}ok{{else}}bad{{end}}">{{.Verdict}} — {{.Calls}} API calls</p>
<h2>Counts</h2>
<table><tr><th>object type</th><th>source</th><th>rejected</th><th>ledger</th><th>HighLevel</th><th></th><th></th></tr>
{{range .Counts}}<tr><td>{{.ObjectType}}</td><td>{{if ge .Source 0}}{{.Source}}{{else}}–{{end}}</td><td>{{.Rejected}}</td><td>{{.Ledger}}</td><td>{{.HighLevel}}</td>
<td><svg width="310" height="18" role="img" aria-label="ledger and HighLevel"><rect width="{{bar .Ledger (maxc .)}}" height="8" fill="#4a78c2"/><rect y="9" width="{{bar .HighLevel (maxc .)}}" height="8" fill="#e39b2d"/></svg></td>
<td class="{{if .OK}}ok{{else}}bad{{end}}">{{if .OK}}ok{{else}}mismatch{{end}}</td></tr>
{{end}}</table>
<h2>Relationship integrity</h2>
<table><tr><th>check</th><th>found</th><th>expected</th></tr>
{{range .Integrity}}<tr><td>{{.Check}}</td><td>{{.Found}}</td><td>{{.Expected}}</td></tr>
{{range .Orphans}}<tr><td class="bad" colspan="3">orphan {{.ObjectType}} {{.SourceKey}} ({{.HighLevelID}}): {{.Reason}}</td></tr>{{end}}
{{end}}</table>
<h2>External ids held twice</h2>
{{if .Duplicates}}<table><tr><th>object type</th><th>source key</th><th>HighLevel ids (the ledger's first)</th></tr>
{{range .Duplicates}}<tr><td>{{.ObjectType}}</td><td>{{.SourceKey}}</td><td class="bad">{{join .HighLevelIDs ", "}}</td></tr>
{{end}}</table>{{else}}<p class="ok">None.</p>{{end}}
{{range .DuplicatesUnchecked}}<p class="bad">Not checked: {{.}} (its external id field could not be told).</p>{{end}}
<h2>Field-level diff</h2>
{{define "diff"}}<p>{{.Records}} records, {{.Fields}} fields compared, {{.Calls}} API calls, {{.RecordsRead}} records read{{if .Buckets}}, {{.Buckets}} bucket fingerprints{{end}}</p>
{{if .Differences}}<table><tr><th>kind</th><th>object type</th><th>source key</th><th>HighLevel id</th><th>field</th></tr>
{{range .Differences}}<tr><td class="bad">{{.Kind}}</td><td>{{.ObjectType}}</td><td>{{.SourceKey}}</td><td>{{.HighLevelID}}</td><td>{{.Field}}</td></tr>{{end}}</table>{{end}}{{end}}
<h3>Sample, read by id</h3>{{template "diff" .Sample}}
{{with .Buckets}}<h3>Every contact, hashed buckets with bisection</h3>{{template "diff" .}}{{end}}
{{with .Records}}<h3>Every custom object record, scanned by search pages</h3>{{template "diff" .}}{{end}}
<h2>Field population</h2>
<table><tr><th>object type</th><th>field</th><th>mapped</th><th>HighLevel</th><th></th></tr>
{{range .Population}}<tr><td>{{.ObjectType}}</td><td>{{.Field}}</td><td>{{rate .Sent .Records}}</td><td>{{rate .Stored .StoredOf}}</td>
<td><svg width="210" height="18" role="img" aria-label="population"><rect width="{{pct .Sent .Records}}" height="8" fill="#4a78c2"/><rect y="9" width="{{pct .Stored .StoredOf}}" height="8" fill="#e39b2d"/></svg></td></tr>
{{end}}</table>
<p>Blue: ledger (mapped bodies); orange: HighLevel. Names, counts and ids only — no field values.</p>
</body></html>
`))
