package hltest

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DataTypes are the custom field types HighLevel knows (MONETORY sic).
var DataTypes = []string{"TEXT", "LARGE_TEXT", "NUMERICAL", "PHONE", "MONETORY", "CHECKBOX",
	"SINGLE_OPTIONS", "MULTIPLE_OPTIONS", "DATE", "TEXTBOX_LIST", "FILE_UPLOAD", "RADIO", "EMAIL"}

type fieldOption struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	URL   string `json:"url,omitempty"`
}

type customField struct {
	meta
	name        string
	fieldKey    string // contact.x, opportunity.x, custom_objects.o.x, business.x
	dataType    string
	model       string // contact, opportunity (location fields)
	objectKey   string // V2: custom_objects.o, business; location fields: contact/opportunity
	placeholder string
	description string
	position    int
	options     []fieldOption
	parentID    string
	showInForms bool
	v2          bool
}

// optionAllowed reports whether v is one of the field's options (by key or
// label: location fields list labels, V2 fields keys).
func (f *customField) optionAllowed(v string) bool {
	for _, o := range f.options {
		if o.Key == v || o.Label == v {
			return true
		}
	}
	return false
}

func (f *customField) locationJSON(locationID string) map[string]any {
	out := map[string]any{
		"id": f.id, "name": f.name, "fieldKey": f.fieldKey, "dataType": f.dataType,
		"position": f.position, "locationId": locationID, "model": f.model,
		"placeholder": f.placeholder, "dateAdded": iso(f.added),
	}
	if len(f.options) > 0 {
		labels := make([]string, len(f.options))
		for i, o := range f.options {
			labels[i] = o.Label
		}
		out["picklistOptions"] = labels
	}
	if f.parentID != "" {
		out["parentId"] = f.parentID
	}
	return out
}

func (f *customField) v2JSON(locationID string) map[string]any {
	out := map[string]any{
		"id": f.id, "name": f.name, "fieldKey": f.fieldKey, "dataType": f.dataType,
		"locationId": locationID, "objectKey": f.objectKey, "parentId": f.parentID,
		"showInForms": f.showInForms, "dateAdded": iso(f.added), "dateUpdated": iso(f.updated),
		"description": f.description, "placeholder": f.placeholder,
		"allowCustomOption": false,
	}
	if len(f.options) > 0 {
		out["options"] = f.options
	}
	return out
}

// coerceValue checks a value against the field's data type and returns it
// as HighLevel stores it. The message names the field, never the value.
func coerceValue(f *customField, v any, path string) (any, string) {
	bad := func(what string) (any, string) {
		return nil, fmt.Sprintf("%s must be %s for a %s custom field (%s)", path, what, f.dataType, f.fieldKey)
	}
	switch f.dataType {
	case "TEXT", "LARGE_TEXT", "TEXTBOX_LIST":
		switch x := v.(type) {
		case string:
			return x, ""
		case json.Number:
			return x.String(), ""
		}
		return bad("a string")
	case "PHONE":
		s, ok := v.(string)
		if !ok {
			return bad("a string")
		}
		if s == "" {
			return s, ""
		}
		p, ok := normalizePhone(s)
		if !ok {
			return bad("a valid phone number")
		}
		return p, ""
	case "EMAIL":
		s, ok := v.(string)
		if !ok || (s != "" && !validEmail(s)) {
			return bad("an email")
		}
		return s, ""
	case "NUMERICAL", "MONETORY":
		switch x := v.(type) {
		case json.Number:
			f, err := x.Float64()
			if err != nil {
				return bad("a number")
			}
			return f, ""
		case string:
			n, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				return bad("a number")
			}
			return n, ""
		case map[string]any: // custom object money: {currency, value}
			if f.dataType == "MONETORY" {
				if n, ok := x["value"].(json.Number); ok {
					if fv, err := n.Float64(); err == nil {
						return map[string]any{"currency": x["currency"], "value": fv}, ""
					}
				}
			}
		}
		return bad("a number")
	case "SINGLE_OPTIONS", "RADIO":
		s, ok := v.(string)
		if !ok {
			return bad("a string")
		}
		if s != "" && !f.optionAllowed(s) {
			return bad("one of the field's options")
		}
		return s, ""
	case "CHECKBOX", "MULTIPLE_OPTIONS":
		var vals []string
		switch x := v.(type) {
		case string:
			vals = []string{x}
		case []any:
			for _, e := range x {
				s, ok := e.(string)
				if !ok {
					return bad("an array of strings")
				}
				vals = append(vals, s)
			}
		default:
			return bad("an array of strings")
		}
		for _, s := range vals {
			if !f.optionAllowed(s) {
				return bad("a list of the field's options")
			}
		}
		if vals == nil {
			vals = []string{}
		}
		return vals, ""
	case "DATE":
		switch x := v.(type) {
		case string:
			for _, l := range []string{"2006-01-02", time.RFC3339, "2006-01-02T15:04:05.000Z", "01/02/2006", "01-02-2006"} {
				if t, err := time.Parse(l, x); err == nil {
					return t.UTC().Format("2006-01-02"), ""
				}
			}
		case json.Number:
			if ms, err := x.Int64(); err == nil {
				return time.UnixMilli(ms).UTC().Format("2006-01-02"), ""
			}
		}
		return bad("a date (YYYY-MM-DD, ISO 8601 or epoch milliseconds)")
	}
	return v, "" // FILE_UPLOAD and anything HighLevel stores as given
}

// fieldByRef finds a location custom field by id or key for a model. Keys
// may be sent with or without the "contact." prefix.
func (l *location) fieldByRef(model, id, key string) *customField {
	if id != "" {
		if f, ok := l.fields.get(id); ok && !f.v2 && f.model == model {
			return f
		}
		return nil
	}
	if key == "" {
		return nil
	}
	full := key
	if !strings.HasPrefix(key, model+".") {
		full = model + "." + key
	}
	var found *customField
	l.fields.each(func(f *customField) bool {
		if !f.v2 && f.model == model && f.fieldKey == full {
			found = f
			return false
		}
		return true
	})
	return found
}

var cfItemDTO = newDTO(
	field{name: "id", kind: kString},
	field{name: "key", kind: kString},
	field{name: "field_value", kind: kAny},
	field{name: "fieldValue", kind: kAny},
	field{name: "value", kind: kAny},
)

// applyCustomFields validates customFields input items and returns the
// values to set. Unknown field ids are ignored, as HighLevel ignores them;
// null or empty values clear the field.
func (l *location) applyCustomFields(model string, items []any) (map[string]any, []string) {
	set := map[string]any{}
	var msgs []string
	for i, it := range items {
		m, _ := it.(map[string]any)
		path := fmt.Sprintf("customFields.%d", i)
		id, key := str(m, "id"), str(m, "key")
		if id == "" && key == "" {
			msgs = append(msgs, path+".id should not be empty")
			continue
		}
		f := l.fieldByRef(model, id, key)
		if f == nil {
			continue
		}
		v, present := m["field_value"]
		if !present {
			v, present = m["fieldValue"]
		}
		if !present {
			v = m["value"]
		}
		if v == nil || v == "" {
			set[f.id] = nil
			continue
		}
		val, msg := coerceValue(f, v, path+".field_value")
		if msg != "" {
			msgs = append(msgs, msg)
			continue
		}
		set[f.id] = val
	}
	return set, msgs
}

func mergeCustomValues(dst map[string]any, set map[string]any) map[string]any {
	if dst == nil {
		dst = map[string]any{}
	}
	for id, v := range set {
		if v == nil {
			delete(dst, id)
		} else {
			dst[id] = v
		}
	}
	return dst
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// Location custom fields: /locations/{locationId}/customFields

var optionDataTypes = []string{"SINGLE_OPTIONS", "MULTIPLE_OPTIONS", "CHECKBOX", "RADIO"}

// createLocationFieldDTO is CreateCustomFieldsDTO of locations.json plus
// the properties HighLevel accepts without documenting them (fieldKey,
// parentId, description, showInForms, options).
var createLocationFieldDTO = newDTO(
	field{name: "name", kind: kString, required: true},
	field{name: "dataType", kind: kString, required: true, enum: DataTypes},
	field{name: "placeholder", kind: kString},
	field{name: "acceptedFormat", kind: kStrings},
	field{name: "isMultipleFile", kind: kBool},
	field{name: "maxNumberOfFiles", kind: kNumber},
	field{name: "textBoxListOptions", kind: kArray},
	field{name: "position", kind: kNumber},
	field{name: "model", kind: kString, enum: []string{"contact", "opportunity"}},
	field{name: "fieldKey", kind: kString},
	field{name: "parentId", kind: kString},
	field{name: "description", kind: kString},
	field{name: "showInForms", kind: kBool},
	field{name: "options", kind: kStrings},
)

var updateLocationFieldDTO = createLocationFieldDTO.without("dataType", "fieldKey")

var fieldKeyRE = regexp.MustCompile(`[^a-z0-9]+`)

// snake turns a field name into HighLevel's key form: "Patient ID" -> "patient_id".
func snake(name string) string {
	return strings.Trim(fieldKeyRE.ReplaceAllString(strings.ToLower(name), "_"), "_")
}

func (c *call) pathLocation() (*location, *apiError) {
	return c.scope(c.param("locationId"))
}

func labelsToOptions(labels []string) []fieldOption {
	out := make([]fieldOption, len(labels))
	for i, l := range labels {
		out[i] = fieldOption{Key: snake(l), Label: l}
	}
	return out
}

func (s *Server) createLocationField(c *call) (response, *apiError) {
	m, err := createLocationFieldDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.pathLocation()
	if err != nil {
		return fail(err)
	}
	model := str(m, "model")
	if model == "" {
		model = "contact"
	}
	dt := str(m, "dataType")
	key := str(m, "fieldKey")
	if key == "" {
		key = snake(str(m, "name"))
	}
	if !strings.HasPrefix(key, model+".") {
		key = model + "." + key
	}
	if slices.Contains(optionDataTypes, dt) && len(strs(m, "options")) == 0 {
		return fail(errUnprocessable("options should not be empty"))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fieldByRef(model, "", key) != nil {
		return fail(errBadRequest("A custom field with fieldKey %s already exists", key))
	}
	f := &customField{meta: s.newMeta(l, c.now), name: str(m, "name"), fieldKey: key, dataType: dt,
		model: model, objectKey: model, placeholder: str(m, "placeholder"), description: str(m, "description"),
		position: integer(m, "position", l.fields.len()*50), options: labelsToOptions(strs(m, "options")),
		parentID: str(m, "parentId"), showInForms: boolean(m, "showInForms")}
	l.fields.put(f)
	return created(map[string]any{"customField": f.locationJSON(l.cfg.ID)})
}

func (s *Server) listLocationFields(c *call) (response, *apiError) {
	l, err := c.pathLocation()
	if err != nil {
		return fail(err)
	}
	model := c.q("model")
	if model != "" && model != "contact" && model != "opportunity" && model != "all" {
		return fail(errUnprocessable("model must be one of the following values: contact, opportunity, all"))
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := []map[string]any{}
	l.fields.each(func(f *customField) bool {
		if !f.v2 && (model == "" || model == "all" || f.model == model) {
			out = append(out, f.locationJSON(l.cfg.ID))
		}
		return true
	})
	return ok(map[string]any{"customFields": out})
}

func (s *Server) locationFieldFor(c *call, l *location) (*customField, *apiError) {
	f, found := l.fields.get(c.param("id"))
	if !found || f.v2 {
		return nil, errBadRequest("Custom field with id %s not found", c.param("id"))
	}
	return f, nil
}

func (s *Server) getLocationField(c *call) (response, *apiError) {
	l, err := c.pathLocation()
	if err != nil {
		return fail(err)
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	f, err := s.locationFieldFor(c, l)
	if err != nil {
		return fail(err)
	}
	return ok(map[string]any{"customField": f.locationJSON(l.cfg.ID)})
}

func (s *Server) updateLocationField(c *call) (response, *apiError) {
	m, err := updateLocationFieldDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.pathLocation()
	if err != nil {
		return fail(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := s.locationFieldFor(c, l)
	if err != nil {
		return fail(err)
	}
	f.name = str(m, "name")
	if has(m, "placeholder") {
		f.placeholder = str(m, "placeholder")
	}
	if has(m, "position") {
		f.position = integer(m, "position", f.position)
	}
	if has(m, "options") {
		f.options = labelsToOptions(strs(m, "options"))
	}
	if has(m, "description") {
		f.description = str(m, "description")
	}
	s.touch(&f.meta, c.now)
	return ok(map[string]any{"customField": f.locationJSON(l.cfg.ID)})
}

func (s *Server) deleteLocationField(c *call) (response, *apiError) {
	l, err := c.pathLocation()
	if err != nil {
		return fail(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := s.locationFieldFor(c, l)
	if err != nil {
		return fail(err)
	}
	l.fields.remove(f.id)
	// Values of a deleted field disappear from every contact.
	l.contacts.each(func(ct *contact) bool {
		delete(ct.cf, f.id)
		return true
	})
	return ok(map[string]any{"succeded": true})
}

// Custom Fields V2: /custom-fields/ (custom objects and business)

var optionDTO = newDTO(
	field{name: "key", kind: kString, required: true},
	field{name: "label", kind: kString, required: true},
	field{name: "url", kind: kString},
)

var acceptedFormats = []string{".pdf", ".docx", ".doc", ".jpg", ".jpeg", ".png", ".gif", ".csv", ".xlsx", ".xls", "all"}

var createFieldV2DTO = newDTO(
	field{name: "locationId", kind: kString, required: true},
	field{name: "name", kind: kString},
	field{name: "description", kind: kString},
	field{name: "placeholder", kind: kString},
	field{name: "showInForms", kind: kBool, required: true},
	field{name: "options", kind: kArray, nested: optionDTO},
	field{name: "acceptedFormats", kind: kString, enum: acceptedFormats},
	field{name: "dataType", kind: kString, required: true, enum: DataTypes},
	field{name: "fieldKey", kind: kString, required: true},
	field{name: "objectKey", kind: kString, required: true},
	field{name: "maxFileLimit", kind: kNumber},
	field{name: "allowCustomOption", kind: kBool},
	field{name: "parentId", kind: kString, required: true},
)

var updateFieldV2DTO = newDTO(
	field{name: "locationId", kind: kString, required: true},
	field{name: "name", kind: kString},
	field{name: "description", kind: kString},
	field{name: "placeholder", kind: kString},
	field{name: "showInForms", kind: kBool, required: true},
	field{name: "options", kind: kArray, nested: optionDTO},
	field{name: "acceptedFormats", kind: kString, enum: acceptedFormats},
	field{name: "maxFileLimit", kind: kNumber},
)

func parseOptions(m map[string]any) []fieldOption {
	arr, _ := m["options"].([]any)
	out := make([]fieldOption, 0, len(arr))
	for _, e := range arr {
		o := e.(map[string]any)
		out = append(out, fieldOption{Key: str(o, "key"), Label: str(o, "label"), URL: str(o, "url")})
	}
	return out
}

func (s *Server) createFieldV2(c *call) (response, *apiError) {
	m, err := createFieldV2DTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.scope(str(m, "locationId"))
	if err != nil {
		return fail(err)
	}
	objKey, key, dt := str(m, "objectKey"), str(m, "fieldKey"), str(m, "dataType")
	l.mu.Lock()
	defer l.mu.Unlock()
	o, found := l.schemas[objKey]
	if !found || (o.standard && objKey != "business") {
		return fail(errBadRequest("objectKey %s is not a custom object or business", objKey))
	}
	if !strings.HasPrefix(key, objKey+".") || len(key) == len(objKey)+1 {
		return fail(errBadRequest("fieldKey must be in the format %s.<field_key>", objKey))
	}
	folder, found := l.folders.get(str(m, "parentId"))
	if !found || folder.objectKey != objKey {
		return fail(errBadRequest("parentId %s is not a folder of %s", str(m, "parentId"), objKey))
	}
	opts := parseOptions(m)
	if slices.Contains(optionDataTypes, dt) && len(opts) == 0 {
		return fail(errUnprocessable("options should not be empty"))
	}
	dup := false
	l.fields.each(func(f *customField) bool {
		dup = dup || (f.v2 && f.fieldKey == key)
		return !dup
	})
	if dup {
		return fail(errBadRequest("A custom field with fieldKey %s already exists", key))
	}
	f := &customField{meta: s.newMeta(l, c.now), name: str(m, "name"), fieldKey: key, dataType: dt,
		objectKey: objKey, model: objKey, placeholder: str(m, "placeholder"), description: str(m, "description"),
		options: opts, parentID: folder.id, showInForms: boolean(m, "showInForms"), v2: true}
	l.fields.put(f)
	return created(map[string]any{"field": f.v2JSON(l.cfg.ID)})
}

func (s *Server) fieldV2For(c *call) (*customField, *apiError) {
	f, found := c.loc.fields.get(c.param("id"))
	if !found || !f.v2 {
		if c.st.foreign(c.loc, c.param("id")) {
			return nil, errLocationAccess
		}
		return nil, errBadRequest("Custom field with id %s not found", c.param("id"))
	}
	return f, nil
}

func (s *Server) getFieldV2(c *call) (response, *apiError) {
	c.loc.mu.RLock()
	defer c.loc.mu.RUnlock()
	f, err := s.fieldV2For(c)
	if err != nil {
		return fail(err)
	}
	return ok(map[string]any{"field": f.v2JSON(c.loc.cfg.ID)})
}

func (s *Server) updateFieldV2(c *call) (response, *apiError) {
	m, err := updateFieldV2DTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.scope(str(m, "locationId"))
	if err != nil {
		return fail(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := s.fieldV2For(c)
	if err != nil {
		return fail(err)
	}
	if has(m, "name") {
		f.name = str(m, "name")
	}
	if has(m, "description") {
		f.description = str(m, "description")
	}
	if has(m, "placeholder") {
		f.placeholder = str(m, "placeholder")
	}
	if has(m, "options") {
		f.options = parseOptions(m)
	}
	f.showInForms = boolean(m, "showInForms")
	s.touch(&f.meta, c.now)
	return ok(map[string]any{"field": f.v2JSON(l.cfg.ID)})
}

func (s *Server) deleteFieldV2(c *call) (response, *apiError) {
	l := c.loc
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := s.fieldV2For(c)
	if err != nil {
		return fail(err)
	}
	if o := l.schemas[f.objectKey]; o != nil && o.primaryKey == f.fieldKey {
		return fail(errBadRequest("The primary display property of %s cannot be deleted", o.key))
	}
	l.fields.remove(f.id)
	if t := l.records[f.objectKey]; t != nil {
		short := strings.TrimPrefix(f.fieldKey, f.objectKey+".")
		t.each(func(r *record) bool {
			delete(r.props, short)
			return true
		})
	}
	return ok(map[string]any{"succeded": true, "id": f.id, "key": f.fieldKey})
}

func (s *Server) fieldsByObjectKey(c *call) (response, *apiError) {
	l, err := c.scope(c.q("locationId"))
	if err != nil {
		return fail(err)
	}
	objKey := c.param("objectKey")
	l.mu.RLock()
	defer l.mu.RUnlock()
	if _, found := l.schemas[objKey]; !found {
		return fail(errBadRequest("Object schema with key %s not found", objKey))
	}
	fields, folders := []map[string]any{}, []map[string]any{}
	l.fields.each(func(f *customField) bool {
		if f.v2 && f.objectKey == objKey {
			fields = append(fields, f.v2JSON(l.cfg.ID))
		}
		return true
	})
	l.folders.each(func(f *fieldFolder) bool {
		if f.objectKey == objKey {
			folders = append(folders, f.json(l.cfg.ID))
		}
		return true
	})
	return ok(map[string]any{"fields": fields, "folders": folders})
}

var createFolderDTO = newDTO(
	field{name: "objectKey", kind: kString, required: true},
	field{name: "name", kind: kString, required: true},
	field{name: "locationId", kind: kString, required: true},
)

var updateFolderDTO = newDTO(
	field{name: "name", kind: kString, required: true},
	field{name: "locationId", kind: kString, required: true},
)

func (s *Server) createFolder(c *call) (response, *apiError) {
	m, err := createFolderDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.scope(str(m, "locationId"))
	if err != nil {
		return fail(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	objKey := str(m, "objectKey")
	if o, found := l.schemas[objKey]; !found || (o.standard && objKey != "business") {
		return fail(errBadRequest("objectKey %s is not a custom object or business", objKey))
	}
	f := &fieldFolder{meta: s.newMeta(l, c.now), name: str(m, "name"), objectKey: objKey}
	l.folders.put(f)
	return created(f.json(l.cfg.ID))
}

func (s *Server) updateFolder(c *call) (response, *apiError) {
	m, err := updateFolderDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.scope(str(m, "locationId"))
	if err != nil {
		return fail(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	f, found := l.folders.get(c.param("id"))
	if !found {
		return fail(errBadRequest("Folder with id %s not found", c.param("id")))
	}
	f.name = str(m, "name")
	s.touch(&f.meta, c.now)
	return ok(f.json(l.cfg.ID))
}

func (s *Server) deleteFolder(c *call) (response, *apiError) {
	l, err := c.scope(c.q("locationId"))
	if err != nil {
		return fail(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	f, found := l.folders.get(c.param("id"))
	if !found {
		return fail(errBadRequest("Folder with id %s not found", c.param("id")))
	}
	inUse := false
	l.fields.each(func(cf *customField) bool {
		inUse = inUse || cf.parentID == f.id
		return !inUse
	})
	if inUse {
		return fail(errBadRequest("Folder %s still holds fields", f.id))
	}
	l.folders.remove(f.id)
	return ok(map[string]any{"succeded": true, "id": f.id, "key": f.objectKey})
}
