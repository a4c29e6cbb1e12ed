package mapping

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/pbnhl/pbnhl/highlevel"
)

// HighLevelSchema is the SchemaAPI of a HighLevel location, over a
// *highlevel.Client: location custom fields for contacts and opportunities,
// Custom Fields V2 for custom objects, object schemas, associations and
// pipelines. It remembers each custom object's field folder, so creating a
// field costs one call. Safe for concurrent use.
type HighLevelSchema struct {
	client  *highlevel.Client
	mu      sync.Mutex
	folders map[string]string // object key → first field folder id
	// pipelines is the last pipeline list read (Pipelines), stage ids
	// included: a run's setup resolves its stages from it instead of
	// reading the list again.
	pipelines []*highlevel.Pipeline
	listed    bool
}

// NewHighLevelSchema returns the SchemaAPI of the client's location.
func NewHighLevelSchema(c *highlevel.Client) *HighLevelSchema {
	return &HighLevelSchema{client: c, folders: map[string]string{}}
}

var _ SchemaAPI = (*HighLevelSchema)(nil)

// CustomFields lists a model's fields. A custom object that does not exist
// has no fields (not an error).
func (h *HighLevelSchema) CustomFields(ctx context.Context, model string) ([]SchemaField, error) {
	switch model {
	case "contact", "opportunity":
		fs, err := h.client.CustomFields.List(ctx, highlevel.FieldModel(model))
		if err != nil {
			return nil, err
		}
		out := make([]SchemaField, 0, len(fs))
		for _, f := range fs {
			if f.Model != "" && f.Model != model {
				continue
			}
			out = append(out, SchemaField{ID: f.ID, Model: model, Key: strings.TrimPrefix(f.FieldKey, model+"."), Name: f.Name,
				DataType: DataType(f.DataType), Options: f.PicklistOptions})
		}
		return out, nil
	}
	of, err := h.client.CustomFields.ListObjectFields(ctx, model)
	if errors.Is(err, highlevel.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	h.rememberFolder(model, of)
	out := make([]SchemaField, 0, len(of.Fields))
	for _, f := range of.Fields {
		sf := SchemaField{ID: f.ID, Model: model, Key: f.ShortKey(), Name: f.Name, DataType: DataType(f.DataType)}
		for _, o := range f.Options {
			sf.Options = append(sf.Options, o.Label)
		}
		out = append(out, sf)
	}
	return out, nil
}

// CreateCustomField creates a field; options of custom object fields are
// keyed with OptionKey, which Value.RecordJSON sends.
func (h *HighLevelSchema) CreateCustomField(ctx context.Context, f SchemaField) (string, error) {
	switch f.Model {
	case "contact", "opportunity":
		cf, err := h.client.CustomFields.Create(ctx, highlevel.CustomFieldCreate{Name: f.Name, DataType: highlevel.DataType(f.DataType),
			Model: highlevel.FieldModel(f.Model), FieldKey: f.FieldKey(), Options: f.Options})
		if err != nil {
			return "", err
		}
		return cf.ID, nil
	}
	folder, err := h.folder(ctx, f.Model)
	if err != nil {
		return "", err
	}
	in := highlevel.ObjectFieldCreate{ObjectKey: f.Model, FieldKey: f.FieldKey(), Name: f.Name, DataType: highlevel.DataType(f.DataType),
		ShowInForms: true, ParentID: folder}
	for _, o := range f.Options {
		in.Options = append(in.Options, highlevel.FieldOption{Key: OptionKey(o), Label: o})
	}
	of, err := h.client.CustomFields.CreateObjectField(ctx, in)
	if err != nil {
		return "", err
	}
	return of.ID, nil
}

func (h *HighLevelSchema) rememberFolder(objectKey string, of *highlevel.ObjectFields) {
	for _, f := range of.Folders {
		if f.ObjectKey == "" || f.ObjectKey == objectKey {
			h.mu.Lock()
			h.folders[objectKey] = f.ID
			h.mu.Unlock()
			return
		}
	}
}

// folder returns the object's field folder, listing the object's fields
// once when it is not known yet ("" lets the client find it).
func (h *HighLevelSchema) folder(ctx context.Context, objectKey string) (string, error) {
	h.mu.Lock()
	id, ok := h.folders[objectKey]
	h.mu.Unlock()
	if ok {
		return id, nil
	}
	of, err := h.client.CustomFields.ListObjectFields(ctx, objectKey)
	if err != nil {
		return "", err
	}
	h.rememberFolder(objectKey, of)
	h.mu.Lock()
	id = h.folders[objectKey]
	h.mu.Unlock()
	return id, nil
}

// ObjectSchemas lists the location's objects, standard ones included.
func (h *HighLevelSchema) ObjectSchemas(ctx context.Context) ([]SchemaObject, error) {
	ss, err := h.client.Objects.ListSchemas(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]SchemaObject, 0, len(ss))
	for _, s := range ss {
		out = append(out, SchemaObject{ID: s.ID, Key: s.Key, Singular: s.Labels.Singular, Plural: s.Labels.Plural,
			PrimaryKey: strings.TrimPrefix(s.PrimaryDisplayProperty, s.Key+".")})
	}
	return out, nil
}

// CreateObjectSchema creates a custom object with its TEXT primary property.
func (h *HighLevelSchema) CreateObjectSchema(ctx context.Context, o SchemaObject) (string, error) {
	s, err := h.client.Objects.CreateSchema(ctx, highlevel.ObjectSchemaCreate{Key: o.Key,
		Labels:                 highlevel.ObjectLabels{Singular: o.Singular, Plural: o.Plural},
		PrimaryDisplayProperty: highlevel.DisplayProperty{Key: o.Key + "." + o.PrimaryKey, Name: o.PrimaryName, DataType: highlevel.DataTypeText}})
	if err != nil {
		return "", err
	}
	return s.ID, nil
}

// Associations lists the location's associations.
func (h *HighLevelSchema) Associations(ctx context.Context) ([]SchemaAssociation, error) {
	var out []SchemaAssociation
	for a, err := range h.client.Associations.List(ctx, highlevel.AssociationListOptions{}) {
		if err != nil {
			return nil, err
		}
		out = append(out, SchemaAssociation{ID: a.ID, Key: a.Key, FirstKey: a.FirstObjectKey, FirstLabel: a.FirstObjectLabel,
			SecondKey: a.SecondObjectKey, SecondLabel: a.SecondObjectLabel})
	}
	return out, nil
}

// CreateAssociation creates an association.
func (h *HighLevelSchema) CreateAssociation(ctx context.Context, a SchemaAssociation) (string, error) {
	r, err := h.client.Associations.Create(ctx, highlevel.AssociationInput{Key: a.Key, FirstObjectKey: a.FirstKey, FirstObjectLabel: a.FirstLabel,
		SecondObjectKey: a.SecondKey, SecondObjectLabel: a.SecondLabel})
	if err != nil {
		return "", err
	}
	return r.ID, nil
}

// Pipelines lists the location's pipelines and their stages.
func (h *HighLevelSchema) Pipelines(ctx context.Context) ([]SchemaPipeline, error) {
	ps, err := h.client.Pipelines.List(ctx)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.pipelines, h.listed = ps, true
	h.mu.Unlock()
	out := make([]SchemaPipeline, 0, len(ps))
	for _, p := range ps {
		sp := SchemaPipeline{ID: p.ID, Name: p.Name}
		for _, s := range p.Stages {
			sp.Stages = append(sp.Stages, s.Name)
		}
		out = append(out, sp)
	}
	return out, nil
}

// ListedPipelines returns the pipelines (with their stages' ids) the last
// Pipelines call read, and whether it was made: what a caller that needs
// them after a Diff uses instead of listing them again. A pipeline created
// since (CreatePipeline) is not in it.
func (h *HighLevelSchema) ListedPipelines() ([]*highlevel.Pipeline, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.pipelines, h.listed
}

// CreatePipeline creates a pipeline. HighLevel's pipeline create endpoint is
// newer than its spec: when the location refuses it (a 4xx other than 429),
// the error matches ErrManual and the plan lists the pipeline for an admin.
func (h *HighLevelSchema) CreatePipeline(ctx context.Context, p SchemaPipeline) (string, error) {
	r, err := h.client.Pipelines.Create(ctx, highlevel.PipelineInput{Name: p.Name, Stages: p.Stages})
	var ae *highlevel.APIError
	if errors.As(err, &ae) && ae.StatusCode >= 400 && ae.StatusCode < 500 && ae.StatusCode != http.StatusTooManyRequests {
		return "", fmt.Errorf("%w: %w", ErrManual, err)
	}
	if err != nil {
		return "", err
	}
	return r.ID, nil
}

// HighLevelUsers is the UserDirectory of a location, over the users search.
type HighLevelUsers struct {
	Client    *highlevel.Client
	CompanyID string // the agency (company) id the users search needs
}

var _ UserDirectory = HighLevelUsers{}

// Users lists the location's users.
func (h HighLevelUsers) Users(ctx context.Context) ([]User, error) {
	var out []User
	for u, err := range h.Client.Users.Search(ctx, highlevel.UserSearch{CompanyID: h.CompanyID}) {
		if err != nil {
			return nil, err
		}
		name := u.Name
		if name == "" {
			name = strings.TrimSpace(u.FirstName + " " + u.LastName)
		}
		out = append(out, User{ID: u.ID, Email: u.Email, Name: name, Deleted: u.Deleted})
	}
	return out, nil
}
