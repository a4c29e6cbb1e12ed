package mapping

import (
	"fmt"
	"slices"
	"strings"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// RuleRelated: a related rule (Field.Related) found no record of the
// related object under the key the record names.
const RuleRelated = "related"

// Related makes a rule read a field of another source record instead of a
// field of its own: the record of map object Object whose source key is the
// value of the rule's From (its fallbacks too). A treatment row carries its
// case type so:
//
//	fields:
//	  - from: treatmentPlanId
//	    to: case_type
//	    type: TEXT
//	    related: {object: treatment_plans, field: pipeline}
//
// The related value then goes through the rule as its own value would:
// transforms, values, default, type check. An empty key (or PbN's "0",
// "none") gives no value; a key no record of Object has leaves the field out
// with a warning (an invalid record when the rule is required). Records of
// Object are looked up among all of its source's records, whatever the
// object's filters keep: the related record need not migrate.
//
// The values come from a [RelatedValues] index the runner builds once per
// run, by one read of each related object's source ([Map.RelatedReads]),
// and gives the Applier ([ApplierOptions].Related, [Applier.WithRelated]).
type Related struct {
	// Object is the map object whose records are read ("treatment_plans").
	Object string `yaml:"object"`
	// Field is the field of that object's source read ("pipeline").
	Field string `yaml:"field"`
}

// RelatedRead is one source read a map's related rules need: the records of
// Object's source, keyed by Object's source key, and the fields of theirs
// the rules read.
type RelatedRead struct {
	Object *Object
	Fields []string
}

// RelatedReads lists what the map's related rules read, one entry per
// related object in map order; nil when no rule reads a related record.
// Rules whose object is not in the map are left out (Verify refuses them).
func (m *Map) RelatedReads() []RelatedRead {
	var out []RelatedRead
	for i := range m.Objects {
		for _, f := range m.Objects[i].Fields {
			if f.Related == nil {
				continue
			}
			ref := m.Object(f.Related.Object)
			if ref == nil || f.Related.Field == "" {
				continue
			}
			j := slices.IndexFunc(out, func(r RelatedRead) bool { return r.Object == ref })
			if j < 0 {
				out = append(out, RelatedRead{Object: ref})
				j = len(out) - 1
			}
			if !slices.Contains(out[j].Fields, f.Related.Field) {
				out[j].Fields = append(out[j].Fields, f.Related.Field)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b RelatedRead) int {
		return m.objectIndex(a.Object) - m.objectIndex(b.Object)
	})
	return out
}

func (m *Map) objectIndex(o *Object) int {
	for i := range m.Objects {
		if &m.Objects[i] == o {
			return i
		}
	}
	return len(m.Objects)
}

// RelatedValues is the index a related rule reads: for each related object,
// the value of each field the rules read, by the record's source key. It
// holds one string per record and field — never whole records — and equal
// values once (a plan's pipeline is one of a few). Fill it with Add from
// one read of each RelatedReads source, then hand it to the Applier; it is
// safe for concurrent reads once filled.
type RelatedValues struct {
	objects map[string]*relatedObject
}

type relatedObject struct {
	o      *Object
	fields []string
	vals   []map[string]string // per field: source key → value
	intern map[string]string
}

// NewRelatedValues returns an empty index for the map's related rules.
func NewRelatedValues(m *Map) *RelatedValues {
	r := &RelatedValues{objects: map[string]*relatedObject{}}
	for _, rd := range m.RelatedReads() {
		ro := &relatedObject{o: rd.Object, fields: rd.Fields, intern: map[string]string{}}
		for range rd.Fields {
			ro.vals = append(ro.vals, map[string]string{})
		}
		r.objects[rd.Object.Name] = ro
	}
	return r
}

// Add records the related fields of one source record of the named object.
// A record without a source key, or of an object no rule reads, is
// ignored; a later record with the same key replaces the earlier one. Add
// must not run concurrently with itself or with Value.
func (r *RelatedValues) Add(object string, rec Record) {
	ro := r.objects[object]
	if ro == nil {
		return
	}
	key := strings.TrimSpace(ro.o.KeyOf(rec))
	if key == "" {
		return
	}
	// Both are copied: a field read from a CSV row may share the memory
	// of its whole line, which the index must not keep alive.
	key = strings.Clone(key)
	for i, f := range ro.fields {
		v, _ := rec.Get(f)
		iv, ok := ro.intern[v]
		if !ok {
			iv = strings.Clone(v)
			ro.intern[iv] = iv
		}
		ro.vals[i][key] = iv
	}
}

// Value returns the field of the object's record whose source key is key,
// and whether such a record was read.
func (r *RelatedValues) Value(object, field, key string) (string, bool) {
	if r == nil {
		return "", false
	}
	ro := r.objects[object]
	if ro == nil {
		return "", false
	}
	i := slices.Index(ro.fields, field)
	if i < 0 {
		return "", false
	}
	v, ok := ro.vals[i][key]
	return v, ok
}

// Len is the number of records of the object the index holds.
func (r *RelatedValues) Len(object string) int {
	if r == nil || r.objects[object] == nil || len(r.objects[object].vals) == 0 {
		return 0
	}
	return len(r.objects[object].vals[0])
}

// WithRelated returns an applier like a that reads related rules' values
// from r: a run builds the index once and applies every record with it,
// the compiled map shared.
func (a *Applier) WithRelated(r *RelatedValues) *Applier {
	b := *a
	b.related = r
	return &b
}

// relatedValue turns the key a related rule read into the related record's
// field. false: the record got a problem and the field is left out.
func (a *Applier) relatedValue(f *Field, key string, p *Payload) (string, bool) {
	key = strings.TrimSpace(key)
	if key == "" || key == "0" { // PbN writes 0 for "none", as lookups read it
		return "", true
	}
	sev, tail := Warning, "; the field is left out"
	if f.Required {
		sev, tail = Invalid, ""
	}
	rel := f.Related
	if a.related == nil || a.related.objects[rel.Object] == nil {
		p.problem(f.To, RuleRelated, fmt.Sprintf("the %s records were not read for this rule (no related index given to the applier)%s", rel.Object, tail), sev)
		return "", false
	}
	v, ok := a.related.Value(rel.Object, rel.Field, key)
	if !ok {
		p.problem(f.To, RuleRelated, fmt.Sprintf("no %s record in the source has the %s this record names%s", rel.Object, f.From, tail), sev)
		return "", false
	}
	return v, true
}

// checkRelated validates the object's related rules: each reads a field of
// an object of the map, through a rule that has a key to read (from).
func (o *Object) checkRelated(m *Map, add func(p pos, path, format string, args ...any), path string) {
	for i := range o.Fields {
		f := &o.Fields[i]
		rel := f.Related
		if rel == nil {
			continue
		}
		fp := path + ".fields." + f.To + ".related"
		if f.From == "" {
			add(f.at, fp, "related reads the record whose key is in from: give from (the field holding the related record's source key)")
		}
		if strings.TrimSpace(rel.Object) == "" || strings.TrimSpace(rel.Field) == "" {
			add(f.at, fp, "related needs object (a map object) and field (a field of its source)")
			continue
		}
		ref := m.Object(rel.Object)
		if ref == nil {
			names := make([]string, len(m.Objects))
			for j := range m.Objects {
				names[j] = m.Objects[j].Name
			}
			msg := fmt.Sprintf("related refers to unknown object %q", rel.Object)
			if s := closest(rel.Object, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			add(f.at, fp, "%s", msg)
			continue
		}
		if ref.Expand != nil {
			add(f.at, fp, "related cannot read %q: its records are rows parsed out of free text, with no source key of their own", rel.Object)
			continue
		}
		if !sourceHasField(ref, rel.Field) {
			add(f.at, fp, "%q is not a field of %s, the source of %s", rel.Field, ref.Source, rel.Object)
		}
	}
}

// sourceHasField reports whether records of o's source may carry field: a
// Practice by Numbers entity has its columns' fields and custom.<key>
// properties; a report file's fields are its columns, not known here.
func sourceHasField(o *Object, field string) bool {
	e := pbn.Entity(o.Source)
	if !e.Valid() || strings.HasPrefix(field, pbn.CustomColumnPrefix) {
		return true
	}
	col, _ := pbn.FieldColumn(e, field)
	return col != ""
}
