package mapping

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ReviewOptions tune the Markdown review.
type ReviewOptions struct {
	// LowConfidence marks rules below it for attention; 0 means 0.6.
	LowConfidence float64
}

// WriteReview renders the map as Markdown for the person who approves it:
// the approval state, then per object every rule with its transforms,
// confidence and reason, its lookups and filters, and a closing list of the
// rules that need attention (low confidence, proposed by a suggester, or
// without a source).
func (m *Map) WriteReview(w io.Writer, opts ReviewOptions) error {
	low := opts.LowConfidence
	if low == 0 {
		low = 0.6
	}
	b := &strings.Builder{}
	fmt.Fprintf(b, "# Field map review: %s\n\n", mdText(m.Name))
	if m.Description != "" {
		fmt.Fprintf(b, "%s\n\n", mdText(m.Description))
	}
	d, err := m.Digest()
	if err != nil {
		return err
	}
	fmt.Fprintf(b, "- Source: %s\n- Format version: %d\n- Digest: `%s`\n", mdText(orDash(m.Source)), m.Version, d)
	switch err := m.Verify(); {
	case err == nil:
		fmt.Fprintf(b, "- Status: **approved** by %s at %s\n\n", mdText(m.Approval.By), m.Approval.At.UTC().Format(time.RFC3339))
	case m.Approval != nil:
		fmt.Fprintf(b, "- Status: **changed since approval** by %s at %s — needs a new approval\n\n", mdText(m.Approval.By), m.Approval.At.UTC().Format(time.RFC3339))
	default:
		b.WriteString("- Status: **not approved** — inspect only; nothing runs until it is approved\n\n")
	}
	if len(m.History) > 0 { // policy.go: how history lands, and what folding costs
		b.WriteString("## History policy\n\n")
		for _, l := range strings.Split(strings.TrimSpace(m.HistoryText()), "\n") {
			fmt.Fprintf(b, "%s\n", mdText(l))
		}
		b.WriteString("\n")
	}
	type attention struct{ object, to, why string }
	var todo []attention
	for i := range m.Objects {
		o := &m.Objects[i]
		fmt.Fprintf(b, "## %s → %s\n\n", mdText(o.Name), targetTitle(o))
		if o.note != "" {
			fmt.Fprintf(b, "%s\n\n", mdText(o.note))
		}
		fmt.Fprintf(b, "Source entity `%s`, key `%s`", o.Source, o.SourceKey)
		if o.ExternalID != "" {
			fmt.Fprintf(b, ", external id stored in `%s`", o.ExternalID)
		}
		b.WriteString(".\n\n")
		if o.Target == TargetContactField && o.List {
			fmt.Fprintf(b, "%s\n\n", m.ListText(o))
		} else if o.Target == TargetContactField {
			fmt.Fprintf(b, "%s\n\n", m.CapText(o))
		}
		if o.Expand != nil {
			fmt.Fprintf(b, "Rows are parsed out of `%s` with the `%s` parser; unparsed text is reported.\n\n", o.Expand.From, o.Expand.Parser)
		}
		if len(o.Filters) > 0 {
			b.WriteString("Only records where:\n\n")
			for _, f := range o.Filters {
				fmt.Fprintf(b, "- `%s` %s\n", f.Field, filterText(f))
			}
			b.WriteByte('\n')
		}
		if len(o.Fields) > 0 {
			b.WriteString("| Target | Source | Type | Transforms | Req. | Confidence | Reason |\n")
			b.WriteString("|---|---|---|---|---|---|---|\n")
			for j := range o.Fields {
				f := &o.Fields[j]
				src := "—"
				switch {
				case f.From != "":
					src = "`" + f.From + "`"
					for _, fb := range f.Fallback {
						src += ", else `" + fb + "`"
					}
					if f.Related != nil {
						src = "`" + f.Related.Field + "` of the `" + f.Related.Object + "` record named by " + src
					}
				case f.Template != "":
					src = "template `" + mdCell(f.Template) + "`"
				case f.Value != "":
					src = "constant `" + mdCell(f.Value) + "`"
				}
				if f.Default != "" {
					src += " (default `" + mdCell(f.Default) + "`)"
				}
				typ := "standard"
				if f.Type != "" {
					typ = string(f.Type)
				}
				tr := chainText(f)
				req := ""
				if f.Required {
					req = "yes"
				}
				conf := "—"
				if f.Confidence > 0 {
					conf = strconv.FormatFloat(f.Confidence, 'f', 2, 64)
				}
				reason := mdCell(f.Reason)
				if reason == "" && f.note != "" {
					reason = mdCell(f.note)
				}
				if f.Origin != "" && f.Origin != "heuristic" && f.Origin != "default" {
					reason = "*" + mdCell(f.Origin) + "*: " + reason
				}
				fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s | %s | %s |\n", f.To, src, typ, tr, req, conf, reason)
				switch {
				case f.From == "" && f.Template == "" && f.Value == "" && f.Default == "":
					todo = append(todo, attention{o.Name, f.To, "no source"})
				case f.Confidence > 0 && f.Confidence < low:
					todo = append(todo, attention{o.Name, f.To, "low confidence " + strconv.FormatFloat(f.Confidence, 'f', 2, 64)})
				case strings.HasPrefix(f.Origin, "suggester"):
					todo = append(todo, attention{o.Name, f.To, "proposed by " + f.Origin})
				}
			}
			b.WriteByte('\n')
		}
		for _, f := range o.Fields {
			if len(f.Values) == 0 {
				continue
			}
			fmt.Fprintf(b, "Values of `%s` (unknown values: %s):\n\n", f.To, unknownText(f))
			for _, p := range f.Values {
				fmt.Fprintf(b, "- `%s` → `%s`\n", mdCell(p.From), mdCell(p.To))
			}
			b.WriteByte('\n')
		}
		if len(o.Lookups) > 0 {
			b.WriteString("Links:\n\n")
			for _, l := range o.Lookups {
				req := "optional"
				if l.Required {
					req = "required"
				}
				to := l.To
				if l.To == LinkAssociation {
					to = "association `" + l.Association + "`"
				}
				fmt.Fprintf(b, "- `%s` → %s via %s (%s)%s\n", l.From, mdText(l.Object), to, req, userLinkText(o, l))
			}
			b.WriteByte('\n')
		}
		if len(o.Skip) > 0 {
			b.WriteString("Not migrated:\n\n")
			for _, s := range o.Skip {
				tag := ""
				if s.Sensitive {
					tag = " (**sensitive**)"
				}
				fmt.Fprintf(b, "- `%s`%s: %s\n", mdCell(s.From), tag, mdText(orDash(s.Reason)))
			}
			b.WriteByte('\n')
		}
		if d := o.Duplicates; d != nil {
			fmt.Fprintf(b, "Duplicates by %s: **%s**.\n\n", "`"+strings.Join(d.Keys, "`, `")+"`", d.Policy)
		}
		for _, p := range o.Pipelines {
			fmt.Fprintf(b, "Pipeline **%s**", mdText(p.Name))
			if p.Source != "" {
				fmt.Fprintf(b, " (from `%s`)", mdCell(p.Source))
			}
			b.WriteString(":\n\n| Source stage | Stage | Probability |\n|---|---|---|\n")
			for _, s := range p.Stages {
				fmt.Fprintf(b, "| `%s` | %s | %s%% |\n", mdCell(s.From), mdCell(s.Name), strconv.FormatFloat(s.Probability, 'f', -1, 64))
			}
			b.WriteByte('\n')
		}
		writeReviewExtras(b, o)
	}
	b.WriteString("## Needs attention\n\n")
	if len(todo) == 0 {
		b.WriteString("Nothing: every rule has a source and sufficient confidence.\n")
	}
	for _, t := range todo {
		fmt.Fprintf(b, "- %s `%s`: %s\n", mdText(t.object), t.to, t.why)
	}
	_, err = io.WriteString(w, b.String())
	return err
}

func targetTitle(o *Object) string {
	if t := specOf(o.Target).title; t != nil {
		return t(o.Key)
	}
	return string(o.Target)
}

func chainText(f *Field) string {
	if len(f.Transform) == 0 {
		return "—"
	}
	parts := make([]string, len(f.Transform))
	for i, st := range f.Transform {
		s := st.Name
		if len(st.Args) > 0 {
			var a []string
			for _, k := range keysOf(st.Args) {
				a = append(a, k+"="+st.Args[k])
			}
			s += "(" + strings.Join(a, ", ") + ")"
		}
		parts[i] = "`" + mdCell(s) + "`"
	}
	return strings.Join(parts, " → ")
}

func unknownText(f Field) string {
	switch f.Unknown {
	case UnknownKeep:
		return "kept as is"
	case UnknownDefault:
		return "replaced by `" + mdCell(f.Default) + "`"
	case UnknownDrop:
		return "left empty"
	case UnknownWarn:
		return "left out, with a warning on the record"
	}
	return "record invalid"
}

func filterText(f Filter) string {
	q := func(vs []string) string {
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = "`" + mdCell(v) + "`"
		}
		return strings.Join(out, ", ")
	}
	switch f.Op {
	case OpEq:
		return "is " + q(f.Values)
	case OpNe:
		return "is not " + q(f.Values)
	case OpIn:
		return "is one of " + q(f.Values)
	case OpNotIn:
		return "is none of " + q(f.Values)
	case OpEmpty:
		return "is empty"
	case OpNotEmpty:
		return "is not empty"
	}
	return string(f.Op)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// mdCell makes text safe inside a Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "`", "'")
}

func mdText(s string) string {
	return strings.ReplaceAll(mdCell(s), "*", `\*`)
}

// userLinkText says what an owner or followers lookup makes of a staff
// member without a HighLevel user: the fallback user for a contact (and
// opportunities, notes, tasks…), nothing for a custom object record, whose
// own fields say who (the staff id, and the name NameStaff drafts).
func userLinkText(o *Object, l Lookup) string {
	switch {
	case l.To == LinkFollowers:
		return ": the staff member's HighLevel user follows the record; a member without a user adds none"
	case l.To != LinkOwner:
		return ""
	case o.Target == TargetCustomObject:
		return ": the staff member's HighLevel user owns the record; a member without a user leaves it without owner " +
			"(never the fallback user, which is for contacts); the record's own fields still say who"
	default:
		return ": the staff member's HighLevel user, else the fallback user"
	}
}
