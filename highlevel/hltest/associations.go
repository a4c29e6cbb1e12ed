package hltest

import (
	"slices"
	"strings"
)

type association struct {
	meta
	key, firstKey, firstLabel, secondKey, secondLabel string
	system                                            bool
}

func (a *association) json(locationID string) map[string]any {
	typ := "USER_DEFINED"
	if a.system {
		typ = "SYSTEM_DEFINED"
	}
	return map[string]any{"id": a.id, "locationId": locationID, "key": a.key,
		"firstObjectKey": a.firstKey, "firstObjectLabel": a.firstLabel,
		"secondObjectKey": a.secondKey, "secondObjectLabel": a.secondLabel, "associationType": typ}
}

type relation struct {
	meta
	associationID, firstID, secondID string
}

func (r *relation) json(locationID string) map[string]any {
	return map[string]any{"id": r.id, "associationId": r.associationID, "firstRecordId": r.firstID,
		"secondRecordId": r.secondID, "locationId": locationID, "createdAt": iso(r.added)}
}

var createAssociationDTO = newDTO(
	field{name: "locationId", kind: kString, required: true},
	field{name: "key", kind: kString, required: true},
	field{name: "firstObjectLabel", kind: kString, required: true},
	field{name: "firstObjectKey", kind: kString, required: true},
	field{name: "secondObjectLabel", kind: kString, required: true},
	field{name: "secondObjectKey", kind: kString, required: true},
)

var updateAssociationDTO = newDTO(
	field{name: "firstObjectLabel", kind: kString, required: true},
	field{name: "secondObjectLabel", kind: kString, required: true},
)

var createRelationDTO = newDTO(
	field{name: "locationId", kind: kString, required: true},
	field{name: "associationId", kind: kString, required: true},
	field{name: "firstRecordId", kind: kString, required: true},
	field{name: "secondRecordId", kind: kString, required: true},
)

func (s *Server) createAssociation(c *call) (response, *apiError) {
	m, err := createAssociationDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.scope(str(m, "locationId"))
	if err != nil {
		return fail(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	first, second := strings.ToLower(str(m, "firstObjectKey")), strings.ToLower(str(m, "secondObjectKey"))
	for _, k := range []string{first, second} {
		if _, found := l.schemas[k]; !found {
			return fail(errBadRequest("Object with key %s not found", k))
		}
	}
	key := str(m, "key")
	if l.associationByKey(key) != nil {
		return fail(errBadRequest("Association with key %s already exists", key))
	}
	a := &association{meta: s.newMeta(l, c.now), key: key, firstKey: first, firstLabel: str(m, "firstObjectLabel"),
		secondKey: second, secondLabel: str(m, "secondObjectLabel")}
	l.assocs.put(a)
	return created(a.json(l.cfg.ID))
}

func (l *location) associationByKey(key string) *association {
	var found *association
	l.assocs.each(func(a *association) bool {
		if a.key == key {
			found = a
		}
		return found == nil
	})
	return found
}

func (s *Server) listAssociations(c *call) (response, *apiError) {
	l, err := c.scope(c.q("locationId"))
	if err != nil {
		return fail(err)
	}
	skip, limit := atoiDefault(c.q("skip"), 0), atoiDefault(c.q("limit"), 100)
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := []map[string]any{}
	n := 0
	l.assocs.each(func(a *association) bool {
		if n >= skip && len(out) < limit {
			out = append(out, a.json(l.cfg.ID))
		}
		n++
		return true
	})
	return ok(map[string]any{"associations": out, "total": n})
}

func (s *Server) associationsByObjectKey(c *call) (response, *apiError) {
	l, err := c.scope(c.q("locationId"))
	if err != nil {
		return fail(err)
	}
	key := strings.ToLower(c.param("objectKey"))
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := []map[string]any{}
	l.assocs.each(func(a *association) bool {
		if a.firstKey == key || a.secondKey == key {
			out = append(out, a.json(l.cfg.ID))
		}
		return true
	})
	return ok(map[string]any{"associations": out})
}

func (s *Server) associationByKey(c *call) (response, *apiError) {
	l, err := c.scope(c.q("locationId"))
	if err != nil {
		return fail(err)
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	a := l.associationByKey(c.param("key_name"))
	if a == nil {
		return fail(errBadRequest("Association with key %s not found", c.param("key_name")))
	}
	return ok(a.json(l.cfg.ID))
}

func (s *Server) associationFor(c *call) (*association, *apiError) {
	return find(c, c.loc, c.loc.assocs, c.param("associationId"), notFound("Association"))
}

func (s *Server) getAssociation(c *call) (response, *apiError) {
	c.loc.mu.RLock()
	defer c.loc.mu.RUnlock()
	a, err := s.associationFor(c)
	if err != nil {
		return fail(err)
	}
	return ok(a.json(c.loc.cfg.ID))
}

func (s *Server) updateAssociation(c *call) (response, *apiError) {
	m, err := updateAssociationDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	c.loc.mu.Lock()
	defer c.loc.mu.Unlock()
	a, err := s.associationFor(c)
	if err != nil {
		return fail(err)
	}
	a.firstLabel, a.secondLabel = str(m, "firstObjectLabel"), str(m, "secondObjectLabel")
	s.touch(&a.meta, c.now)
	return ok(a.json(c.loc.cfg.ID))
}

func (s *Server) deleteAssociation(c *call) (response, *apiError) {
	l := c.loc
	l.mu.Lock()
	defer l.mu.Unlock()
	a, err := s.associationFor(c)
	if err != nil {
		return fail(err)
	}
	var gone []*relation
	l.relations.each(func(r *relation) bool {
		if r.associationID == a.id {
			gone = append(gone, r)
		}
		return true
	})
	for _, r := range gone {
		l.removeRelation(r)
	}
	l.assocs.remove(a.id)
	return ok(map[string]any{"deleted": true, "id": a.id, "message": "Association deleted successfully"})
}

// objectKeyOf returns the object key of a record id in this location.
func (l *location) objectKeyOf(id string) string {
	if _, ok := l.contacts.get(id); ok {
		return "contact"
	}
	if _, ok := l.opps.get(id); ok {
		return "opportunity"
	}
	if _, ok := l.businesses.get(id); ok {
		return "business"
	}
	for key, t := range l.records {
		if _, ok := t.get(id); ok {
			return key
		}
	}
	return ""
}

func (s *Server) createRelation(c *call) (response, *apiError) {
	m, err := createRelationDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.scope(str(m, "locationId"))
	if err != nil {
		return fail(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	a, found := l.assocs.get(str(m, "associationId"))
	if !found {
		return fail(errBadRequest("Association with id %s not found", str(m, "associationId")))
	}
	first, second := str(m, "firstRecordId"), str(m, "secondRecordId")
	if k := l.objectKeyOf(first); k != a.firstKey {
		return fail(errBadRequest("firstRecordId %s is not a %s record", first, a.firstKey))
	}
	if k := l.objectKeyOf(second); k != a.secondKey {
		return fail(errBadRequest("secondRecordId %s is not a %s record", second, a.secondKey))
	}
	key := relKey{a.id, first, second}
	if l.relByKey[key] != nil {
		return fail(errBadRequest("Relation already exists between %s and %s", first, second))
	}
	r := &relation{meta: s.newMeta(l, c.now), associationID: a.id, firstID: first, secondID: second}
	l.relations.put(r)
	l.relByKey[key] = r
	l.relsOf.add(first, r)
	l.relsOf.add(second, r)
	return created(r.json(l.cfg.ID))
}

func (s *Server) relationsOf(c *call) (response, *apiError) {
	l, err := c.scope(c.q("locationId"))
	if err != nil {
		return fail(err)
	}
	skip, limit := atoiDefault(c.q("skip"), 0), atoiDefault(c.q("limit"), 100)
	var only []string
	if v := c.q("associationIds"); v != "" {
		only = strings.Split(v, ",")
	}
	id := c.param("recordId")
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := []map[string]any{}
	n := 0
	for _, r := range l.relsOf.list(id) {
		if only != nil && !slices.Contains(only, r.associationID) {
			continue
		}
		if n >= skip && len(out) < limit {
			out = append(out, r.json(l.cfg.ID))
		}
		n++
	}
	return ok(map[string]any{"relations": out, "total": n})
}

func (s *Server) deleteRelation(c *call) (response, *apiError) {
	l, err := c.scope(c.q("locationId"))
	if err != nil {
		return fail(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	r, found := l.relations.get(c.param("relationId"))
	if !found {
		return fail(errBadRequest("Relation with id %s not found", c.param("relationId")))
	}
	l.removeRelation(r)
	return ok(r.json(l.cfg.ID))
}

// dropRelationsOf removes every relation of a deleted record.
func (l *location) dropRelationsOf(id string) {
	for _, r := range l.relsOf.list(id) {
		l.removeRelation(r)
	}
}

func (l *location) removeRelation(r *relation) {
	l.relations.remove(r.id)
	delete(l.relByKey, relKey{r.associationID, r.firstID, r.secondID})
	l.relsOf.del(r.firstID, r)
	l.relsOf.del(r.secondID, r)
}
