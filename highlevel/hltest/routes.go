package hltest

// routes lists every operation the simulator serves, with HighLevel's
// documented paths.
func (s *Server) routes() *router {
	rr := &router{byKey: map[string][]*route{}}
	add := func(method, pattern string, h handler, query ...string) *route {
		rt := &route{method: method, pattern: pattern, h: h}
		if query != nil {
			rt.query = query
		}
		rr.add(rt)
		return rt
	}
	none := []string{}

	// Contacts
	add("POST", "/contacts/", s.createContact).query = none
	add("GET", "/contacts/", s.listContacts, "locationId", "startAfterId", "startAfter", "query", "limit")
	add("POST", "/contacts/upsert", s.upsertContact).query = none
	add("POST", "/contacts/search", s.searchContacts).query = none
	add("GET", "/contacts/search/duplicate", s.duplicateContact, "locationId", "number", "email")
	add("GET", "/contacts/{contactId}", s.getContact).query = none
	add("PUT", "/contacts/{contactId}", s.updateContact).query = none
	add("DELETE", "/contacts/{contactId}", s.deleteContact).query = none
	add("POST", "/contacts/{contactId}/tags", s.addTags).query = none
	add("DELETE", "/contacts/{contactId}/tags", s.removeTags).query = none
	add("POST", "/contacts/bulk/tags/update/{type}", s.bulkTags).query = none
	add("POST", "/contacts/bulk/business", s.bulkBusiness).query = none
	add("GET", "/contacts/business/{businessId}", s.contactsByBusiness, "limit", "locationId", "skip", "query")
	add("GET", "/contacts/{contactId}/notes", s.listNotes).query = none
	add("POST", "/contacts/{contactId}/notes", s.createNote).query = none
	add("GET", "/contacts/{contactId}/notes/{id}", s.getNote).query = none
	add("PUT", "/contacts/{contactId}/notes/{id}", s.updateNote).query = none
	add("DELETE", "/contacts/{contactId}/notes/{id}", s.deleteNote).query = none
	add("GET", "/contacts/{contactId}/tasks", s.listTasks).query = none
	add("POST", "/contacts/{contactId}/tasks", s.createTask).query = none
	add("GET", "/contacts/{contactId}/tasks/{taskId}", s.getTask).query = none
	add("PUT", "/contacts/{contactId}/tasks/{taskId}", s.updateTask).query = none
	add("PUT", "/contacts/{contactId}/tasks/{taskId}/completed", s.completeTask).query = none
	add("DELETE", "/contacts/{contactId}/tasks/{taskId}", s.deleteTask).query = none

	// Businesses
	add("POST", "/businesses/", s.createBusiness).query = none
	add("GET", "/businesses/", s.listBusinesses, "locationId", "limit", "skip")
	add("GET", "/businesses/{businessId}", s.getBusiness).query = none
	add("PUT", "/businesses/{businessId}", s.updateBusiness).query = none
	add("DELETE", "/businesses/{businessId}", s.deleteBusiness).query = none

	// Users
	add("GET", "/users/search", s.searchUsers, "companyId", "query", "skip", "limit", "locationId",
		"type", "role", "ids", "sort", "sortDirection", "enabled2waySync").agency = true
	add("GET", "/users/", s.usersByLocation, "locationId")
	add("GET", "/users/{userId}", s.getUser).agency = true

	return rr
}
