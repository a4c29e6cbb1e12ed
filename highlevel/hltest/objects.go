package hltest

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// standardObjects are the schemas every location has.
var standardObjects = []struct{ key, singular, plural, primary string }{
	{"contact", "Contact", "Contacts", "contact.name"},
	{"opportunity", "Opportunity", "Opportunities", "opportunity.name"},
	{"business", "Company", "Companies", "business.name"},
}

type objectSchema struct {
	meta
	key, singular, plural, description, primaryKey string
	standard                                       bool
	searchable                                     []string
}

func (o *objectSchema) json(locationID string) map[string]any {
	out := map[string]any{
		"id": o.id, "standard": o.standard, "key": o.key,
		"labels":     map[string]any{"singular": o.singular, "plural": o.plural},
		"locationId": locationID, "primaryDisplayProperty": o.primaryKey,
		"dateAdded": iso(o.added), "dateUpdated": iso(o.updated),
	}
	if o.description != "" {
		out["description"] = o.description
	}
	if len(o.searchable) > 0 {
		out["searchableProperties"] = o.searchable
	}
	return out
}

type fieldFolder struct {
	meta
	name, objectKey string
}

func (f *fieldFolder) json(locationID string) map[string]any {
	return map[string]any{"id": f.id, "name": f.name, "objectKey": f.objectKey, "locationId": locationID}
}

// seedStandardObjects gives a new location its standard schemas and a
// default field folder for business and each custom object, so
// POST /custom-fields/ has a parentId to use.
func (s *Server) seedStandardObjects(l *location) {
	now := s.clock()
	for _, so := range standardObjects {
		o := &objectSchema{meta: s.newMeta(l, now), key: so.key, singular: so.singular, plural: so.plural,
			primaryKey: so.primary, standard: true}
		l.schemas[so.key] = o
	}
	l.folders.put(&fieldFolder{meta: s.newMeta(l, now), name: "Company Details", objectKey: "business"})
}

var objectKeyRE = regexp.MustCompile(`^custom_objects\.[a-z][a-z0-9_]{0,62}$`)

var createSchemaDTO = newDTO(
	field{name: "labels", kind: kObject, required: true, nested: newDTO(
		field{name: "singular", kind: kString, required: true},
		field{name: "plural", kind: kString, required: true},
	)},
	field{name: "key", kind: kString, required: true},
	field{name: "description", kind: kString},
	field{name: "locationId", kind: kString, required: true},
	field{name: "primaryDisplayPropertyDetails", kind: kObject, required: true, nested: newDTO(
		field{name: "key", kind: kString, required: true},
		field{name: "name", kind: kString, required: true},
		field{name: "dataType", kind: kString, required: true, enum: []string{"TEXT", "NUMERICAL"}},
	)},
)

var updateSchemaDTO = newDTO(
	field{name: "labels", kind: kObject, nested: newDTO(
		field{name: "singular", kind: kString},
		field{name: "plural", kind: kString},
	)},
	field{name: "description", kind: kString, nullable: true},
	field{name: "locationId", kind: kString, required: true},
	field{name: "searchableProperties", kind: kStrings, required: true},
)

func (s *Server) createSchema(c *call) (response, *apiError) {
	m, err := createSchemaDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.scope(str(m, "locationId"))
	if err != nil {
		return fail(err)
	}
	key := strings.ToLower(str(m, "key"))
	if !objectKeyRE.MatchString(key) {
		return fail(errBadRequest("key must look like custom_objects.<name> (lowercase letters, digits, underscores)"))
	}
	labels := m["labels"].(map[string]any)
	pd := m["primaryDisplayPropertyDetails"].(map[string]any)
	pkey := str(pd, "key")
	if !strings.HasPrefix(pkey, key+".") {
		pkey = key + "." + pkey
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, exists := l.schemas[key]; exists {
		return fail(errBadRequest("Custom object with key %s already exists", key))
	}
	o := &objectSchema{meta: s.newMeta(l, c.now), key: key, singular: str(labels, "singular"),
		plural: str(labels, "plural"), description: str(m, "description"), primaryKey: pkey}
	l.schemas[key] = o
	l.records[key] = newTable[*record]()
	folder := &fieldFolder{meta: s.newMeta(l, c.now), name: o.singular + " Details", objectKey: key}
	l.folders.put(folder)
	l.fields.put(&customField{meta: s.newMeta(l, c.now), name: str(pd, "name"), fieldKey: pkey,
		dataType: str(pd, "dataType"), objectKey: key, model: key, parentID: folder.id, v2: true, showInForms: true})
	return created(map[string]any{"object": o.json(l.cfg.ID)})
}

func (s *Server) listSchemas(c *call) (response, *apiError) {
	l, err := c.scope(c.q("locationId"))
	if err != nil {
		return fail(err)
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	return ok(map[string]any{"objects": l.schemaList()})
}

func (l *location) schemaList() []map[string]any {
	list := slices.Collect(maps.Values(l.schemas))
	slices.SortFunc(list, func(a, b *objectSchema) int { return int(a.seq) - int(b.seq) })
	out := make([]map[string]any, len(list))
	for i, o := range list {
		out[i] = o.json(l.cfg.ID)
	}
	return out
}

func (s *Server) schemaFor(c *call, l *location, key string) (*objectSchema, *apiError) {
	o, found := l.schemas[strings.ToLower(key)]
	if !found {
		return nil, errBadRequest("Object schema with key %s not found", key)
	}
	return o, nil
}

func (s *Server) getSchema(c *call) (response, *apiError) {
	l, err := c.scope(c.q("locationId"))
	if err != nil {
		return fail(err)
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	o, err := s.schemaFor(c, l, c.param("key"))
	if err != nil {
		return fail(err)
	}
	fields := []map[string]any{}
	l.fields.each(func(f *customField) bool {
		if f.v2 && f.objectKey == o.key {
			fields = append(fields, f.v2JSON(l.cfg.ID))
		}
		return true
	})
	return ok(map[string]any{"object": o.json(l.cfg.ID), "cache": false, "fields": fields})
}

func (s *Server) updateSchema(c *call) (response, *apiError) {
	m, err := updateSchemaDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.scope(str(m, "locationId"))
	if err != nil {
		return fail(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	o, err := s.schemaFor(c, l, c.param("key"))
	if err != nil {
		return fail(err)
	}
	if o.standard {
		return fail(errBadRequest("Standard objects cannot be updated"))
	}
	if lb, ok := m["labels"].(map[string]any); ok {
		if v := str(lb, "singular"); v != "" {
			o.singular = v
		}
		if v := str(lb, "plural"); v != "" {
			o.plural = v
		}
	}
	if has(m, "description") {
		o.description = str(m, "description")
	}
	if has(m, "searchableProperties") {
		o.searchable = strs(m, "searchableProperties")
	}
	s.touch(&o.meta, c.now)
	return ok(map[string]any{"object": o.json(l.cfg.ID)})
}

// Custom object records

type record struct {
	meta
	schemaKey string
	props     map[string]any
	owner     []string
	followers []string
	createdBy actor
}

func (r *record) json() map[string]any {
	return map[string]any{"id": r.id, "owner": nonNil(r.owner), "followers": nonNil(r.followers),
		"properties": r.props, "dateAdded": iso(r.added), "dateUpdated": iso(r.updated)}
}

func (r *record) searchJSON(locationID string, o *objectSchema) map[string]any {
	by := map[string]any{"channel": "API", "createdAt": iso(r.added),
		"source": r.createdBy.source, "sourceId": r.createdBy.sourceID}
	return map[string]any{"id": r.id, "owner": nonNil(r.owner), "followers": nonNil(r.followers),
		"properties": r.props, "createdAt": iso(r.added), "updatedAt": iso(r.updated),
		"locationId": locationID, "objectId": o.id, "objectKey": o.key,
		"createdBy": by, "lastUpdatedBy": by, "searchAfter": []any{r.added.UnixMilli(), r.id}}
}

var createRecordDTO = newDTO(
	field{name: "locationId", kind: kString, required: true},
	field{name: "properties", kind: kObject, required: true},
	field{name: "owner", kind: kStrings},
	field{name: "followers", kind: kStrings},
)

var updateRecordDTO = createRecordDTO.without("locationId").with(field{name: "properties", kind: kObject})

// recordProps checks properties against the schema's fields: keys are
// field keys without the "custom_objects.<object>." prefix.
func (l *location) recordProps(o *objectSchema, props map[string]any, requirePrimary bool) (map[string]any, *apiError) {
	byKey := map[string]*customField{}
	l.fields.each(func(f *customField) bool {
		if f.v2 && f.objectKey == o.key {
			byKey[strings.TrimPrefix(f.fieldKey, o.key+".")] = f
		}
		return true
	})
	out := map[string]any{}
	var msgs []string
	for _, k := range sortedKeys(props) {
		f := byKey[k]
		if f == nil {
			msgs = append(msgs, fmt.Sprintf("properties.%s is not a field of %s", k, o.key))
			continue
		}
		v := props[k]
		if v == nil {
			out[k] = nil
			continue
		}
		val, msg := coerceValue(f, v, "properties."+k)
		if msg != "" {
			msgs = append(msgs, msg)
			continue
		}
		out[k] = val
	}
	if requirePrimary {
		pk := strings.TrimPrefix(o.primaryKey, o.key+".")
		if v, ok := out[pk]; !ok || v == nil || v == "" {
			msgs = append(msgs, fmt.Sprintf("properties.%s should not be empty", pk))
		}
	}
	if len(msgs) > 0 {
		return nil, errUnprocessable(msgs...)
	}
	return out, nil
}

// checkUsers checks a record's owner and followers as HighLevel does: at
// most one owner and ten followers (the spec's "limited to 1", "limited
// to 10"), each a user of the location.
func (s *Server) checkUsers(l *location, owners, followers []string) *apiError {
	if len(owners) > 1 {
		return errUnprocessable("owner must contain no more than 1 elements")
	}
	if len(followers) > 10 {
		return errUnprocessable("followers must contain no more than 10 elements")
	}
	for _, u := range append(slices.Clip(owners), followers...) {
		if !s.userInLocation(u, l.cfg.ID) {
			return errBadRequest("User with id %s not found in this location", u)
		}
	}
	return nil
}

func (s *Server) customSchema(c *call, l *location) (*objectSchema, *apiError) {
	key := c.param("schemaKey")
	o, found := l.schemas[strings.ToLower(key)]
	if !found {
		// Live HighLevel answers the record routes (search, PUT, …) on an
		// unknown key with a 404 naming the key, not the schema routes' 400.
		return nil, errNotFound("Custom Object (%s) not found", key)
	}
	if o.standard {
		return nil, errBadRequest("Records of standard object %s are served by their own API", o.key)
	}
	return o, nil
}

func (s *Server) createRecord(c *call) (response, *apiError) {
	m, err := createRecordDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.scope(str(m, "locationId"))
	if err != nil {
		return fail(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	o, err := s.customSchema(c, l)
	if err != nil {
		return fail(err)
	}
	props, err := l.recordProps(o, m["properties"].(map[string]any), true)
	if err != nil {
		return fail(err)
	}
	owners, followers := strs(m, "owner"), strs(m, "followers")
	if err := s.checkUsers(l, owners, followers); err != nil {
		return fail(err)
	}
	for k, v := range props {
		if v == nil {
			delete(props, k)
		}
	}
	r := &record{meta: s.newMeta(l, c.now), schemaKey: o.key, props: props, owner: owners,
		followers: followers, createdBy: c.actor()}
	l.records[o.key].put(r)
	return created(map[string]any{"record": r.json()})
}

func (s *Server) recordFor(c *call, l *location) (*objectSchema, *record, *apiError) {
	o, err := s.customSchema(c, l)
	if err != nil {
		return nil, nil, err
	}
	r, err := find(c, l, l.records[o.key], c.param("id"), notFound("Record"))
	if err != nil {
		return nil, nil, err
	}
	return o, r, nil
}

func (s *Server) getRecord(c *call) (response, *apiError) {
	l := c.loc
	l.mu.RLock()
	defer l.mu.RUnlock()
	_, r, err := s.recordFor(c, l)
	if err != nil {
		return fail(err)
	}
	return ok(map[string]any{"record": r.json()})
}

func (s *Server) updateRecord(c *call) (response, *apiError) {
	m, err := updateRecordDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.scope(c.q("locationId"))
	if err != nil {
		return fail(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	o, r, err := s.recordFor(c, l)
	if err != nil {
		return fail(err)
	}
	// Everything is checked before anything changes: a refused update
	// leaves the record as it was.
	var props map[string]any
	if p, ok := m["properties"].(map[string]any); ok {
		if props, err = l.recordProps(o, p, false); err != nil {
			return fail(err)
		}
	}
	owners, followers := r.owner, r.followers
	if has(m, "owner") {
		owners = strs(m, "owner")
	}
	if has(m, "followers") {
		followers = strs(m, "followers")
	}
	if err := s.checkUsers(l, owners, followers); err != nil {
		return fail(err)
	}
	if props != nil {
		r.props = mergeCustomValues(maps.Clone(r.props), props)
	}
	r.owner, r.followers = owners, followers
	s.touch(&r.meta, c.now)
	return ok(map[string]any{"record": r.json()})
}

func (s *Server) deleteRecord(c *call) (response, *apiError) {
	l := c.loc
	l.mu.Lock()
	defer l.mu.Unlock()
	o, r, err := s.recordFor(c, l)
	if err != nil {
		return fail(err)
	}
	l.records[o.key].remove(r.id)
	l.dropRelationsOf(r.id)
	return ok(map[string]any{"id": r.id, "success": true})
}

// searchRecordsDTO is SearchRecordsBody. The spec requires page, query and
// searchAfter together; live HighLevel takes page or searchAfter, and query
// is optional (calls with {locationId, page, pageLimit} succeed).
var searchRecordsDTO = newDTO(
	field{name: "locationId", kind: kString, required: true},
	field{name: "page", kind: kNumber},
	field{name: "pageLimit", kind: kNumber, required: true},
	field{name: "query", kind: kString, allowEmpty: true},
	field{name: "searchAfter", kind: kArray},
	field{name: "filters", kind: kArray, nested: newDTO(
		field{name: "field", kind: kString, required: true},
		field{name: "operator", kind: kString, required: true, enum: []string{"eq", "not_eq", "contains", "exists"}},
		field{name: "value", kind: kAny},
	)},
	field{name: "sort", kind: kArray},
)

func (s *Server) searchRecords(c *call) (response, *apiError) {
	m, err := searchRecordsDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	var msgs []string
	if _, hasPage := m["page"]; !hasPage {
		if _, hasCursor := m["searchAfter"]; !hasCursor {
			msgs = append(msgs, "page or searchAfter must be provided")
		}
	}
	page, limit := integer(m, "page", 1), integer(m, "pageLimit", 10)
	if page < 1 {
		msgs = append(msgs, "page must not be less than 1")
	}
	if limit < 1 || limit > 100 {
		msgs = append(msgs, "pageLimit must not be greater than 100")
	}
	if len(msgs) > 0 {
		return fail(errUnprocessable(msgs...))
	}
	l, err := c.scope(str(m, "locationId"))
	if err != nil {
		return fail(err)
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	o, err := s.customSchema(c, l)
	if err != nil {
		return fail(err)
	}
	q := strings.ToLower(str(m, "query"))
	filters, _ := m["filters"].([]any)
	// The cursor is [createdAt ms, record id], as live HighLevel answers
	// (the spec's own example: [1738683828372, "67a235b49b289431bcf657f8"]).
	var cursorMs float64
	var cursorID string
	cursorSet := false
	if sa, _ := m["searchAfter"].([]any); len(sa) > 0 {
		var ok1, ok2 bool
		cursorMs, ok1 = rangeBound(sa[0])
		if len(sa) == 2 {
			cursorID, ok2 = sa[1].(string)
		}
		if !ok1 || !ok2 {
			return fail(errUnprocessable("searchAfter must be the searchAfter value of a previous record"))
		}
		cursorSet = true
	}
	var hits []*record
	total := 0
	l.records[o.key].each(func(r *record) bool {
		if c.now.Before(r.visibleAt) {
			return true
		}
		if q != "" && !recordMatches(r, q) {
			return true
		}
		for _, f := range filters {
			if !recordFilter(r, o, f.(map[string]any)) {
				return true
			}
		}
		total++
		hits = append(hits, r)
		return true
	})
	sortByStamp(hits)
	if cursorSet {
		hits = hits[afterStamp(hits, int64(cursorMs), cursorID):]
	} else {
		hits = hits[min((page-1)*limit, len(hits)):]
	}
	hits = hits[:min(limit, len(hits))]
	out := make([]map[string]any, len(hits))
	for i, r := range hits {
		out[i] = r.searchJSON(l.cfg.ID, o)
	}
	return ok(map[string]any{"records": out, "total": total})
}

func recordMatches(r *record, q string) bool {
	for _, v := range r.props {
		if s, ok := v.(string); ok && strings.Contains(strings.ToLower(s), q) {
			return true
		}
	}
	return false
}

func recordFilter(r *record, o *objectSchema, f map[string]any) bool {
	key := strings.TrimPrefix(strings.TrimPrefix(str(f, "field"), "properties."), o.key+".")
	v, set := r.props[key]
	switch str(f, "operator") {
	case "exists":
		return set && !isEmptyValue(v)
	case "contains":
		want, _ := f["value"].(string)
		s, _ := v.(string)
		return strings.Contains(strings.ToLower(s), strings.ToLower(want))
	}
	want, _ := scalar(f["value"])
	eq := false
	switch x := v.(type) {
	case string:
		eq = strings.ToLower(x) == want
	case float64:
		eq = valueEquals(x, want)
	case []string:
		eq = valueEquals(x, want)
	}
	if str(f, "operator") == "not_eq" {
		return !eq
	}
	return eq
}
