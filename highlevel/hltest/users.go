package hltest

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// userInLocation reports whether a user id may own records in a location.
func (s *Server) userInLocation(id, locID string) bool {
	for _, u := range s.opts.Users {
		if u.ID == id && !u.Deleted {
			return len(u.LocationIDs) == 0 || slices.Contains(u.LocationIDs, locID) || u.Type == "agency"
		}
	}
	return false
}

func (u User) json() map[string]any {
	typ, role := u.Type, u.Role
	if typ == "" {
		typ = "account"
	}
	if role == "" {
		role = "user"
	}
	name := u.Name
	if name == "" {
		name = strings.TrimSpace(u.FirstName + " " + u.LastName)
	}
	out := map[string]any{
		"id": u.ID, "name": name, "firstName": u.FirstName, "lastName": u.LastName,
		"email": u.Email, "deleted": u.Deleted,
		"roles": map[string]any{"type": typ, "role": role, "locationIds": nonNil(u.LocationIDs)},
	}
	if u.Phone != "" {
		out["phone"] = u.Phone
	}
	return out
}

// LoadUsers reads users from JSON: either an array of User or
// {"users": [...]} as GET /users/search returns them.
func LoadUsers(r io.Reader) ([]User, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("hltest: read users: %w", err)
	}
	var list []User
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, validUsers(list)
	}
	var wrapped struct {
		Users []struct {
			User
			Roles struct {
				Type        string   `json:"type"`
				Role        string   `json:"role"`
				LocationIDs []string `json:"locationIds"`
			} `json:"roles"`
		} `json:"users"`
	}
	if err := json.Unmarshal(raw, &wrapped); err != nil {
		return nil, fmt.Errorf("hltest: users JSON is neither [User] nor {\"users\":[...]}: %w", err)
	}
	for _, u := range wrapped.Users {
		v := u.User
		if v.Type == "" {
			v.Type = u.Roles.Type
		}
		if v.Role == "" {
			v.Role = u.Roles.Role
		}
		if len(v.LocationIDs) == 0 {
			v.LocationIDs = u.Roles.LocationIDs
		}
		list = append(list, v)
	}
	return list, validUsers(list)
}

// LoadUsersFile is LoadUsers over a file.
func LoadUsersFile(path string) ([]User, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("hltest: %w", err)
	}
	defer f.Close()
	return LoadUsers(f)
}

func validUsers(us []User) error {
	seen := map[string]bool{}
	for i, u := range us {
		if !isID(u.ID) {
			return fmt.Errorf("hltest: user %d: id %q is not a 20-24 character HighLevel id", i, u.ID)
		}
		if seen[u.ID] {
			return fmt.Errorf("hltest: user %d: duplicate id %s", i, u.ID)
		}
		seen[u.ID] = true
	}
	return nil
}

// searchUsers is GET /users/search?companyId&locationId&query&skip&limit.
func (s *Server) searchUsers(c *call) (response, *apiError) {
	company := c.q("companyId")
	if company == "" {
		return fail(errUnprocessable("companyId should not be empty", "companyId must be a string"))
	}
	if company != s.opts.CompanyID {
		return fail(errLocationAccess)
	}
	locID := c.q("locationId")
	if locID != "" && c.loc != nil && locID != c.loc.cfg.ID {
		return fail(errLocationAccess)
	}
	if c.loc != nil && locID == "" {
		locID = c.loc.cfg.ID
	}
	q := strings.ToLower(c.q("query"))
	skip, limit := atoiDefault(c.q("skip"), 0), atoiDefault(c.q("limit"), 25)
	var out []map[string]any
	n := 0
	for _, u := range s.opts.Users {
		if u.Deleted {
			continue
		}
		if locID != "" && len(u.LocationIDs) > 0 && !slices.Contains(u.LocationIDs, locID) {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(u.Name+" "+u.FirstName+" "+u.LastName+" "+u.Email), q) {
			continue
		}
		if n >= skip && len(out) < limit {
			out = append(out, u.json())
		}
		n++
	}
	return ok(map[string]any{"users": nonNil(out), "count": n})
}

// usersByLocation is the deprecated GET /users/?locationId.
func (s *Server) usersByLocation(c *call) (response, *apiError) {
	l, err := c.scope(c.q("locationId"))
	if err != nil {
		return fail(err)
	}
	out := []map[string]any{}
	for _, u := range s.opts.Users {
		if !u.Deleted && (len(u.LocationIDs) == 0 || slices.Contains(u.LocationIDs, l.cfg.ID)) {
			out = append(out, u.json())
		}
	}
	return ok(map[string]any{"users": out})
}

func (s *Server) getUser(c *call) (response, *apiError) {
	id := c.param("userId")
	for _, u := range s.opts.Users {
		if u.ID == id {
			if c.loc != nil && !s.userInLocation(id, c.loc.cfg.ID) {
				return fail(errLocationAccess)
			}
			return ok(u.json())
		}
	}
	return fail(errBadRequest("User with id %s not found", id))
}

var filterByEmailDTO = newDTO(
	field{name: "companyId", kind: kString, required: true},
	field{name: "emails", kind: kString, required: true},
	field{name: "deleted", kind: kBool},
	field{name: "skip", kind: kString},
	field{name: "limit", kind: kString},
	field{name: "projection", kind: kString},
)

// filterUsersByEmail is POST /users/search/filter-by-email: emails is a
// comma-separated list, matched case-insensitively.
func (s *Server) filterUsersByEmail(c *call) (response, *apiError) {
	m, err := filterByEmailDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	if str(m, "companyId") != s.opts.CompanyID {
		return fail(errLocationAccess)
	}
	want := map[string]bool{}
	for _, e := range strings.Split(str(m, "emails"), ",") {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
			want[e] = true
		}
	}
	skip, limit := atoiDefault(str(m, "skip"), 0), atoiDefault(str(m, "limit"), 25)
	var out []map[string]any
	n := 0
	for _, u := range s.opts.Users {
		if u.Deleted != boolean(m, "deleted") || !want[strings.ToLower(u.Email)] {
			continue
		}
		if c.loc != nil && !s.userInLocation(u.ID, c.loc.cfg.ID) {
			continue
		}
		if n >= skip && len(out) < limit {
			out = append(out, u.json())
		}
		n++
	}
	return ok(map[string]any{"users": nonNil(out), "count": n})
}

// getLocation is GET /locations/{locationId}; settings carry the
// duplicate rules a preflight should check.
func (s *Server) getLocation(c *call) (response, *apiError) {
	l, err := c.pathLocation()
	if err != nil {
		return fail(err)
	}
	name := l.cfg.Name
	if name == "" {
		name = l.cfg.ID
	}
	return ok(map[string]any{"location": map[string]any{
		"id": l.cfg.ID, "companyId": s.opts.CompanyID, "name": name, "timezone": "UTC",
		"settings": map[string]any{
			"allowDuplicateContact":     l.cfg.AllowDuplicates,
			"allowDuplicateOpportunity": l.cfg.AllowDuplicateOpportunities,
			"allowFacebookNameMerge":    false,
			"disableContactTimezone":    false,
		},
	}})
}
