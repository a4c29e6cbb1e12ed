package hltest

import (
	"strings"
	"sync"
)

// Location custom values: /locations/{locationId}/customValues. HighLevel
// keeps one value per name (its field key is derived from the name), so a
// second create of the same name is refused, as HighLevel does.

var customValueDTO = newDTO(
	field{name: "name", kind: kString, required: true},
	field{name: "value", kind: kString, required: true},
)

type customValue struct {
	meta
	name, value string
}

func (v *customValue) json(locationID string) map[string]any {
	return map[string]any{"id": v.id, "name": v.name, "value": v.value, "locationId": locationID,
		"fieldKey": "{{ custom_values." + snake(v.name) + " }}"}
}

// customValueStores keeps each location's custom values beside the
// location's own tables (the location state is another file's); entries
// are guarded by the location's mu. A Reset makes new locations, so a
// reset location starts with none.
var customValueStores sync.Map // *location → *table[*customValue]

func customValuesOf(l *location) *table[*customValue] {
	t, _ := customValueStores.LoadOrStore(l, newTable[*customValue]())
	return t.(*table[*customValue])
}

// customValueRoutes registers the custom value operations.
func (s *Server) customValueRoutes(add func(method, pattern string, h handler, query ...string) *route) {
	none := []string{}
	add("GET", "/locations/{locationId}/customValues", s.listCustomValues).query = none
	add("POST", "/locations/{locationId}/customValues", s.createCustomValue).query = none
	add("GET", "/locations/{locationId}/customValues/{id}", s.getCustomValue).query = none
	add("PUT", "/locations/{locationId}/customValues/{id}", s.updateCustomValue).query = none
	add("DELETE", "/locations/{locationId}/customValues/{id}", s.deleteCustomValue).query = none
}

func customValueNamed(t *table[*customValue], name, except string) *customValue {
	var found *customValue
	t.each(func(v *customValue) bool {
		if v.id != except && strings.EqualFold(snake(v.name), snake(name)) {
			found = v
			return false
		}
		return true
	})
	return found
}

func (s *Server) customValueFor(c *call, l *location) (*customValue, *apiError) {
	v, found := customValuesOf(l).get(c.param("id"))
	if !found {
		return nil, errBadRequest("Custom value with id %s not found", c.param("id"))
	}
	return v, nil
}

func (s *Server) listCustomValues(c *call) (response, *apiError) {
	l, err := c.pathLocation()
	if err != nil {
		return fail(err)
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := []map[string]any{}
	customValuesOf(l).each(func(v *customValue) bool {
		out = append(out, v.json(l.cfg.ID))
		return true
	})
	return ok(map[string]any{"customValues": out})
}

func (s *Server) createCustomValue(c *call) (response, *apiError) {
	m, err := customValueDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.pathLocation()
	if err != nil {
		return fail(err)
	}
	name := strings.TrimSpace(str(m, "name"))
	if name == "" {
		return fail(errUnprocessable("name should not be empty"))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	t := customValuesOf(l)
	if customValueNamed(t, name, "") != nil {
		return fail(errBadRequest("Custom value with name %s already exists", name))
	}
	v := &customValue{meta: s.newMeta(l, c.now), name: name, value: str(m, "value")}
	t.put(v)
	return created(map[string]any{"customValue": v.json(l.cfg.ID)})
}

func (s *Server) getCustomValue(c *call) (response, *apiError) {
	l, err := c.pathLocation()
	if err != nil {
		return fail(err)
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	v, err := s.customValueFor(c, l)
	if err != nil {
		return fail(err)
	}
	return ok(map[string]any{"customValue": v.json(l.cfg.ID)})
}

func (s *Server) updateCustomValue(c *call) (response, *apiError) {
	m, err := customValueDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.pathLocation()
	if err != nil {
		return fail(err)
	}
	name := strings.TrimSpace(str(m, "name"))
	if name == "" {
		return fail(errUnprocessable("name should not be empty"))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	v, err := s.customValueFor(c, l)
	if err != nil {
		return fail(err)
	}
	if customValueNamed(customValuesOf(l), name, v.id) != nil {
		return fail(errBadRequest("Custom value with name %s already exists", name))
	}
	v.name, v.value = name, str(m, "value")
	s.touch(&v.meta, c.now)
	return ok(map[string]any{"customValue": v.json(l.cfg.ID)})
}

func (s *Server) deleteCustomValue(c *call) (response, *apiError) {
	l, err := c.pathLocation()
	if err != nil {
		return fail(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	v, err := s.customValueFor(c, l)
	if err != nil {
		return fail(err)
	}
	customValuesOf(l).remove(v.id)
	return ok(map[string]any{"succeded": true})
}
