package reconcile

import (
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"strings"
	"time"
)

// SampleValuesHeader says what a values page shows.
type SampleValuesHeader struct {
	Practice, LocationID, MapDigest string
	CreatedAt                       time.Time
}

// ErrNoValues: WriteSampleValuesHTML was given a diff made without
// SampleOptions.Values.
var ErrNoValues = errors.New("reconcile: the sample diff holds no values (SampleOptions.Values was not set)")

// WriteSampleValuesHTML writes the sample's values side by side — per
// record and field, what the migration sent (the source's value, mapped)
// and what HighLevel holds — as one self-contained page (inline CSS, no
// script, nothing fetched) for the practice's own reviewer. It CONTAINS
// PATIENT DATA and says so at its top: the host writes it with mode 0600
// (internal/privatefile) and never logs it. Differing and missing fields
// come first, then the matched ones.
func WriteSampleValuesHTML(w io.Writer, d *SampleDiff, h SampleValuesHeader) error {
	if d.Records > 0 && len(d.Values) == 0 {
		return ErrNoValues
	}
	v := valuesView{Header: h, Diff: d}
	rank := map[string]int{FieldMissing: 0, FieldDiffered: 1, FieldMatched: 2}
	for pass := 0; pass < 3; pass++ {
		for _, sv := range d.Values {
			if rank[sv.Status] != pass {
				continue
			}
			v.Rows = append(v.Rows, valueRow{SampleValue: sv, SentText: valueText(sv.Sent), StoredText: valueText(sv.Stored)})
		}
	}
	return valuesPage.Execute(w, &v)
}

type valuesView struct {
	Header SampleValuesHeader
	Diff   *SampleDiff
	Rows   []valueRow
}

type valueRow struct {
	SampleValue
	SentText, StoredText string
}

// valueText shows a JSON value as a reader expects: strings without their
// quotes, nothing for null or absent, anything else as compact JSON.
func valueText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(raw))
}

var valuesPage = template.Must(template.New("values").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="robots" content="noindex">
<title>Sample values (contains patient data)</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2733}
.phi{background:#b3261e;color:#fff;padding:12px 16px;border-radius:6px;font-weight:600}
table{border-collapse:collapse;width:100%;margin-top:16px}
th,td{border-bottom:1px solid #dde3ea;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f6f9}
td.v{font-family:ui-monospace,monospace;white-space:pre-wrap;word-break:break-word;max-width:28em}
tr.missing td.s{color:#b3261e;font-weight:600}
tr.differed td.s{color:#a15c00;font-weight:600}
tr.matched td.s{color:#2e7d32}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}
dt{font-weight:600}
</style></head><body>
<p class="phi">CONTAINS PATIENT DATA (PHI). For the practice's own reviewer only: keep this file on the practice's machine, do not e-mail or upload it, delete it after the review.</p>
<h1>Sample: source values vs HighLevel</h1>
<dl>
{{with .Header.Practice}}<dt>Practice</dt><dd>{{.}}</dd>{{end}}
{{with .Header.LocationID}}<dt>Location</dt><dd>{{.}}</dd>{{end}}
{{with .Header.MapDigest}}<dt>Map digest</dt><dd>{{.}}</dd>{{end}}
{{if not .Header.CreatedAt.IsZero}}<dt>Made</dt><dd>{{.Header.CreatedAt.UTC.Format "2006-01-02 15:04 MST"}}</dd>{{end}}
<dt>Records</dt><dd>{{.Diff.Records}} ({{.Diff.RecordsRead}} read back)</dd>
<dt>Fields</dt><dd>{{.Diff.Matched}} matched, {{.Diff.Differed}} differed, {{.Diff.Missing}} missing</dd>
</dl>
<table>
<thead><tr><th>Object</th><th>Source key</th><th>Field</th><th>Status</th><th>Sent (source, mapped)</th><th>In HighLevel</th></tr></thead>
<tbody>
{{range .Rows}}<tr class="{{.Status}}"><td>{{.ObjectType}}</td><td>{{.SourceKey}}</td><td>{{.Field}}</td><td class="s">{{.Status}}</td><td class="v">{{.SentText}}</td><td class="v">{{.StoredText}}</td></tr>
{{end}}</tbody></table>
</body></html>
`))
