package highlevel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"
	"net/http"
	"net/url"
	"strings"
)

// ObjectLabels are what HighLevel shows for an object.
type ObjectLabels struct {
	Singular string `json:"singular"`
	Plural   string `json:"plural"`
}

// ObjectSchema is a custom or standard (contact, opportunity, business)
// object schema.
type ObjectSchema struct {
	ID       string       `json:"id"`
	Key      string       `json:"key"` // "custom_objects.xray", or "contact"
	Standard bool         `json:"standard"`
	Labels   ObjectLabels `json:"labels"`
	// Description is the schema's description.
	Description string `json:"description,omitempty"`
	LocationID  string `json:"locationId,omitempty"`
	// PrimaryDisplayProperty is the field key records are shown by.
	PrimaryDisplayProperty string    `json:"primaryDisplayProperty,omitempty"`
	SearchableProperties   []string  `json:"searchableProperties,omitempty"`
	DateAdded              Timestamp `json:"dateAdded"`
	DateUpdated            Timestamp `json:"dateUpdated"`
	// Fields are the object's Custom Fields V2 fields; only Get fills them.
	Fields []*ObjectField `json:"-"`
}

// DisplayProperty is the primary display property of a new object: the
// field HighLevel creates with it and shows records by.
type DisplayProperty struct {
	// Key is the field key; "custom_objects.<object>." is prefixed when
	// missing.
	Key  string `json:"key"`
	Name string `json:"name"`
	// DataType is TEXT or NUMERICAL.
	DataType DataType `json:"dataType"`
}

// ObjectSchemaCreate is the body of a custom object create.
type ObjectSchemaCreate struct {
	// Key is "custom_objects.<name>" (lowercase letters, digits and
	// underscores).
	Key                    string          `json:"key"`
	Labels                 ObjectLabels    `json:"labels"`
	Description            string          `json:"description,omitempty"`
	PrimaryDisplayProperty DisplayProperty `json:"primaryDisplayPropertyDetails"`
}

// ObjectSchemaUpdate changes a custom object. Nil fields are unchanged.
// HighLevel requires searchableProperties on every update: when
// SearchableProperties is nil, Update reads the current list first (one
// more call) and sends it back unchanged.
type ObjectSchemaUpdate struct {
	Labels               *ObjectLabels
	Description          *string
	SearchableProperties []string
}

var (
	opSchemaList   = operation{name: "objects.list", method: http.MethodGet, version: Version20210728}
	opSchemaGet    = operation{name: "objects.get", method: http.MethodGet, version: Version20210728}
	opSchemaCreate = operation{name: "objects.create", method: http.MethodPost, version: Version20210728}
	opSchemaUpdate = operation{name: "objects.update", method: http.MethodPut, version: Version20210728}
	opRecordCreate = operation{name: "objects.records.create", method: http.MethodPost, version: Version20210728}
	opRecordGet    = operation{name: "objects.records.get", method: http.MethodGet, version: Version20210728}
	opRecordUpdate = operation{name: "objects.records.update", method: http.MethodPut, version: Version20210728}
	opRecordDelete = operation{name: "objects.records.delete", method: http.MethodDelete, version: Version20210728}
	opRecordSearch = operation{name: "objects.records.search", method: http.MethodPost, version: Version20210728, idempotent: true}
)

type schemaEnvelope struct {
	Object *ObjectSchema  `json:"object"`
	Fields []*ObjectField `json:"fields"`
}

func (e *schemaEnvelope) get(op string) (*ObjectSchema, error) {
	if e.Object == nil {
		return nil, &DecodeError{Operation: op, Err: errors.New(`no "object" in response`)}
	}
	e.Object.Fields = e.Fields
	return e.Object, nil
}

func (s *ObjectsService) locQuery() url.Values {
	return url.Values{"locationId": {s.client.locationID}}
}

// ListSchemas returns the location's object schemas, the standard ones
// (contact, opportunity, business) included (GET /objects/).
func (s *ObjectsService) ListSchemas(ctx context.Context) ([]*ObjectSchema, error) {
	var out struct {
		Objects []*ObjectSchema `json:"objects"`
	}
	if err := s.client.do(ctx, call{op: opSchemaList, path: "/objects/", query: s.locQuery()}, &out); err != nil {
		return nil, err
	}
	return out.Objects, nil
}

// GetSchema returns an object schema with its fields (GET
// /objects/{key}?fetchProperties=true). An unknown key gives an error
// matching ErrNotFound.
func (s *ObjectsService) GetSchema(ctx context.Context, key string) (*ObjectSchema, error) {
	return s.getSchema(ctx, key, true)
}

func (s *ObjectsService) getSchema(ctx context.Context, key string, fields bool) (*ObjectSchema, error) {
	if err := requireID(opSchemaGet.name, "object key", key); err != nil {
		return nil, err
	}
	q := s.locQuery()
	if fields {
		q.Set("fetchProperties", "true")
	}
	var out schemaEnvelope
	if err := s.client.do(ctx, call{op: opSchemaGet, path: pathf("/objects/%s", key), query: q}, &out); err != nil {
		return nil, err
	}
	return out.get(opSchemaGet.name)
}

// CreateSchema creates a custom object with its primary display field
// (POST /objects/). A network failure or 5xx gives an error matching
// ErrOutcomeUnknown: GetSchema tells whether it exists.
func (s *ObjectsService) CreateSchema(ctx context.Context, in ObjectSchemaCreate) (*ObjectSchema, error) {
	op := opSchemaCreate.name
	if !strings.HasPrefix(in.Key, "custom_objects.") || len(in.Key) == len("custom_objects.") {
		return nil, fmt.Errorf("highlevel: %s: key must be custom_objects.<name>", op)
	}
	if in.Labels.Singular == "" || in.Labels.Plural == "" {
		return nil, fmt.Errorf("highlevel: %s: singular and plural labels are required", op)
	}
	pd := in.PrimaryDisplayProperty
	if pd.Key == "" || pd.Name == "" || pd.DataType == "" {
		return nil, fmt.Errorf("highlevel: %s: the primary display property needs a key, a name and a data type", op)
	}
	body := struct {
		LocationID string `json:"locationId"`
		ObjectSchemaCreate
	}{s.client.locationID, in}
	var out schemaEnvelope
	if err := s.client.do(ctx, call{op: opSchemaCreate, path: "/objects/", body: body}, &out); err != nil {
		return nil, err
	}
	return out.get(op)
}

// UpdateSchema changes a custom object's labels, description or
// searchable properties (PUT /objects/{key}).
func (s *ObjectsService) UpdateSchema(ctx context.Context, key string, in ObjectSchemaUpdate) (*ObjectSchema, error) {
	if err := requireID(opSchemaUpdate.name, "object key", key); err != nil {
		return nil, err
	}
	searchable := in.SearchableProperties
	if searchable == nil {
		cur, err := s.getSchema(ctx, key, false)
		if err != nil {
			return nil, err
		}
		searchable = cur.SearchableProperties
		if searchable == nil {
			searchable = []string{}
		}
	}
	body := struct {
		LocationID           string        `json:"locationId"`
		Labels               *ObjectLabels `json:"labels,omitempty"`
		Description          *string       `json:"description,omitempty"`
		SearchableProperties []string      `json:"searchableProperties"`
	}{s.client.locationID, in.Labels, in.Description, searchable}
	var out schemaEnvelope
	if err := s.client.do(ctx, call{op: opSchemaUpdate, path: pathf("/objects/%s", key), body: body}, &out); err != nil {
		return nil, err
	}
	return out.get(opSchemaUpdate.name)
}

// Records

// RecordMoneyValue is a MONETORY property of a custom object record:
// {"currency":"default","value":12.5} for 1250 cents. (Contact and
// opportunity custom fields take a bare number: MoneyValue.)
func RecordMoneyValue(c Cents) FieldValue {
	v := MoneyValue(c)
	return FieldValue{raw: json.RawMessage(`{"currency":"default","value":` + string(v.raw) + `}`)}
}

// Record is a custom object record. It encodes to JSON in the get shape
// and decodes from either shape, so it round-trips (as a before-image, for
// example).
type Record struct {
	ID string `json:"id"`
	// Owner holds at most one user id (HighLevel's limit).
	Owner      []string         `json:"owner"`
	Followers  []string         `json:"followers"`
	Properties RecordProperties `json:"properties"`
	LocationID string           `json:"locationId,omitempty"`
	ObjectKey  string           `json:"objectKey,omitempty"`
	// DateAdded and DateUpdated come from dateAdded/dateUpdated (get,
	// create, update) or createdAt/updatedAt (search).
	DateAdded   Timestamp `json:"dateAdded"`
	DateUpdated Timestamp `json:"dateUpdated"`
	// SearchAfter is the record's search cursor (search results only).
	SearchAfter json.RawMessage `json:"searchAfter,omitempty"`
}

// UnmarshalJSON reads both shapes HighLevel uses for records.
func (r *Record) UnmarshalJSON(b []byte) error {
	var w struct {
		ID          string           `json:"id"`
		Owner       []string         `json:"owner"`
		Followers   []string         `json:"followers"`
		Properties  RecordProperties `json:"properties"`
		LocationID  string           `json:"locationId"`
		ObjectKey   string           `json:"objectKey"`
		DateAdded   Timestamp        `json:"dateAdded"`
		DateUpdated Timestamp        `json:"dateUpdated"`
		CreatedAt   Timestamp        `json:"createdAt"`
		UpdatedAt   Timestamp        `json:"updatedAt"`
		SearchAfter json.RawMessage  `json:"searchAfter"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = Record{ID: w.ID, Owner: w.Owner, Followers: w.Followers, Properties: w.Properties,
		LocationID: w.LocationID, ObjectKey: w.ObjectKey, DateAdded: w.DateAdded, DateUpdated: w.DateUpdated,
		SearchAfter: w.SearchAfter}
	if r.DateAdded.IsZero() {
		r.DateAdded = w.CreatedAt
	}
	if r.DateUpdated.IsZero() {
		r.DateUpdated = w.UpdatedAt
	}
	return nil
}

// RecordProperties are a record's values by property name (the field key
// without "custom_objects.<object>.").
type RecordProperties map[string]json.RawMessage

// Value returns a property as a CustomFieldValue (Text, Number, Strings).
func (p RecordProperties) Value(name string) (CustomFieldValue, bool) {
	raw, ok := p[name]
	if !ok || len(raw) == 0 || string(raw) == "null" {
		return CustomFieldValue{}, false
	}
	return CustomFieldValue{ID: name, Value: raw}, true
}

// Money returns a MONETORY property in cents, and its currency ("default"
// unless set). A bare number is accepted too.
func (p RecordProperties) Money(name string) (Cents, string, bool) {
	raw, ok := p[name]
	if !ok {
		return 0, "", false
	}
	var m struct {
		Currency string       `json:"currency"`
		Value    *json.Number `json:"value"`
	}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&m) == nil && m.Value != nil {
		n = *m.Value
	} else if json.Unmarshal(raw, &n) != nil {
		return 0, "", false
	}
	f, err := n.Float64()
	// Beyond 2^53 cents a float64 no longer holds every cent.
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f*100) >= 1<<53 {
		return 0, "", false
	}
	cur := m.Currency
	if cur == "" {
		cur = "default"
	}
	return Cents(math.Round(f * 100)), cur, true
}

// RecordInput is the body of a record create. Properties are keyed by
// property name; encode values with TextValue, NumberValue,
// RecordMoneyValue, OptionsValue (option keys), DateValue… The primary
// display property is required by HighLevel.
type RecordInput struct {
	Properties map[string]FieldValue
	// Owner holds at most one user id, Followers at most ten.
	Owner     []string
	Followers []string
}

// RecordUpdate changes a record: the given properties are set (a zero
// FieldValue clears one), others are kept. Owner and Followers, when
// non-nil, replace the lists: an empty non-nil list clears them (sent as
// []); nil leaves them as they are.
type RecordUpdate struct {
	Properties map[string]FieldValue
	Owner      []string
	Followers  []string
}

// Body is the JSON body CreateRecord sends for in, less the "locationId"
// it puts first for the client's location: the bytes to journal, so that
// journal, digest and request come from one encoding.
func (in RecordInput) Body() ([]byte, error) {
	return json.Marshal(recordBody{Properties: in.Properties, Owner: in.Owner, Followers: in.Followers})
}

// Body is the exact JSON body UpdateRecord sends for u (the location
// travels in the query). A nil Owner or Followers is left out (the record
// keeps its list); an empty one is sent as [] (the list is cleared).
func (u RecordUpdate) Body() ([]byte, error) {
	b := recordUpdateBody{Properties: u.Properties}
	if u.Owner != nil {
		b.Owner = &u.Owner
	}
	if u.Followers != nil {
		b.Followers = &u.Followers
	}
	return json.Marshal(b)
}

// bodier is a write input that knows the JSON body its service sends
// (the bytes a migration journals).
type bodier interface{ Body() ([]byte, error) }

// wireBody is in's Body as op's request body, sent as is (a RawMessage,
// not re-encoded as a base64 string).
func wireBody(op string, in bodier) (json.RawMessage, error) {
	b, err := in.Body()
	if err != nil {
		return nil, fmt.Errorf("highlevel: %s: %w", op, err)
	}
	return b, nil
}

// locatedBody is a create's request body: in's Body with the client's
// location first.
func (c *Client) locatedBody(op string, in bodier) (json.RawMessage, error) {
	b, err := wireBody(op, in)
	if err != nil {
		return nil, err
	}
	body, err := located(c.locationID, b)
	if err != nil {
		return nil, fmt.Errorf("highlevel: %s: %w", op, err)
	}
	return body, nil
}

// located returns body with "locationId" as its first member (body is a
// JSON object); an empty location leaves body as it is.
func located(locationID string, body []byte) (json.RawMessage, error) {
	if locationID == "" {
		return body, nil
	}
	loc, err := json.Marshal(locationID)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(body)+len(loc)+16)
	out = append(out, `{"locationId":`...)
	out = append(out, loc...)
	if rest := body[1:]; len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
		out = append(out, rest...)
	} else {
		out = append(out, '}')
	}
	return out, nil
}

// recordBody is the JSON of a record write. HighLevel's spec names the
// owner list "owner"; some integrations send "owners" (UNCONFIRMED which the
// API prefers) — it is spelled only here.
type recordBody struct {
	LocationID string                `json:"locationId,omitempty"`
	Properties map[string]FieldValue `json:"properties,omitempty"`
	Owner      []string              `json:"owner,omitempty"`
	Followers  []string              `json:"followers,omitempty"`
}

// recordUpdateBody is the JSON of a record update, where an empty owner
// or followers list is sent (it clears the list) and an absent one is not.
type recordUpdateBody struct {
	Properties map[string]FieldValue `json:"properties,omitempty"`
	Owner      *[]string             `json:"owner,omitempty"`
	Followers  *[]string             `json:"followers,omitempty"`
}

// checkUsers refuses what HighLevel refuses of a record's users: more
// than one owner, more than ten followers.
func checkUsers(op string, owner, followers []string) error {
	if len(owner) > 1 {
		return fmt.Errorf("highlevel: %s: a record has at most one owner", op)
	}
	if len(followers) > maxRecordFollowers {
		return fmt.Errorf("highlevel: %s: a record has at most %d followers", op, maxRecordFollowers)
	}
	return nil
}

// maxRecordFollowers is HighLevel's limit on a record's followers.
const maxRecordFollowers = 10

type recordEnvelope struct {
	Record *Record `json:"record"`
}

func (e *recordEnvelope) get(op string) (*Record, error) {
	if e.Record == nil {
		return nil, &DecodeError{Operation: op, Err: errors.New(`no "record" in response`)}
	}
	return e.Record, nil
}

func recordPath(schemaKey string, id ...string) string {
	if len(id) == 0 {
		return pathf("/objects/%s/records", schemaKey)
	}
	return pathf("/objects/%s/records/%s", schemaKey, id[0])
}

// CreateRecord creates a record of a custom object (POST
// /objects/{schemaKey}/records). A network failure or 5xx gives an error
// matching ErrOutcomeUnknown: search by your external-id property before
// trying again.
func (s *ObjectsService) CreateRecord(ctx context.Context, schemaKey string, in RecordInput) (*Record, error) {
	op := opRecordCreate.name
	if err := requireID(op, "object key", schemaKey); err != nil {
		return nil, err
	}
	if len(in.Properties) == 0 {
		return nil, fmt.Errorf("highlevel: %s: no properties", op)
	}
	if err := checkUsers(op, in.Owner, in.Followers); err != nil {
		return nil, err
	}
	body, err := s.client.locatedBody(op, in)
	if err != nil {
		return nil, err
	}
	var out recordEnvelope
	if err := s.client.do(ctx, call{op: opRecordCreate, path: recordPath(schemaKey), body: body}, &out); err != nil {
		return nil, err
	}
	return out.get(op)
}

// GetRecord returns a record.
func (s *ObjectsService) GetRecord(ctx context.Context, schemaKey, id string) (*Record, error) {
	if err := requireID(opRecordGet.name, "object key", schemaKey); err != nil {
		return nil, err
	}
	if err := requireID(opRecordGet.name, "record id", id); err != nil {
		return nil, err
	}
	var out recordEnvelope
	if err := s.client.do(ctx, call{op: opRecordGet, path: recordPath(schemaKey, id)}, &out); err != nil {
		return nil, err
	}
	return out.get(opRecordGet.name)
}

// UpdateRecord changes a record (PUT /objects/{schemaKey}/records/{id},
// which takes the location as a query parameter) and returns it.
func (s *ObjectsService) UpdateRecord(ctx context.Context, schemaKey, id string, in RecordUpdate) (*Record, error) {
	op := opRecordUpdate.name
	if err := requireID(op, "object key", schemaKey); err != nil {
		return nil, err
	}
	if err := requireID(op, "record id", id); err != nil {
		return nil, err
	}
	if err := checkUsers(op, in.Owner, in.Followers); err != nil {
		return nil, err
	}
	body, err := wireBody(op, in)
	if err != nil {
		return nil, err
	}
	var out recordEnvelope
	if err := s.client.do(ctx, call{op: opRecordUpdate, path: recordPath(schemaKey, id), query: s.locQuery(), body: body}, &out); err != nil {
		return nil, err
	}
	return out.get(op)
}

// DeleteRecord deletes a record; its relations go with it.
func (s *ObjectsService) DeleteRecord(ctx context.Context, schemaKey, id string) error {
	if err := requireID(opRecordDelete.name, "object key", schemaKey); err != nil {
		return err
	}
	if err := requireID(opRecordDelete.name, "record id", id); err != nil {
		return err
	}
	var out succeded
	if err := s.client.do(ctx, call{op: opRecordDelete, path: recordPath(schemaKey, id)}, &out); err != nil {
		return err
	}
	return out.check(opRecordDelete.name)
}

// RecordSearch is a record search.
type RecordSearch struct {
	// Query searches the object's searchable properties ("name:Buddy").
	Query string
	// Filters narrow the results ({Field: "properties.tooth", Operator:
	// "eq", Value: "14"}); HighLevel accepts them though the spec does not
	// document them.
	Filters []SearchFilter
	// PageLimit is the page size, 1 to 100. Default 100.
	PageLimit int
}

// RecordPage is one page of record search results.
type RecordPage struct {
	Records []*Record
	Total   int // -1 when HighLevel did not say
}

// maxRecordPageLimit is the largest pageLimit record search accepts.
const maxRecordPageLimit = 100

// SearchRecordsPage returns one page of a record search (POST
// /objects/{schemaKey}/records/search): by page number within
// MaxSearchWindow, or after a record's SearchAfter cursor.
func (s *ObjectsService) SearchRecordsPage(ctx context.Context, schemaKey string, q RecordSearch, cur SearchCursor) (*RecordPage, error) {
	op := opRecordSearch.name
	if err := requireID(op, "object key", schemaKey); err != nil {
		return nil, err
	}
	limit := q.PageLimit
	if limit == 0 {
		limit = maxRecordPageLimit
	}
	if limit < 1 || limit > maxRecordPageLimit {
		return nil, fmt.Errorf("highlevel: %s: page limit %d out of 1..%d", op, limit, maxRecordPageLimit)
	}
	// HighLevel requires page, query and searchAfter in every body.
	body := struct {
		LocationID  string          `json:"locationId"`
		Page        int             `json:"page"`
		PageLimit   int             `json:"pageLimit"`
		Query       string          `json:"query"`
		SearchAfter json.RawMessage `json:"searchAfter"`
		Filters     []SearchFilter  `json:"filters,omitempty"`
	}{LocationID: s.client.locationID, Page: 1, PageLimit: limit, Query: q.Query, SearchAfter: json.RawMessage("[]"), Filters: q.Filters}
	if len(cur.SearchAfter) > 0 {
		if !json.Valid(cur.SearchAfter) || bytes.TrimSpace(cur.SearchAfter)[0] != '[' {
			return nil, fmt.Errorf("highlevel: %s: SearchAfter must be a JSON array", op)
		}
		body.SearchAfter = cur.SearchAfter
	} else {
		body.Page = max(cur.Page, 1)
		if body.Page*limit > MaxSearchWindow {
			return nil, fmt.Errorf("highlevel: %s: page %d × %d is past the %d-record window; use SearchAfter", op, body.Page, limit, MaxSearchWindow)
		}
	}
	var out struct {
		Records []*Record `json:"records"`
		Total   *float64  `json:"total"`
	}
	if err := s.client.do(ctx, call{op: opRecordSearch, path: recordPath(schemaKey) + "/search", body: body}, &out); err != nil {
		return nil, err
	}
	p := &RecordPage{Records: out.Records, Total: -1}
	if out.Total != nil {
		p.Total = int(*out.Total)
	}
	return p, nil
}

// SearchRecords iterates over every record matching q: page numbers up to
// MaxSearchWindow records, then searchAfter cursors. It stops at the first
// error, which it yields. Memory stays one page.
func (s *ObjectsService) SearchRecords(ctx context.Context, schemaKey string, q RecordSearch) iter.Seq2[*Record, error] {
	return func(yield func(*Record, error) bool) {
		limit := q.PageLimit
		if limit == 0 {
			limit = maxRecordPageLimit
		}
		cur := SearchCursor{Page: 1}
		seen := 0
		for {
			p, err := s.SearchRecordsPage(ctx, schemaKey, q, cur)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, r := range p.Records {
				if !yield(r, nil) {
					return
				}
			}
			seen += len(p.Records)
			if searchDone(len(p.Records), limit, seen, p.Total) {
				return
			}
			if len(cur.SearchAfter) == 0 && (cur.Page+1)*limit <= MaxSearchWindow {
				cur.Page++
				continue
			}
			last := p.Records[len(p.Records)-1].SearchAfter
			if len(last) == 0 || string(last) == "null" {
				yield(nil, fmt.Errorf("highlevel: %s: %w", opRecordSearch.name, ErrNoSearchCursor))
				return
			}
			if bytes.Equal(last, cur.SearchAfter) {
				yield(nil, fmt.Errorf("highlevel: %s: the searchAfter cursor did not advance", opRecordSearch.name))
				return
			}
			cur = SearchCursor{SearchAfter: last}
		}
	}
}

// RecordValueFor is ValueFor for custom object record properties, whose
// MONETORY values are {currency, value} objects: Cents, float64 (currency
// units) and json.Number are wrapped with currency "default".
func RecordValueFor(dt DataType, v any) (FieldValue, error) {
	fv, err := ValueFor(dt, v)
	if err != nil || dt != DataTypeMonetary {
		return fv, err
	}
	return FieldValue{raw: json.RawMessage(`{"currency":"default","value":` + string(fv.raw) + `}`)}, nil
}

// Value encodes v for this field of a record (see RecordValueFor) and,
// for option fields, checks that every value is one of the field's option
// keys, so a bad value is refused before it is sent. Errors name the field
// key, never the value.
func (f *ObjectField) Value(v any) (FieldValue, error) {
	fv, err := RecordValueFor(f.DataType, v)
	if err != nil {
		return FieldValue{}, fmt.Errorf("highlevel: %s: %w", f.FieldKey, err)
	}
	if !isOptionType(f.DataType) || len(f.Options) == 0 || (f.DataType == DataTypeRadio && f.AllowCustomOption) {
		return fv, nil
	}
	var keys []string
	if err := json.Unmarshal(fv.raw, &keys); err != nil {
		var one string
		if json.Unmarshal(fv.raw, &one) != nil {
			return FieldValue{}, fmt.Errorf("highlevel: %s: %w", f.FieldKey, ErrFieldType)
		}
		keys = []string{one}
	}
	for _, k := range keys {
		if !f.hasOption(k) {
			return FieldValue{}, fmt.Errorf("highlevel: %s: %w: a value is not one of the field's %d option keys", f.FieldKey, ErrFieldType, len(f.Options))
		}
	}
	return fv, nil
}

func (f *ObjectField) hasOption(key string) bool {
	for _, o := range f.Options {
		if o.Key == key {
			return true
		}
	}
	return false
}
