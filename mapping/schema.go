package mapping

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// SchemaField is a custom field HighLevel needs. Model is "contact",
// "opportunity" or a custom object key ("custom_objects.pbn_appointment");
// Key is the short key ("pbn_created_at").
type SchemaField struct {
	ID       string // set for fields that exist
	Model    string
	Key      string
	Name     string
	DataType DataType
	Options  []string
}

// FieldKey is HighLevel's full field key: contact.pbn_created_at,
// custom_objects.pbn_appointment.start_date.
func (f SchemaField) FieldKey() string { return f.Model + "." + f.Key }

// SchemaObject is a custom object schema with its primary display property.
type SchemaObject struct {
	ID          string
	Key         string // custom_objects.pbn_appointment
	Singular    string
	Plural      string
	PrimaryKey  string // short key of the primary display property
	PrimaryName string
}

// SchemaAssociation links two object types (a custom object to contact).
type SchemaAssociation struct {
	ID          string
	Key         string
	FirstKey    string // the custom object key
	FirstLabel  string
	SecondKey   string // "contact" or another object key
	SecondLabel string
}

// SchemaPipeline is an opportunity pipeline with its stages in order.
type SchemaPipeline struct {
	ID     string
	Name   string
	Stages []string
}

// SchemaPlan is everything a map needs to exist in the location before data
// moves: custom fields, custom objects, associations and pipelines.
type SchemaPlan struct {
	Objects      []SchemaObject
	Fields       []SchemaField
	Associations []SchemaAssociation
	Pipelines    []SchemaPipeline
	// Calendars are the calendars event objects write into (created or
	// chosen by hand: see Calendar).
	Calendars []SchemaCalendar
	// ManualSteps are settings the API cannot make (stage probabilities),
	// each a sentence with its values, for an admin.
	ManualSteps []string
}

// DeriveSchema lists what the map needs. Two rules that need the same field
// with different types are an error: the map contradicts itself.
func DeriveSchema(m *Map) (*SchemaPlan, error) {
	p := &SchemaPlan{}
	fields := map[string]int{}
	addField := func(f SchemaField) error {
		if i, ok := fields[f.FieldKey()]; ok {
			prev := &p.Fields[i]
			if prev.DataType != f.DataType {
				return fmt.Errorf("mapping: field %s is needed as %s and as %s", f.FieldKey(), prev.DataType, f.DataType)
			}
			for _, o := range f.Options {
				if !slices.Contains(prev.Options, o) {
					prev.Options = append(prev.Options, o)
				}
			}
			return nil
		}
		fields[f.FieldKey()] = len(p.Fields)
		p.Fields = append(p.Fields, f)
		return nil
	}
	objects := map[string]bool{}
	assocs := map[string]int{}
	objectKey := func(o *Object) string { return specOf(o.Target).schemaModel(o) }
	for i := range m.Objects {
		o := &m.Objects[i]
		model := objectKey(o)
		spec := specOf(o.Target)
		if spec.key == keyObject && !objects[o.Key] {
			objects[o.Key] = true
			pf := o.Field(o.Primary)
			p.Objects = append(p.Objects, SchemaObject{Key: o.Key, Singular: o.Labels.Singular, Plural: o.Labels.Plural,
				PrimaryKey: o.Primary, PrimaryName: labelOf(pf)})
		}
		if o.ExternalID != "" {
			if err := addField(SchemaField{Model: model, Key: o.ExternalID, Name: externalIDLabel(o), DataType: TypeText}); err != nil {
				return nil, err
			}
		}
		switch spec.custom {
		case customFree:
			if o.List {
				if err := addField(listField(o, model)); err != nil {
					return nil, err
				}
				break
			}
			if err := addField(SchemaField{Model: model, Key: o.Key, Name: labelFromKey(o.Key), DataType: TypeLargeText}); err != nil {
				return nil, err
			}
		case customTyped, customAll:
			for j := range o.Fields {
				f := &o.Fields[j]
				if !f.Custom() {
					continue
				}
				if err := addField(SchemaField{Model: model, Key: f.To, Name: labelOf(f), DataType: f.Type, Options: f.OptionList()}); err != nil {
					return nil, err
				}
			}
		}
		for _, l := range o.Lookups {
			if l.To != LinkAssociation {
				continue
			}
			ref := m.Object(l.Object)
			if ref == nil {
				continue
			}
			a := SchemaAssociation{Key: l.Association, FirstKey: model, FirstLabel: o.Labels.Singular, SecondKey: objectKey(ref), SecondLabel: singular(ref)}
			if i, ok := assocs[a.Key]; ok {
				if prev := p.Associations[i]; prev.FirstKey != a.FirstKey || prev.SecondKey != a.SecondKey {
					return nil, fmt.Errorf("mapping: association %s links %s–%s and %s–%s", a.Key, prev.FirstKey, prev.SecondKey, a.FirstKey, a.SecondKey)
				}
				continue
			}
			assocs[a.Key] = len(p.Associations)
			p.Associations = append(p.Associations, a)
		}
		for _, pl := range o.Pipelines {
			sp := SchemaPipeline{Name: pl.Name}
			for _, s := range pl.Stages {
				if !slices.Contains(sp.Stages, s.Name) {
					sp.Stages = append(sp.Stages, s.Name)
				}
			}
			p.Pipelines = append(p.Pipelines, sp)
		}
		if f, ok := probabilityField(o); ok {
			if err := addField(f); err != nil {
				return nil, err
			}
			p.ManualSteps = append(p.ManualSteps, stageProbabilitySteps(o)...)
		}
		p.deriveCalendars(o)
	}
	return p, nil
}

func singular(o *Object) string {
	if o.Labels != nil && o.Labels.Singular != "" {
		return o.Labels.Singular
	}
	if s := specOf(o.Target).singular; s != "" {
		return s
	}
	return labelFromKey(o.Name)
}

func externalIDLabel(o *Object) string {
	return "PbN " + strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(o.ExternalID, "pbn_"), "_id"), "_", " ") + " id"
}

func labelOf(f *Field) string {
	if f == nil {
		return ""
	}
	if f.Label != "" {
		return f.Label
	}
	return labelFromKey(f.To)
}

func labelFromKey(k string) string {
	k = strings.ReplaceAll(strings.TrimPrefix(k, "pbn_"), "_", " ")
	if k == "" {
		return k
	}
	return strings.ToUpper(k[:1]) + k[1:]
}

// SchemaAPI is what the schema plan needs from a HighLevel location. An
// adapter over the highlevel client implements it; so can a test fake.
type SchemaAPI interface {
	// CustomFields lists the existing custom fields of a model ("contact",
	// "opportunity" or a custom object key).
	CustomFields(ctx context.Context, model string) ([]SchemaField, error)
	CreateCustomField(ctx context.Context, f SchemaField) (id string, err error)
	ObjectSchemas(ctx context.Context) ([]SchemaObject, error)
	CreateObjectSchema(ctx context.Context, o SchemaObject) (id string, err error)
	Associations(ctx context.Context) ([]SchemaAssociation, error)
	CreateAssociation(ctx context.Context, a SchemaAssociation) (id string, err error)
	Pipelines(ctx context.Context) ([]SchemaPipeline, error)
	// CreatePipeline may return ErrManual where the API cannot create
	// pipelines: the plan then lists the pipeline for an admin.
	CreatePipeline(ctx context.Context, p SchemaPipeline) (id string, err error)
}

// ErrManual says an element must be created by hand in HighLevel's UI.
var ErrManual = errors.New("mapping: create this by hand in HighLevel")

// Status is an element's state in the location.
type Status string

// Statuses of a schema element.
const (
	Exists     Status = "exists"
	Missing    Status = "missing"
	Conflicts  Status = "conflicting"
	ManualOnly Status = "manual" // missing and the API cannot create it
)

// SchemaKind names the kind of a schema element.
type SchemaKind string

// Schema element kinds.
const (
	KindObject      SchemaKind = "custom_object"
	KindField       SchemaKind = "custom_field"
	KindAssociation SchemaKind = "association"
	KindPipeline    SchemaKind = "pipeline"
)

// SchemaItem is one element of the plan with its state in the location.
type SchemaItem struct {
	Kind   SchemaKind
	Key    string // field key, object key, association key or pipeline name
	Status Status
	ID     string // the existing element's id
	Detail string // what conflicts, e.g. "exists as TEXT, the map needs DATE"

	field       *SchemaField
	object      *SchemaObject
	association *SchemaAssociation
	pipeline    *SchemaPipeline
}

// SchemaDiff is the plan compared with a location.
type SchemaDiff struct {
	Items []SchemaItem
}

// Count returns how many items have the status.
func (d *SchemaDiff) Count(s Status) int {
	n := 0
	for _, it := range d.Items {
		if it.Status == s {
			n++
		}
	}
	return n
}

// Ready reports whether everything exists without conflict.
func (d *SchemaDiff) Ready() bool { return d.Count(Exists) == len(d.Items) }

// Diff compares the plan with the location: every element exists, is
// missing, or conflicts (a field of another type, a pick-list without a
// needed option, a pipeline without a needed stage).
func (p *SchemaPlan) Diff(ctx context.Context, api SchemaAPI) (*SchemaDiff, error) {
	d := &SchemaDiff{}
	have, err := api.ObjectSchemas(ctx)
	if err != nil {
		return nil, fmt.Errorf("mapping: list object schemas: %w", err)
	}
	for i := range p.Objects {
		o := &p.Objects[i]
		it := SchemaItem{Kind: KindObject, Key: o.Key, Status: Missing, object: o}
		for _, h := range have {
			if h.Key == o.Key {
				it.Status, it.ID = Exists, h.ID
			}
		}
		d.Items = append(d.Items, it)
	}
	byModel := map[string][]SchemaField{}
	for i := range p.Fields {
		f := &p.Fields[i]
		existing, ok := byModel[f.Model]
		if !ok {
			if isCustomObjectKey(f.Model) && !objectExists(d, f.Model) {
				existing = nil // the object is missing: so are its fields
			} else if existing, err = api.CustomFields(ctx, f.Model); err != nil {
				return nil, fmt.Errorf("mapping: list %s custom fields: %w", f.Model, err)
			}
			byModel[f.Model] = existing
		}
		it := SchemaItem{Kind: KindField, Key: f.FieldKey(), Status: Missing, field: f}
		for _, h := range existing {
			if h.Key != f.Key && h.FieldKey() != f.FieldKey() {
				continue
			}
			it.ID = h.ID
			it.Status = Exists
			switch {
			case !compatibleTypes(h.DataType, f.DataType):
				it.Status = Conflicts
				it.Detail = fmt.Sprintf("exists as %s, the map needs %s", h.DataType, f.DataType)
			case f.DataType.HasOptions():
				var missing []string
				for _, o := range f.Options {
					if !slices.Contains(h.Options, o) {
						missing = append(missing, o)
					}
				}
				if len(missing) > 0 {
					it.Status = Conflicts
					it.Detail = "missing options: " + strings.Join(missing, ", ")
				}
			}
		}
		if it.Status == Missing && isCustomObjectKey(f.Model) && f.Key == primaryOf(p, f.Model) {
			// The primary property is created with its object.
			if objectExists(d, f.Model) {
				it.Status = Conflicts
				it.Detail = "the object exists without this primary property"
			} else {
				it.Detail = "created with its object"
			}
		}
		d.Items = append(d.Items, it)
	}
	if len(p.Associations) > 0 {
		assocs, err := api.Associations(ctx)
		if err != nil {
			return nil, fmt.Errorf("mapping: list associations: %w", err)
		}
		for i := range p.Associations {
			a := &p.Associations[i]
			it := SchemaItem{Kind: KindAssociation, Key: a.Key, Status: Missing, association: a}
			for _, h := range assocs {
				if h.Key != a.Key {
					continue
				}
				it.ID, it.Status = h.ID, Exists
				if h.FirstKey != a.FirstKey || h.SecondKey != a.SecondKey {
					it.Status = Conflicts
					it.Detail = fmt.Sprintf("links %s to %s, the map needs %s to %s", h.FirstKey, h.SecondKey, a.FirstKey, a.SecondKey)
				}
			}
			d.Items = append(d.Items, it)
		}
	}
	if len(p.Pipelines) > 0 {
		pipes, err := api.Pipelines(ctx)
		if err != nil {
			return nil, fmt.Errorf("mapping: list pipelines: %w", err)
		}
		for i := range p.Pipelines {
			sp := &p.Pipelines[i]
			it := SchemaItem{Kind: KindPipeline, Key: sp.Name, Status: Missing, pipeline: sp}
			for _, h := range pipes {
				if !strings.EqualFold(h.Name, sp.Name) {
					continue
				}
				it.ID, it.Status = h.ID, Exists
				var missing []string
				for _, s := range sp.Stages {
					if !slices.ContainsFunc(h.Stages, func(x string) bool { return strings.EqualFold(x, s) }) {
						missing = append(missing, s)
					}
				}
				if len(missing) > 0 {
					it.Status = Conflicts
					it.Detail = "missing stages: " + strings.Join(missing, ", ")
				}
			}
			d.Items = append(d.Items, it)
		}
	}
	if err := p.diffCalendars(ctx, api, d); err != nil {
		return nil, err
	}
	return d, nil
}

// compatibleTypes treats HighLevel's RADIO and SINGLE_OPTIONS alike: both
// hold one option key.
func compatibleTypes(have, want DataType) bool {
	if have == want {
		return true
	}
	one := func(t DataType) bool { return t == TypeRadio || t == TypeSingleOptions }
	return one(have) && one(want)
}

func isCustomObjectKey(model string) bool { return strings.HasPrefix(model, "custom_objects.") }

func objectExists(d *SchemaDiff, key string) bool {
	for _, it := range d.Items {
		if it.Kind == KindObject && it.Key == key {
			return it.Status == Exists
		}
	}
	return false
}

func primaryOf(p *SchemaPlan, key string) string {
	for _, o := range p.Objects {
		if o.Key == key {
			return o.PrimaryKey
		}
	}
	return ""
}

// Created is one element Apply created, so that it can be undone.
type Created struct {
	Kind SchemaKind
	Key  string
	ID   string
}

// ApplyResult says what Apply did.
type ApplyResult struct {
	Created []Created
	// Manual lists what must be created by hand (the API cannot), and
	// Conflicts what exists in a shape the map cannot use.
	Manual    []SchemaItem
	Conflicts []SchemaItem
}

// ConflictError says the location holds elements the map cannot use.
type ConflictError struct{ Items []SchemaItem }

func (e *ConflictError) Error() string {
	parts := make([]string, len(e.Items))
	for i, it := range e.Items {
		parts[i] = string(it.Kind) + " " + it.Key + ": " + it.Detail
	}
	return "mapping: schema conflicts: " + strings.Join(parts, "; ")
}

// Apply creates what is missing — objects first, then fields, associations
// and pipelines — and returns what it created, also when it fails midway, so
// the caller can journal and undo it. It is idempotent: it diffs first, so a
// second Apply creates nothing. Conflicts are not touched; they are returned
// in the result and as a *ConflictError after everything else was created.
func (p *SchemaPlan) Apply(ctx context.Context, api SchemaAPI) (ApplyResult, error) {
	var res ApplyResult
	d, err := p.Diff(ctx, api)
	if err != nil {
		return res, err
	}
	for _, kind := range []SchemaKind{KindObject, KindField, KindAssociation, KindPipeline} {
		for _, it := range d.Items {
			if it.Kind != kind {
				continue
			}
			switch it.Status {
			case Conflicts:
				res.Conflicts = append(res.Conflicts, it)
				continue
			case Exists:
				continue
			}
			if it.Kind == KindField && it.Detail == "created with its object" {
				continue
			}
			if err := ctx.Err(); err != nil {
				return res, err
			}
			var id string
			switch it.Kind {
			case KindObject:
				id, err = api.CreateObjectSchema(ctx, *it.object)
			case KindField:
				id, err = api.CreateCustomField(ctx, *it.field)
			case KindAssociation:
				id, err = api.CreateAssociation(ctx, *it.association)
			case KindPipeline:
				id, err = api.CreatePipeline(ctx, *it.pipeline)
			}
			if errors.Is(err, ErrManual) {
				it.Status = ManualOnly
				res.Manual = append(res.Manual, it)
				continue
			}
			if err != nil {
				return res, fmt.Errorf("mapping: create %s %s: %w", it.Kind, it.Key, err)
			}
			res.Created = append(res.Created, Created{Kind: it.Kind, Key: it.Key, ID: id})
		}
	}
	if len(res.Conflicts) > 0 {
		return res, &ConflictError{Items: res.Conflicts}
	}
	return res, nil
}

// WriteMarkdown renders the plan for an admin who creates the schema by hand
// or checks it. With a diff, each element shows its state in the location.
func (p *SchemaPlan) WriteMarkdown(w io.Writer, d *SchemaDiff) error {
	state := func(kind SchemaKind, key string) string {
		if d == nil {
			return ""
		}
		for _, it := range d.Items {
			if it.Kind == kind && it.Key == key {
				s := string(it.Status)
				if it.Detail != "" {
					s += " — " + it.Detail
				}
				return " | " + mdCell(s)
			}
		}
		return " | "
	}
	head := func(cols string) string {
		if d == nil {
			return cols + "\n"
		}
		return cols + " State |\n"
	}
	sep := func(n int) string {
		if d != nil {
			n++
		}
		return strings.Repeat("|---", n) + "|\n"
	}
	b := &strings.Builder{}
	b.WriteString("# HighLevel schema plan\n\n")
	if d != nil {
		fmt.Fprintf(b, "%d elements: %d exist, %d missing, %d conflicting.\n\n", len(d.Items), d.Count(Exists), d.Count(Missing), d.Count(Conflicts))
	}
	if len(p.Objects) > 0 {
		b.WriteString("## Custom objects\n\nSettings → Objects → Add custom object. Option fields of custom objects take the option keys shown in brackets.\n\n")
		b.WriteString(head("| Key | Singular | Plural | Primary property |"))
		b.WriteString(sep(4))
		for _, o := range p.Objects {
			fmt.Fprintf(b, "| `%s` | %s | %s | %s (`%s`)%s |\n", o.Key, mdCell(o.Singular), mdCell(o.Plural), mdCell(o.PrimaryName), o.PrimaryKey, strings.TrimSuffix(state(KindObject, o.Key), " |"))
		}
		b.WriteByte('\n')
	}
	models := []string{}
	for _, f := range p.Fields {
		if !slices.Contains(models, f.Model) {
			models = append(models, f.Model)
		}
	}
	for _, model := range models {
		fmt.Fprintf(b, "## Custom fields of %s\n\n", model)
		b.WriteString(head("| Name | Key | Type | Options |"))
		b.WriteString(sep(4))
		for _, f := range p.Fields {
			if f.Model != model {
				continue
			}
			opts := mdCell(strings.Join(f.Options, ", "))
			if isCustomObjectKey(f.Model) && len(f.Options) > 0 {
				// Records send option keys: an admin creating the field by hand
				// must use these.
				parts := make([]string, len(f.Options))
				for i, o := range f.Options {
					parts[i] = mdCell(o) + " (`" + OptionKey(o) + "`)"
				}
				opts = strings.Join(parts, ", ")
			}
			fmt.Fprintf(b, "| %s | `%s` | %s | %s%s |\n", mdCell(f.Name), f.FieldKey(), f.DataType, opts, strings.TrimSuffix(state(KindField, f.FieldKey()), " |"))
		}
		b.WriteByte('\n')
	}
	if len(p.Associations) > 0 {
		b.WriteString("## Associations\n\n")
		b.WriteString(head("| Key | First object | Second object |"))
		b.WriteString(sep(3))
		for _, a := range p.Associations {
			fmt.Fprintf(b, "| `%s` | `%s` (%s) | `%s` (%s)%s |\n", a.Key, a.FirstKey, mdCell(a.FirstLabel), a.SecondKey, mdCell(a.SecondLabel), strings.TrimSuffix(state(KindAssociation, a.Key), " |"))
		}
		b.WriteByte('\n')
	}
	if len(p.Pipelines) > 0 {
		b.WriteString("## Pipelines\n\nOpportunities → Pipelines → Create new pipeline, stages in this order.\n\n")
		b.WriteString(head("| Pipeline | Stages |"))
		b.WriteString(sep(2))
		for _, sp := range p.Pipelines {
			fmt.Fprintf(b, "| %s | %s%s |\n", mdCell(sp.Name), mdCell(strings.Join(sp.Stages, " → ")), strings.TrimSuffix(state(KindPipeline, sp.Name), " |"))
		}
		b.WriteByte('\n')
	}
	p.writeCalendars(b, state, head, sep)
	if len(p.ManualSteps) > 0 {
		b.WriteString("## Manual steps\n\n")
		for _, s := range p.ManualSteps {
			fmt.Fprintf(b, "- %s\n", s)
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}
