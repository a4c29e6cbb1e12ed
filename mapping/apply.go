package mapping

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/mapping/transform"
)

// Problem rules: what kind of check a record failed.
const (
	RuleRequired     = "required"      // a required field is empty
	RuleFormat       = "format"        // a transform refused the value
	RuleUnknownValue = "unknown_value" // a value map does not list the value
	RuleType         = "type"          // the value does not fit the custom field type
	RuleMissingLink  = "missing_link"  // a required lookup has no key
	RuleReference    = "reference"     // a lookup's key is not a known record
	RuleDuplicate    = "duplicate"     // same email/phone/name+birth date as an earlier record
	RuleStage        = "stage"         // pipeline or stage not mapped
	RuleParse        = "parse"         // free text an expand parser could not read
	// RuleRepeatedKey: the source key of an earlier record of the same
	// object, in a report read as it is (a file without an id column):
	// the run would take it for that record.
	RuleRepeatedKey = "repeated_key"
)

// Severity says whether a problem stops a record.
type Severity string

// Severities.
const (
	Invalid Severity = "invalid" // the record is not sent
	Warning Severity = "warning" // the record is sent; a person should know
)

// Problem is one reason a record is invalid (or a warning about it). It never
// carries field values: only the object, source key, field name, rule and a
// reason written without the value.
type Problem struct {
	Object    string   `json:"object"`
	SourceKey string   `json:"source_key"`
	Field     string   `json:"field,omitempty"`
	Rule      string   `json:"rule"`
	Reason    string   `json:"reason"`
	Severity  Severity `json:"severity"`
}

func (p Problem) String() string {
	f := ""
	if p.Field != "" {
		f = " " + p.Field
	}
	return fmt.Sprintf("%s %s %s%s: %s: %s", p.Severity, p.Object, p.SourceKey, f, p.Rule, p.Reason)
}

// Value is one target field's value. List holds the values of list types
// (MULTIPLE_OPTIONS, CHECKBOX, TEXTBOX_LIST); Text holds all others, as
// text in HighLevel's format (YYYY-MM-DD dates, RFC 3339 timestamps, decimal
// numbers).
type Value struct {
	Key  string
	Type DataType // "" for standard fields
	Text string
	List []string
}

// JSON returns the value as HighLevel expects it in a write body: a number
// for NUMERICAL and MONETORY, a list for list types, otherwise a string.
func (v Value) JSON() any {
	switch {
	case v.Type.IsList():
		if v.List == nil {
			return []string{}
		}
		return v.List
	case v.Type == TypeNumerical || v.Type == TypeMonetary:
		if f, err := strconv.ParseFloat(v.Text, 64); err == nil {
			return f
		}
	}
	return v.Text
}

// RecordJSON returns the value as a custom object record property takes it:
// money as {"currency":"default","value":n}, options as their keys
// (OptionKey), numbers as numbers, everything else as text.
func (v Value) RecordJSON() any {
	switch v.Type {
	case TypeMonetary:
		if f, err := strconv.ParseFloat(v.Text, 64); err == nil {
			return map[string]any{"currency": "default", "value": f}
		}
	case TypeSingleOptions, TypeRadio:
		return OptionKey(v.Text)
	case TypeMultipleOptions, TypeCheckbox:
		keys := make([]string, len(v.List))
		for i, l := range v.List {
			keys[i] = OptionKey(l)
		}
		return keys
	}
	return v.JSON()
}

// OptionKey is the key of an option label in a custom object field, as the
// schema plan creates it ("Existing (current)" → existing_current).
func OptionKey(label string) string {
	if k := snake(label); k != "" {
		return k
	}
	return "option"
}

// Link is a reference to another migrated record (or a user) that the runner
// resolves through its id map: the target of a lookup.
type Link struct {
	To          string // contactId, businessId, assignedTo, association
	Object      string // the referenced map object
	Key         string // the referenced record's source key
	Association string // association key when To is association
	Required    bool   // the record is invalid without this link
}

// Payload is one source record rendered for HighLevel per the map.
type Payload struct {
	Object    string
	Target    TargetKind
	Key       string // custom object key or contact field key
	SourceKey string
	// Fields are standard fields; Custom are custom fields, the external id first.
	Fields []Value
	Custom []Value
	Links  []Link
	// Pipeline, Stage and Probability are set for opportunities.
	Pipeline    string
	Stage       string
	Probability float64
	// AssignedTo is the owner's HighLevel user id when the Applier has
	// Owners. A contact (and an opportunity, note, task…) of a staff
	// member without a user gets the fallback user; a custom object record
	// gets none (its lookup's staff member is named on the record).
	AssignedTo string
	// Followers are the HighLevel user ids of a custom object record's
	// followers (lookups to followers, resolved like the owner, never the
	// fallback), in lookup order without repeats.
	Followers []string
	// Empty lists the target fields whose rule found no value (and no
	// problem): an update clears them, so HighLevel reaches the source's
	// final state. Fields left out because of a problem are not listed.
	Empty []string
	// Unset lists the user links (LinkOwner, LinkFollowers) of a custom
	// object record whose lookups resolved no user: an update clears the
	// record's owner (followers), which a record moved to a provider
	// without a user, or whose provider lost one, no longer has.
	Unset []string
	// DuplicateOf is the source key of the earlier record this one merges into
	// (duplicate policy merge): the runner maps it to that record's id.
	DuplicateOf string
	// Skipped says which filter excluded the record ("" when it was not).
	Skipped string
	// Problems lists why the record is invalid, and warnings.
	Problems []Problem
}

// Valid reports whether no problem of severity Invalid was found.
func (p *Payload) Valid() bool {
	for _, pr := range p.Problems {
		if pr.Severity == Invalid {
			return false
		}
	}
	return true
}

// Field returns the standard or custom value written to key.
func (p *Payload) Field(key string) (Value, bool) {
	for _, v := range p.Fields {
		if v.Key == key {
			return v, true
		}
	}
	for _, v := range p.Custom {
		if v.Key == key {
			return v, true
		}
	}
	return Value{}, false
}

// Link returns the payload's link with the given destination.
func (p *Payload) Link(to string) (Link, bool) {
	for _, l := range p.Links {
		if l.To == to {
			return l, true
		}
	}
	return Link{}, false
}

func (p *Payload) reset() {
	*p = Payload{Fields: p.Fields[:0], Custom: p.Custom[:0], Links: p.Links[:0], Followers: p.Followers[:0], Empty: p.Empty[:0],
		Unset: p.Unset[:0], Problems: p.Problems[:0]}
}

// Digest returns "sha256:<hex>" of what the payload writes — fields, custom
// fields, links, pipeline and stage, owner and the emptied fields — leaving
// out the keys in ignore. A delta run compares it with the digest of the
// last write to skip records whose change stamp moved but whose content did
// not (ignore pbn_updated_at for that).
func (p *Payload) Digest(ignore ...string) string {
	h := sha256.New()
	skip := func(k string) bool { return slices.Contains(ignore, k) }
	w := func(parts ...string) {
		for _, s := range parts {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
		h.Write([]byte{1})
	}
	vals := make([]Value, 0, len(p.Fields)+len(p.Custom))
	vals = append(append(vals, p.Fields...), p.Custom...)
	slices.SortFunc(vals, func(a, b Value) int { return strings.Compare(a.Key, b.Key) })
	for _, v := range vals {
		if !skip(v.Key) {
			w(append([]string{"v", v.Key, string(v.Type), v.Text}, v.List...)...)
		}
	}
	empty := slices.Sorted(slices.Values(p.Empty))
	for _, k := range empty {
		if !skip(k) {
			w("e", k)
		}
	}
	links := slices.Clone(p.Links)
	slices.SortFunc(links, func(a, b Link) int {
		return strings.Compare(a.To+a.Association+a.Object+a.Key, b.To+b.Association+b.Object+b.Key)
	})
	for _, l := range links {
		w("l", l.To, l.Association, l.Object, l.Key)
	}
	w("p", p.Pipeline, p.Stage, strconv.FormatFloat(p.Probability, 'f', -1, 64), p.AssignedTo)
	// Absent before records had followers: earlier digests stay valid.
	if len(p.Followers) > 0 {
		w(append([]string{"f"}, p.Followers...)...)
	}
	if len(p.Unset) > 0 {
		w(append([]string{"u"}, p.Unset...)...)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// hasValue reports whether the payload carries a non-blank custom value for key.
func (p *Payload) hasValue(key string) bool {
	for _, v := range p.Custom {
		if v.Key == key && (strings.TrimSpace(v.Text) != "" || len(v.List) > 0) {
			return true
		}
	}
	return false
}

func (p *Payload) problem(field, rule, reason string, sev Severity) {
	p.Problems = append(p.Problems, Problem{Object: p.Object, SourceKey: p.SourceKey, Field: field, Rule: rule, Reason: reason, Severity: sev})
}

// OwnerResolver gives the HighLevel user id that owns records of a staff
// member: the fallback user, with matched false, when the member has none.
type OwnerResolver interface {
	Owner(staffKey string) (userID string, matched bool)
}

// UserResolver is an OwnerResolver that also answers without the
// fallback (Owners.User): the owner and followers of custom object
// records. A resolver without it has its fallback answers dropped for
// them.
type UserResolver interface {
	User(staffKey string) (userID string, matched bool)
}

// user is the staff member's matched user for a custom object record, ""
// when none.
func (a *Applier) user(staffKey string) (string, bool) {
	if u, ok := a.owners.(UserResolver); ok {
		return u.User(staffKey)
	}
	if id, ok := a.owners.Owner(staffKey); ok {
		return id, true
	}
	return "", false
}

// ApplierOptions tune NewApplier.
type ApplierOptions struct {
	// Registry resolves transform names; nil means DefaultRegistry.
	Registry *Registry
	// Owners resolves owner lookups (to: assignedTo) into Payload.AssignedTo.
	// Without it owner lookups stay Links.
	Owners OwnerResolver
	// Now is the run's time, from which a by-age history policy counts its
	// window (Map.FirstClassSince); zero means time.Now().
	Now time.Time
	// Related holds the values related rules read (Field.Related), built
	// by the runner from one read of each related source; without it a
	// related rule leaves its field out with a warning.
	Related *RelatedValues
}

// Applier turns source records into payloads per an approved map. It is safe
// for concurrent use.
type Applier struct {
	m       *Map
	objects map[string]*compiledObject
	owners  OwnerResolver
	related *RelatedValues
}

type compiledObject struct {
	o       *Object
	fields  []compiledField
	parser  RowParser
	stages  map[string]map[string]Stage // pipeline source → stage source → stage
	pipes   map[string]string           // pipeline source → name
	filters []Filter
	// A by-age history policy: records of history kind dated before since
	// are folded only (skipped here).
	history string
	since   time.Time
}

type compiledField struct {
	f      *Field
	chain  Func
	tmpl   []tmplPart
	values *transform.PickList
	opts   map[string]bool
	fold   map[string]string // folded option → option, so " ortho" matches "Ortho"
}

// NewApplier compiles an approved map. An unapproved or changed map returns
// an error matching ErrNotApproved: it can be inspected, not run.
func NewApplier(m *Map, opts ApplierOptions) (*Applier, error) {
	if err := m.Verify(); err != nil {
		return nil, err
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	reg := opts.Registry
	if reg == nil {
		reg = DefaultRegistry()
	}
	if issues := m.check(reg); len(issues) > 0 {
		return nil, &LoadError{File: m.file, Issues: issues}
	}
	a := &Applier{m: m, objects: make(map[string]*compiledObject, len(m.Objects)), owners: opts.Owners, related: opts.Related}
	for i := range m.Objects {
		o := &m.Objects[i]
		co := &compiledObject{o: o, filters: o.Filters}
		if k := m.HistoryKindOf(o); k != "" {
			co.history, co.since = k, m.FirstClassSince(k, now)
		}
		if o.Expand != nil {
			co.parser, _ = reg.Parser(o.Expand.Parser)
		}
		for j := range o.Fields {
			f := &o.Fields[j]
			chain, err := reg.CompileChain(f.Transform)
			if err != nil {
				return nil, err
			}
			cf := compiledField{f: f, chain: chain}
			if f.Template != "" {
				if cf.tmpl, err = parseTemplate(f.Template); err != nil {
					return nil, err
				}
			}
			if cf.values, err = f.pickList(); err != nil {
				return nil, err
			}
			if f.Type.HasOptions() {
				cf.opts = map[string]bool{}
				cf.fold = map[string]string{}
				for _, s := range f.OptionList() {
					cf.opts[s] = true
					if _, dup := cf.fold[foldOption(s)]; !dup {
						cf.fold[foldOption(s)] = s
					}
				}
			}
			co.fields = append(co.fields, cf)
		}
		if len(o.Pipelines) > 0 {
			co.stages = map[string]map[string]Stage{}
			co.pipes = map[string]string{}
			for _, p := range o.Pipelines {
				st := map[string]Stage{}
				for _, s := range p.Stages {
					st[s.From] = s
					if _, ok := st[strings.ToLower(s.From)]; !ok {
						st[strings.ToLower(s.From)] = s
					}
				}
				co.stages[p.Source] = st
				co.pipes[p.Source] = p.Name
			}
		}
		a.objects[o.Name] = co
	}
	return a, nil
}

// Map returns the map the applier runs.
func (a *Applier) Map() *Map { return a.m }

// ErrUnknownObject is returned for an object name the map does not have.
var ErrUnknownObject = errors.New("mapping: unknown object")

// Apply renders one record of the named object. For objects with Expand it
// returns one payload per parsed row plus, when free text remained unparsed,
// a warning on the first. Invalid records come back with Problems; filtered
// ones with Skipped.
func (a *Applier) Apply(object string, rec Record) ([]Payload, error) {
	co := a.objects[object]
	if co == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownObject, object)
	}
	if co.parser == nil {
		var p Payload
		a.apply(co, rec, &p, "")
		return []Payload{p}, nil
	}
	key := co.o.KeyOf(rec)
	txt, _ := rec.Get(co.o.Expand.From)
	if strings.TrimSpace(key) == "" {
		var p Payload
		a.apply(co, rec, &p, "")
		return []Payload{p}, nil
	}
	for i := range co.filters {
		if !co.filters[i].holds(rec) {
			return []Payload{{Object: co.o.Name, Target: co.o.Target, Key: co.o.Key, SourceKey: key, Skipped: "filter on " + co.filters[i].Field}}, nil
		}
	}
	parsed := co.parser(txt)
	out := make([]Payload, 0, len(parsed.Rows))
	for i, row := range parsed.Rows {
		var p Payload
		a.apply(co, overlay{top: row, base: rec}, &p, key+"#"+strconv.Itoa(i+1))
		out = append(out, p)
	}
	var probs []Problem
	for _, r := range parsed.Problems {
		probs = append(probs, Problem{Object: co.o.Name, SourceKey: key, Field: co.o.Expand.From, Rule: RuleParse, Reason: r, Severity: Warning})
	}
	if rest := strings.TrimSpace(parsed.Remainder); rest != "" {
		reason := fmt.Sprintf("%d lines of %s are not treatment entries; they are not migrated as rows", strings.Count(rest, "\n")+1, co.o.Expand.From)
		probs = append(probs, Problem{Object: co.o.Name, SourceKey: key, Field: co.o.Expand.From, Rule: RuleParse, Reason: reason, Severity: Warning})
	}
	if len(probs) > 0 {
		if len(out) == 0 {
			out = append(out, Payload{Object: co.o.Name, Target: co.o.Target, Key: co.o.Key, SourceKey: key, Skipped: "no rows parsed"})
		}
		out[0].Problems = append(out[0].Problems, probs...)
	}
	return out, nil
}

// ApplyTo renders one record into p, reusing p's slices: the allocation-lean
// path for objects without Expand.
func (a *Applier) ApplyTo(object string, rec Record, p *Payload) error {
	co := a.objects[object]
	if co == nil {
		return fmt.Errorf("%w %q", ErrUnknownObject, object)
	}
	if co.parser != nil {
		return fmt.Errorf("mapping: object %q expands into several rows: use Apply", object)
	}
	a.apply(co, rec, p, "")
	return nil
}

func (a *Applier) apply(co *compiledObject, rec Record, p *Payload, key string) {
	o := co.o
	p.reset()
	p.Object, p.Target, p.Key = o.Name, o.Target, o.Key
	if key == "" {
		key = strings.TrimSpace(o.KeyOf(rec))
	}
	p.SourceKey = key
	if key == "" {
		p.problem(o.SourceKey, RuleRequired, "the record has no source key", Invalid)
		return
	}
	for i := range co.filters {
		if !co.filters[i].holds(rec) {
			p.Skipped = "filter on " + co.filters[i].Field
			return
		}
	}
	if !co.since.IsZero() {
		if d, ok := HistoryDate(co.history, rec); ok && d.Before(co.since) {
			p.Skipped = "history by-age: dated before " + co.since.UTC().Format(time.DateOnly) + ", in the contact's log only"
			return
		}
	}
	if o.ExternalID != "" {
		p.Custom = append(p.Custom, Value{Key: o.ExternalID, Type: TypeText, Text: key})
	}
	for i := range co.fields {
		cf := &co.fields[i]
		a.applyField(cf, rec, p)
	}
	// HighLevel refuses a custom object record whose primary display
	// property is empty (422): that is known before sending, so the record
	// is invalid here rather than rejected after a call.
	if o.Target == TargetCustomObject && o.Primary != "" && !p.hasValue(o.Primary) {
		p.problem(o.Primary, RuleRequired, "the object's primary display field is empty (HighLevel refuses a record without it)", Invalid)
	}
	// A custom object record's owner and followers are users, never the
	// fallback: its lookups resolve through user (a.lookupUser).
	record := o.Target == TargetCustomObject && a.owners != nil
	userLinks := 0 // a record's lookups to its owner or followers
	for _, l := range o.Lookups {
		v, _ := rec.Get(l.From)
		v = strings.TrimSpace(v)
		if record && (l.To == LinkOwner || l.To == LinkFollowers) {
			userLinks++
		}
		if v == "" || v == "0" { // PbN writes 0 for "none" (ClinicNum 0, Guarantor 0)
			if l.Required {
				p.problem(l.From, RuleMissingLink, "required link to "+l.Object+" is empty", Invalid)
			}
			if l.To == LinkOwner && a.owners != nil && !record {
				p.AssignedTo, _ = a.owners.Owner("")
			}
			continue
		}
		if record && (l.To == LinkOwner || l.To == LinkFollowers) {
			a.lookupUser(l, v, p)
			continue
		}
		if l.To == LinkOwner && a.owners != nil {
			id, matched := a.owners.Owner(v)
			p.AssignedTo = id
			if !matched {
				p.problem(l.From, RuleReference, "staff member has no HighLevel user; the fallback owner is used", Warning)
			}
			continue
		}
		p.Links = append(p.Links, Link{To: l.To, Object: l.Object, Key: v, Association: l.Association, Required: l.Required})
	}
	if p.Target == TargetContact && p.AssignedTo == "" && a.owners != nil {
		p.AssignedTo, _ = a.owners.Owner("") // no contact lands without an owner
	}
	if userLinks > 0 {
		a.emptyUsers(o, p)
	}
	if co.stages != nil {
		pipeSrc := ""
		if o.PipelineField != "" {
			pipeSrc, _ = rec.Get(o.PipelineField)
			pipeSrc = strings.TrimSpace(pipeSrc)
		}
		stages, ok := co.stages[pipeSrc]
		if !ok && len(co.stages) == 1 && o.PipelineField == "" {
			for _, s := range co.stages {
				stages, ok = s, true
			}
		}
		if !ok {
			p.problem(o.PipelineField, RuleStage, "the record's pipeline is not mapped", Invalid)
			return
		}
		p.Pipeline = co.pipes[pipeSrc]
		stageSrc, _ := rec.Get(o.StageField)
		stageSrc = strings.TrimSpace(stageSrc)
		s, ok := stages[stageSrc]
		if !ok {
			s, ok = stages[strings.ToLower(stageSrc)]
		}
		if !ok {
			p.problem(o.StageField, RuleStage, "the record's stage is not mapped in pipeline "+p.Pipeline, Invalid)
			return
		}
		p.Stage, p.Probability = s.Name, s.Probability
		if v, ok := probabilityValue(o, s.Probability); ok {
			p.Custom = append(p.Custom, v)
		}
	}
}

// lookupUser resolves a custom object record's owner or follower lookup
// to the staff member's user; a member without one leaves the record
// without it, with a warning (the record's own fields say who: the staff
// id, and the name Map.NameStaff drafts).
func (a *Applier) lookupUser(l Lookup, staffKey string, p *Payload) {
	id, ok := a.user(staffKey)
	if !ok {
		what := "owner"
		if l.To == LinkFollowers {
			what = "follower"
		}
		p.problem(l.From, RuleReference, "staff member has no HighLevel user; the record gets no "+what+
			" from it (the fallback user is for contacts; the record's own fields say who)", Warning)
		return
	}
	if l.To == LinkOwner {
		if p.AssignedTo == "" { // HighLevel: one owner; the first lookup that resolves
			p.AssignedTo = id
		}
		return
	}
	switch {
	case slices.Contains(p.Followers, id):
	case len(p.Followers) == maxFollowers:
		p.problem(l.From, RuleReference, fmt.Sprintf("HighLevel keeps at most %d followers on a record; this staff member's user is left out", maxFollowers), Warning)
	default:
		p.Followers = append(p.Followers, id)
	}
}

// emptyUsers lists, in p.Unset, the user links of a custom object record
// whose lookups resolved no user, so an update clears them.
func (a *Applier) emptyUsers(o *Object, p *Payload) {
	has := func(to string) bool {
		return slices.ContainsFunc(o.Lookups, func(l Lookup) bool { return l.To == to })
	}
	if p.AssignedTo == "" && has(LinkOwner) {
		p.Unset = append(p.Unset, LinkOwner)
	}
	if len(p.Followers) == 0 && has(LinkFollowers) {
		p.Unset = append(p.Unset, LinkFollowers)
	}
}

func (a *Applier) applyField(cf *compiledField, rec Record, p *Payload) {
	f := cf.f
	v := f.Value
	switch {
	case f.From != "":
		v, _ = rec.Get(f.From)
		for i := 0; i < len(f.Fallback) && strings.TrimSpace(v) == ""; i++ {
			v, _ = rec.Get(f.Fallback[i])
		}
		if f.Related != nil {
			var ok bool
			if v, ok = a.relatedValue(f, v, p); !ok {
				return
			}
		}
	case cf.tmpl != nil:
		v = fillTemplate(cf.tmpl, rec)
	}
	if cf.chain != nil && v != "" {
		out, err := cf.chain(v)
		if err != nil {
			// A bad value in an optional field is left out (HighLevel would
			// refuse the whole record for it); in a required one it stops the record.
			if f.Required {
				p.problem(f.To, RuleFormat, reasonOf(err), Invalid)
			} else {
				p.problem(f.To, RuleFormat, reasonOf(err)+"; the field is left out", Warning)
			}
			return
		}
		v = out
	}
	var list []string
	// A standard list field (a contact's tags) with a value map takes it
	// item by item, as a multi-value custom field does (cohort ids → tags).
	stdList := f.Type == "" && f.To == "tags" && cf.values != nil
	if f.Type.IsList() || stdList {
		list = splitList(v)
		if cf.values != nil {
			kept := list[:0]
			for _, it := range list {
				mv, ok := a.mapValue(cf, it, p)
				if !ok {
					return
				}
				if mv != "" {
					kept = append(kept, mv)
				}
			}
			list = kept
		}
		if len(list) == 0 && f.Default != "" {
			list = splitList(f.Default)
		}
		if len(list) == 0 {
			if f.Required {
				p.problem(f.To, RuleRequired, "required field is empty", Invalid)
			} else {
				p.Empty = append(p.Empty, f.To)
			}
			return
		}
		if cf.opts != nil {
			for i, it := range list {
				list[i] = cf.option(it)
				if !cf.opts[list[i]] {
					sev, tail := Warning, "; the field is left out"
					if f.Required {
						sev, tail = Invalid, ""
					}
					p.problem(f.To, RuleType, "a value is not one of the field's options"+tail, sev)
					return
				}
			}
		}
		if stdList {
			// The text is the list as JSON, which the inputs read (splitList).
			b, _ := json.Marshal(list)
			p.Fields = append(p.Fields, Value{Key: f.To, Text: string(b), List: list})
			return
		}
		p.Custom = append(p.Custom, Value{Key: f.To, Type: f.Type, List: list})
		return
	}
	if cf.values != nil && v != "" {
		mv, ok := a.mapValue(cf, v, p)
		if !ok {
			return
		}
		v = mv
	}
	if v == "" {
		v = f.Default
	}
	if v == "" {
		if f.Required {
			p.problem(f.To, RuleRequired, "required field is empty", Invalid)
		} else {
			p.Empty = append(p.Empty, f.To)
		}
		return
	}
	if f.Type != "" {
		if cf.fold != nil {
			v = cf.option(v)
		}
		if reason := checkType(f.Type, v, cf.opts); reason != "" {
			if f.Required {
				p.problem(f.To, RuleType, reason, Invalid)
			} else {
				p.problem(f.To, RuleType, reason+"; the field is left out", Warning)
			}
			return
		}
		p.Custom = append(p.Custom, Value{Key: f.To, Type: f.Type, Text: v})
		return
	}
	if reason := checkStandard(p.Target, f.To, v); reason != "" {
		p.problem(f.To, RuleFormat, reason, Invalid)
		return
	}
	p.Fields = append(p.Fields, Value{Key: f.To, Text: v})
}

// mapValue applies a value map and its unknown policy; false means the
// record got a problem.
func (a *Applier) mapValue(cf *compiledField, v string, p *Payload) (string, bool) {
	mv, keep, err := cf.values.Map(v)
	if err != nil {
		p.problem(cf.f.To, RuleUnknownValue, "the value is not listed in the rule's values", Invalid)
		return "", false
	}
	if !keep {
		if cf.f.Unknown == UnknownWarn && strings.TrimSpace(v) != "" {
			p.problem(cf.f.To, RuleUnknownValue, "a value is not listed in the rule's values; it is left out", Warning)
		}
		return "", true
	}
	return mv, true
}

// pickList compiles the rule's value map with its unknown-value policy.
func (f *Field) pickList() (*transform.PickList, error) {
	if len(f.Values) == 0 {
		return nil, nil
	}
	entries := make(map[string]string, len(f.Values))
	for _, p := range f.Values {
		entries[p.From] = p.To
	}
	o := transform.PickListOptions{Default: f.Default}
	switch f.Unknown {
	case UnknownKeep:
		o.Unknown = transform.UnknownPassThrough
	case UnknownDefault:
		o.Unknown = transform.UnknownDefault
	case UnknownDrop, UnknownWarn:
		o.Unknown = transform.UnknownDrop
	}
	pl, err := transform.NewPickList(entries, o)
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	return pl, nil
}

func splitList(v string) []string {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	if v[0] == '[' {
		// Items are strings or numbers: a source record's id list is
		// written [3,"A-7"] (numeric keys as numbers).
		var raw []json.RawMessage
		if json.Unmarshal([]byte(v), &raw) == nil {
			out := make([]string, 0, len(raw))
			ok := true
			for _, r := range raw {
				var s string
				var n json.Number
				switch {
				case json.Unmarshal(r, &s) == nil:
				case json.Unmarshal(r, &n) == nil:
					s = n.String()
				default:
					ok = false
				}
				if strings.TrimSpace(s) != "" {
					out = append(out, s)
				}
			}
			if ok {
				return out
			}
		}
	}
	return []string{v}
}

// reasonOf extracts a value-free reason from a transform error.
func reasonOf(err error) string {
	var te *transform.Error
	if errors.As(err, &te) {
		return te.Error()
	}
	return err.Error()
}

// checkType says why v does not fit a custom field type ("" when it fits).
func checkType(t DataType, v string, opts map[string]bool) string {
	switch t {
	case TypeDate:
		if !isDate(v) {
			return "not a YYYY-MM-DD date (add a date transform)"
		}
	case TypeNumerical, TypeMonetary:
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return "not a number"
		}
	case TypeEmail:
		if _, err := transform.Email(v); err != nil {
			return "not a valid email address"
		}
	case TypePhone:
		if !isE164(v) {
			return "not an E.164 phone number (add a phone transform)"
		}
	case TypeSingleOptions, TypeRadio:
		if opts != nil && !opts[v] {
			return "the value is not one of the field's options"
		}
	case TypeText:
		if len(v) > 10000 {
			return "longer than 10,000 bytes (use LARGE_TEXT)"
		}
	}
	return ""
}

// checkStandard checks the formats HighLevel enforces on standard fields.
func checkStandard(k TargetKind, to, v string) string {
	switch to {
	case "email":
		if _, err := transform.Email(v); err != nil {
			return "not a valid email address"
		}
	case "phone":
		if k == TargetContact && !isE164(v) {
			return "not an E.164 phone number (add a phone transform)"
		}
	case "dateOfBirth":
		if !isDate(v) {
			return "not a YYYY-MM-DD date (add a date transform)"
		}
	case "country":
		if len(v) != 2 || strings.ToUpper(v) != v {
			return "not a two-letter country code"
		}
	case "monetaryValue":
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return "not a number"
		}
	case "status":
		if k == TargetOpportunity && v != "open" && v != "won" && v != "lost" && v != "abandoned" {
			return "opportunity status must be open, won, lost or abandoned"
		}
	case "dueDate":
		if len(v) < 10 || !isDate(v[:10]) {
			return "not a date or timestamp"
		}
	}
	return ""
}

func isDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for _, i := range [...]int{0, 1, 2, 3, 5, 6, 8, 9} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	m := int(s[5]-'0')*10 + int(s[6]-'0')
	d := int(s[8]-'0')*10 + int(s[9]-'0')
	return m >= 1 && m <= 12 && d >= 1 && d <= 31 && s[:4] != "0000" && s != "0001-01-01"
}

func isE164(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (f *Filter) holds(rec Record) bool {
	v, _ := rec.Get(f.Field)
	v = strings.TrimSpace(v)
	switch f.Op {
	case OpEq:
		return strings.EqualFold(v, f.Values[0])
	case OpNe:
		return !strings.EqualFold(v, f.Values[0])
	case OpIn, OpNotIn:
		in := false
		for _, x := range f.Values {
			if strings.EqualFold(v, x) {
				in = true
				break
			}
		}
		return in == (f.Op == OpIn)
	case OpEmpty:
		return v == ""
	case OpNotEmpty:
		return v != ""
	}
	return false
}

type tmplPart struct {
	text  string
	field string
}

// parseTemplate splits "{a} and {b}" into literal text and field references;
// "{{" and "}}" write literal braces.
func parseTemplate(t string) ([]tmplPart, error) {
	var out []tmplPart
	var lit strings.Builder
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c == '{' && i+1 < len(t) && t[i+1] == '{':
			lit.WriteByte('{')
			i++
		case c == '}' && i+1 < len(t) && t[i+1] == '}':
			lit.WriteByte('}')
			i++
		case c == '{':
			end := strings.IndexByte(t[i:], '}')
			if end < 0 {
				return nil, errors.New("unclosed {")
			}
			name := strings.TrimSpace(t[i+1 : i+end])
			if name == "" {
				return nil, errors.New("empty {}")
			}
			if lit.Len() > 0 {
				out = append(out, tmplPart{text: lit.String()})
				lit.Reset()
			}
			out = append(out, tmplPart{field: name})
			i += end
		case c == '}':
			return nil, errors.New("unmatched }")
		default:
			lit.WriteByte(c)
		}
	}
	if lit.Len() > 0 {
		out = append(out, tmplPart{text: lit.String()})
	}
	return out, nil
}

// fillTemplate renders a template; it is empty when every field is empty.
func fillTemplate(parts []tmplPart, rec Record) string {
	var b strings.Builder
	any := false
	for _, p := range parts {
		if p.field == "" {
			b.WriteString(p.text)
			continue
		}
		v, _ := rec.Get(p.field)
		if v = strings.TrimSpace(v); v != "" {
			any = true
			b.WriteString(v)
		}
	}
	if !any {
		return ""
	}
	return strings.TrimSpace(b.String())
}

// option returns the field's option that v spells, ignoring case and
// spacing, or v itself.
func (cf *compiledField) option(v string) string {
	if cf.opts[v] {
		return v
	}
	if o, ok := cf.fold[foldOption(v)]; ok {
		return o
	}
	return v
}

func foldOption(s string) string { return strings.ToLower(transform.Collapse(s)) }
