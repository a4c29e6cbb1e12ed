package hltest

var businessStrings = []string{"name", "phone", "email", "website", "address", "city",
	"postalCode", "state", "country", "description"}

var createBusinessDTO = newDTO(
	field{name: "name", kind: kString, required: true},
	field{name: "locationId", kind: kString, required: true},
	field{name: "phone", kind: kString},
	field{name: "email", kind: kString},
	field{name: "website", kind: kString},
	field{name: "address", kind: kString},
	field{name: "city", kind: kString},
	field{name: "postalCode", kind: kString},
	field{name: "state", kind: kString},
	field{name: "country", kind: kString},
	field{name: "description", kind: kString},
)

var updateBusinessDTO = createBusinessDTO.without("locationId").with(field{name: "name", kind: kString})

type business struct {
	meta
	f         map[string]string
	createdBy actor
}

func (b *business) json(locationID string) map[string]any {
	out := map[string]any{
		"id": b.id, "locationId": locationID, "createdAt": iso(b.added), "updatedAt": iso(b.updated),
		"createdBy": b.createdBy.json(), "updatedBy": b.createdBy.json(),
	}
	for k, v := range b.f {
		out[k] = v
	}
	return out
}

// actor is who created an object, as HighLevel's createdBy tells it
// (channel API). Kept as two shared strings per object, not a map: the
// simulator holds one per business and custom object record.
type actor struct{ source, sourceID string }

func (c *call) actor() actor {
	if c.p.pit {
		return actor{source: "INTEGRATION", sourceID: "private-integration"}
	}
	return actor{source: "INTEGRATION", sourceID: c.p.clientID}
}

// json is the createdBy object of a business.
func (a actor) json() map[string]any {
	return map[string]any{"source": a.source, "sourceId": a.sourceID, "channel": "API"}
}

func (s *Server) businessPatch(m map[string]any) (map[string]string, *apiError) {
	f := map[string]string{}
	for _, k := range businessStrings {
		if has(m, k) {
			f[k] = str(m, k)
		}
	}
	if e := f["email"]; e != "" && !validEmail(e) {
		return nil, errUnprocessable("email must be an email")
	}
	return f, nil
}

func (s *Server) createBusiness(c *call) (response, *apiError) {
	m, err := createBusinessDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.scope(str(m, "locationId"))
	if err != nil {
		return fail(err)
	}
	f, err := s.businessPatch(m)
	if err != nil {
		return fail(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := &business{meta: s.newMeta(l, c.now), f: f, createdBy: c.actor()}
	l.businesses.put(b)
	// "buiseness" (sic) is what HighLevel sends.
	return created(map[string]any{"success": true, "buiseness": b.json(l.cfg.ID)})
}

func (s *Server) businessFor(c *call) (*business, *apiError) {
	return find(c, c.loc, c.loc.businesses, c.param("businessId"), notFound("Business"))
}

func (s *Server) getBusiness(c *call) (response, *apiError) {
	c.loc.mu.RLock()
	defer c.loc.mu.RUnlock()
	b, err := s.businessFor(c)
	if err != nil {
		return fail(err)
	}
	return ok(map[string]any{"business": b.json(c.loc.cfg.ID)})
}

func (s *Server) updateBusiness(c *call) (response, *apiError) {
	m, err := updateBusinessDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	f, err := s.businessPatch(m)
	if err != nil {
		return fail(err)
	}
	c.loc.mu.Lock()
	defer c.loc.mu.Unlock()
	b, err := s.businessFor(c)
	if err != nil {
		return fail(err)
	}
	for k, v := range f {
		if v == "" && k != "name" {
			delete(b.f, k)
		} else if v != "" {
			b.f[k] = v
		}
	}
	s.touch(&b.meta, c.now)
	return ok(map[string]any{"success": true, "buiseness": b.json(c.loc.cfg.ID)})
}

func (s *Server) deleteBusiness(c *call) (response, *apiError) {
	l := c.loc
	l.mu.Lock()
	defer l.mu.Unlock()
	b, err := s.businessFor(c)
	if err != nil {
		return fail(err)
	}
	l.businesses.remove(b.id)
	// Contacts linked to the business lose the link.
	l.contacts.each(func(ct *contact) bool {
		if ct.f["businessId"] == b.id {
			delete(ct.f, "businessId")
		}
		return true
	})
	return ok(map[string]any{"success": true})
}

func (s *Server) listBusinesses(c *call) (response, *apiError) {
	l, err := c.scope(c.q("locationId"))
	if err != nil {
		return fail(err)
	}
	limit, skip := atoiDefault(c.q("limit"), 100), atoiDefault(c.q("skip"), 0)
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := []map[string]any{}
	n := 0
	l.businesses.each(func(b *business) bool {
		if n >= skip && len(out) < limit {
			out = append(out, b.json(l.cfg.ID))
		}
		n++
		return len(out) < limit
	})
	return ok(map[string]any{"businesses": out})
}
