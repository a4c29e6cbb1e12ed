package mapping

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/internal/golden"
)

// fakeSchema is an in-memory location for the schema plan.
type fakeSchema struct {
	mu           sync.Mutex
	fields       map[string][]SchemaField
	objects      []SchemaObject
	associations []SchemaAssociation
	pipelines    []SchemaPipeline
	noPipelines  bool // the API cannot create pipelines
	calls        int
	failAfter    int // fail the n-th create call (0: never)
	seq          int
}

func newFakeSchema() *fakeSchema { return &fakeSchema{fields: map[string][]SchemaField{}} }

func (f *fakeSchema) id(kind string) string { f.seq++; return fmt.Sprintf("%s-%d", kind, f.seq) }

func (f *fakeSchema) create() error {
	f.calls++
	if f.failAfter > 0 && f.calls == f.failAfter {
		return errors.New("HTTP 500")
	}
	return nil
}

func (f *fakeSchema) CustomFields(_ context.Context, model string) ([]SchemaField, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]SchemaField(nil), f.fields[model]...), nil
}

func (f *fakeSchema) CreateCustomField(_ context.Context, sf SchemaField) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.create(); err != nil {
		return "", err
	}
	sf.ID = f.id("field")
	f.fields[sf.Model] = append(f.fields[sf.Model], sf)
	return sf.ID, nil
}

func (f *fakeSchema) ObjectSchemas(context.Context) ([]SchemaObject, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]SchemaObject(nil), f.objects...), nil
}

func (f *fakeSchema) CreateObjectSchema(_ context.Context, o SchemaObject) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.create(); err != nil {
		return "", err
	}
	o.ID = f.id("object")
	f.objects = append(f.objects, o)
	f.fields[o.Key] = append(f.fields[o.Key], SchemaField{ID: f.id("field"), Model: o.Key, Key: o.PrimaryKey, Name: o.PrimaryName, DataType: TypeText})
	return o.ID, nil
}

func (f *fakeSchema) Associations(context.Context) ([]SchemaAssociation, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]SchemaAssociation(nil), f.associations...), nil
}

func (f *fakeSchema) CreateAssociation(_ context.Context, a SchemaAssociation) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.create(); err != nil {
		return "", err
	}
	a.ID = f.id("assoc")
	f.associations = append(f.associations, a)
	return a.ID, nil
}

func (f *fakeSchema) Pipelines(context.Context) ([]SchemaPipeline, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]SchemaPipeline(nil), f.pipelines...), nil
}

func (f *fakeSchema) CreatePipeline(_ context.Context, p SchemaPipeline) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.noPipelines {
		return "", ErrManual
	}
	if err := f.create(); err != nil {
		return "", err
	}
	p.ID = f.id("pipeline")
	f.pipelines = append(f.pipelines, p)
	return p.ID, nil
}

func TestDeriveSchemaDefault(t *testing.T) {
	p, err := DeriveSchema(mustDefault(t))
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, p.WriteMarkdown(&b, nil))
	golden.Assert(t, "testdata/schema_plan.md", b.Bytes())

	keys := map[string]DataType{}
	for _, f := range p.Fields {
		keys[f.FieldKey()] = f.DataType
	}
	assert.Equal(t, TypeText, keys["contact.pbn_patient_id"])
	assert.Equal(t, TypeDate, keys["contact.pbn_created_at"])
	assert.Equal(t, TypeLargeText, keys["contact.pbn_communication_log"])
	assert.Equal(t, TypeLargeText, keys["contact.pbn_form_submissions"])
	assert.Equal(t, TypeText, keys["opportunity.pbn_case_id"])
	assert.Equal(t, TypeMonetary, keys["custom_objects.pbn_treatment.fee"])
	assert.Equal(t, TypeSingleOptions, keys["contact.pbn_case_type"])
	require.Len(t, p.Objects, 4)
	require.Len(t, p.Pipelines, 4)
	assocs := map[string]string{}
	for _, a := range p.Associations {
		assocs[a.Key] = a.FirstKey + "→" + a.SecondKey
	}
	assert.Equal(t, "custom_objects.pbn_appointment→contact", assocs["pbn_appointment_patient"])
	assert.Equal(t, "custom_objects.pbn_treatment→custom_objects.pbn_appointment", assocs["pbn_treatment_appointment"])
	assert.NotContains(t, assocs, "pbn_insurance_carrier", "the carrier is a property of the coverage, not a relation (17.2)")
}

func TestDeriveSchemaConflictInMap(t *testing.T) {
	m := mustDefault(t)
	m.Object("appointments").Field("pbn_created_at").Type = TypeText
	m.Object("procedures").Key = "custom_objects.pbn_appointment"
	_, err := DeriveSchema(m)
	assert.ErrorContains(t, err, "is needed as")
}

func TestSchemaDiffApplyIdempotent(t *testing.T) {
	ctx := context.Background()
	plan, err := DeriveSchema(mustDefault(t))
	require.NoError(t, err)
	api := newFakeSchema()
	// The location already has some of it, one field with the wrong type,
	// a pick-list without an option and a pipeline without a stage.
	api.fields["contact"] = []SchemaField{
		{ID: "f1", Model: "contact", Key: "pbn_patient_id", DataType: TypeText},
		{ID: "f2", Model: "contact", Key: "pbn_created_at", DataType: TypeText},
		{ID: "f3", Model: "contact", Key: "pbn_case_type", DataType: TypeSingleOptions, Options: []string{"Ortho", "Implant"}},
	}
	api.pipelines = []SchemaPipeline{{ID: "p1", Name: "Perio", Stages: []string{"Diagnosed", "Presented", "Accepted"}}}

	d, err := plan.Diff(ctx, api)
	require.NoError(t, err)
	assert.Equal(t, 3, d.Count(Conflicts))
	assert.Equal(t, 1, d.Count(Exists))
	assert.False(t, d.Ready())
	var b bytes.Buffer
	require.NoError(t, plan.WriteMarkdown(&b, d))
	golden.Assert(t, "testdata/schema_diff.md", b.Bytes())

	res, err := plan.Apply(ctx, api)
	var ce *ConflictError
	require.ErrorAs(t, err, &ce)
	assert.Len(t, ce.Items, 3)
	assert.Contains(t, err.Error(), "exists as TEXT, the map needs DATE")
	assert.Equal(t, len(d.Items)-4-4, len(res.Created), "everything missing but the 4 object primaries, which come with their objects")
	assert.Equal(t, KindObject, res.Created[0].Kind, "objects first")

	// Resolve the conflicts by hand, then apply again: nothing new but nothing missing.
	api.fields["contact"][1].DataType = TypeDate
	api.fields["contact"][2].Options = append(api.fields["contact"][2].Options, "Perio", "Cosmetic")
	api.pipelines[0].Stages = append(api.pipelines[0].Stages, "Scheduled", "Declined")
	res2, err := plan.Apply(ctx, api)
	require.NoError(t, err)
	assert.Empty(t, res2.Created, "idempotent")
	d2, err := plan.Diff(ctx, api)
	require.NoError(t, err)
	assert.True(t, d2.Ready(), "%+v", d2.Items)
}

func TestSchemaApplyPartialFailureReportsCreated(t *testing.T) {
	plan, err := DeriveSchema(mustDefault(t))
	require.NoError(t, err)
	api := newFakeSchema()
	api.failAfter = 3
	res, err := plan.Apply(context.Background(), api)
	require.Error(t, err)
	assert.Len(t, res.Created, 2, "what was created before the failure is returned for undo")
	api.failAfter = 0
	res, err = plan.Apply(context.Background(), api)
	require.NoError(t, err)
	assert.NotEmpty(t, res.Created)
}

func TestSchemaManualPipelines(t *testing.T) {
	plan, err := DeriveSchema(mustDefault(t))
	require.NoError(t, err)
	api := newFakeSchema()
	api.noPipelines = true
	res, err := plan.Apply(context.Background(), api)
	require.NoError(t, err)
	assert.Len(t, res.Manual, 4)
	for _, c := range res.Created {
		assert.NotEqual(t, KindPipeline, c.Kind)
	}
}
