package hltest

// routes lists every operation the simulator serves, with HighLevel's
// documented paths.
func (s *Server) routes() *router {
	rr := &router{byKey: map[string][]*route{}}
	add := func(method, pattern string, h handler, query ...string) *route {
		rt := &route{method: method, pattern: pattern, label: method + " " + pattern, h: h}
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
	add("POST", "/users/search/filter-by-email", s.filterUsersByEmail).agency = true
	add("GET", "/users/", s.usersByLocation, "locationId")
	add("GET", "/users/{userId}", s.getUser).agency = true

	// Locations
	add("GET", "/locations/{locationId}", s.getLocation).query = none
	s.customValueRoutes(add)  // customvalues.go
	s.calendarRoutes(add)     // calendars.go
	s.conversationRoutes(add) // conversations.go

	// Custom fields (location: contact and opportunity)
	add("GET", "/locations/{locationId}/customFields", s.listLocationFields, "model")
	add("POST", "/locations/{locationId}/customFields", s.createLocationField).query = none
	add("GET", "/locations/{locationId}/customFields/{id}", s.getLocationField).query = none
	add("PUT", "/locations/{locationId}/customFields/{id}", s.updateLocationField).query = none
	add("DELETE", "/locations/{locationId}/customFields/{id}", s.deleteLocationField).query = none

	// Custom Fields V2 (custom objects and business)
	add("POST", "/custom-fields/", s.createFieldV2).query = none
	add("GET", "/custom-fields/{id}", s.getFieldV2).query = none
	add("PUT", "/custom-fields/{id}", s.updateFieldV2).query = none
	add("DELETE", "/custom-fields/{id}", s.deleteFieldV2).query = none
	add("GET", "/custom-fields/object-key/{objectKey}", s.fieldsByObjectKey, "locationId")
	add("POST", "/custom-fields/folder", s.createFolder).query = none
	add("PUT", "/custom-fields/folder/{id}", s.updateFolder).query = none
	add("DELETE", "/custom-fields/folder/{id}", s.deleteFolder, "locationId")

	// Custom objects and records
	add("GET", "/objects/", s.listSchemas, "locationId")
	add("POST", "/objects/", s.createSchema).query = none
	add("GET", "/objects/{key}", s.getSchema, "locationId", "fetchProperties")
	add("PUT", "/objects/{key}", s.updateSchema).query = none
	add("POST", "/objects/{schemaKey}/records", s.createRecord).query = none
	// locationId is undeclared but accepted and ignored, as live HighLevel
	// does (clients read records this way).
	add("GET", "/objects/{schemaKey}/records/{id}", s.getRecord, "locationId")
	add("PUT", "/objects/{schemaKey}/records/{id}", s.updateRecord, "locationId")
	add("DELETE", "/objects/{schemaKey}/records/{id}", s.deleteRecord).query = none
	add("POST", "/objects/{schemaKey}/records/search", s.searchRecords).query = none

	// Associations and relations
	add("POST", "/associations/", s.createAssociation).query = none
	add("GET", "/associations/", s.listAssociations, "locationId", "skip", "limit")
	add("GET", "/associations/key/{key_name}", s.associationByKey, "locationId")
	add("GET", "/associations/objectKey/{objectKey}", s.associationsByObjectKey, "locationId")
	add("GET", "/associations/{associationId}", s.getAssociation).query = none
	add("PUT", "/associations/{associationId}", s.updateAssociation).query = none
	add("DELETE", "/associations/{associationId}", s.deleteAssociation).query = none
	add("POST", "/associations/relations", s.createRelation).query = none
	add("GET", "/associations/relations/{recordId}", s.relationsOf, "locationId", "skip", "limit", "associationIds")
	add("DELETE", "/associations/relations/{relationId}", s.deleteRelation, "locationId")

	// Opportunities and pipelines
	add("GET", "/opportunities/pipelines", s.listPipelines, "locationId")
	add("POST", "/opportunities/pipelines", s.createPipeline).query = none
	add("POST", "/opportunities/", s.createOpportunity).query = none
	add("POST", "/opportunities/upsert", s.upsertOpportunity).query = none
	add("GET", "/opportunities/search", s.searchOpportunities, "q", "location_id", "pipeline_id",
		"pipeline_stage_id", "contact_id", "status", "assigned_to", "campaignId", "id", "order", "endDate",
		"startAfter", "startAfterId", "date", "country", "page", "limit", "getTasks", "getNotes", "getCalendarEvents")
	add("POST", "/opportunities/search", s.searchOpportunitiesAdvanced).query = none
	add("GET", "/opportunities/{id}", s.getOpportunity).query = none
	add("PUT", "/opportunities/{id}", s.updateOpportunity).query = none
	add("DELETE", "/opportunities/{id}", s.deleteOpportunity).query = none
	add("PUT", "/opportunities/{id}/status", s.updateOpportunityStatus).query = none

	// Media
	// altType=location&altId=<location> in the query, as clients post it.
	add("POST", "/medias/upload-file", s.uploadMedia, "altType", "altId")
	add("GET", "/medias/files", s.listMedia, "offset", "limit", "sortBy", "sortOrder", "type", "query",
		"altType", "altId", "parentId", "fetchAll")
	add("DELETE", "/medias/{id}", s.deleteMedia, "altType", "altId")

	// OAuth
	add("POST", "/oauth/token", s.oauthToken).public = true
	lt := add("POST", "/oauth/locationToken", s.locationToken)
	lt.agency, lt.query = true, none

	return rr
}
