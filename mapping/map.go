package mapping

import (
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// FormatVersion is the version of the map document format this package reads
// and writes. Documents carry it in their top-level "version" key.
const FormatVersion = 1

// Map is a field map: how every record of every source entity becomes a
// HighLevel record. It is a human-editable YAML document (see Load, Save).
type Map struct {
	Version     int       `yaml:"version"`
	Name        string    `yaml:"name"`
	Source      string    `yaml:"source,omitempty"`
	Description string    `yaml:"description,omitempty"`
	Approval    *Approval `yaml:"approval,omitempty"`
	// History is how patient history is written (policy.go): each kind
	// first-class, folded into the contact, or both.
	History []HistoryPolicy `yaml:"history,omitempty"`
	Objects []Object        `yaml:"objects"`

	file string     // where it was loaded from, for error messages
	doc  *yaml.Node // the document as loaded, to carry its comments into Save
}

// Approval records who approved a map, when, and the digest of the content
// they saw. A map whose content no longer matches Digest is not approved.
type Approval struct {
	By     string    `yaml:"by"`
	At     time.Time `yaml:"at"`
	Digest string    `yaml:"digest"`
}

// DataType is a HighLevel custom field data type. Setting a Field's Type makes
// its target a custom field of that type.
type DataType string

// HighLevel custom field data types (MONETORY is HighLevel's spelling).
const (
	TypeText            DataType = "TEXT"
	TypeLargeText       DataType = "LARGE_TEXT"
	TypeNumerical       DataType = "NUMERICAL"
	TypePhone           DataType = "PHONE"
	TypeMonetary        DataType = "MONETORY"
	TypeCheckbox        DataType = "CHECKBOX"
	TypeSingleOptions   DataType = "SINGLE_OPTIONS"
	TypeMultipleOptions DataType = "MULTIPLE_OPTIONS"
	TypeDate            DataType = "DATE"
	TypeTextboxList     DataType = "TEXTBOX_LIST"
	TypeFileUpload      DataType = "FILE_UPLOAD"
	TypeRadio           DataType = "RADIO"
	TypeEmail           DataType = "EMAIL"
)

var dataTypes = []DataType{
	TypeText, TypeLargeText, TypeNumerical, TypePhone, TypeMonetary, TypeCheckbox,
	TypeSingleOptions, TypeMultipleOptions, TypeDate, TypeTextboxList, TypeFileUpload,
	TypeRadio, TypeEmail,
}

// HasOptions reports whether fields of this type carry a list of options.
func (t DataType) HasOptions() bool {
	switch t {
	case TypeSingleOptions, TypeMultipleOptions, TypeCheckbox, TypeRadio:
		return true
	}
	return false
}

// IsList reports whether values of this type are lists of strings.
func (t DataType) IsList() bool {
	return t == TypeMultipleOptions || t == TypeCheckbox || t == TypeTextboxList
}

// Object maps one source entity to one HighLevel target.
type Object struct {
	// Name identifies the object within the map ("patients"); lookups refer to it.
	Name string `yaml:"name"`
	// Source is the source entity read ("patients").
	Source string `yaml:"source"`
	// Target is what each record becomes.
	Target TargetKind `yaml:"target"`
	// Key is the custom object key ("custom_objects.appointment") for
	// custom_object targets, or the contact field key for contact_field targets.
	Key string `yaml:"key,omitempty"`
	// Labels name a custom object in HighLevel's UI.
	Labels *Labels `yaml:"labels,omitempty"`
	// Primary is the field (a rule's To) displayed as a custom object's name.
	Primary string `yaml:"primary,omitempty"`
	// SourceKey is the source field that identifies a record. For a report
	// without such a column it may name several, joined by "+" ("Patient ID
	// + Service Date + ADA Code"): the key is their values joined by "|"
	// (see KeyOf).
	SourceKey string `yaml:"source_key"`
	// ExternalID is the custom field key that stores the source key on the
	// created record, so identity never depends on HighLevel's matching.
	ExternalID string `yaml:"external_id,omitempty"`
	// MaxBytes caps a contact_field's JSON (HighLevel LARGE_TEXT); 0 means the default.
	MaxBytes int `yaml:"max_bytes,omitempty"`
	// List makes a contact_field object write a list, not a JSON log: the
	// distinct values of its one rule, less the contact's own business
	// (its office), into a MULTIPLE_OPTIONS field whose options are the
	// rule's value table (Map.CarryOffices drafts one).
	List bool `yaml:"list,omitempty"`
	// Filters keep a record only when every filter holds.
	Filters []Filter `yaml:"filters,omitempty"`
	// Expand turns one source record into several rows by parsing a free-text field.
	Expand     *Expand     `yaml:"expand,omitempty"`
	Fields     []Field     `yaml:"fields,omitempty"`
	Lookups    []Lookup    `yaml:"lookups,omitempty"`
	Duplicates *Duplicates `yaml:"duplicates,omitempty"`
	// PipelineField and StageField name the source fields that carry an
	// opportunity's pipeline and stage; Pipelines maps their values.
	PipelineField string     `yaml:"pipeline_field,omitempty"`
	StageField    string     `yaml:"stage_field,omitempty"`
	Pipelines     []Pipeline `yaml:"pipelines,omitempty"`
	// ProbabilityField is an opportunity custom field (NUMERICAL) filled
	// with the record's stage probability: HighLevel's API cannot set a
	// stage probability (see probabilityField).
	ProbabilityField string `yaml:"probability_field,omitempty"`
	// Skip lists source fields deliberately not migrated, each with why: a
	// decision a reviewer sees and can reverse by moving the field into a rule.
	Skip []Skip `yaml:"skip,omitempty"`
	// Owners, on a user object, maps staff to HighLevel users by hand; a
	// rule wins over the email match (ResolveOwners).
	Owners []OwnerRule `yaml:"owners,omitempty"`
	// Calendars, on a calendar_event object, are the calendars its events
	// go to; its "calendar" rule picks one per record by name.
	Calendars []Calendar `yaml:"calendars,omitempty"`

	at   pos
	note string // the object's YAML comment, shown in the review
}

// Skip is a source field the map does not migrate. Sensitive marks data
// kept out by default for privacy (national ids, card and bank numbers,
// passwords) rather than for lack of a place.
type Skip struct {
	From      string `yaml:"from"`
	Reason    string `yaml:"reason,omitempty"`
	Sensitive bool   `yaml:"sensitive,omitempty"`
}

// OwnerRule maps one staff member (its source key) to a HighLevel user,
// by user id or by the user's email: for staff whose PbN email differs
// from their HighLevel login, or who have none.
type OwnerRule struct {
	Staff  string `yaml:"staff"`
	Email  string `yaml:"email,omitempty"`
	UserID string `yaml:"user_id,omitempty"`
}

// Labels are the singular and plural display names of a custom object.
type Labels struct {
	Singular string `yaml:"singular"`
	Plural   string `yaml:"plural"`
}

// Field is one rule: a source field (or a constant) through a transform chain
// into a target field.
type Field struct {
	// From is the source field read. Fallback lists source fields tried in
	// order when From is empty (mobile, then home, then work phone).
	From     string   `yaml:"from,omitempty"`
	Fallback []string `yaml:"fallback,omitempty,flow"`
	// Related reads, instead of From's own value, a field of another
	// source record: the record of map object Related.Object whose source
	// key is From's value (a procedure's treatmentPlanId → that plan's
	// pipeline). See related.go.
	Related *Related `yaml:"related,omitempty,flow"`
	// Template composes several source fields: "{channel} {direction}: {body}".
	Template string `yaml:"template,omitempty"`
	// Value is a constant.
	Value string `yaml:"value,omitempty"`
	// To is a standard field of the target ("firstName") or, when Type is set,
	// the key of a custom field ("pbn_created_at").
	To    string   `yaml:"to"`
	Label string   `yaml:"label,omitempty"`
	Type  DataType `yaml:"type,omitempty"`
	// Transform is applied left to right.
	Transform Chain  `yaml:"transform,omitempty"`
	Required  bool   `yaml:"required,omitempty"`
	Default   string `yaml:"default,omitempty"`
	// Values maps source values to target values (pick-lists, statuses);
	// Unknown says what to do with a value Values does not list.
	Values  ValueMap      `yaml:"values,omitempty"`
	Unknown UnknownPolicy `yaml:"unknown,omitempty"`
	// Options are the custom field's choices when they are not Values' targets.
	Options []string `yaml:"options,omitempty,flow"`
	// Confidence, Reason and Origin explain a proposed rule to its reviewer.
	Confidence float64 `yaml:"confidence,omitempty"`
	Reason     string  `yaml:"reason,omitempty"`
	Origin     string  `yaml:"origin,omitempty"`

	at   pos
	note string // the rule's YAML comment, shown in the review
}

// Custom reports whether the rule writes a custom field.
func (f *Field) Custom() bool { return f.Type != "" }

// OptionList returns the custom field options: Options, or else the distinct
// targets of Values in order, plus the Default when it is not among them.
func (f *Field) OptionList() []string {
	if len(f.Options) > 0 {
		return f.Options
	}
	var out []string
	seen := map[string]bool{}
	for _, p := range f.Values {
		if p.To != "" && !seen[p.To] {
			seen[p.To] = true
			out = append(out, p.To)
		}
	}
	if f.Default != "" && len(out) > 0 && !seen[f.Default] {
		out = append(out, f.Default)
	}
	return out
}

// UnknownPolicy says what happens to a source value a value map does not list.
type UnknownPolicy string

// Unknown-value policies. The zero value means UnknownError.
const (
	UnknownError   UnknownPolicy = "error"   // the record is invalid
	UnknownKeep    UnknownPolicy = "keep"    // pass the value through unchanged
	UnknownDefault UnknownPolicy = "default" // use the rule's Default
	UnknownDrop    UnknownPolicy = "drop"    // leave the field empty
	// UnknownWarn leaves the value out and says so: a warning on the
	// record (a cohort the map's table does not list is no tag, the
	// contact still migrates).
	UnknownWarn UnknownPolicy = "warn"
)

// Step is one transform in a chain: a registered name and its arguments.
type Step struct {
	Name string
	Args map[string]string
}

// Chain is a transform chain. In YAML each step is a name ("trim") or a
// one-key mapping of name to arguments ("date: {zone: America/Chicago}").
type Chain []Step

// Pair is one entry of a value map.
type Pair struct {
	From string
	To   string
}

// ValueMap maps source values to target values, keeping the document's order.
type ValueMap []Pair

// Lookup links a record to another migrated record (or a user) by a source key.
type Lookup struct {
	// From is the source field holding the referenced record's source key.
	From string `yaml:"from"`
	// Object is the map object referenced ("patients").
	Object string `yaml:"object"`
	// To is where the resolved id goes: contactId, businessId, assignedTo, or
	// association (a relation created with Association's key).
	To          string `yaml:"to"`
	Association string `yaml:"association,omitempty"`
	// Required makes a missing or unknown reference invalidate the record.
	Required bool `yaml:"required,omitempty"`

	at pos
}

// Lookup destinations.
const (
	LinkContact     = "contactId"
	LinkBusiness    = "businessId"
	LinkOwner       = "assignedTo"
	LinkAssociation = "association"
)

// FilterOp is a filter's comparison.
type FilterOp string

// Filter operators.
const (
	OpEq       FilterOp = "eq"
	OpNe       FilterOp = "ne"
	OpIn       FilterOp = "in"
	OpNotIn    FilterOp = "not_in"
	OpEmpty    FilterOp = "empty"
	OpNotEmpty FilterOp = "not_empty"
)

// Filter is a condition on a source field that a record must meet to migrate.
type Filter struct {
	Field  string   `yaml:"field"`
	Op     FilterOp `yaml:"op"`
	Values []string `yaml:"values,omitempty,flow"`

	at pos
}

// Expand parses a free-text source field into several rows, each migrated as
// a record of the object. Parser names a registered row parser.
type Expand struct {
	From   string `yaml:"from"`
	Parser string `yaml:"parser"`
}

// DuplicatePolicy says what to do with a record that duplicates an earlier one.
type DuplicatePolicy string

// Duplicate policies.
const (
	// DuplicateMerge does not create the later record; it is mapped to the first.
	DuplicateMerge DuplicatePolicy = "merge"
	// DuplicateKeep creates both and reports a warning.
	DuplicateKeep DuplicatePolicy = "keep"
	// DuplicateFlag holds the later record back as invalid for a person to resolve.
	DuplicateFlag DuplicatePolicy = "flag"
)

// Duplicates configures in-source duplicate detection. Each key is a target
// field, or several joined by "+", compared after transforms.
type Duplicates struct {
	Policy DuplicatePolicy `yaml:"policy"`
	Keys   []string        `yaml:"keys,flow"`
}

// Pipeline maps one source pipeline to a HighLevel pipeline.
type Pipeline struct {
	Name   string  `yaml:"name"`
	Source string  `yaml:"source"`
	Stages []Stage `yaml:"stages"`
}

// Stage maps a source stage to a HighLevel stage with a win probability in percent.
type Stage struct {
	From        string  `yaml:"from"`
	Name        string  `yaml:"name"`
	Probability float64 `yaml:"probability"`
}

type pos struct{ line, col int }

// Object returns the object with the given name, or nil.
func (m *Map) Object(name string) *Object {
	for i := range m.Objects {
		if m.Objects[i].Name == name {
			return &m.Objects[i]
		}
	}
	return nil
}

// File is the path the map was loaded from, if any.
func (m *Map) File() string { return m.file }

// KeySep joins the values of a composite source key (Object.SourceKey
// "A + B").
const KeySep = "|"

// KeyParts lists the source fields of the object's key: SourceKey, or the
// fields of a composite key "A + B" (trimmed).
func (o *Object) KeyParts() []string {
	if !strings.Contains(o.SourceKey, "+") {
		return []string{o.SourceKey}
	}
	var parts []string
	for p := range strings.SplitSeq(o.SourceKey, "+") {
		parts = append(parts, strings.TrimSpace(p))
	}
	return parts
}

// KeyOf is the record's source key: the SourceKey field's value or, when
// the record has no field of that name and SourceKey joins several by "+",
// their values (trimmed) joined by KeySep — "" when they are all empty. A
// field whose own name holds a "+" is read as it is.
func (o *Object) KeyOf(rec Record) string {
	if v, ok := rec.Get(o.SourceKey); ok || !strings.Contains(o.SourceKey, "+") {
		return v
	}
	parts := o.KeyParts()
	vals := make([]string, len(parts))
	filled := false
	for i, p := range parts {
		v, _ := rec.Get(p)
		vals[i] = strings.TrimSpace(v)
		filled = filled || vals[i] != ""
	}
	if !filled {
		return ""
	}
	return strings.Join(vals, KeySep)
}

// RecordType is the ledger's object type for the records this object writes
// (the rollback.Type* constants; a custom object's records use its schema
// key, "custom_objects.appointment"), or "" when the object writes no record
// of its own (contact fields fold into the contact, users are only
// resolved). The kind table (kinds.go) is the one place that maps a target
// to a record type: the spellings are rollback's, kept there as literals so
// that mapping does not pull the ledger (and SQLite) into its importers; a
// test pins them.
func (o Object) RecordType() string {
	s := specOf(o.Target)
	if s.recordIsKey {
		return o.Key
	}
	return s.record
}

// Field returns the rule writing target field to, or nil.
func (o *Object) Field(to string) *Field {
	for i := range o.Fields {
		if o.Fields[i].To == to {
			return &o.Fields[i]
		}
	}
	return nil
}
