package hltest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxSearchWindow is how deep page/pageLimit may reach; beyond it
// HighLevel requires searchAfter.
const maxSearchWindow = 10_000

var searchFilterDTO = newDTO(
	field{name: "field", kind: kString},
	field{name: "operator", kind: kString},
	field{name: "value", kind: kAny},
	field{name: "group", kind: kString, enum: []string{"AND", "OR"}},
	field{name: "filters", kind: kArray},
)

var searchContactsDTO = newDTO(
	field{name: "locationId", kind: kString, required: true},
	field{name: "page", kind: kNumber},
	field{name: "pageLimit", kind: kNumber},
	field{name: "searchAfter", kind: kArray},
	field{name: "filters", kind: kArray, nested: searchFilterDTO},
	field{name: "sort", kind: kArray, nested: newDTO(
		field{name: "field", kind: kString, required: true},
		field{name: "direction", kind: kString, required: true, enum: []string{"asc", "desc"}},
	)},
	field{name: "query", kind: kString},
)

// filter is a compiled search filter.
type filter func(c *contact) bool

var filterOperators = []string{"eq", "not_eq", "contains", "not_contains", "exists", "not_exists", "range"}

// contactValue returns the searchable value of a field: a string, a
// float64, a []string, or nil when unset.
func contactValue(c *contact, field string) (any, bool) {
	if id, ok := strings.CutPrefix(field, "customFields."); ok {
		v, set := c.cf[id]
		if !set {
			return nil, true
		}
		return v, true
	}
	switch field {
	case "id":
		return c.id, true
	case "tags":
		return c.tags, true
	case "dnd":
		return strconv.FormatBool(c.dnd), true
	case "dateAdded":
		return float64(c.added.UnixMilli()), true
	case "dateUpdated":
		return float64(c.updated.UnixMilli()), true
	case "dateOfBirth":
		if c.dob == "" {
			return nil, true
		}
		return c.dob, true
	case "firstNameLowerCase", "lastNameLowerCase", "emailLowerCase":
		v := c.f[strings.TrimSuffix(field, "LowerCase")]
		if v == "" {
			return nil, true
		}
		return strings.ToLower(v), true
	case "fullNameLowerCase", "name":
		if n := c.fullName(); n != "" {
			return strings.ToLower(n), true
		}
		return nil, true
	case "businessId", "firstName", "lastName", "email", "phone", "address1", "city", "state",
		"postalCode", "country", "source", "companyName", "assignedTo", "website", "timezone", "gender":
		v := c.f[field]
		if v == "" {
			return nil, true
		}
		return v, true
	}
	return nil, false
}

func compileFilters(raw []any, path string) ([]filter, []string) {
	var out []filter
	var msgs []string
	for i, r := range raw {
		m, _ := r.(map[string]any)
		p := fmt.Sprintf("%s.%d", path, i)
		if g := str(m, "group"); g != "" {
			sub, _ := m["filters"].([]any)
			fs, ms := compileFilters(sub, p+".filters")
			msgs = append(msgs, ms...)
			if g == "OR" {
				out = append(out, func(c *contact) bool {
					for _, f := range fs {
						if f(c) {
							return true
						}
					}
					return len(fs) == 0
				})
			} else {
				out = append(out, andFilter(fs))
			}
			continue
		}
		f, msg := compileFilter(m, p)
		if msg != "" {
			msgs = append(msgs, msg)
			continue
		}
		out = append(out, f)
	}
	return out, msgs
}

func andFilter(fs []filter) filter {
	return func(c *contact) bool {
		for _, f := range fs {
			if !f(c) {
				return false
			}
		}
		return true
	}
}

func compileFilter(m map[string]any, p string) (filter, string) {
	fieldName, op := str(m, "field"), str(m, "operator")
	if fieldName == "" {
		return nil, p + ".field should not be empty"
	}
	if !slices.Contains(filterOperators, op) {
		return nil, p + ".operator must be one of the following values: " + strings.Join(filterOperators, ", ")
	}
	if _, known := contactValue(&contact{f: map[string]string{}}, fieldName); !known {
		return nil, fmt.Sprintf("%s.field %s is not a searchable field", p, fieldName)
	}
	val := m["value"]
	get := func(c *contact) any { v, _ := contactValue(c, fieldName); return v }
	switch op {
	case "exists":
		return func(c *contact) bool { return !isEmptyValue(get(c)) }, ""
	case "not_exists":
		return func(c *contact) bool { return isEmptyValue(get(c)) }, ""
	case "eq", "not_eq":
		want, ok := scalar(val)
		if !ok {
			return nil, p + ".value must be a string, number or boolean"
		}
		eq := func(c *contact) bool { return valueEquals(get(c), want) }
		if op == "eq" {
			return eq, ""
		}
		return func(c *contact) bool { return !eq(c) }, ""
	case "contains", "not_contains":
		want, ok := val.(string)
		if !ok {
			return nil, p + ".value must be a string"
		}
		want = strings.ToLower(want)
		con := func(c *contact) bool { return valueContains(get(c), want) }
		if op == "contains" {
			return con, ""
		}
		return func(c *contact) bool { return !con(c) }, ""
	case "range":
		rm, ok := val.(map[string]any)
		if !ok {
			return nil, p + ".value must be an object with gt, gte, lt or lte"
		}
		bounds := map[string]float64{}
		for _, k := range []string{"gt", "gte", "lt", "lte"} {
			if b, ok := rangeBound(rm[k]); ok {
				bounds[k] = b
			} else if rm[k] != nil {
				return nil, fmt.Sprintf("%s.value.%s must be a number or a date", p, k)
			}
		}
		return func(c *contact) bool {
			x, ok := rangeBound(get(c))
			if !ok {
				return false
			}
			for k, b := range bounds {
				if (k == "gt" && !(x > b)) || (k == "gte" && !(x >= b)) || (k == "lt" && !(x < b)) || (k == "lte" && !(x <= b)) {
					return false
				}
			}
			return true
		}, ""
	}
	return nil, p + ".operator is not supported"
}

func isEmptyValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []string:
		return len(x) == 0
	}
	return false
}

// scalar turns a JSON filter value into a comparable string.
func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return strings.ToLower(x), true
	case json.Number:
		f, err := x.Float64()
		return strconv.FormatFloat(f, 'f', -1, 64), err == nil
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

func valueEquals(v any, want string) bool {
	switch x := v.(type) {
	case string:
		return strings.ToLower(x) == want
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64) == want
	case []string:
		for _, s := range x {
			if strings.ToLower(s) == want {
				return true
			}
		}
	}
	return false
}

func valueContains(v any, want string) bool {
	switch x := v.(type) {
	case string:
		return strings.Contains(strings.ToLower(x), want)
	case []string:
		for _, s := range x {
			if strings.Contains(strings.ToLower(s), want) {
				return true
			}
		}
	}
	return false
}

// rangeBound reads a number, a numeric string, or a date (as epoch ms).
func rangeBound(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return f, true
		}
		for _, l := range []string{"2006-01-02", time.RFC3339, isoMillis} {
			if t, err := time.Parse(l, x); err == nil {
				return float64(t.UnixMilli()), true
			}
		}
	}
	return 0, false
}

// sortSpec orders contacts for search: by the sort value (ms), then id, as
// HighLevel's [value, id] searchAfter cursor does. The default sort
// (dateAdded asc) is creation order but for records created in one
// millisecond, so paging sorts only those (sortByStamp).
type sortSpec struct {
	field string
	desc  bool
}

func (s sortSpec) key(c *contact) float64 {
	if s.field == "dateUpdated" {
		return float64(c.updated.UnixMilli())
	}
	return float64(c.added.UnixMilli())
}

func (s sortSpec) cmp(a *contact, kb float64, idb string) int {
	ka := s.key(a)
	c := cmp.Compare(ka, kb)
	if c == 0 {
		c = cmp.Compare(a.id, idb)
	}
	if s.desc {
		return -c
	}
	return c
}

// after reports whether c comes after the searchAfter cursor [value, id].
// The cursor alone names the position: its contact may since be gone.
func (s sortSpec) after(c *contact, v float64, id string) bool {
	return s.cmp(c, v, id) > 0
}

func (s *Server) searchContacts(c *call) (response, *apiError) {
	m, err := searchContactsDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.scope(str(m, "locationId"))
	if err != nil {
		return fail(err)
	}
	page, limit := integer(m, "page", 1), integer(m, "pageLimit", 20)
	var msgs []string
	if page < 1 {
		msgs = append(msgs, "page must not be less than 1")
	}
	if limit < 1 || limit > 500 {
		msgs = append(msgs, "pageLimit must not be greater than 500", "pageLimit must not be less than 1")
	}
	raw, _ := m["filters"].([]any)
	filters, fmsgs := compileFilters(raw, "filters")
	msgs = append(msgs, fmsgs...)
	spec := sortSpec{field: "dateAdded"}
	if srt, _ := m["sort"].([]any); len(srt) > 0 {
		sm, _ := srt[0].(map[string]any)
		spec.field, spec.desc = str(sm, "field"), str(sm, "direction") == "desc"
		if spec.field != "dateAdded" && spec.field != "dateUpdated" {
			msgs = append(msgs, "sort.0.field must be one of the following values: dateAdded, dateUpdated")
		}
	}
	var cursorSet bool
	var cursorV float64
	var cursorID string
	if sa, _ := m["searchAfter"].([]any); len(sa) > 0 {
		v, okV := rangeBound(sa[0])
		id, okID := "", len(sa) < 2
		if len(sa) >= 2 {
			id, okID = sa[1].(string)
		}
		if !okV || !okID {
			msgs = append(msgs, "searchAfter must be the searchAfter value of a previous result")
		}
		cursorSet, cursorV, cursorID = true, v, id
	}
	if len(msgs) > 0 {
		return fail(errUnprocessable(msgs...))
	}
	if !cursorSet && page*limit > maxSearchWindow {
		return fail(errBadRequest("page * pageLimit must not exceed %d; use searchAfter to read further", maxSearchWindow))
	}
	query := strings.ToLower(str(m, "query"))

	l.mu.RLock()
	defer l.mu.RUnlock()
	var hits []*contact
	l.contacts.each(func(ct *contact) bool {
		if c.now.Before(ct.visibleAt) {
			return true
		}
		for _, f := range filters {
			if !f(ct) {
				return true
			}
		}
		if query != "" && !contactMatchesQuery(ct, query) {
			return true
		}
		hits = append(hits, ct)
		return true
	})
	if spec.field == "dateAdded" && !spec.desc {
		sortByStamp(hits)
	} else {
		slices.SortFunc(hits, func(a, b *contact) int { return spec.cmp(a, spec.key(b), b.id) })
	}
	total := len(hits)
	if cursorSet {
		i, _ := slices.BinarySearchFunc(hits, struct{}{}, func(ct *contact, _ struct{}) int {
			if spec.after(ct, cursorV, cursorID) {
				return 1
			}
			return -1
		})
		hits = hits[i:]
	} else {
		hits = hits[min((page-1)*limit, len(hits)):]
	}
	hits = hits[:min(limit, len(hits))]
	out := make([]map[string]any, len(hits))
	for i, ct := range hits {
		j := ct.json(l.cfg.ID)
		j["searchAfter"] = []any{spec.key(ct), ct.id}
		out[i] = j
	}
	return ok(map[string]any{"contacts": out, "total": total})
}

func contactMatchesQuery(c *contact, q string) bool {
	for _, k := range []string{"firstName", "lastName", "email", "phone", "companyName"} {
		if strings.Contains(strings.ToLower(c.f[k]), q) {
			return true
		}
	}
	return strings.Contains(strings.ToLower(c.fullName()), q)
}

func (s *Server) duplicateContact(c *call) (response, *apiError) {
	l, err := c.scope(c.q("locationId"))
	if err != nil {
		return fail(err)
	}
	email, number := c.q("email"), c.q("number")
	if number != "" {
		if n, ok := normalizePhone(number); ok {
			number = n
		}
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	dup, _ := l.firstMatch(email, number, nil)
	if dup == nil || c.now.Before(dup.visibleAt) {
		return ok(map[string]any{"contact": nil})
	}
	return ok(map[string]any{"contact": dup.json(l.cfg.ID)})
}

// listContacts is the deprecated GET /contacts/ (limit ≤ 100, cursor
// startAfter + startAfterId, oldest first).
func (s *Server) listContacts(c *call) (response, *apiError) {
	l, err := c.scope(c.q("locationId"))
	if err != nil {
		return fail(err)
	}
	limit := 20
	if v := c.q("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return fail(errUnprocessable("limit must not be greater than 100"))
		}
		limit = n
	}
	var afterMs int64 = -1
	if v := c.q("startAfter"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fail(errUnprocessable("startAfter must be a number"))
		}
		afterMs = n
	}
	afterID := c.q("startAfterId")
	query := strings.ToLower(c.q("query"))
	l.mu.RLock()
	defer l.mu.RUnlock()
	// Contacts are listed oldest first, in cursor order (dateAdded ms, id):
	// the cursor resumes after (startAfter, startAfterId) whether or not
	// that contact still exists.
	var hits []*contact
	l.contacts.each(func(ct *contact) bool {
		if c.now.Before(ct.visibleAt) || (query != "" && !contactMatchesQuery(ct, query)) {
			return true
		}
		hits = append(hits, ct)
		return true
	})
	sortByStamp(hits)
	total := len(hits)
	if afterMs >= 0 {
		hits = hits[afterStamp(hits, afterMs, afterID):]
	}
	page := hits[:min(limit, len(hits))]
	out := make([]map[string]any, len(page))
	for i, ct := range page {
		out[i] = ct.json(l.cfg.ID)
	}
	meta := map[string]any{"total": total, "currentPage": 1}
	if len(page) == limit {
		last := page[len(page)-1]
		meta["startAfterId"] = last.id
		meta["startAfter"] = last.added.UnixMilli()
		meta["nextPageUrl"] = fmt.Sprintf("%s/contacts/?locationId=%s&startAfter=%d&startAfterId=%s&limit=%d",
			c.s.URL, l.cfg.ID, last.added.UnixMilli(), last.id, limit)
	}
	return ok(map[string]any{"contacts": out, "meta": meta})
}

func (s *Server) contactsByBusiness(c *call) (response, *apiError) {
	l, err := c.scope(c.q("locationId"))
	if err != nil {
		return fail(err)
	}
	limit, skip := atoiDefault(c.q("limit"), 25), atoiDefault(c.q("skip"), 0)
	bid := c.param("businessId")
	query := strings.ToLower(c.q("query"))
	l.mu.RLock()
	defer l.mu.RUnlock()
	var out []map[string]any
	n := 0
	l.contacts.each(func(ct *contact) bool {
		if ct.f["businessId"] != bid || (query != "" && !contactMatchesQuery(ct, query)) {
			return true
		}
		if n >= skip && len(out) < limit {
			out = append(out, ct.json(l.cfg.ID))
		}
		n++
		return true
	})
	return ok(map[string]any{"contacts": nonNil(out), "count": n})
}

func atoiDefault(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return n
	}
	return def
}
