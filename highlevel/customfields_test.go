package highlevel

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const locationFieldJSON = `{"id":"f1","name":"Patient ID","fieldKey":"contact.pbn_patient_id","dataType":"TEXT",
 "position":50,"locationId":"loc-test-1","model":"contact","placeholder":"","dateAdded":"2024-01-02T03:04:05.000Z"}`

const pickFieldJSON = `{"id":"f2","name":"Insurance","fieldKey":"contact.insurance","dataType":"SINGLE_OPTIONS",
 "position":100,"locationId":"loc-test-1","model":"contact","picklistOptions":["Delta Dental","Cigna"]}`

const objectFieldJSON = `{"id":"of1","name":"Tooth","fieldKey":"custom_objects.xray.tooth","dataType":"SINGLE_OPTIONS",
 "locationId":"loc-test-1","objectKey":"custom_objects.xray","parentId":"fold1","showInForms":true,
 "options":[{"key":"t14","label":"14"},{"key":"t15","label":"15"}],"dateAdded":"2024-01-02T03:04:05.000Z",
 "dateUpdated":"2024-01-03T03:04:05.000Z","allowCustomOption":false}`

func TestCustomFieldsOperations(t *testing.T) {
	checkF1 := func(t *testing.T, got any) {
		f := got.(*CustomField)
		assert.Equal(t, "f1", f.ID)
		assert.Equal(t, "contact.pbn_patient_id", f.FieldKey)
		assert.Equal(t, DataTypeText, f.DataType)
		assert.Equal(t, 2024, f.DateAdded.Year())
	}
	checkOF1 := func(t *testing.T, got any) {
		f := got.(*ObjectField)
		assert.Equal(t, "of1", f.ID)
		assert.Equal(t, "tooth", f.ShortKey())
		assert.Equal(t, []FieldOption{{Key: "t14", Label: "14"}, {Key: "t15", Label: "15"}}, f.Options)
		assert.True(t, f.ShowInForms)
		assert.Equal(t, 3, f.DateUpdated.Day())
	}
	runOpCases(t, []opCase{
		{
			name: "list contact fields", pattern: "GET /locations/loc-test-1/customFields", status: 200,
			response:  `{"customFields":[` + locationFieldJSON + `,` + pickFieldJSON + `]}`,
			call:      func(ctx context.Context, c *Client) (any, error) { return c.CustomFields.List(ctx, FieldModelContact) },
			wantQuery: map[string]string{"model": "contact"},
			check: func(t *testing.T, got any) {
				fs := got.([]*CustomField)
				require.Len(t, fs, 2)
				checkF1(t, fs[0])
				assert.Equal(t, []string{"Delta Dental", "Cigna"}, fs[1].PicklistOptions)
				assert.Equal(t, DataTypeSingleOptions, fs[1].DataType)
			},
		},
		{
			name: "list without model", pattern: "GET /locations/loc-test-1/customFields", status: 200,
			response: `{"customFields":[]}`,
			call:     func(ctx context.Context, c *Client) (any, error) { return c.CustomFields.List(ctx, "") },
		},
		{
			name: "list all", pattern: "GET /locations/loc-test-1/customFields", status: 200,
			response:  `{"customFields":[]}`,
			call:      func(ctx context.Context, c *Client) (any, error) { return c.CustomFields.List(ctx, FieldModelAll) },
			wantQuery: map[string]string{"model": "all"},
		},
		{
			name: "get", pattern: "GET /locations/loc-test-1/customFields/f1", status: 200,
			response: `{"customField":` + locationFieldJSON + `}`,
			call:     func(ctx context.Context, c *Client) (any, error) { return c.CustomFields.Get(ctx, "f1") },
			check:    checkF1,
		},
		{
			name: "create text field", pattern: "POST /locations/loc-test-1/customFields", status: 201,
			response: `{"customField":` + locationFieldJSON + `}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CustomFields.Create(ctx, CustomFieldCreate{Name: "Patient ID", DataType: DataTypeText,
					Model: FieldModelContact, FieldKey: "pbn_patient_id", Position: Ptr(0)})
			},
			wantBody: `{"name":"Patient ID","dataType":"TEXT","model":"contact","fieldKey":"pbn_patient_id","position":0}`,
			check:    checkF1,
		},
		{
			name: "create picklist on opportunities", pattern: "POST /locations/loc-test-1/customFields", status: 201,
			response: `{"customField":` + pickFieldJSON + `}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CustomFields.Create(ctx, CustomFieldCreate{Name: "Insurance", DataType: DataTypeSingleOptions,
					Model: FieldModelOpportunity, Options: []string{"Delta Dental", "Cigna"}})
			},
			wantBody: `{"name":"Insurance","dataType":"SINGLE_OPTIONS","model":"opportunity","options":["Delta Dental","Cigna"]}`,
		},
		{
			name: "create money field (MONETORY sic)", pattern: "POST /locations/loc-test-1/customFields", status: 201,
			response: `{"customField":{"id":"f3","name":"Balance","fieldKey":"contact.balance","dataType":"MONETORY"}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CustomFields.Create(ctx, CustomFieldCreate{Name: "Balance", DataType: DataTypeMonetary})
			},
			wantBody: `{"name":"Balance","dataType":"MONETORY"}`,
			check:    func(t *testing.T, got any) { assert.Equal(t, DataTypeMonetary, got.(*CustomField).DataType) },
		},
		{
			name: "update", pattern: "PUT /locations/loc-test-1/customFields/f2", status: 200,
			response: `{"customField":` + pickFieldJSON + `}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CustomFields.Update(ctx, "f2", CustomFieldUpdate{Name: "Insurance", Options: []string{"Delta Dental", "Cigna"}, Placeholder: Ptr("")})
			},
			wantBody: `{"name":"Insurance","placeholder":"","options":["Delta Dental","Cigna"]}`,
		},
		{
			name: "delete", pattern: "DELETE /locations/loc-test-1/customFields/f1", status: 200,
			response: `{"succeded":true}`,
			call:     func(ctx context.Context, c *Client) (any, error) { return nil, c.CustomFields.Delete(ctx, "f1") },
		},
		{
			name: "v2 create with folder", pattern: "POST /custom-fields/{$}", status: 201,
			response: `{"field":` + objectFieldJSON + `}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CustomFields.CreateObjectField(ctx, ObjectFieldCreate{ObjectKey: "custom_objects.xray",
					FieldKey: "custom_objects.xray.tooth", Name: "Tooth", DataType: DataTypeSingleOptions, ShowInForms: true,
					Options: []FieldOption{{Key: "t14", Label: "14"}, {Key: "t15", Label: "15"}}, ParentID: "fold1"})
			},
			wantBody: `{"locationId":"loc-test-1","objectKey":"custom_objects.xray","fieldKey":"custom_objects.xray.tooth",
				"name":"Tooth","dataType":"SINGLE_OPTIONS","showInForms":true,
				"options":[{"key":"t14","label":"14"},{"key":"t15","label":"15"}],"parentId":"fold1"}`,
			check: checkOF1,
		},
		{
			name: "v2 list by object key", pattern: "GET /custom-fields/object-key/custom_objects.xray", status: 200,
			response: `{"fields":[` + objectFieldJSON + `],"folders":[{"id":"fold1","name":"X-ray Details","objectKey":"custom_objects.xray","locationId":"loc-test-1"}]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CustomFields.ListObjectFields(ctx, "custom_objects.xray")
			},
			wantQuery: map[string]string{"locationId": testLocation},
			check: func(t *testing.T, got any) {
				fs := got.(*ObjectFields)
				require.Len(t, fs.Fields, 1)
				checkOF1(t, fs.Fields[0])
				assert.Equal(t, []*FieldFolder{{ID: "fold1", Name: "X-ray Details", ObjectKey: "custom_objects.xray", LocationID: testLocation}}, fs.Folders)
			},
		},
		{
			name: "v2 get", pattern: "GET /custom-fields/of1", status: 200, response: `{"field":` + objectFieldJSON + `}`,
			call:  func(ctx context.Context, c *Client) (any, error) { return c.CustomFields.GetObjectField(ctx, "of1") },
			check: checkOF1,
		},
		{
			name: "v2 update", pattern: "PUT /custom-fields/of1", status: 200, response: `{"field":` + objectFieldJSON + `}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CustomFields.UpdateObjectField(ctx, "of1", ObjectFieldUpdate{Name: Ptr("Tooth"), ShowInForms: true,
					Options: []FieldOption{{Key: "t14", Label: "14"}, {Key: "t15", Label: "15"}}})
			},
			wantBody: `{"locationId":"loc-test-1","name":"Tooth","showInForms":true,"options":[{"key":"t14","label":"14"},{"key":"t15","label":"15"}]}`,
			check:    checkOF1,
		},
		{
			name: "v2 delete", pattern: "DELETE /custom-fields/of1", status: 200,
			response: `{"succeded":true,"id":"of1","key":"custom_objects.xray.tooth"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.CustomFields.DeleteObjectField(ctx, "of1")
			},
		},
		{
			name: "folder create", pattern: "POST /custom-fields/folder", status: 201,
			response: `{"id":"fold2","name":"Imaging","objectKey":"custom_objects.xray","locationId":"loc-test-1"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CustomFields.CreateFolder(ctx, "custom_objects.xray", "Imaging")
			},
			wantBody: `{"objectKey":"custom_objects.xray","name":"Imaging","locationId":"loc-test-1"}`,
			check: func(t *testing.T, got any) {
				assert.Equal(t, &FieldFolder{ID: "fold2", Name: "Imaging", ObjectKey: "custom_objects.xray", LocationID: testLocation}, got)
			},
		},
		{
			name: "folder rename", pattern: "PUT /custom-fields/folder/fold2", status: 200,
			response: `{"id":"fold2","name":"Scans","objectKey":"custom_objects.xray","locationId":"loc-test-1"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CustomFields.RenameFolder(ctx, "fold2", "Scans")
			},
			wantBody: `{"name":"Scans","locationId":"loc-test-1"}`,
			check:    func(t *testing.T, got any) { assert.Equal(t, "Scans", got.(*FieldFolder).Name) },
		},
		{
			name: "folder delete", pattern: "DELETE /custom-fields/folder/fold2", status: 200,
			response: `{"succeded":true,"id":"fold2","key":"custom_objects.xray"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.CustomFields.DeleteFolder(ctx, "fold2")
			},
			wantQuery: map[string]string{"locationId": testLocation},
		},
	})
}

// A V2 field without a folder costs one lookup of the object's folders.
func TestCreateObjectFieldFindsFolder(t *testing.T) {
	ts := newTestServer(t)
	ts.handle("GET /custom-fields/object-key/custom_objects.xray", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"fields":[],"folders":[{"id":"fold9","name":"X-ray Details","objectKey":"custom_objects.xray","locationId":"loc-test-1"}]}`)
	})
	ts.handle("POST /custom-fields/{$}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 201, `{"field":`+objectFieldJSON+`}`)
	})
	_, err := ts.client.CustomFields.CreateObjectField(context.Background(), ObjectFieldCreate{ObjectKey: "custom_objects.xray",
		FieldKey: "custom_objects.xray.note", DataType: DataTypeLargeText})
	require.NoError(t, err)
	reqs := ts.requests()
	require.Len(t, reqs, 2)
	jsonEq(t, `{"locationId":"loc-test-1","objectKey":"custom_objects.xray","fieldKey":"custom_objects.xray.note",
		"dataType":"LARGE_TEXT","showInForms":false,"parentId":"fold9"}`, reqs[1].Body)

	ts2 := newTestServer(t)
	ts2.handle("GET /custom-fields/object-key/custom_objects.xray", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"fields":[],"folders":[]}`)
	})
	_, err = ts2.client.CustomFields.CreateObjectField(context.Background(), ObjectFieldCreate{ObjectKey: "custom_objects.xray",
		FieldKey: "custom_objects.xray.note", DataType: DataTypeLargeText})
	require.ErrorContains(t, err, "no field folder")
	assert.Len(t, ts2.requests(), 1, "no create without a folder")
}

func TestCustomFieldsRejectBadInput(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	cf := ts.client.CustomFields
	for name, call := range map[string]func() error{
		"unknown model":       func() error { _, err := cf.List(ctx, "patients"); return err },
		"get empty id":        func() error { _, err := cf.Get(ctx, ""); return err },
		"create without type": func() error { _, err := cf.Create(ctx, CustomFieldCreate{Name: "x"}); return err },
		"create model all": func() error {
			_, err := cf.Create(ctx, CustomFieldCreate{Name: "x", DataType: DataTypeText, Model: FieldModelAll})
			return err
		},
		"options without items": func() error {
			_, err := cf.Create(ctx, CustomFieldCreate{Name: "x", DataType: DataTypeCheckbox})
			return err
		},
		"update without name": func() error { _, err := cf.Update(ctx, "f1", CustomFieldUpdate{}); return err },
		"delete empty id":     func() error { return cf.Delete(ctx, "") },
		"v2 key outside object": func() error {
			_, err := cf.CreateObjectField(ctx, ObjectFieldCreate{ObjectKey: "custom_objects.xray", FieldKey: "custom_objects.xrayz", DataType: DataTypeText})
			return err
		},
		"v2 radio without options": func() error {
			_, err := cf.CreateObjectField(ctx, ObjectFieldCreate{ObjectKey: "business", FieldKey: "business.kind", DataType: DataTypeRadio, ParentID: "p"})
			return err
		},
		"v2 list empty key":  func() error { _, err := cf.ListObjectFields(ctx, ""); return err },
		"v2 update empty id": func() error { _, err := cf.UpdateObjectField(ctx, "", ObjectFieldUpdate{}); return err },
		"folder no name":     func() error { _, err := cf.CreateFolder(ctx, "business", ""); return err },
		"rename no name":     func() error { _, err := cf.RenameFolder(ctx, "f", ""); return err },
		"delete folder ''":   func() error { return cf.DeleteFolder(ctx, "") },
	} {
		assert.Error(t, call(), name)
	}
	assert.Empty(t, ts.requests())
}

// HighLevel answers 400 "Custom field with id … not found" for unknown ids.
func TestCustomFieldNotFound(t *testing.T) {
	ts := newTestServer(t)
	ts.handle("GET /locations/loc-test-1/customFields/nope", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 400, `{"statusCode":400,"message":"Custom field with id nope not found"}`)
	})
	_, err := ts.client.CustomFields.Get(context.Background(), "nope")
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestFieldIndex(t *testing.T) {
	x := NewFieldIndex([]*CustomField{
		{ID: "f1", FieldKey: "contact.pbn_patient_id", DataType: DataTypeText},
		{ID: "f2", FieldKey: "contact.balance", DataType: DataTypeMonetary},
		{ID: "f3", FieldKey: "opportunity.teeth", DataType: DataTypeMultipleOptions, PicklistOptions: []string{"14", "15"}},
		{ID: "f4", FieldKey: "contact.carrier", DataType: DataTypeSingleOptions, PicklistOptions: []string{"Delta Dental", "Cigna"}},
		nil,
	})
	f, ok := x.ByID("f2")
	require.True(t, ok)
	assert.Equal(t, "contact.balance", f.FieldKey)
	_, ok = x.ByKey("balance")
	assert.False(t, ok, "keys are full keys")

	in, err := x.Input("contact.balance", Cents(1999))
	require.NoError(t, err)
	assert.Equal(t, "f2", in.ID)
	assert.Equal(t, "19.99", in.Value.String())
	in, err = x.Input("opportunity.teeth", []string{"14", "15"})
	require.NoError(t, err)
	assert.Equal(t, `["14","15"]`, in.Value.String())

	_, err = x.Input("opportunity.teeth", []string{"14", "16"})
	assert.ErrorIs(t, err, ErrFieldType, "not an option")
	in, err = x.Input("contact.carrier", "Cigna")
	require.NoError(t, err)
	assert.Equal(t, `"Cigna"`, in.Value.String())
	_, err = x.Input("contact.carrier", "cigna_key")
	require.ErrorIs(t, err, ErrFieldType)
	assert.NotContains(t, err.Error(), "cigna_key")

	_, err = x.Input("contact.nope", "x")
	assert.ErrorIs(t, err, ErrUnknownField)
	_, err = x.Input("contact.balance", "Rosa Deo")
	require.ErrorIs(t, err, ErrFieldType)
	assert.NotContains(t, err.Error(), "Rosa", "values stay out of errors")
	assert.Contains(t, err.Error(), "contact.balance")
}
