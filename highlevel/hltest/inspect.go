package hltest

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// Kind names a kind of object for Count and Records. A custom object
// schema key ("custom_objects.appointment") counts that schema's records.
type Kind string

// Kinds of objects the simulator stores.
const (
	KindContact      Kind = "contact"
	KindBusiness     Kind = "business"
	KindNote         Kind = "note"
	KindTask         Kind = "task"
	KindRecord       Kind = "record" // records of every custom object
	KindRelation     Kind = "relation"
	KindOpportunity  Kind = "opportunity"
	KindPipeline     Kind = "pipeline"
	KindCustomField  Kind = "customField"  // location fields and Custom Fields V2
	KindObjectSchema Kind = "objectSchema" // custom (non-standard) schemas
	KindAssociation  Kind = "association"  // user-defined associations
	KindMedia        Kind = "media"
	KindCalendar     Kind = "calendar"
	// KindEvent is a calendar appointment; Records and Dump show its
	// toNotify, which the API does not return.
	KindEvent Kind = "event"
	// KindNotification is an automation an appointment would have run (see
	// Notifications).
	KindNotification Kind = "notification"
	KindConversation Kind = "conversation"
	// KindMessage is a conversation message; Records and Dump show the
	// date it was written (dateWritten) beside its dateAdded.
	KindMessage Kind = "message"
)

// Contact is a stored contact, for inspection.
type Contact struct {
	ID, LocationID                                         string
	FirstName, LastName, Email, Phone, CompanyName, Gender string
	Address1, City, State, PostalCode, Country             string
	Website, Timezone, Source, AssignedTo, BusinessID      string
	DateOfBirth                                            string // YYYY-MM-DD
	DND                                                    bool
	Tags                                                   []string
	CustomFields                                           map[string]any // by field id
	DateAdded, DateUpdated                                 time.Time
}

func (s *Server) loc(id string) (*location, error) {
	l := s.st.Load().locs[id]
	if l == nil {
		return nil, fmt.Errorf("hltest: unknown location %q", id)
	}
	return l, nil
}

// Count returns how many objects of a kind a location holds (0 for an
// unknown location or kind).
func (s *Server) Count(locationID string, kind Kind) int {
	l, err := s.loc(locationID)
	if err != nil {
		return 0
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	switch kind {
	case KindContact:
		return l.contacts.len()
	case KindBusiness:
		return l.businesses.len()
	case KindNote:
		return l.notes.len()
	case KindTask:
		return l.tasks.len()
	case KindRecord:
		n := 0
		for _, t := range l.records {
			n += t.len()
		}
		return n
	case KindRelation:
		return l.relations.len()
	case KindOpportunity:
		return l.opps.len()
	case KindPipeline:
		return l.pipelines.len()
	case KindCustomField:
		return l.fields.len()
	case KindObjectSchema:
		n := 0
		for _, o := range l.schemas {
			if !o.standard {
				n++
			}
		}
		return n
	case KindAssociation:
		return l.assocs.len()
	case KindMedia:
		return l.media.len()
	case KindCalendar:
		return l.calendars.len()
	case KindEvent:
		return l.events.len()
	case KindNotification:
		return len(l.notifications)
	case KindConversation:
		return l.conversations.len()
	case KindMessage:
		return l.messages.len()
	}
	if t := l.records[string(kind)]; t != nil {
		return t.len()
	}
	return 0
}

// Contacts returns a location's contacts in creation order.
func (s *Server) Contacts(locationID string) []Contact {
	l, err := s.loc(locationID)
	if err != nil {
		return nil
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([]Contact, 0, l.contacts.len())
	l.contacts.each(func(c *contact) bool {
		out = append(out, c.export(locationID))
		return true
	})
	return out
}

// Contact returns one contact by id.
func (s *Server) Contact(locationID, id string) (Contact, bool) {
	l, err := s.loc(locationID)
	if err != nil {
		return Contact{}, false
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	c, ok := l.contacts.get(id)
	if !ok {
		return Contact{}, false
	}
	return c.export(locationID), true
}

func (c *contact) export(locID string) Contact {
	cf := make(map[string]any, len(c.cf))
	for k, v := range c.cf {
		cf[k] = v
	}
	return Contact{
		ID: c.id, LocationID: locID, FirstName: c.f["firstName"], LastName: c.f["lastName"],
		Email: c.f["email"], Phone: c.f["phone"], CompanyName: c.f["companyName"], Gender: c.f["gender"],
		Address1: c.f["address1"], City: c.f["city"], State: c.f["state"], PostalCode: c.f["postalCode"],
		Country: c.f["country"], Website: c.f["website"], Timezone: c.f["timezone"], Source: c.f["source"],
		AssignedTo: c.f["assignedTo"], BusinessID: c.f["businessId"], DateOfBirth: c.dob, DND: c.dnd,
		Tags: slices.Clone(c.tags), CustomFields: cf, DateAdded: c.added, DateUpdated: c.updated,
	}
}

// Records returns every object of a kind as the API renders it, in
// creation order. For custom object records pass the schema key.
func (s *Server) Records(locationID string, kind Kind) []map[string]any {
	l, err := s.loc(locationID)
	if err != nil {
		return nil
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.render(kind)
}

func (l *location) render(kind Kind) []map[string]any {
	out := []map[string]any{}
	id := l.cfg.ID
	switch kind {
	case KindContact:
		l.contacts.each(func(c *contact) bool { out = append(out, c.json(id)); return true })
	case KindBusiness:
		l.businesses.each(func(b *business) bool { out = append(out, b.json(id)); return true })
	case KindNote:
		l.notes.each(func(n *note) bool { out = append(out, n.json()); return true })
	case KindTask:
		l.tasks.each(func(t *task) bool { out = append(out, t.json()); return true })
	case KindCalendar:
		l.calendars.each(func(c *calendar) bool { out = append(out, c.json(id)); return true })
	case KindEvent:
		l.events.each(func(e *event) bool { out = append(out, e.inspectJSON(l)); return true })
	case KindNotification:
		for _, n := range l.notifications {
			out = append(out, n.json())
		}
	case KindConversation:
		l.conversations.each(func(c *conversation) bool { out = append(out, c.inspectJSON(l)); return true })
	case KindMessage:
		l.messages.each(func(m *message) bool { out = append(out, m.inspectJSON(id)); return true })
	default:
		l.renderMore(kind, &out)
	}
	return out
}

// DuplicateGroup is a set of contacts sharing a value that should be unique.
type DuplicateGroup struct {
	// Field is "email", "phone", or the custom field key.
	Field      string   `json:"field"`
	Value      string   `json:"value"`
	ContactIDs []string `json:"contactIds"`
}

// Duplicates reports contacts of a location that share an email, a phone,
// or an external-id custom field value (Location.ExternalIDFields).
func (s *Server) Duplicates(locationID string) []DuplicateGroup {
	l, err := s.loc(locationID)
	if err != nil {
		return nil
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	ext := map[string]string{} // field id -> key
	l.fields.each(func(f *customField) bool {
		if f.v2 || f.model != "contact" {
			return true
		}
		if len(l.cfg.ExternalIDFields) > 0 {
			if slices.Contains(l.cfg.ExternalIDFields, f.fieldKey) {
				ext[f.id] = f.fieldKey
			}
		} else if strings.HasSuffix(f.fieldKey, "_id") {
			ext[f.id] = f.fieldKey
		}
		return true
	})
	groups := map[[2]string][]string{}
	l.contacts.each(func(c *contact) bool {
		email, phone := c.dupKeys()
		if email != "" {
			k := [2]string{"email", email}
			groups[k] = append(groups[k], c.id)
		}
		if phone != "" {
			k := [2]string{"phone", phone}
			groups[k] = append(groups[k], c.id)
		}
		for fid, key := range ext {
			if v, ok := c.cf[fid]; ok {
				k := [2]string{key, fmt.Sprint(v)}
				groups[k] = append(groups[k], c.id)
			}
		}
		return true
	})
	var out []DuplicateGroup
	for k, ids := range groups {
		if len(ids) > 1 {
			out = append(out, DuplicateGroup{Field: k[0], Value: k[1], ContactIDs: ids})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Field != out[j].Field {
			return out[i].Field < out[j].Field
		}
		return out[i].Value < out[j].Value
	})
	return out
}

// Dump writes the whole state as indented JSON: per location, every kind
// of object as the API renders it.
func (s *Server) Dump(w io.Writer) error {
	st := s.st.Load()
	type locDump struct {
		ID      string                    `json:"id"`
		Objects map[Kind][]map[string]any `json:"objects"`
	}
	out := struct {
		CompanyID string    `json:"companyId"`
		Locations []locDump `json:"locations"`
	}{CompanyID: s.opts.CompanyID}
	for _, id := range st.order {
		l := st.locs[id]
		l.mu.RLock()
		d := locDump{ID: id, Objects: map[Kind][]map[string]any{}}
		for _, k := range []Kind{KindContact, KindBusiness, KindNote, KindTask, KindCustomField,
			KindObjectSchema, KindRecord, KindAssociation, KindRelation, KindPipeline, KindOpportunity, KindMedia,
			KindCalendar, KindEvent, KindNotification, KindConversation, KindMessage} {
			d.Objects[k] = l.render(k)
		}
		l.mu.RUnlock()
		out.Locations = append(out.Locations, d)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("hltest: dump: %w", err)
	}
	return nil
}

// UpdateLocation changes a location's settings at runtime (duplicate
// rules, external-id fields, name), as an admin would in HighLevel's UI.
// The id and token cannot change.
func (s *Server) UpdateLocation(locationID string, update func(*Location)) error {
	l, err := s.loc(locationID)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	cfg := l.cfg
	update(&cfg)
	cfg.ID, cfg.Token = l.cfg.ID, l.cfg.Token
	if len(cfg.DuplicateOrder) == 0 {
		cfg.DuplicateOrder = []string{"email", "phone"}
	}
	for _, f := range cfg.DuplicateOrder {
		if f != "email" && f != "phone" {
			return fmt.Errorf("hltest: duplicate order field %q is not email or phone", f)
		}
	}
	l.cfg = cfg
	return nil
}
