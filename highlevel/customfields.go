package highlevel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
)

// FieldModel selects the location custom fields of one record type.
type FieldModel string

// Models of location custom fields. FieldModelAll is only a List filter.
const (
	FieldModelContact     FieldModel = "contact"
	FieldModelOpportunity FieldModel = "opportunity"
	FieldModelAll         FieldModel = "all"
)

// CustomField is a location custom field: the fields of contacts and
// opportunities (GET /locations/{locationId}/customFields). Values written
// to a contact or an opportunity name the field by ID (or FieldKey);
// values read back carry only the ID.
type CustomField struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	FieldKey    string   `json:"fieldKey"` // "contact.pbn_patient_id"
	DataType    DataType `json:"dataType"`
	Model       string   `json:"model,omitempty"`
	Placeholder string   `json:"placeholder,omitempty"`
	Position    float64  `json:"position,omitempty"`
	// PicklistOptions are the option labels of option fields.
	PicklistOptions []string  `json:"picklistOptions,omitempty"`
	ParentID        string    `json:"parentId,omitempty"`
	LocationID      string    `json:"locationId,omitempty"`
	DateAdded       Timestamp `json:"dateAdded"`
}

// CustomFieldCreate is the body of a location custom field create. Name and
// DataType are required.
type CustomFieldCreate struct {
	Name     string   `json:"name"`
	DataType DataType `json:"dataType"`
	// Model defaults to contact.
	Model FieldModel `json:"model,omitempty"`
	// FieldKey, when set, chooses the key ("contact." is prefixed by
	// HighLevel when missing); otherwise HighLevel derives it from Name.
	FieldKey    string `json:"fieldKey,omitempty"`
	Placeholder string `json:"placeholder,omitempty"`
	Position    *int   `json:"position,omitempty"`
	// Options are the labels of SINGLE_OPTIONS, MULTIPLE_OPTIONS, CHECKBOX
	// and RADIO fields (required for them). HighLevel accepts "options"
	// although locations.json does not document it.
	Options []string `json:"options,omitempty"`
	// TextBoxListOptions are the boxes of a TEXTBOX_LIST field.
	TextBoxListOptions []TextBoxListOption `json:"textBoxListOptions,omitempty"`
	// AcceptedFormat, IsMultipleFile and MaxNumberOfFiles tune FILE_UPLOAD
	// fields.
	AcceptedFormat   []string `json:"acceptedFormat,omitempty"`
	IsMultipleFile   *bool    `json:"isMultipleFile,omitempty"`
	MaxNumberOfFiles int      `json:"maxNumberOfFiles,omitempty"`
}

// TextBoxListOption is one box of a TEXTBOX_LIST field.
type TextBoxListOption struct {
	Label        string `json:"label"`
	PrefillValue string `json:"prefillValue,omitempty"`
}

// CustomFieldUpdate is the body of a location custom field update.
// HighLevel requires Name on every update (send the current name to keep
// it); nil fields are unchanged. Options, when non-nil, replace the list.
type CustomFieldUpdate struct {
	Name        string   `json:"name"`
	Placeholder *string  `json:"placeholder,omitempty"`
	Position    *int     `json:"position,omitempty"`
	Options     []string `json:"options,omitempty"`
}

var (
	opFieldList   = operation{name: "customFields.list", method: http.MethodGet, version: Version20210728}
	opFieldGet    = operation{name: "customFields.get", method: http.MethodGet, version: Version20210728}
	opFieldCreate = operation{name: "customFields.create", method: http.MethodPost, version: Version20210728}
	opFieldUpdate = operation{name: "customFields.update", method: http.MethodPut, version: Version20210728}
	opFieldDelete = operation{name: "customFields.delete", method: http.MethodDelete, version: Version20210728}

	opObjFieldCreate = operation{name: "customFields.v2.create", method: http.MethodPost, version: Version20210728}
	opObjFieldList   = operation{name: "customFields.v2.listByObjectKey", method: http.MethodGet, version: Version20210728}
	opObjFieldGet    = operation{name: "customFields.v2.get", method: http.MethodGet, version: Version20210728}
	opObjFieldUpdate = operation{name: "customFields.v2.update", method: http.MethodPut, version: Version20210728}
	opObjFieldDelete = operation{name: "customFields.v2.delete", method: http.MethodDelete, version: Version20210728}
	opFolderCreate   = operation{name: "customFields.v2.folders.create", method: http.MethodPost, version: Version20210728}
	opFolderUpdate   = operation{name: "customFields.v2.folders.update", method: http.MethodPut, version: Version20210728}
	opFolderDelete   = operation{name: "customFields.v2.folders.delete", method: http.MethodDelete, version: Version20210728}
)

type customFieldEnvelope struct {
	CustomField *CustomField `json:"customField"`
}

func (e *customFieldEnvelope) get(op string) (*CustomField, error) {
	if e.CustomField == nil {
		return nil, &DecodeError{Operation: op, Err: errors.New(`no "customField" in response`)}
	}
	return e.CustomField, nil
}

func (s *CustomFieldsService) locationPath(suffix ...string) string {
	p := pathf("/locations/%s/customFields", s.client.locationID)
	if len(suffix) > 0 {
		p += pathf("/%s", suffix[0])
	}
	return p
}

// List returns the location's custom fields of a model (GET
// /locations/{locationId}/customFields?model=…); an empty model lets
// HighLevel choose (contact fields). Not paginated by HighLevel.
func (s *CustomFieldsService) List(ctx context.Context, model FieldModel) ([]*CustomField, error) {
	var q url.Values
	switch model {
	case "":
	case FieldModelContact, FieldModelOpportunity, FieldModelAll:
		q = url.Values{"model": {string(model)}}
	default:
		return nil, fmt.Errorf("highlevel: %s: unknown model %q", opFieldList.name, model)
	}
	var out struct {
		CustomFields []*CustomField `json:"customFields"`
	}
	if err := s.client.do(ctx, call{op: opFieldList, path: s.locationPath(), query: q}, &out); err != nil {
		return nil, err
	}
	return out.CustomFields, nil
}

// Get returns a location custom field.
func (s *CustomFieldsService) Get(ctx context.Context, id string) (*CustomField, error) {
	if err := requireID(opFieldGet.name, "custom field id", id); err != nil {
		return nil, err
	}
	var out customFieldEnvelope
	if err := s.client.do(ctx, call{op: opFieldGet, path: s.locationPath(id)}, &out); err != nil {
		return nil, err
	}
	return out.get(opFieldGet.name)
}

// Create creates a location custom field (POST
// /locations/{locationId}/customFields). A network failure or 5xx gives an
// error matching ErrOutcomeUnknown: list the fields to see whether it exists.
func (s *CustomFieldsService) Create(ctx context.Context, in CustomFieldCreate) (*CustomField, error) {
	if in.Name == "" || in.DataType == "" {
		return nil, fmt.Errorf("highlevel: %s: name and data type are required", opFieldCreate.name)
	}
	if in.Model == FieldModelAll {
		return nil, fmt.Errorf("highlevel: %s: model must be contact or opportunity", opFieldCreate.name)
	}
	if isOptionType(in.DataType) && len(in.Options) == 0 {
		return nil, fmt.Errorf("highlevel: %s: a %s field needs options", opFieldCreate.name, in.DataType)
	}
	var out customFieldEnvelope
	if err := s.client.do(ctx, call{op: opFieldCreate, path: s.locationPath(), body: in}, &out); err != nil {
		return nil, err
	}
	return out.get(opFieldCreate.name)
}

// Update changes a location custom field and returns it.
func (s *CustomFieldsService) Update(ctx context.Context, id string, in CustomFieldUpdate) (*CustomField, error) {
	if err := requireID(opFieldUpdate.name, "custom field id", id); err != nil {
		return nil, err
	}
	if in.Name == "" {
		return nil, fmt.Errorf("highlevel: %s: HighLevel requires the name on every update", opFieldUpdate.name)
	}
	var out customFieldEnvelope
	if err := s.client.do(ctx, call{op: opFieldUpdate, path: s.locationPath(id), body: in}, &out); err != nil {
		return nil, err
	}
	return out.get(opFieldUpdate.name)
}

// Delete deletes a location custom field. Its values disappear from every
// record.
func (s *CustomFieldsService) Delete(ctx context.Context, id string) error {
	if err := requireID(opFieldDelete.name, "custom field id", id); err != nil {
		return err
	}
	var out succeded
	if err := s.client.do(ctx, call{op: opFieldDelete, path: s.locationPath(id)}, &out); err != nil {
		return err
	}
	return out.check(opFieldDelete.name)
}

func isOptionType(dt DataType) bool {
	switch dt {
	case DataTypeSingleOptions, DataTypeMultipleOptions, DataTypeCheckbox, DataTypeRadio:
		return true
	}
	return false
}

// Custom Fields V2: the fields of custom objects and of businesses.

// FieldOption is an option of a Custom Fields V2 option field. Record
// properties take the Key.
type FieldOption struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	URL   string `json:"url,omitempty"` // RADIO only
}

// ObjectField is a Custom Fields V2 field of a custom object or of
// businesses.
type ObjectField struct {
	ID          string        `json:"id"`
	Name        string        `json:"name,omitempty"`
	FieldKey    string        `json:"fieldKey"`  // "custom_objects.xray.tooth"
	ObjectKey   string        `json:"objectKey"` // "custom_objects.xray"
	DataType    DataType      `json:"dataType"`
	Description string        `json:"description,omitempty"`
	Placeholder string        `json:"placeholder,omitempty"`
	ShowInForms bool          `json:"showInForms"`
	Options     []FieldOption `json:"options,omitempty"`
	// AcceptedFormats and MaxFileLimit tune FILE_UPLOAD fields.
	AcceptedFormats   string    `json:"acceptedFormats,omitempty"`
	MaxFileLimit      float64   `json:"maxFileLimit,omitempty"`
	AllowCustomOption bool      `json:"allowCustomOption,omitempty"`
	ParentID          string    `json:"parentId,omitempty"` // the folder
	LocationID        string    `json:"locationId,omitempty"`
	DateAdded         Timestamp `json:"dateAdded"`
	DateUpdated       Timestamp `json:"dateUpdated"`
}

// ShortKey is the FieldKey without the object prefix: the property name of
// records ("tooth" for "custom_objects.xray.tooth").
func (f *ObjectField) ShortKey() string {
	if n := len(f.ObjectKey); n > 0 && len(f.FieldKey) > n+1 && f.FieldKey[:n] == f.ObjectKey && f.FieldKey[n] == '.' {
		return f.FieldKey[n+1:]
	}
	return f.FieldKey
}

// ObjectFieldCreate is the body of a Custom Fields V2 create. ObjectKey,
// FieldKey (which must start with ObjectKey + ".") and DataType are
// required.
type ObjectFieldCreate struct {
	ObjectKey   string        `json:"objectKey"`
	FieldKey    string        `json:"fieldKey"`
	Name        string        `json:"name,omitempty"`
	DataType    DataType      `json:"dataType"`
	Description string        `json:"description,omitempty"`
	Placeholder string        `json:"placeholder,omitempty"`
	ShowInForms bool          `json:"showInForms"`
	Options     []FieldOption `json:"options,omitempty"`
	// AcceptedFormats is one of .pdf .docx .doc .jpg .jpeg .png .gif .csv
	// .xlsx .xls or all.
	AcceptedFormats   string `json:"acceptedFormats,omitempty"`
	MaxFileLimit      int    `json:"maxFileLimit,omitempty"`
	AllowCustomOption bool   `json:"allowCustomOption,omitempty"`
	// ParentID is the folder. HighLevel requires one; when empty, Create
	// spends one more call to find the object's first folder.
	ParentID string `json:"parentId"`
}

// ObjectFieldUpdate is the body of a Custom Fields V2 update. HighLevel
// requires ShowInForms on every update. Options, when non-nil, replace all
// options: include the existing ones (HighLevel cannot remove options).
type ObjectFieldUpdate struct {
	Name            *string       `json:"name,omitempty"`
	Description     *string       `json:"description,omitempty"`
	Placeholder     *string       `json:"placeholder,omitempty"`
	ShowInForms     bool          `json:"showInForms"`
	Options         []FieldOption `json:"options,omitempty"`
	AcceptedFormats string        `json:"acceptedFormats,omitempty"`
	MaxFileLimit    int           `json:"maxFileLimit,omitempty"`
}

// FieldFolder groups Custom Fields V2 fields of one object.
type FieldFolder struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	ObjectKey  string `json:"objectKey"`
	LocationID string `json:"locationId,omitempty"`
}

// ObjectFields are the fields and folders of one object.
type ObjectFields struct {
	Fields  []*ObjectField `json:"fields"`
	Folders []*FieldFolder `json:"folders"`
}

type objectFieldEnvelope struct {
	Field *ObjectField `json:"field"`
}

func (e *objectFieldEnvelope) get(op string) (*ObjectField, error) {
	if e.Field == nil {
		return nil, &DecodeError{Operation: op, Err: errors.New(`no "field" in response`)}
	}
	return e.Field, nil
}

// CreateObjectField creates a Custom Fields V2 field (POST /custom-fields/)
// on a custom object or on businesses. See ObjectFieldCreate.ParentID.
func (s *CustomFieldsService) CreateObjectField(ctx context.Context, in ObjectFieldCreate) (*ObjectField, error) {
	op := opObjFieldCreate.name
	if in.ObjectKey == "" || in.DataType == "" {
		return nil, fmt.Errorf("highlevel: %s: object key and data type are required", op)
	}
	if n := len(in.ObjectKey); len(in.FieldKey) <= n+1 || in.FieldKey[:n+1] != in.ObjectKey+"." {
		return nil, fmt.Errorf("highlevel: %s: field key must be %s.<name>", op, in.ObjectKey)
	}
	if isOptionType(in.DataType) && len(in.Options) == 0 {
		return nil, fmt.Errorf("highlevel: %s: a %s field needs options", op, in.DataType)
	}
	if in.ParentID == "" {
		fs, err := s.ListObjectFields(ctx, in.ObjectKey)
		if err != nil {
			return nil, err
		}
		for _, f := range fs.Folders {
			if f.ObjectKey == "" || f.ObjectKey == in.ObjectKey {
				in.ParentID = f.ID
				break
			}
		}
		if in.ParentID == "" {
			return nil, fmt.Errorf("highlevel: %s: %s has no field folder; create one with CreateFolder", op, in.ObjectKey)
		}
	}
	body := struct {
		LocationID string `json:"locationId"`
		ObjectFieldCreate
	}{s.client.locationID, in}
	var out objectFieldEnvelope
	if err := s.client.do(ctx, call{op: opObjFieldCreate, path: "/custom-fields/", body: body}, &out); err != nil {
		return nil, err
	}
	return out.get(op)
}

// ListObjectFields returns the Custom Fields V2 fields and folders of an
// object (GET /custom-fields/object-key/{objectKey}).
func (s *CustomFieldsService) ListObjectFields(ctx context.Context, objectKey string) (*ObjectFields, error) {
	if err := requireID(opObjFieldList.name, "object key", objectKey); err != nil {
		return nil, err
	}
	var out ObjectFields
	err := s.client.do(ctx, call{op: opObjFieldList, path: pathf("/custom-fields/object-key/%s", objectKey),
		query: url.Values{"locationId": {s.client.locationID}}}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// GetObjectField returns a Custom Fields V2 field.
func (s *CustomFieldsService) GetObjectField(ctx context.Context, id string) (*ObjectField, error) {
	if err := requireID(opObjFieldGet.name, "custom field id", id); err != nil {
		return nil, err
	}
	var out objectFieldEnvelope
	if err := s.client.do(ctx, call{op: opObjFieldGet, path: pathf("/custom-fields/%s", id)}, &out); err != nil {
		return nil, err
	}
	return out.get(opObjFieldGet.name)
}

// UpdateObjectField changes a Custom Fields V2 field and returns it.
func (s *CustomFieldsService) UpdateObjectField(ctx context.Context, id string, in ObjectFieldUpdate) (*ObjectField, error) {
	if err := requireID(opObjFieldUpdate.name, "custom field id", id); err != nil {
		return nil, err
	}
	body := struct {
		LocationID string `json:"locationId"`
		ObjectFieldUpdate
	}{s.client.locationID, in}
	var out objectFieldEnvelope
	if err := s.client.do(ctx, call{op: opObjFieldUpdate, path: pathf("/custom-fields/%s", id), body: body}, &out); err != nil {
		return nil, err
	}
	return out.get(opObjFieldUpdate.name)
}

// DeleteObjectField deletes a Custom Fields V2 field. HighLevel refuses to
// delete an object's primary display property.
func (s *CustomFieldsService) DeleteObjectField(ctx context.Context, id string) error {
	if err := requireID(opObjFieldDelete.name, "custom field id", id); err != nil {
		return err
	}
	var out succeded
	if err := s.client.do(ctx, call{op: opObjFieldDelete, path: pathf("/custom-fields/%s", id)}, &out); err != nil {
		return err
	}
	return out.check(opObjFieldDelete.name)
}

// CreateFolder creates a field folder for an object (POST
// /custom-fields/folder).
func (s *CustomFieldsService) CreateFolder(ctx context.Context, objectKey, name string) (*FieldFolder, error) {
	if objectKey == "" || name == "" {
		return nil, fmt.Errorf("highlevel: %s: object key and name are required", opFolderCreate.name)
	}
	body := struct {
		ObjectKey  string `json:"objectKey"`
		Name       string `json:"name"`
		LocationID string `json:"locationId"`
	}{objectKey, name, s.client.locationID}
	var out FieldFolder
	if err := s.client.do(ctx, call{op: opFolderCreate, path: "/custom-fields/folder", body: body}, &out); err != nil {
		return nil, err
	}
	if out.ID == "" {
		return nil, &DecodeError{Operation: opFolderCreate.name, Err: errors.New("no folder id in response")}
	}
	return &out, nil
}

// RenameFolder renames a field folder (PUT /custom-fields/folder/{id}).
func (s *CustomFieldsService) RenameFolder(ctx context.Context, id, name string) (*FieldFolder, error) {
	if err := requireID(opFolderUpdate.name, "folder id", id); err != nil {
		return nil, err
	}
	if name == "" {
		return nil, fmt.Errorf("highlevel: %s: empty name", opFolderUpdate.name)
	}
	body := struct {
		Name       string `json:"name"`
		LocationID string `json:"locationId"`
	}{name, s.client.locationID}
	var out FieldFolder
	if err := s.client.do(ctx, call{op: opFolderUpdate, path: pathf("/custom-fields/folder/%s", id), body: body}, &out); err != nil {
		return nil, err
	}
	if out.ID == "" {
		return nil, &DecodeError{Operation: opFolderUpdate.name, Err: errors.New("no folder id in response")}
	}
	return &out, nil
}

// DeleteFolder deletes an empty field folder.
func (s *CustomFieldsService) DeleteFolder(ctx context.Context, id string) error {
	if err := requireID(opFolderDelete.name, "folder id", id); err != nil {
		return err
	}
	var out succeded
	err := s.client.do(ctx, call{op: opFolderDelete, path: pathf("/custom-fields/folder/%s", id),
		query: url.Values{"locationId": {s.client.locationID}}}, &out)
	if err != nil {
		return err
	}
	return out.check(opFolderDelete.name)
}

// FieldIndex finds location custom fields by id or by key. HighLevel
// returns custom field values with the field id only, while a field map
// names fields by key: build one index from List and use it both ways.
type FieldIndex struct {
	byID  map[string]*CustomField
	byKey map[string]*CustomField
}

// NewFieldIndex indexes fields (typically List with FieldModelAll).
func NewFieldIndex(fields []*CustomField) *FieldIndex {
	x := &FieldIndex{byID: make(map[string]*CustomField, len(fields)), byKey: make(map[string]*CustomField, len(fields))}
	for _, f := range fields {
		if f == nil {
			continue
		}
		x.byID[f.ID] = f
		x.byKey[f.FieldKey] = f
	}
	return x
}

// ByID returns the field with this id.
func (x *FieldIndex) ByID(id string) (*CustomField, bool) {
	f, ok := x.byID[id]
	return f, ok
}

// ByKey returns the field with this full key ("contact.pbn_patient_id").
func (x *FieldIndex) ByKey(key string) (*CustomField, bool) {
	f, ok := x.byKey[key]
	return f, ok
}

// ErrUnknownField: no custom field has the key.
var ErrUnknownField = errors.New("highlevel: unknown custom field")

// Input encodes v for the field with this key (see CustomField.Value) as a
// write item addressed by id. Errors name the key and the types, never the
// value.
func (x *FieldIndex) Input(key string, v any) (CustomFieldInput, error) {
	f, ok := x.byKey[key]
	if !ok {
		return CustomFieldInput{}, fmt.Errorf("%w: %s", ErrUnknownField, key)
	}
	fv, err := f.Value(v)
	if err != nil {
		return CustomFieldInput{}, err
	}
	return CustomFieldInput{ID: f.ID, Value: fv}, nil
}

// Value encodes v for this field (see ValueFor) and, for option fields,
// checks every value against the field's picklist options (contacts and
// opportunities take the option labels), so a bad value is refused before
// it is sent. Errors name the field key, never the value.
func (f *CustomField) Value(v any) (FieldValue, error) {
	fv, err := ValueFor(f.DataType, v)
	if err != nil {
		return FieldValue{}, fmt.Errorf("highlevel: %s: %w", f.FieldKey, err)
	}
	if !isOptionType(f.DataType) || len(f.PicklistOptions) == 0 {
		return fv, nil
	}
	var vals []string
	if err := json.Unmarshal(fv.raw, &vals); err != nil {
		var one string
		if json.Unmarshal(fv.raw, &one) != nil {
			return FieldValue{}, fmt.Errorf("highlevel: %s: %w", f.FieldKey, ErrFieldType)
		}
		vals = []string{one}
	}
	for _, s := range vals {
		if !slices.Contains(f.PicklistOptions, s) {
			return FieldValue{}, fmt.Errorf("highlevel: %s: %w: a value is not one of the field's %d options", f.FieldKey, ErrFieldType, len(f.PicklistOptions))
		}
	}
	return fv, nil
}
