package hltest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

type stage struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Position int    `json:"position"`
}

type pipeline struct {
	meta
	name   string
	stages []stage
}

func (p *pipeline) json(locationID string) map[string]any {
	return map[string]any{"id": p.id, "name": p.name, "stages": p.stages, "locationId": locationID,
		"showInFunnel": true, "showInPieChart": true, "dateAdded": iso(p.added), "dateUpdated": iso(p.updated)}
}

// createPipelineDTO: HighLevel's pipeline endpoint post-dates the published
// spec; this is the body the project relies on.
var createPipelineDTO = newDTO(
	field{name: "locationId", kind: kString, required: true},
	field{name: "name", kind: kString, required: true},
	field{name: "stages", kind: kArray, required: true, nested: newDTO(
		field{name: "name", kind: kString, required: true},
		field{name: "position", kind: kNumber},
	)},
	field{name: "showInFunnel", kind: kBool},
	field{name: "showInPieChart", kind: kBool},
)

func (s *Server) createPipeline(c *call) (response, *apiError) {
	m, err := createPipelineDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.scope(str(m, "locationId"))
	if err != nil {
		return fail(err)
	}
	raw, _ := m["stages"].([]any)
	if len(raw) == 0 {
		return fail(errUnprocessable("stages should not be empty"))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	name := str(m, "name")
	dup := false
	l.pipelines.each(func(p *pipeline) bool {
		dup = strings.EqualFold(p.name, name)
		return !dup
	})
	if dup {
		return fail(errBadRequest("A pipeline named %q already exists", name))
	}
	p := &pipeline{meta: s.newMeta(l, c.now), name: name}
	for i, r := range raw {
		sm := r.(map[string]any)
		p.stages = append(p.stages, stage{ID: s.ids.uuid(), Name: str(sm, "name"), Position: integer(sm, "position", i)})
	}
	slices.SortStableFunc(p.stages, func(a, b stage) int { return a.Position - b.Position })
	l.pipelines.put(p)
	return created(map[string]any{"pipeline": p.json(l.cfg.ID)})
}

func (s *Server) listPipelines(c *call) (response, *apiError) {
	l, err := c.scope(c.q("locationId"))
	if err != nil {
		return fail(err)
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := []map[string]any{}
	l.pipelines.each(func(p *pipeline) bool {
		out = append(out, p.json(l.cfg.ID))
		return true
	})
	return ok(map[string]any{"pipelines": out})
}

var opportunityStatuses = []string{"open", "won", "lost", "abandoned", "all"}

type opportunity struct {
	meta
	name, pipelineID, stageID, status, contactID, assignedTo, lostReasonID, source string
	monetary                                                                       float64
	cf                                                                             map[string]any
	followers                                                                      []string
	statusChanged, stageChanged                                                    time.Time
}

func (o *opportunity) json(l *location) map[string]any {
	out := map[string]any{
		"id": o.id, "name": o.name, "monetaryValue": o.monetary, "pipelineId": o.pipelineID,
		"pipelineStageId": o.stageID, "status": o.status, "source": o.source,
		"lastStatusChangeAt": iso(o.statusChanged), "lastStageChangeAt": iso(o.stageChanged),
		"createdAt": iso(o.added), "updatedAt": iso(o.updated), "contactId": o.contactID,
		"locationId": l.cfg.ID, "notes": []any{}, "tasks": []any{}, "calendarEvents": []any{},
		"followers": []any{},
	}
	if o.assignedTo != "" {
		out["assignedTo"] = o.assignedTo
	}
	if o.lostReasonID != "" {
		out["lostReasonId"] = o.lostReasonID
	}
	cfs := []map[string]any{}
	for _, id := range sortedKeys(o.cf) {
		cfs = append(cfs, map[string]any{"id": id, "fieldValue": o.cf[id]})
	}
	out["customFields"] = cfs
	if ct, ok := l.contacts.get(o.contactID); ok {
		cj := map[string]any{"id": ct.id, "name": ct.fullName(), "tags": nonNil(ct.tags)}
		for _, k := range []string{"email", "phone", "companyName"} {
			if v := ct.f[k]; v != "" {
				cj[k] = v
			}
		}
		out["contact"] = cj
	}
	return out
}

var oppCustomFieldDTO = newDTO(
	field{name: "id", kind: kString},
	field{name: "key", kind: kString},
	field{name: "field_value", kind: kAny},
	field{name: "fieldValue", kind: kAny},
)

var createOpportunityDTO = newDTO(
	field{name: "pipelineId", kind: kString, required: true},
	field{name: "locationId", kind: kString, required: true},
	field{name: "name", kind: kString, required: true},
	field{name: "pipelineStageId", kind: kString},
	field{name: "status", kind: kString, required: true, enum: opportunityStatuses},
	field{name: "contactId", kind: kString, required: true},
	field{name: "monetaryValue", kind: kNumber},
	field{name: "assignedTo", kind: kString},
	field{name: "customFields", kind: kArray, nested: oppCustomFieldDTO},
)

var updateOpportunityDTO = newDTO(
	field{name: "pipelineId", kind: kString},
	field{name: "name", kind: kString},
	field{name: "pipelineStageId", kind: kString},
	field{name: "status", kind: kString, enum: opportunityStatuses},
	field{name: "monetaryValue", kind: kNumber},
	field{name: "assignedTo", kind: kString},
	field{name: "customFields", kind: kArray, nested: oppCustomFieldDTO},
)

// upsertOpportunityDTO is UpsertOpportunityDto plus contactId, which
// HighLevel requires to match an opportunity although the spec omits it.
var upsertOpportunityDTO = newDTO(
	field{name: "id", kind: kString},
	field{name: "pipelineId", kind: kString, required: true},
	field{name: "locationId", kind: kString, required: true},
	field{name: "contactId", kind: kString},
	field{name: "followers", kind: kStrings},
	field{name: "isRemoveAllFollowers", kind: kBool},
	field{name: "followersActionType", kind: kString, enum: []string{"add", "remove"}},
	field{name: "name", kind: kString},
	field{name: "status", kind: kString, enum: opportunityStatuses},
	field{name: "pipelineStageId", kind: kString},
	field{name: "monetaryValue", kind: kNumber},
	field{name: "assignedTo", kind: kString},
	field{name: "lostReasonId", kind: kString},
	field{name: "customFields", kind: kArray, nested: oppCustomFieldDTO},
)

var statusDTO = newDTO(
	field{name: "status", kind: kString, required: true, enum: opportunityStatuses},
	field{name: "lostReasonId", kind: kString},
)

// applyOpportunity validates m and writes it into o.
func (s *Server) applyOpportunity(l *location, o *opportunity, m map[string]any, now time.Time) *apiError {
	pid := o.pipelineID
	if v := str(m, "pipelineId"); v != "" {
		pid = v
	}
	p, found := l.pipelines.get(pid)
	if !found {
		return errBadRequest("Pipeline with id %s not found", pid)
	}
	sid := o.stageID
	if v := str(m, "pipelineStageId"); v != "" {
		sid = v
	}
	if pid != o.pipelineID && str(m, "pipelineStageId") == "" {
		sid = ""
	}
	if sid == "" {
		sid = p.stages[0].ID
	}
	if !slices.ContainsFunc(p.stages, func(st stage) bool { return st.ID == sid }) {
		return errBadRequest("Stage %s is not a stage of pipeline %s", sid, pid)
	}
	if u := str(m, "assignedTo"); u != "" && !s.userInLocation(u, l.cfg.ID) {
		return errBadRequest("User with id %s not found in this location", u)
	}
	var cf map[string]any
	if items, ok := m["customFields"].([]any); ok {
		set, msgs := l.applyCustomFields("opportunity", items)
		if len(msgs) > 0 {
			return errUnprocessable(msgs...)
		}
		cf = set
	}
	if sid != o.stageID {
		o.stageChanged = now
	}
	if st := str(m, "status"); st != "" && st != o.status {
		o.status, o.statusChanged = st, now
	}
	o.pipelineID, o.stageID = pid, sid
	if has(m, "name") {
		o.name = str(m, "name")
	}
	if v, ok := number(m, "monetaryValue"); ok {
		o.monetary = v
	}
	if has(m, "assignedTo") {
		o.assignedTo = str(m, "assignedTo")
	}
	if has(m, "lostReasonId") {
		o.lostReasonID = str(m, "lostReasonId")
	}
	if cf != nil {
		o.cf = mergeCustomValues(o.cf, cf)
	}
	return nil
}

// openFor finds the opportunity of a contact in a pipeline.
func (l *location) openFor(contactID, pipelineID string) *opportunity {
	for _, o := range l.oppsOf.list(contactID) {
		if o.pipelineID == pipelineID {
			return o
		}
	}
	return nil
}

func (s *Server) createOpportunity(c *call) (response, *apiError) {
	m, err := createOpportunityDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.scope(str(m, "locationId"))
	if err != nil {
		return fail(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	cid := str(m, "contactId")
	if _, found := l.contacts.get(cid); !found {
		return fail(contactNotFound(cid))
	}
	if !l.cfg.AllowDuplicateOpportunities && l.openFor(cid, str(m, "pipelineId")) != nil {
		return fail(errBadRequest("Can not create duplicate opportunity for the contact."))
	}
	o := &opportunity{contactID: cid, source: "api"}
	if err := s.applyOpportunity(l, o, m, c.now); err != nil {
		return fail(err)
	}
	o.meta = s.newMeta(l, c.now)
	o.statusChanged, o.stageChanged = c.now, c.now
	l.opps.put(o)
	l.oppsOf.add(o.contactID, o)
	return created(map[string]any{"opportunity": o.json(l)})
}

func (s *Server) opportunityFor(c *call) (*opportunity, *apiError) {
	return find(c, c.loc, c.loc.opps, c.param("id"), notFound("Opportunity"))
}

func (s *Server) getOpportunity(c *call) (response, *apiError) {
	c.loc.mu.RLock()
	defer c.loc.mu.RUnlock()
	o, err := s.opportunityFor(c)
	if err != nil {
		return fail(err)
	}
	return ok(map[string]any{"opportunity": o.json(c.loc)})
}

func (s *Server) updateOpportunity(c *call) (response, *apiError) {
	m, err := updateOpportunityDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	c.loc.mu.Lock()
	defer c.loc.mu.Unlock()
	o, err := s.opportunityFor(c)
	if err != nil {
		return fail(err)
	}
	if err := s.applyOpportunity(c.loc, o, m, c.now); err != nil {
		return fail(err)
	}
	s.touch(&o.meta, c.now)
	return ok(map[string]any{"opportunity": o.json(c.loc)})
}

func (s *Server) updateOpportunityStatus(c *call) (response, *apiError) {
	m, err := statusDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	c.loc.mu.Lock()
	defer c.loc.mu.Unlock()
	o, err := s.opportunityFor(c)
	if err != nil {
		return fail(err)
	}
	if err := s.applyOpportunity(c.loc, o, m, c.now); err != nil {
		return fail(err)
	}
	s.touch(&o.meta, c.now)
	return ok(map[string]any{"succeded": true})
}

func (s *Server) deleteOpportunity(c *call) (response, *apiError) {
	c.loc.mu.Lock()
	defer c.loc.mu.Unlock()
	o, err := s.opportunityFor(c)
	if err != nil {
		return fail(err)
	}
	c.loc.opps.remove(o.id)
	c.loc.oppsOf.del(o.contactID, o)
	c.loc.dropRelationsOf(o.id)
	return ok(map[string]any{"succeded": true})
}

func (s *Server) upsertOpportunity(c *call) (response, *apiError) {
	m, err := upsertOpportunityDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.scope(str(m, "locationId"))
	if err != nil {
		return fail(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var o *opportunity
	if id := str(m, "id"); id != "" {
		found := false
		if o, found = l.opps.get(id); !found {
			return fail(errBadRequest("Opportunity with id %s not found", id))
		}
	} else {
		cid := str(m, "contactId")
		if cid == "" {
			return fail(errUnprocessable("contactId should not be empty"))
		}
		if _, found := l.contacts.get(cid); !found {
			return fail(contactNotFound(cid))
		}
		o = l.openFor(cid, str(m, "pipelineId"))
	}
	if o != nil {
		if err := s.applyOpportunity(l, o, m, c.now); err != nil {
			return fail(err)
		}
		s.touch(&o.meta, c.now)
		return ok(map[string]any{"opportunity": o.json(l), "new": false})
	}
	if str(m, "name") == "" {
		return fail(errUnprocessable("name should not be empty"))
	}
	o = &opportunity{contactID: str(m, "contactId"), source: "api", status: "open"}
	if err := s.applyOpportunity(l, o, m, c.now); err != nil {
		return fail(err)
	}
	o.meta = s.newMeta(l, c.now)
	o.statusChanged, o.stageChanged = c.now, c.now
	l.opps.put(o)
	l.oppsOf.add(o.contactID, o)
	return ok(map[string]any{"opportunity": o.json(l), "new": true})
}

// searchOpportunities is GET /opportunities/search (location_id, snake case).
func (s *Server) searchOpportunities(c *call) (response, *apiError) {
	if c.q("location_id") == "" {
		return fail(errUnprocessable("location_id should not be empty", "location_id must be a string"))
	}
	l, err := c.scope(c.q("location_id"))
	if err != nil {
		return fail(err)
	}
	limit, page := 20, 1
	if v := c.q("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return fail(errUnprocessable("limit must not be greater than 100"))
		}
		limit = n
	}
	if v := c.q("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fail(errUnprocessable("page must not be less than 1"))
		}
		page = n
	}
	status := c.q("status")
	if status != "" && !slices.Contains(opportunityStatuses, status) {
		return fail(errUnprocessable("status must be one of the following values: " + strings.Join(opportunityStatuses, ", ")))
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
	q := strings.ToLower(c.q("q"))
	l.mu.RLock()
	defer l.mu.RUnlock()
	var hits []*opportunity
	l.opps.each(func(o *opportunity) bool {
		switch {
		case c.now.Before(o.visibleAt),
			c.q("pipeline_id") != "" && o.pipelineID != c.q("pipeline_id"),
			c.q("pipeline_stage_id") != "" && o.stageID != c.q("pipeline_stage_id"),
			c.q("contact_id") != "" && o.contactID != c.q("contact_id"),
			c.q("assigned_to") != "" && o.assignedTo != c.q("assigned_to"),
			c.q("id") != "" && o.id != c.q("id"),
			status != "" && status != "all" && o.status != status,
			q != "" && !strings.Contains(strings.ToLower(o.name), q):
			return true
		}
		hits = append(hits, o)
		return true
	})
	// Results are in cursor order (createdAt ms, id): the cursor resumes
	// after (startAfter, startAfterId) whether or not that opportunity
	// still exists.
	sortByStamp(hits)
	total := len(hits)
	if afterMs >= 0 {
		hits = hits[afterStamp(hits, afterMs, afterID):]
		page = 1
	} else {
		hits = hits[min((page-1)*limit, len(hits)):]
	}
	more := len(hits) > limit
	hits = hits[:min(limit, len(hits))]
	out := make([]map[string]any, len(hits))
	for i, o := range hits {
		out[i] = o.json(l)
	}
	meta := map[string]any{"total": total, "currentPage": page}
	if page > 1 {
		meta["prevPage"] = page - 1
	}
	if more && len(hits) > 0 {
		last := hits[len(hits)-1]
		meta["nextPage"] = page + 1
		meta["startAfterId"] = last.id
		meta["startAfter"] = last.added.UnixMilli()
		meta["nextPageUrl"] = fmt.Sprintf("%s/opportunities/search?location_id=%s&limit=%d&startAfter=%d&startAfterId=%s",
			s.URL, l.cfg.ID, limit, last.added.UnixMilli(), last.id)
	}
	return ok(map[string]any{"opportunities": out, "meta": meta})
}

// searchOpportunitiesBodyDTO is OpportunitySearchBodyDTO.
var searchOpportunitiesBodyDTO = newDTO(
	field{name: "locationId", kind: kString, required: true},
	field{name: "query", kind: kString, required: true, allowEmpty: true},
	field{name: "limit", kind: kNumber, required: true},
	field{name: "page", kind: kNumber, required: true},
	field{name: "searchAfter", kind: kStrings, required: true},
	field{name: "additionalDetails", kind: kObject, required: true, nested: newDTO(
		field{name: "notes", kind: kBool, required: true},
		field{name: "tasks", kind: kBool, required: true},
		field{name: "calendarEvents", kind: kBool, required: true},
		field{name: "unReadConversations", kind: kBool, required: true},
	)},
)

// searchOpportunitiesAdvanced is POST /opportunities/search: query matches
// the name; paging by page/limit or by searchAfter ["createdAt ms", "id"].
func (s *Server) searchOpportunitiesAdvanced(c *call) (response, *apiError) {
	m, err := searchOpportunitiesBodyDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.scope(str(m, "locationId"))
	if err != nil {
		return fail(err)
	}
	page, limit := integer(m, "page", 1), integer(m, "limit", 20)
	if page < 1 || limit < 1 || limit > 100 {
		return fail(errUnprocessable("page must not be less than 1", "limit must not be greater than 100"))
	}
	after := strs(m, "searchAfter")
	if len(after) != 0 && len(after) != 2 {
		return fail(errUnprocessable("searchAfter must be the searchAfter value of a previous result"))
	}
	q := strings.ToLower(str(m, "query"))
	l.mu.RLock()
	defer l.mu.RUnlock()
	var hits []*opportunity
	l.opps.each(func(o *opportunity) bool {
		if !c.now.Before(o.visibleAt) && (q == "" || strings.Contains(strings.ToLower(o.name), q)) {
			hits = append(hits, o)
		}
		return true
	})
	sortByStamp(hits)
	total := len(hits)
	if len(after) == 2 {
		ms, perr := strconv.ParseInt(after[0], 10, 64)
		if perr != nil {
			return fail(errUnprocessable("searchAfter must be the searchAfter value of a previous result"))
		}
		hits = hits[afterStamp(hits, ms, after[1]):]
	} else {
		hits = hits[min((page-1)*limit, len(hits)):]
	}
	hits = hits[:min(limit, len(hits))]
	out := make([]map[string]any, len(hits))
	for i, o := range hits {
		j := o.json(l)
		j["searchAfter"] = []string{strconv.FormatInt(o.added.UnixMilli(), 10), o.id}
		out[i] = j
	}
	return ok(map[string]any{"opportunities": out, "total": total, "aggregations": map[string]any{}})
}
