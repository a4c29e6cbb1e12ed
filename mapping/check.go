package mapping

import (
	"fmt"
	"slices"
	"strings"
)

// StandardFields lists the HighLevel fields a rule may write on a target
// kind without declaring a custom field type: the writable properties of
// HighLevel's create DTOs (ids and links are set by lookups).
func StandardFields(k TargetKind) []string { return slices.Clone(specOf(k).standard) }

// check validates the map's content and returns every problem with its
// position and rule path.
func (m *Map) check(reg *Registry) []Issue {
	if reg == nil {
		reg = DefaultRegistry()
	}
	var out []Issue
	add := func(p pos, path, format string, args ...any) {
		out = append(out, Issue{Line: p.line, Column: p.col, Path: path, Message: fmt.Sprintf(format, args...)})
	}
	root := pos{1, 1}
	if m.doc != nil && len(m.doc.Content) > 0 {
		root = pos{m.doc.Content[0].Line, m.doc.Content[0].Column}
	}
	switch {
	case m.Version == 0:
		add(root, "version", "missing version (this package writes version %d)", FormatVersion)
	case m.Version > FormatVersion:
		add(root, "version", "version %d is newer than this package understands (%d): upgrade pbnhl", m.Version, FormatVersion)
	case m.Version < 0:
		add(root, "version", "version must be positive")
	}
	if strings.TrimSpace(m.Name) == "" {
		add(root, "name", "missing name")
	}
	if len(m.Objects) == 0 {
		add(root, "objects", "no objects")
	}
	names := map[string]*Object{}
	for i := range m.Objects {
		o := &m.Objects[i]
		if o.Name == "" {
			add(o.at, fmt.Sprintf("objects.%d", i), "object without a name")
			continue
		}
		if names[o.Name] != nil {
			add(o.at, "objects."+o.Name, "object name %q is used twice", o.Name)
		}
		names[o.Name] = o
	}
	for i := range m.Objects {
		o := &m.Objects[i]
		out = append(out, o.check(m, reg)...)
	}
	return append(out, m.checkHistory()...) // policy.go
}

func (o *Object) check(m *Map, reg *Registry) []Issue {
	var out []Issue
	path := "objects." + o.Name
	add := func(p pos, path, format string, args ...any) {
		out = append(out, Issue{Line: p.line, Column: p.col, Path: path, Message: fmt.Sprintf(format, args...)})
	}
	if o.Source == "" {
		add(o.at, path, "missing source entity")
	}
	if !slices.Contains(targetKinds, o.Target) {
		add(o.at, path, "unknown target %q (one of %s)", o.Target, joinKinds(targetKinds))
		return out
	}
	if o.SourceKey == "" {
		add(o.at, path, "missing source_key (the source field that identifies a record)")
	}
	spec := specOf(o.Target)
	switch {
	case spec.noExternalID != "" && o.ExternalID != "":
		add(o.at, path, "%s", spec.noExternalID)
	case spec.creates && spec.noExternalID == "" && o.ExternalID == "":
		add(o.at, path, "missing external_id: every created record keeps its source key in a custom field")
	}
	if o.ExternalID != "" && !validKey(o.ExternalID) {
		add(o.at, path, "external_id %q must be lower_snake_case", o.ExternalID)
	}
	switch spec.key {
	case keyObject:
		if !strings.HasPrefix(o.Key, "custom_objects.") || !validKey(strings.TrimPrefix(o.Key, "custom_objects.")) {
			add(o.at, path, "custom object key %q must look like custom_objects.<lower_snake_case>", o.Key)
		}
		if o.Labels == nil || o.Labels.Singular == "" || o.Labels.Plural == "" {
			add(o.at, path, "custom object needs labels {singular, plural}")
		}
		if o.Primary == "" {
			add(o.at, path, "custom object needs a primary display field")
		} else if o.Field(o.Primary) == nil {
			add(o.at, path, "primary field %q is not a rule of this object", o.Primary)
		}
	case keyField:
		if !validKey(o.Key) {
			add(o.at, path, "contact_field key %q must be lower_snake_case", o.Key)
		}
		if o.MaxBytes < 0 {
			add(o.at, path, "max_bytes must not be negative")
		}
	default:
		if o.Key != "" {
			add(o.at, path, "key applies only to custom_object and contact_field targets")
		}
	}
	if o.Primary != "" && spec.key != keyObject {
		add(o.at, path, "primary applies only to custom_object targets")
	}
	for _, f := range o.Filters {
		fp := path + ".filters." + f.Field
		if f.Field == "" {
			add(f.at, fp, "filter without a field")
		}
		switch f.Op {
		case OpEq, OpNe:
			if len(f.Values) != 1 {
				add(f.at, fp, "op %s takes exactly one value", f.Op)
			}
		case OpIn, OpNotIn:
			if len(f.Values) == 0 {
				add(f.at, fp, "op %s needs values", f.Op)
			}
		case OpEmpty, OpNotEmpty:
			if len(f.Values) != 0 {
				add(f.at, fp, "op %s takes no values", f.Op)
			}
		default:
			add(f.at, fp, "unknown filter op %q (eq, ne, in, not_in, empty, not_empty)", f.Op)
		}
	}
	if o.Expand != nil {
		if o.Expand.From == "" {
			add(o.at, path+".expand", "expand needs the source field to parse")
		}
		if _, ok := reg.Parser(o.Expand.Parser); !ok {
			add(o.at, path+".expand", "unknown row parser %q", o.Expand.Parser)
		}
	}
	std := spec.standard
	seen := map[string]bool{}
	for i := range o.Fields {
		f := &o.Fields[i]
		fp := path + ".fields." + f.To
		if f.To == "" {
			add(f.at, fmt.Sprintf("%s.fields.%d", path, i), "rule without a target (to)")
			continue
		}
		if seen[f.To] {
			add(f.at, fp, "target %q is written by two rules", f.To)
		}
		seen[f.To] = true
		sources := 0
		for _, s := range []string{f.From, f.Template, f.Value} {
			if s != "" {
				sources++
			}
		}
		if sources == 0 && f.Default == "" {
			add(f.at, fp, "rule needs from, template, value or default")
		}
		if sources > 1 {
			add(f.at, fp, "rule has more than one of from, template and value")
		}
		if len(f.Fallback) > 0 && f.From == "" {
			add(f.at, fp, "fallback applies only with from")
		}
		if f.Template != "" {
			if _, err := parseTemplate(f.Template); err != nil {
				add(f.at, fp, "template: %v", err)
			}
		}
		switch {
		case f.Type != "":
			if !slices.Contains(dataTypes, f.Type) {
				add(f.at, fp, "unknown custom field type %q", f.Type)
			}
			if !validKey(f.To) {
				add(f.at, fp, "custom field key %q must be lower_snake_case", f.To)
			}
			if !spec.customFields() {
				if spec.noCustom != "" {
					add(f.at, fp, "%s", spec.noCustom)
				} else {
					add(f.at, fp, "%s targets have no custom fields", o.Target)
				}
			}
			if f.Type.HasOptions() && len(f.OptionList()) == 0 {
				add(f.at, fp, "%s field needs options or values", f.Type)
			}
		case spec.custom == customAll:
			add(f.at, fp, "custom object properties need a type (TEXT, DATE, ...)")
		case spec.custom == customFree:
			// JSON entry keys: any name.
		case !slices.Contains(std, f.To):
			msg := fmt.Sprintf("%q is not a standard %s field; set type: to create a custom field", f.To, o.Target)
			if s := closest(f.To, std); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			add(f.at, fp, "%s", msg)
		}
		if f.Custom() && f.To == o.ExternalID {
			add(f.at, fp, "%q is the external id field; it is written from source_key", f.To)
		}
		if _, err := reg.CompileChain(f.Transform); err != nil {
			add(f.at, fp, "%v", err)
		}
		switch f.Unknown {
		case "", UnknownError, UnknownKeep, UnknownDrop, UnknownWarn:
		case UnknownDefault:
			if f.Default == "" {
				add(f.at, fp, "unknown: default needs a default value")
			}
		default:
			add(f.at, fp, "unknown policy %q (error, keep, default, drop, warn)", f.Unknown)
		}
		if _, err := f.pickList(); err != nil {
			add(f.at, fp, "%v", err)
		}
		if f.Unknown != "" && len(f.Values) == 0 {
			add(f.at, fp, "unknown applies only with values")
		}
		if f.Confidence < 0 || f.Confidence > 1 {
			add(f.at, fp, "confidence must be within [0, 1]")
		}
	}
	skipped := map[string]bool{}
	for i, sk := range o.Skip {
		switch {
		case strings.TrimSpace(sk.From) == "":
			add(o.at, fmt.Sprintf("%s.skip.%d", path, i), "skip without a source field (from)")
		case skipped[sk.From]:
			add(o.at, path+".skip."+sk.From, "field %q is skipped twice", sk.From)
		case o.reads(sk.From):
			add(o.at, path+".skip."+sk.From, "field %q is both skipped and mapped: remove it from skip to migrate it", sk.From)
		}
		skipped[sk.From] = true
	}
	allowed := spec.links
	for _, l := range o.Lookups {
		lp := path + ".lookups." + l.From
		if l.From == "" {
			add(l.at, lp, "lookup without a source field (from)")
		}
		ref := m.Object(l.Object)
		if ref == nil {
			add(l.at, lp, "lookup refers to unknown object %q", l.Object)
		}
		if !slices.Contains(allowed, l.To) {
			add(l.at, lp, "a %s cannot link to %q (allowed: %s)", o.Target, l.To, strings.Join(allowed, ", "))
			continue
		}
		if ref == nil {
			continue
		}
		if k, ok := linkKinds[l.To]; ok && ref.Target != k {
			add(l.at, lp, "%s must refer to a %s object, %q is a %s", l.To, k, l.Object, ref.Target)
		}
		if l.To == LinkAssociation {
			if !validKey(l.Association) {
				add(l.at, lp, "association key %q must be lower_snake_case", l.Association)
			}
			if !specOf(ref.Target).associable {
				add(l.at, lp, "associations link to contacts, businesses or custom objects, %q is a %s", l.Object, ref.Target)
			}
		} else if l.Association != "" {
			add(l.at, lp, "association applies only with to: association")
		}
	}
	if d := o.Duplicates; d != nil {
		dp := path + ".duplicates"
		switch d.Policy {
		case DuplicateMerge, DuplicateKeep, DuplicateFlag:
		default:
			add(o.at, dp, "unknown duplicate policy %q (merge, keep, flag)", d.Policy)
		}
		if len(d.Keys) == 0 {
			add(o.at, dp, "duplicates needs keys")
		}
		for _, k := range d.Keys {
			for part := range strings.SplitSeq(k, "+") {
				if o.Field(strings.TrimSpace(part)) == nil {
					add(o.at, dp, "duplicate key %q is not a target field of this object", part)
				}
			}
		}
	}
	if len(o.Pipelines) > 0 || o.PipelineField != "" || o.StageField != "" {
		pp := path + ".pipelines"
		if !spec.pipelines {
			add(o.at, pp, "pipelines apply only to opportunity targets")
		}
		if o.StageField == "" {
			add(o.at, pp, "pipelines need stage_field")
		}
		if len(o.Pipelines) > 1 && o.PipelineField == "" {
			add(o.at, pp, "several pipelines need pipeline_field")
		}
		seenP := map[string]bool{}
		for _, p := range o.Pipelines {
			if p.Name == "" {
				add(o.at, pp, "pipeline without a name")
			}
			if seenP[p.Source] {
				add(o.at, pp, "source pipeline %q is mapped twice", p.Source)
			}
			seenP[p.Source] = true
			if len(p.Stages) == 0 {
				add(o.at, pp+"."+p.Name, "pipeline without stages")
			}
			seenS := map[string]bool{}
			for _, s := range p.Stages {
				if s.Name == "" {
					add(o.at, pp+"."+p.Name, "stage without a name")
				}
				if seenS[s.From] {
					add(o.at, pp+"."+p.Name, "source stage %q is mapped twice", s.From)
				}
				seenS[s.From] = true
				if s.Probability < 0 || s.Probability > 100 {
					add(o.at, pp+"."+p.Name, "stage %q: probability must be within [0, 100]", s.Name)
				}
			}
		}
	} else if spec.pipelines {
		add(o.at, path, "opportunity targets need pipelines and stage_field")
	}
	o.checkEvent(add, path)
	o.checkProbability(add, path)
	o.checkList(add, path)
	o.checkRelated(m, add, path) // related.go
	if len(o.Owners) > 0 {
		op := path + ".owners"
		if !spec.owners {
			add(o.at, op, "an owners table applies only to user targets")
		}
		seen := map[string]bool{}
		for _, r := range o.Owners {
			k := strings.TrimSpace(r.Staff)
			switch {
			case k == "":
				add(o.at, op, "owner rule without a staff key")
			case seen[k]:
				add(o.at, op, "staff %q is mapped twice", k)
			case (r.Email == "") == (r.UserID == ""):
				add(o.at, op, "staff %q: give exactly one of email or user_id", k)
			}
			seen[k] = true
		}
	}
	return out
}

func validKey(s string) bool {
	if s == "" || len(s) > 100 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

func joinKinds(ks []TargetKind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// reads reports whether a rule, lookup or the source key reads field.
func (o *Object) reads(field string) bool {
	if o.SourceKey == field || slices.Contains(o.KeyParts(), field) || o.StageField == field || o.PipelineField == field {
		return true
	}
	for _, f := range o.Fields {
		if f.From == field || slices.Contains(f.Fallback, field) {
			return true
		}
		if f.Template != "" {
			if parts, err := parseTemplate(f.Template); err == nil {
				for _, p := range parts {
					if p.field == field {
						return true
					}
				}
			}
		}
	}
	for _, l := range o.Lookups {
		if l.From == field {
			return true
		}
	}
	return false
}
