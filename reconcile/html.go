package reconcile

import (
	"fmt"
	"html/template"
	"io"
	"strings"
)

// WriteHTML writes the report as one self-contained page a practice can
// keep as evidence: a header (practice, location, map digest, runs
// checked, date, the verdict in one sentence), three charts drawn as
// inline SVG — counts per object type (source / ledger / HighLevel),
// population rate per field (mapped bodies vs HighLevel), differences by
// object type — and the tables behind them, with the source keys behind
// every difference. Inline CSS, no script, no font or image fetched: it
// opens offline. Like every rendering it holds object types, field names,
// counts, source keys and HighLevel ids — never a field's value.
func (r *Report) WriteHTML(w io.Writer) error {
	c := *r
	if c.Verdict == "" {
		c.Verdict = c.verdict()
	}
	v := htmlView{Report: &c, OK: c.OK()}
	v.Charts = []chart{countsChart(&c), populationChart(&c), differencesChart(&c)}
	v.Keys = keyRows(&c)
	return page.Execute(w, &v)
}

type htmlView struct {
	*Report
	OK     bool
	Charts []chart
	Keys   []keyRow
}

// chart is an SVG chart laid out in Go, so the template only draws it.
type chart struct {
	ID, Title, Caption string
	Width, Height      int
	Rects              []rect
	Texts              []text
}

type rect struct {
	X, Y, W, H float64
	Fill       string
	Tip        string // the bar's exact value, shown on hover
}

type text struct {
	X, Y   float64
	Anchor string // start, end, middle
	Class  string
	Text   string
	Tip    string // the full label when Text is shortened
}

// Chart colours: the three sides of a count, and the kinds of difference.
const (
	colSource    = "#8a8f98"
	colLedger    = "#4a78c2"
	colHighLevel = "#e39b2d"
	labelWidth   = 300
	barWidth     = 360
	chartWidth   = labelWidth + barWidth + 70
)

// legend draws coloured squares with names along the top of a chart.
func legend(c *chart, items ...[2]string) {
	x := float64(labelWidth)
	for _, it := range items {
		c.Rects = append(c.Rects, rect{X: x, Y: 4, W: 10, H: 10, Fill: it[1]})
		c.Texts = append(c.Texts, text{X: x + 14, Y: 13, Anchor: "start", Class: "legend", Text: it[0]})
		x += 22 + 7*float64(len(it[0]))
	}
}

// label shortens a row label to what the label column holds (about 40
// characters at 12px in 300px): a custom object without its
// "custom_objects." prefix, a custom field without "customFields.<model>.",
// and a long rest cut at the front. The full text is the label's tooltip
// and is in the tables below.
func label(typ, field string) text {
	full := typ
	short := strings.TrimPrefix(typ, "custom_objects.")
	if field != "" {
		full += " · " + field
		f := strings.TrimPrefix(field, "customFields.")
		if i := strings.IndexByte(f, '.'); i >= 0 && f != field {
			f = f[i+1:]
		}
		short += " · " + f
	}
	const room = 40
	if r := []rune(short); len(r) > room {
		short = "…" + string(r[len(r)-room+1:])
	}
	t := text{Anchor: "end", X: labelWidth - 8, Text: short}
	if short != full {
		t.Tip = full
	}
	return t
}

// at places a text at a height.
func (t text) at(y float64) text { t.Y = y; return t }

func countsChart(r *Report) chart {
	c := chart{ID: "chart-counts", Title: "Records per object type: source, ledger, HighLevel",
		Caption: "Grey: valid source records; blue: the ledger's id map; orange: HighLevel."}
	legend(&c, [2]string{"source", colSource}, [2]string{"ledger", colLedger}, [2]string{"HighLevel", colHighLevel})
	top := 1
	for _, n := range r.Counts {
		top = max(top, n.Source, n.Ledger, n.HighLevel)
	}
	y := 24.0
	for _, n := range r.Counts {
		c.Texts = append(c.Texts, label(n.ObjectType, "").at(y+19))
		for i, side := range []struct {
			name, fill string
			v          int
		}{{"source", colSource, n.Source}, {"ledger", colLedger, n.Ledger}, {"HighLevel", colHighLevel, n.HighLevel}} {
			by := y + float64(i)*11
			if side.v < 0 {
				c.Texts = append(c.Texts, text{X: labelWidth + 2, Y: by + 9, Anchor: "start", Class: "value", Text: side.name + " not given"})
				continue
			}
			w := float64(barWidth) * float64(side.v) / float64(top)
			c.Rects = append(c.Rects, rect{X: labelWidth, Y: by, W: w, H: 10, Fill: side.fill, Tip: fmt.Sprintf("%s %s: %d", n.ObjectType, side.name, side.v)})
			c.Texts = append(c.Texts, text{X: labelWidth + w + 4, Y: by + 9, Anchor: "start", Class: "value", Text: fmt.Sprint(side.v)})
		}
		y += 3*11 + 12
	}
	if len(r.Counts) == 0 {
		c.Texts = append(c.Texts, text{X: labelWidth, Y: y + 14, Anchor: "start", Text: "The ledger holds no record."})
		y += 24
	}
	c.Width, c.Height = chartWidth, int(y)+4
	return c
}

func populationChart(r *Report) chart {
	c := chart{ID: "chart-population", Title: "Population rate per field: mapped bodies and HighLevel",
		Caption: "The share of records that set each field. Blue: the mapped bodies sent (the source), over the records HighLevel's figure is over; orange: HighLevel (a counted search, every record read, or a random page of each custom object: the table says which)."}
	legend(&c, [2]string{"mapped (source)", colLedger}, [2]string{"HighLevel", colHighLevel})
	y := 24.0
	for _, p := range r.Population {
		c.Texts = append(c.Texts, label(p.ObjectType, p.Field).at(y+14))
		sent, sentOf := p.Same()
		for i, side := range []struct {
			name, fill string
			n, of      int
		}{{"mapped", colLedger, sent, sentOf}, {"HighLevel", colHighLevel, p.Stored, p.StoredOf}} {
			by := y + float64(i)*9
			if side.of <= 0 {
				c.Texts = append(c.Texts, text{X: labelWidth + 2, Y: by + 8, Anchor: "start", Class: "value", Text: side.name + " n/a"})
				continue
			}
			w := float64(barWidth) * float64(side.n) / float64(side.of)
			c.Rects = append(c.Rects, rect{X: labelWidth, Y: by, W: w, H: 8, Fill: side.fill,
				Tip: fmt.Sprintf("%s %s %s: %s (%d of %d)", p.ObjectType, p.Field, side.name, rate(side.n, side.of), side.n, side.of)})
			c.Texts = append(c.Texts, text{X: labelWidth + w + 4, Y: by + 8, Anchor: "start", Class: "value", Text: rate(side.n, side.of)})
		}
		y += 2*9 + 8
	}
	if len(r.Population) == 0 {
		c.Texts = append(c.Texts, text{X: labelWidth, Y: y + 14, Anchor: "start", Text: "No mapped body to measure."})
		y += 24
	}
	c.Width, c.Height = chartWidth, int(y)+4
	return c
}

// diffKinds are the kinds of difference the third chart stacks, in order.
var diffKinds = []struct{ name, fill string }{
	{"count", "#6d4c41"},
	{KindMissing, "#b00020"},
	{KindExtra, "#8e44ad"},
	{KindField, "#e67e22"},
	{"orphan", "#16a085"},
	{"duplicate", "#c2185b"},
}

// differenceTally counts, per object type, the differences of each kind:
// a count that does not agree, records missing or extra, fields that
// differ, relations broken, external ids held twice.
func differenceTally(r *Report) ([]string, map[string]map[string]int) {
	var types []string
	tally := map[string]map[string]int{}
	add := func(typ, kind string) {
		if tally[typ] == nil {
			tally[typ] = map[string]int{}
			types = append(types, typ)
		}
		tally[typ][kind]++
	}
	for _, c := range r.Counts {
		if !c.OK() {
			add(c.ObjectType, "count")
		}
	}
	for _, d := range []*Diff{&r.Sample, r.Buckets, r.Records} {
		if d == nil {
			continue
		}
		for _, x := range d.Differences {
			add(x.ObjectType, x.Kind)
		}
	}
	for _, i := range r.Integrity {
		for _, o := range i.Orphans {
			add(o.ObjectType, "orphan")
		}
	}
	for _, d := range r.Duplicates {
		add(d.ObjectType, "duplicate")
	}
	return types, tally
}

func differencesChart(r *Report) chart {
	c := chart{ID: "chart-differences", Title: "Differences by object type",
		Caption: "Kinds: counts that disagree, records missing from or extra in HighLevel, fields that differ, broken relations, external ids held twice. The keys behind each are listed below."}
	var items [][2]string
	for _, k := range diffKinds {
		items = append(items, [2]string{k.name, k.fill})
	}
	legend(&c, items...)
	types, tally := differenceTally(r)
	top := 1
	for _, t := range types {
		n := 0
		for _, v := range tally[t] {
			n += v
		}
		top = max(top, n)
	}
	y := 24.0
	for _, t := range types {
		c.Texts = append(c.Texts, label(t, "").at(y+11))
		x, total := float64(labelWidth), 0
		for _, k := range diffKinds {
			n := tally[t][k.name]
			if n == 0 {
				continue
			}
			w := float64(barWidth) * float64(n) / float64(top)
			c.Rects = append(c.Rects, rect{X: x, Y: y, W: w, H: 14, Fill: k.fill, Tip: fmt.Sprintf("%s %s: %d", t, k.name, n)})
			x += w
			total += n
		}
		c.Texts = append(c.Texts, text{X: x + 4, Y: y + 11, Anchor: "start", Class: "value", Text: fmt.Sprint(total)})
		y += 22
	}
	if len(types) == 0 {
		c.Texts = append(c.Texts, text{X: labelWidth, Y: y + 14, Anchor: "start", Class: "good", Text: "No difference found."})
		y += 24
	}
	c.Width, c.Height = chartWidth, int(y)+4
	return c
}

// keyRow is one set of source keys behind a count or a difference.
type keyRow struct {
	ObjectType, What string
	Keys             []string
}

// keyRows lists, per object type, the source keys behind every number
// that is not plain agreement: rejected, kept, deleted, missing, extra,
// fields that differ, broken relations, duplicates. A record HighLevel
// holds without a key is named by its HighLevel id.
func keyRows(r *Report) []keyRow {
	var out []keyRow
	rows := map[string]int{}
	add := func(typ, what, key string) {
		k := typ + "\x00" + what
		i, ok := rows[k]
		if !ok {
			i = len(out)
			rows[k] = i
			out = append(out, keyRow{ObjectType: typ, What: what})
		}
		for _, have := range out[i].Keys {
			if have == key {
				return
			}
		}
		out[i].Keys = append(out[i].Keys, key)
	}
	for _, c := range r.Counts {
		for _, k := range c.RejectedKeys {
			add(c.ObjectType, "rejected by HighLevel", k)
		}
		for _, k := range c.KeptKeys {
			add(c.ObjectType, "kept after their source deletion", k)
		}
		for _, k := range c.DeletedKeys {
			add(c.ObjectType, "deleted with the source", k)
		}
	}
	for _, d := range []*Diff{&r.Sample, r.Buckets, r.Records} {
		if d == nil {
			continue
		}
		for _, x := range d.Differences {
			key := x.SourceKey
			if key == "" {
				key = "(no key) " + x.HighLevelID
			}
			what := map[string]string{KindMissing: "missing from HighLevel", KindExtra: "extra in HighLevel", KindField: "a field differs"}[x.Kind]
			if what == "" {
				what = x.Kind
			}
			add(x.ObjectType, what, key)
		}
	}
	for _, i := range r.Integrity {
		for _, o := range i.Orphans {
			key := o.SourceKey
			if key == "" {
				key = "(no key) " + o.HighLevelID
			}
			add(o.ObjectType, "relation: "+o.Reason, key)
		}
	}
	for _, d := range r.Duplicates {
		add(d.ObjectType, "held twice", d.SourceKey)
	}
	return out
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"rate":  rate,
	"same":  func(p Population) string { return rate(p.Same()) },
	"join":  strings.Join,
	"f":     func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"short": shortDigest,
	"when": func(r RunChecked) string {
		s := r.StartedAt.UTC().Format("2006-01-02 15:04")
		if !r.FinishedAt.IsZero() {
			s += " – " + r.FinishedAt.UTC().Format("15:04")
		}
		return s + " UTC"
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reconciliation{{with .Practice}} — {{.}}{{end}}{{with .LocationID}} — {{.}}{{end}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328;background:#f6f7f9}
main{max-width:1000px;margin:0 auto;padding:1.5em 2em 3em;background:#fff}
header{border-bottom:2px solid #e5e7eb;margin-bottom:1em}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.2em;margin:1.6em 0 .4em;border-bottom:1px solid #e5e7eb}h3{font-size:1em}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1em;margin:.6em 0}dl.meta dt{color:#57606a}dl.meta dd{margin:0}
.verdict{font-size:1.1em;padding:.6em .8em;border-radius:6px;margin:.8em 0}
.verdict.ok{background:#e6f4ea;color:#1b5e20}.verdict.bad{background:#fdecea;color:#8a1c1c}
table{border-collapse:collapse;margin:.5em 0 1.5em;width:100%}td,th{border-bottom:1px solid #e5e7eb;padding:.25em .6em;text-align:right;vertical-align:top}
td:first-child,th:first-child,th.l,td.l{text-align:left}th{background:#f6f7f9}
td.keys{text-align:left;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em;word-break:break-word}
.bad{color:#b00020;font-weight:600}.ok{color:#1b7f3b}
figure{margin:1em 0 1.6em}figcaption{color:#57606a;font-size:.9em}
svg.chart{display:block;max-width:100%;height:auto}
svg.chart text{font:12px system-ui,sans-serif;fill:#1f2328}svg.chart text.value{fill:#57606a;font-size:11px}
svg.chart text.legend{font-size:11px}svg.chart text.good{fill:#1b7f3b}
footer{margin-top:2em;color:#57606a;font-size:.9em}
</style></head><body><main>
<header>
<h1>Reconciliation{{with .Practice}}: {{.}}{{end}}</h1>
<dl class="meta">
<dt>Practice</dt><dd>{{with .Practice}}{{.}}{{else}}not given{{end}}</dd>
<dt>HighLevel location</dt><dd>{{with .LocationID}}{{.}}{{else}}not given{{end}}</dd>
<dt>Field map</dt><dd>{{with .MapDigest}}<span title="{{.}}">{{short .}}</span>{{else}}not recorded{{end}}</dd>
<dt>Runs checked</dt><dd>{{if .Runs}}{{len .Runs}} ({{range $i, $r := .Runs}}{{if $i}}, {{end}}#{{$r.ID}} {{$r.Kind}}{{end}}){{else}}none recorded{{end}}</dd>
<dt>Checked</dt><dd>{{if .CheckedAt.IsZero}}not stamped{{else}}{{.CheckedAt.UTC.Format "2006-01-02 15:04 UTC"}}{{end}}, {{.Calls}} API calls</dd>
</dl>
<p class="verdict {{if .OK}}ok{{else}}bad{{end}}">{{.Verdict}}.</p>
{{if .Unchecked}}<ul class="unchecked">{{range .Unchecked}}<li>Not checked: {{.Step}} — {{.Reason}}</li>{{end}}</ul>
{{end}}</header>
<h2>Charts</h2>
{{range .Charts}}<figure>
<svg class="chart" id="{{.ID}}" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}" role="img" aria-label="{{.Title}}">
{{range .Rects}}<rect x="{{f .X}}" y="{{f .Y}}" width="{{f .W}}" height="{{f .H}}" fill="{{.Fill}}">{{with .Tip}}<title>{{.}}</title>{{end}}</rect>
{{end}}{{range .Texts}}<text x="{{f .X}}" y="{{f .Y}}" text-anchor="{{.Anchor}}"{{with .Class}} class="{{.}}"{{end}}>{{with .Tip}}<title>{{.}}</title>{{end}}{{.Text}}</text>
{{end}}</svg>
<figcaption><strong>{{.Title}}.</strong> {{.Caption}}</figcaption></figure>
{{end}}
<h2>Counts</h2>
<table><tr><th>object type</th><th>source</th><th>rejected</th><th>kept</th><th>deleted</th><th>ledger</th><th>HighLevel</th><th>status</th></tr>
{{range .Counts}}<tr><td>{{.ObjectType}}</td><td>{{if ge .Source 0}}{{.Source}}{{else}}–{{end}}</td><td>{{.Rejected}}</td><td>{{.Kept}}</td><td>{{.Deleted}}</td><td>{{.Ledger}}</td><td>{{.HighLevel}}</td>
<td class="{{if .OK}}ok{{else}}bad{{end}}">{{.Status}}{{with .HighLevelBy}} (HighLevel by {{.}}){{end}}</td></tr>
{{end}}</table>
<p>Rejected: sent and refused by HighLevel. Kept: deleted in the source after the migration and kept in HighLevel by the delta's policy. Deleted: deleted in HighLevel by a delta because the source deleted them.{{if .SourceMissing}} Invalid source records never sent: {{.Invalid}}.{{end}}</p>
<h2>Source keys behind the differences</h2>
{{if .Keys}}<table><tr><th>object type</th><th class="l">what</th><th>records</th><th class="l">source keys</th></tr>
{{range .Keys}}<tr><td>{{.ObjectType}}</td><td class="l">{{.What}}</td><td>{{len .Keys}}</td><td class="keys">{{join .Keys ", "}}</td></tr>
{{end}}</table>{{else}}<p class="ok">None: every count agrees and no record differs.</p>{{end}}
<h2>External ids held twice</h2>
{{if .Duplicates}}<table><tr><th>object type</th><th>source key</th><th class="l">HighLevel ids (the ledger's first)</th></tr>
{{range .Duplicates}}<tr><td>{{.ObjectType}}</td><td>{{.SourceKey}}</td><td class="keys bad">{{join .HighLevelIDs ", "}}</td></tr>
{{end}}</table>{{else}}<p class="ok">None.</p>{{end}}
<p>Checked: {{if .DuplicatesChecked}}{{join .DuplicatesChecked ", "}}{{else}}no object type{{end}} (contacts and custom records are checked in full runs).</p>
{{range .DuplicatesUnchecked}}<p class="bad">Not checked: {{.}} (its external id field could not be told).</p>{{end}}
<h2>Relationship integrity</h2>
<table><tr><th>check</th><th>found</th><th>expected</th></tr>
{{range .Integrity}}<tr><td>{{.Check}}</td><td>{{.Found}}</td><td>{{.Expected}}</td></tr>
{{if .Sampled}}<tr><td colspan="3">Sampled {{.Sampled}} of {{.SampledOf}}: the others are not checked; a loss on a fraction p of them is missed with probability (1−p)<sup>{{.Sampled}}</sup> (a Deep check reads all).</td></tr>
{{end}}{{range .Orphans}}<tr><td class="bad" colspan="3">orphan {{.ObjectType}} {{.SourceKey}} ({{.HighLevelID}}): {{.Reason}}</td></tr>{{end}}
{{end}}</table>
<h2>Field-level diff</h2>
{{define "diff"}}<p>{{.Records}} records, {{.Fields}} fields compared, {{.Calls}} API calls, {{.RecordsRead}} records read{{if .Buckets}}, {{.Buckets}} bucket fingerprints{{end}}{{if .SampledOf}}; sampled {{.Sampled}} of {{.SampledOf}} records (a random search page per object type whose count agrees, read with the count): a field changed outside the sample is not seen (a Deep check scans all){{end}}</p>
{{if .Differences}}<table><tr><th>kind</th><th>object type</th><th>source key</th><th>HighLevel id</th><th>field</th></tr>
{{range .Differences}}<tr><td class="bad">{{.Kind}}</td><td>{{.ObjectType}}</td><td>{{.SourceKey}}</td><td>{{.HighLevelID}}</td><td>{{.Field}}</td></tr>{{end}}</table>{{end}}{{end}}
<h3>Sample, read by id</h3>{{template "diff" .Sample}}
{{with .Buckets}}<h3>Every contact, {{if .Buckets}}hashed buckets with bisection{{else}}read whole (search pages of 500){{end}}</h3>{{template "diff" .}}{{end}}
{{with .Records}}<h3>{{if .SampledOf}}Custom object records, a random search page per object (scanned whole where a count differs){{else}}Every custom object record, scanned by search pages{{end}}</h3>{{template "diff" .}}{{end}}
<h2>Field population</h2>
<table><tr><th>object type</th><th class="l">field</th><th>mapped</th><th>HighLevel</th><th>HighLevel by</th><th>mapped, same records</th></tr>
{{range .Population}}<tr><td>{{.ObjectType}}</td><td class="l">{{.Field}}</td><td>{{rate .Sent .Records}}</td><td>{{rate .Stored .StoredOf}}</td><td>{{.StoredBy}}</td><td>{{same .}}</td></tr>
{{end}}</table>
{{if .Runs}}<h2>Runs checked</h2>
<table><tr><th>run</th><th>kind</th><th>status</th><th>map</th><th>when</th></tr>
{{range .Runs}}<tr><td>#{{.ID}}</td><td>{{.Kind}}</td><td>{{.Status}}</td><td>{{with .MapDigest}}{{short .}}{{else}}–{{end}}</td><td>{{when .}}</td></tr>
{{end}}</table>{{end}}
<footer>Made by pbnhl reconcile. This page holds object types, field names, counts, source keys and HighLevel ids — no patient's field value. It loads nothing from the network.</footer>
</main></body></html>
`))
