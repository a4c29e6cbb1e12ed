package handover

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
)

func activeWord(a bool) string {
	if a {
		return "yes"
	}
	return "no (inactive in PbN)"
}

func writeGuideMD(b *bytes.Buffer, practice string, as []Automation) error {
	title := "Workflow rebuild guide"
	if practice != "" {
		title += " — " + practice
	}
	fmt.Fprintf(b, "# %s\n\n", title)
	b.WriteString("Practice by Numbers' workflows, campaigns and message templates have no HighLevel API:\n")
	b.WriteString("rebuild each in Automation → Workflows, in this order (recall and reminders first: they drive revenue).\n")
	b.WriteString("Merge fields are translated to HighLevel custom values; the ones marked ⚠ have none and must be fixed by hand.\n\n")
	b.WriteString("## Checklist\n\n")
	for _, a := range as {
		fmt.Fprintf(b, "%d. [ ] %s (%s, %s)%s\n", a.Order, a.Name, a.Kind, a.Channel, map[bool]string{true: "", false: " — inactive in PbN"}[a.Active])
	}
	for _, a := range as {
		fmt.Fprintf(b, "\n## %d. %s\n\n", a.Order, a.Name)
		fmt.Fprintf(b, "- Kind: %s · Channel: %s · Active: %s\n", a.Kind, a.Channel, activeWord(a.Active))
		fmt.Fprintf(b, "- PbN trigger: `%s`", a.Trigger)
		if a.Conditions != "" {
			fmt.Fprintf(b, " · conditions: `%s`", a.Conditions)
		}
		fmt.Fprintf(b, "\n- HighLevel trigger: %s\n\n", a.HighLevelTrigger)
		if len(a.Steps) > 0 {
			b.WriteString("| # | PbN step | HighLevel action |\n|---:|---|---|\n")
			for i, s := range a.Steps {
				fmt.Fprintf(b, "| %d | %s | %s |\n", i+1, mdCell(s.PbN), mdCell(s.HighLevel))
			}
		}
		for _, t := range a.Templates {
			fmt.Fprintf(b, "\nTemplate: `%s`  \nIn HighLevel: `%s`", t.PbN, t.HighLevel)
			if len(t.Untranslatable) > 0 {
				fmt.Fprintf(b, "  \n⚠ no HighLevel equivalent: %s", strings.Join(t.Untranslatable, ", "))
			}
			b.WriteString("\n")
		}
	}
	return nil
}

var guideTmpl = template.Must(template.New("guide").Funcs(template.FuncMap{"active": activeWord, "join": strings.Join, "inc": func(i int) int { return i + 1 }}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d8dde6;padding-bottom:.2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d8dde6;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f4f8}code{background:#f2f4f8;padding:0 .2rem;border-radius:3px}
.inactive{color:#6b7280}.warn{color:#9a3412}.meta{color:#374151}
ol.check li{margin:.2rem 0}
@media print{body{margin:0}h2{break-after:avoid}}
</style></head>
<body>
<header><h1>{{.Title}}</h1>
<p>Practice by Numbers' workflows, campaigns and message templates have no HighLevel API: rebuild each in Automation → Workflows, in this order (recall and reminders first: they drive revenue). Merge fields are translated to HighLevel custom values; the ones marked ⚠ have none and must be fixed by hand.</p></header>
<main>
<h2 id="checklist">Checklist</h2>
<ol class="check">{{range .Automations}}<li{{if not .Active}} class="inactive"{{end}}><a href="#a{{.ID}}">{{.Name}}</a> ({{.Kind}}, {{.Channel}}){{if not .Active}} — inactive in PbN{{end}}</li>
{{end}}</ol>
{{range .Automations}}<section id="a{{.ID}}">
<h2>{{.Order}}. {{.Name}}</h2>
<p class="meta">Kind: {{.Kind}} · Channel: {{.Channel}} · Active: {{active .Active}}<br>
PbN trigger: <code>{{.Trigger}}</code>{{if .Conditions}} · conditions: <code>{{.Conditions}}</code>{{end}}<br>
HighLevel trigger: {{.HighLevelTrigger}}</p>
{{if .Steps}}<table><thead><tr><th>#</th><th>PbN step</th><th>HighLevel action</th></tr></thead><tbody>
{{range $i, $s := .Steps}}<tr><td>{{inc $i}}</td><td>{{$s.PbN}}</td><td>{{$s.HighLevel}}</td></tr>
{{end}}</tbody></table>{{end}}
{{range .Templates}}<p>Template: <code>{{.PbN}}</code><br>In HighLevel: <code>{{.HighLevel}}</code>{{if .Untranslatable}}<br><span class="warn">⚠ no HighLevel equivalent: {{join .Untranslatable ", "}}</span>{{end}}</p>
{{end}}</section>
{{end}}</main>
<footer><p class="meta">Written by pbnhl's handover pack: definitions and templates only, no patient data.</p></footer>
</body></html>
`))

func writeGuideHTML(b *bytes.Buffer, practice string, as []Automation) error {
	title := "Workflow rebuild guide"
	if practice != "" {
		title += " — " + practice
	}
	return guideTmpl.Execute(b, struct {
		Title       string
		Automations []Automation
	}{title, as})
}
