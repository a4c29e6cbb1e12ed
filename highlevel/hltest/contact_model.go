package hltest

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// contactStrings are the contact's writable string properties.
var contactStrings = []string{
	"firstName", "lastName", "name", "email", "phone", "gender", "address1", "city",
	"state", "postalCode", "website", "timezone", "source", "companyName",
	"assignedTo", "country",
}

type contact struct {
	meta
	f           map[string]string // standard string properties, plus businessId
	dob         string            // YYYY-MM-DD
	dnd         bool
	dndSettings map[string]any
	inboundDnd  map[string]any
	tags        []string
	cf          map[string]any // custom field id -> typed value
	followers   []string
}

func (c *contact) fullName() string {
	if n := strings.TrimSpace(c.f["firstName"] + " " + c.f["lastName"]); n != "" {
		return n
	}
	return c.f["name"]
}

// json renders the contact as GET /contacts/{id} does. Empty properties are
// omitted, as HighLevel omits them.
func (c *contact) json(locationID string) map[string]any {
	out := make(map[string]any, 32)
	for k, v := range c.f {
		if v != "" && k != "name" {
			out[k] = v
		}
	}
	for k, v := range map[string]any{
		"id":          c.id,
		"locationId":  locationID,
		"type":        "lead",
		"dnd":         c.dnd,
		"tags":        nonNil(c.tags),
		"dateAdded":   iso(c.added),
		"dateUpdated": iso(c.updated),
		"customFields": func() []map[string]any {
			ids := make([]string, 0, len(c.cf))
			for id := range c.cf {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			cfs := make([]map[string]any, 0, len(ids))
			for _, id := range ids {
				cfs = append(cfs, map[string]any{"id": id, "value": c.cf[id]})
			}
			return cfs
		}(),
		"additionalEmails": []any{},
		"followers":        nonNil(c.followers),
	} {
		out[k] = v
	}
	if n := c.fullName(); n != "" {
		out["name"] = n
		out["fullNameLowerCase"] = strings.ToLower(n)
	}
	if v := c.f["firstName"]; v != "" {
		out["firstNameLowerCase"] = strings.ToLower(v)
	}
	if v := c.f["lastName"]; v != "" {
		out["lastNameLowerCase"] = strings.ToLower(v)
	}
	if v := c.f["email"]; v != "" {
		out["emailLowerCase"] = strings.ToLower(v)
	}
	if c.dob != "" {
		out["dateOfBirth"] = c.dob + "T00:00:00.000Z"
	}
	if c.dndSettings != nil {
		out["dndSettings"] = c.dndSettings
	}
	if c.inboundDnd != nil {
		out["inboundDndSettings"] = c.inboundDnd
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// normalizeTags trims, lowercases and de-duplicates tags, as HighLevel
// stores them.
func normalizeTags(in []string) []string {
	out := make([]string, 0, len(in))
	seen := make(map[string]bool, len(in))
	for _, t := range in {
		t = strings.ToLower(strings.TrimSpace(t))
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// normalizePhone returns the E.164 form HighLevel stores, or false.
func normalizePhone(p string) (string, bool) {
	num, err := phonenumbers.Parse(p, "US")
	if err != nil || !phonenumbers.IsPossibleNumber(num) {
		return "", false
	}
	return phonenumbers.Format(num, phonenumbers.E164), true
}

// validEmail is class-validator's IsEmail in spirit: local@domain.tld
// without spaces.
func validEmail(e string) bool {
	at := strings.LastIndexByte(e, '@')
	if at <= 0 || at == len(e)-1 || strings.ContainsAny(e, " \t\r\n,;<>") || strings.Count(e, "@") != 1 {
		return false
	}
	dom := e[at+1:]
	dot := strings.LastIndexByte(dom, '.')
	return dot > 0 && dot < len(dom)-2 && !strings.Contains(dom, "..")
}

// dobLayouts are the dateOfBirth formats HighLevel documents.
var dobLayouts = []string{
	"2006/01/02", "01/02/2006", "2006-01-02", "01-02-2006", "2006.01.02", "01.02.2006",
	"2006_01_02", "01_02_2006", time.RFC3339, "2006-01-02T15:04:05.000Z",
}

func parseDOB(s string) (string, bool) {
	for _, l := range dobLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.Format("2006-01-02"), true
		}
	}
	return "", false
}

// dupKeys returns the contact's normalized email and phone.
func (c *contact) dupKeys() (email, phone string) {
	return strings.ToLower(c.f["email"]), c.f["phone"]
}

func (l *location) index(c *contact) {
	email, phone := c.dupKeys()
	if email != "" {
		l.byEmail[email] = append(l.byEmail[email], c)
	}
	if phone != "" {
		l.byPhone[phone] = append(l.byPhone[phone], c)
	}
}

func (l *location) unindex(c *contact) {
	email, phone := c.dupKeys()
	drop := func(m map[string][]*contact, k string) {
		if k == "" {
			return
		}
		list := slices.DeleteFunc(m[k], func(o *contact) bool { return o == c })
		if len(list) == 0 {
			delete(m, k)
		} else {
			m[k] = list
		}
	}
	drop(l.byEmail, email)
	drop(l.byPhone, phone)
}

// firstMatch returns the oldest contact with the given email or phone,
// following the location's duplicate order, and the field that matched.
func (l *location) firstMatch(email, phone string, except *contact) (*contact, string) {
	for _, f := range l.cfg.DuplicateOrder {
		var list []*contact
		switch f {
		case "email":
			if email != "" {
				list = l.byEmail[strings.ToLower(email)]
			}
		case "phone":
			if phone != "" {
				list = l.byPhone[phone]
			}
		}
		var best *contact
		for _, c := range list {
			if c != except && (best == nil || c.seq < best.seq) {
				best = c
			}
		}
		if best != nil {
			return best, f
		}
	}
	return nil, ""
}
