package hltest

import (
	"net/http"
	"slices"
	"strings"
)

var dndChannelDTO = newDTO(
	field{name: "status", kind: kString, required: true, enum: []string{"active", "inactive", "permanent"}},
	field{name: "message", kind: kString},
	field{name: "code", kind: kString},
)

var dndSettingsDTO = newDTO(
	field{name: "Call", kind: kObject, nested: dndChannelDTO},
	field{name: "Email", kind: kObject, nested: dndChannelDTO},
	field{name: "SMS", kind: kObject, nested: dndChannelDTO},
	field{name: "WhatsApp", kind: kObject, nested: dndChannelDTO},
	field{name: "GMB", kind: kObject, nested: dndChannelDTO},
	field{name: "FB", kind: kObject, nested: dndChannelDTO},
)

var inboundDndDTO = newDTO(field{name: "all", kind: kObject, nested: newDTO(
	field{name: "status", kind: kString, required: true, enum: []string{"active", "inactive"}},
	field{name: "message", kind: kString},
)})

// createContactDTO is CreateContactDto of contacts.json.
var createContactDTO = newDTO(
	field{name: "firstName", kind: kString, nullable: true},
	field{name: "lastName", kind: kString, nullable: true},
	field{name: "name", kind: kString, nullable: true},
	field{name: "email", kind: kString, nullable: true},
	field{name: "locationId", kind: kString, required: true},
	field{name: "gender", kind: kString},
	field{name: "phone", kind: kString, nullable: true},
	field{name: "address1", kind: kString, nullable: true},
	field{name: "city", kind: kString, nullable: true},
	field{name: "state", kind: kString, nullable: true},
	field{name: "postalCode", kind: kString},
	field{name: "website", kind: kString, nullable: true},
	field{name: "timezone", kind: kString, nullable: true},
	field{name: "dnd", kind: kBool},
	field{name: "dndSettings", kind: kObject, nested: dndSettingsDTO},
	field{name: "inboundDndSettings", kind: kObject, nested: inboundDndDTO},
	field{name: "tags", kind: kStrings},
	field{name: "customFields", kind: kArray, nested: cfItemDTO},
	field{name: "source", kind: kString},
	field{name: "dateOfBirth", kind: kAny, nullable: true},
	field{name: "country", kind: kString},
	field{name: "companyName", kind: kString, nullable: true},
	field{name: "assignedTo", kind: kString},
)

// updateContactDTO is UpdateContactDto: no locationId, gender or companyName.
var updateContactDTO = createContactDTO.without("locationId", "gender", "companyName")

// upsertContactDTO is UpsertContactDto.
var upsertContactDTO = createContactDTO.with(field{name: "createNewIfDuplicateAllowed", kind: kBool})

func contactNotFound(id string) *apiError {
	return errBadRequest("Contact with id %s not found", id)
}

// contactFields validates and normalizes the writable properties of a
// contact body into a patch.
type contactPatch struct {
	f           map[string]string
	dob         *string
	dnd         *bool
	dndSettings map[string]any
	inboundDnd  map[string]any
	tags        []string
	hasTags     bool
	cf          map[string]any
}

func (s *Server) contactPatch(l *location, m map[string]any) (*contactPatch, *apiError) {
	p := &contactPatch{f: map[string]string{}}
	var msgs []string
	for _, k := range contactStrings {
		if v, ok := m[k]; ok {
			sv, _ := v.(string)
			p.f[k] = strings.TrimSpace(sv)
		}
	}
	if e, ok := p.f["email"]; ok && e != "" && !validEmail(e) {
		msgs = append(msgs, "email must be an email")
	}
	if ph, ok := p.f["phone"]; ok && ph != "" {
		if n, ok := normalizePhone(ph); ok {
			p.f["phone"] = n
		} else {
			return nil, errBadRequest("Invalid phone number")
		}
	}
	if c, ok := p.f["country"]; ok && c != "" {
		if len(c) != 2 || strings.ToUpper(c) != c {
			msgs = append(msgs, "country must be a valid ISO31661 Alpha2 code")
		}
	}
	if u, ok := p.f["assignedTo"]; ok && u != "" && !s.userInLocation(u, l.cfg.ID) {
		return nil, errBadRequest("User with id %s not found in this location", u)
	}
	if v, ok := m["dateOfBirth"]; ok {
		empty := ""
		switch x := v.(type) {
		case nil:
			p.dob = &empty
		case string:
			if x == "" {
				p.dob = &empty
			} else if d, ok := parseDOB(x); ok {
				p.dob = &d
			} else {
				msgs = append(msgs, "dateOfBirth must be a valid date (YYYY-MM-DD, MM/DD/YYYY, ...)")
			}
		default:
			msgs = append(msgs, "dateOfBirth must be a valid date (YYYY-MM-DD, MM/DD/YYYY, ...)")
		}
	}
	if has(m, "dnd") {
		b := boolean(m, "dnd")
		p.dnd = &b
	}
	if v, ok := m["dndSettings"].(map[string]any); ok {
		p.dndSettings = v
	}
	if v, ok := m["inboundDndSettings"].(map[string]any); ok {
		p.inboundDnd = v
	}
	if has(m, "tags") {
		p.hasTags, p.tags = true, normalizeTags(strs(m, "tags"))
	}
	if items, ok := m["customFields"].([]any); ok {
		set, cfMsgs := l.applyCustomFields("contact", items)
		msgs = append(msgs, cfMsgs...)
		p.cf = set
	}
	if len(msgs) > 0 {
		return nil, errUnprocessable(msgs...)
	}
	return p, nil
}

// apply writes the patch into c. Callers hold l.mu and re-index.
func (p *contactPatch) apply(c *contact) {
	for k, v := range p.f {
		if v == "" {
			delete(c.f, k)
		} else {
			c.f[k] = v
		}
	}
	// A lone "name" is split the way HighLevel fills first/last names.
	if n, ok := p.f["name"]; ok && n != "" && p.f["firstName"] == "" && p.f["lastName"] == "" && c.f["firstName"] == "" && c.f["lastName"] == "" {
		first, last, _ := strings.Cut(n, " ")
		c.f["firstName"], c.f["lastName"] = first, strings.TrimSpace(last)
	}
	if p.dob != nil {
		c.dob = *p.dob
	}
	if p.dnd != nil {
		c.dnd = *p.dnd
	}
	if p.dndSettings != nil {
		c.dndSettings = p.dndSettings
	}
	if p.inboundDnd != nil {
		c.inboundDnd = p.inboundDnd
	}
	if p.hasTags {
		c.tags = p.tags
	}
	if p.cf != nil {
		c.cf = mergeCustomValues(c.cf, p.cf)
	}
}

func duplicateError(c *contact, field string) *apiError {
	return &apiError{status: http.StatusBadRequest, message: msgDuplicateContact, label: "Bad Request",
		meta: map[string]any{"contactId": c.id, "contactName": c.fullName(), "matchingField": field}}
}

func (s *Server) createContact(c *call) (response, *apiError) {
	m, err := createContactDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.scope(str(m, "locationId"))
	if err != nil {
		return fail(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	p, err := s.contactPatch(l, m)
	if err != nil {
		return fail(err)
	}
	if !l.cfg.AllowDuplicates {
		if dup, f := l.firstMatch(p.f["email"], p.f["phone"], nil); dup != nil {
			return fail(duplicateError(dup, f))
		}
	}
	ct := s.newContact(l, c, p)
	return created(map[string]any{"contact": ct.json(l.cfg.ID)})
}

func (s *Server) newContact(l *location, c *call, p *contactPatch) *contact {
	ct := &contact{meta: s.newMeta(l, c.now), f: map[string]string{}, tags: []string{}}
	p.apply(ct)
	l.contacts.put(ct)
	l.index(ct)
	return ct
}

func (s *Server) upsertContact(c *call) (response, *apiError) {
	m, err := upsertContactDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.scope(str(m, "locationId"))
	if err != nil {
		return fail(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	p, err := s.contactPatch(l, m)
	if err != nil {
		return fail(err)
	}
	var target *contact
	if !(l.cfg.AllowDuplicates && boolean(m, "createNewIfDuplicateAllowed")) {
		target, _ = l.firstMatch(p.f["email"], p.f["phone"], nil)
	}
	if target == nil {
		ct := s.newContact(l, c, p)
		return ok(map[string]any{"new": true, "contact": ct.json(l.cfg.ID), "traceId": s.ids.uuid()})
	}
	if !l.cfg.AllowDuplicates {
		// The first match in the order wins; a value that belongs to
		// another contact is silently dropped, as HighLevel does.
		if other, f := l.firstMatch(p.f["email"], p.f["phone"], target); other != nil {
			delete(p.f, f)
		}
	}
	l.unindex(target)
	p.apply(target)
	l.index(target)
	s.touch(&target.meta, c.now)
	return ok(map[string]any{"new": false, "contact": target.json(l.cfg.ID), "traceId": s.ids.uuid()})
}

// contactFor finds a contact of the token's location. A contact of another
// location is a 403, as HighLevel scopes by the resource's location.
func (s *Server) contactFor(c *call, id string) (*contact, *apiError) {
	if c.loc == nil {
		return nil, errLocationAccess
	}
	return find(c, c.loc, c.loc.contacts, id, contactNotFound)
}

func (s *Server) getContact(c *call) (response, *apiError) {
	c.loc.mu.RLock()
	defer c.loc.mu.RUnlock()
	ct, err := s.contactFor(c, c.param("contactId"))
	if err != nil {
		return fail(err)
	}
	return ok(map[string]any{"contact": ct.json(c.loc.cfg.ID)})
}

func (s *Server) updateContact(c *call) (response, *apiError) {
	m, err := updateContactDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l := c.loc
	l.mu.Lock()
	defer l.mu.Unlock()
	ct, err := s.contactFor(c, c.param("contactId"))
	if err != nil {
		return fail(err)
	}
	p, err := s.contactPatch(l, m)
	if err != nil {
		return fail(err)
	}
	if !l.cfg.AllowDuplicates {
		email, phone := p.f["email"], p.f["phone"]
		if dup, f := l.firstMatch(email, phone, ct); dup != nil {
			return fail(duplicateError(dup, f))
		}
	}
	l.unindex(ct)
	p.apply(ct)
	l.index(ct)
	s.touch(&ct.meta, c.now)
	return ok(map[string]any{"succeded": true, "contact": ct.json(l.cfg.ID)})
}

func (s *Server) deleteContact(c *call) (response, *apiError) {
	l := c.loc
	l.mu.Lock()
	defer l.mu.Unlock()
	ct, err := s.contactFor(c, c.param("contactId"))
	if err != nil {
		return fail(err)
	}
	l.unindex(ct)
	l.contacts.remove(ct.id)
	// Notes, tasks, opportunities and relations die with the contact.
	for _, n := range l.notesOf.list(ct.id) {
		l.notes.remove(n.id)
	}
	delete(l.notesOf, ct.id)
	for _, t := range l.tasksOf.list(ct.id) {
		l.tasks.remove(t.id)
	}
	delete(l.tasksOf, ct.id)
	// Opportunities need their contact: they go with it.
	for _, o := range l.oppsOf.list(ct.id) {
		l.opps.remove(o.id)
		l.dropRelationsOf(o.id)
	}
	delete(l.oppsOf, ct.id)
	l.dropRelationsOf(ct.id)
	l.dropEventsOf(ct.id)       // calendars.go
	l.dropConversationOf(ct.id) // conversations.go
	return ok(map[string]any{"succeded": true})
}

var tagsDTO = newDTO(field{name: "tags", kind: kStrings, required: true})

func (s *Server) addTags(c *call) (response, *apiError) {
	return s.changeTags(c, true)
}

func (s *Server) removeTags(c *call) (response, *apiError) {
	return s.changeTags(c, false)
}

func (s *Server) changeTags(c *call, add bool) (response, *apiError) {
	m, err := tagsDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l := c.loc
	l.mu.Lock()
	defer l.mu.Unlock()
	ct, err := s.contactFor(c, c.param("contactId"))
	if err != nil {
		return fail(err)
	}
	ct.tags = editTags(ct.tags, normalizeTags(strs(m, "tags")), add)
	s.touch(&ct.meta, c.now)
	if add {
		return created(map[string]any{"tags": ct.tags})
	}
	return ok(map[string]any{"tags": ct.tags})
}

// editTags adds or removes normalized tags, keeping order; linear in the
// number of tags.
func editTags(cur, tags []string, add bool) []string {
	set := make(map[string]bool, len(tags))
	for _, t := range tags {
		set[t] = true
	}
	if add {
		for _, t := range cur {
			delete(set, t)
		}
		for _, t := range tags {
			if set[t] {
				cur = append(cur, t)
				delete(set, t)
			}
		}
		return cur
	}
	return slices.DeleteFunc(slices.Clone(cur), func(t string) bool { return set[t] })
}

var bulkTagsDTO = newDTO(
	field{name: "contacts", kind: kStrings, required: true},
	field{name: "tags", kind: kStrings, required: true},
	field{name: "locationId", kind: kString, required: true},
	field{name: "removeAllTags", kind: kBool},
)

func (s *Server) bulkTags(c *call) (response, *apiError) {
	op := c.param("type")
	if op != "add" && op != "remove" {
		return fail(errUnprocessable("type must be one of the following values: add, remove"))
	}
	m, err := bulkTagsDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.scope(str(m, "locationId"))
	if err != nil {
		return fail(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	tags := normalizeTags(strs(m, "tags"))
	responses := []string{}
	errorCount := 0
	for _, id := range strs(m, "contacts") {
		ct, found := l.contacts.get(id)
		if !found {
			errorCount++
			responses = append(responses, "Contact with id "+id+" not found")
			continue
		}
		if op == "remove" && boolean(m, "removeAllTags") {
			ct.tags = []string{}
		} else {
			ct.tags = editTags(ct.tags, tags, op == "add")
		}
		s.touch(&ct.meta, c.now)
		responses = append(responses, id)
	}
	return created(map[string]any{"succeded": errorCount == 0, "errorCount": errorCount, "responses": responses})
}

var bulkBusinessDTO = newDTO(
	field{name: "locationId", kind: kString, required: true},
	field{name: "ids", kind: kStrings, required: true},
	field{name: "businessId", kind: kString, required: true, nullable: true},
)

func (s *Server) bulkBusiness(c *call) (response, *apiError) {
	m, err := bulkBusinessDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.scope(str(m, "locationId"))
	if err != nil {
		return fail(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	bid := str(m, "businessId")
	if bid != "" {
		if _, found := l.businesses.get(bid); !found {
			return fail(errBadRequest("Business with id %s not found", bid))
		}
	}
	ids := strs(m, "ids")
	done := []string{}
	for _, id := range ids {
		ct, found := l.contacts.get(id)
		if !found {
			continue
		}
		if bid == "" {
			delete(ct.f, "businessId")
		} else {
			ct.f["businessId"] = bid
		}
		s.touch(&ct.meta, c.now)
		done = append(done, id)
	}
	return ok(map[string]any{"success": true, "ids": done})
}
