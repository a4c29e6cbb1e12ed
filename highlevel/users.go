package highlevel

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// User is a HighLevel user (a staff member who can own records).
type User struct {
	ID        string    `json:"id"`
	Name      string    `json:"name,omitempty"`
	FirstName string    `json:"firstName,omitempty"`
	LastName  string    `json:"lastName,omitempty"`
	Email     string    `json:"email,omitempty"`
	Phone     string    `json:"phone,omitempty"`
	Extension string    `json:"extension,omitempty"`
	Roles     UserRoles `json:"roles"`
	Deleted   bool      `json:"deleted,omitempty"`
}

// UserRoles say where a user works and with which role.
type UserRoles struct {
	Type               string   `json:"type,omitempty"` // "account" or "agency"
	Role               string   `json:"role,omitempty"` // "admin" or "user"
	LocationIDs        []string `json:"locationIds,omitempty"`
	RestrictSubAccount bool     `json:"restrictSubAccount,omitempty"`
}

var (
	opUserSearch = operation{name: "users.search", method: http.MethodGet, version: Version20210728}
	opUserGet    = operation{name: "users.get", method: http.MethodGet, version: Version20210728}
	// filter-by-email only reads, so it may be retried like a GET.
	opUserByEmail = operation{name: "users.filterByEmail", method: http.MethodPost, version: Version20210728, idempotent: true}
)

// UserSearch is a user search. HighLevel scopes it by company (agency), so
// CompanyID is required; the results are narrowed to the client's location.
type UserSearch struct {
	CompanyID string
	// Query matches names and e-mail addresses.
	Query string
	// PageSize is the limit of each call. Default 100.
	PageSize int
}

// Search iterates over the location's users matching q (GET /users/search
// with skip and limit), one page in memory at a time.
func (s *UsersService) Search(ctx context.Context, q UserSearch) iter.Seq2[*User, error] {
	if q.CompanyID == "" {
		return failed[*User](fmt.Errorf("highlevel: %s: company id is required", opUserSearch.name))
	}
	size := pageSize(q.PageSize)
	return pages(size, func(skip int) ([]*User, *float64, error) {
		v := url.Values{
			"companyId":  {q.CompanyID},
			"locationId": {s.client.locationID},
			"skip":       {strconv.Itoa(skip)},
			"limit":      {strconv.Itoa(size)},
		}
		if q.Query != "" {
			v.Set("query", q.Query)
		}
		var out struct {
			Users []*User  `json:"users"`
			Count *float64 `json:"count"`
		}
		err := s.client.do(ctx, call{op: opUserSearch, path: "/users/search", query: v}, &out)
		return out.Users, out.Count, err
	})
}

// ErrAmbiguousUser: several active users of the location share an e-mail
// address.
var ErrAmbiguousUser = errors.New("highlevel: several users have this e-mail address")

// FindByEmail returns the location's active user whose e-mail address is
// email (case-insensitive, surrounding spaces ignored), or nil when there
// is none. It is how a record's owner is resolved from a staff e-mail.
func (s *UsersService) FindByEmail(ctx context.Context, companyID, email string) (*User, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return nil, fmt.Errorf("highlevel: %s: empty e-mail address", opUserSearch.name)
	}
	var found *User
	for u, err := range s.Search(ctx, UserSearch{CompanyID: companyID, Query: email}) {
		if err != nil {
			return nil, err
		}
		if u.Deleted || !strings.EqualFold(strings.TrimSpace(u.Email), email) {
			continue
		}
		if found != nil && found.ID != u.ID {
			return nil, fmt.Errorf("highlevel: %s: %w (users %s and %s)", opUserSearch.name, ErrAmbiguousUser, found.ID, u.ID)
		}
		found = u
	}
	return found, nil
}

// Get returns a user (GET /users/{userId}).
func (s *UsersService) Get(ctx context.Context, id string) (*User, error) {
	if err := requireID(opUserGet.name, "user id", id); err != nil {
		return nil, err
	}
	var out User
	if err := s.client.do(ctx, call{op: opUserGet, path: pathf("/users/%s", id)}, &out); err != nil {
		return nil, err
	}
	if out.ID == "" {
		return nil, &DecodeError{Operation: opUserGet.name, Err: errors.New("no user id in response")}
	}
	return &out, nil
}

// emailBatch is how many addresses FilterByEmail sends per call.
const emailBatch = 100

// FilterByEmail returns the company's active users with any of these
// e-mail addresses (POST /users/search/filter-by-email), 100 addresses per
// call: the cheap way to resolve the owners of a whole migration at once.
// Users whose roles name other locations only are left out. Match the
// results to addresses case-insensitively.
func (s *UsersService) FilterByEmail(ctx context.Context, companyID string, emails []string) ([]*User, error) {
	op := opUserByEmail.name
	if companyID == "" {
		return nil, fmt.Errorf("highlevel: %s: company id is required", op)
	}
	seen := map[string]bool{}
	var list []string
	for _, e := range emails {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" || seen[e] {
			continue
		}
		if strings.Contains(e, ",") {
			return nil, fmt.Errorf("highlevel: %s: an e-mail address contains a comma", op)
		}
		seen[e] = true
		list = append(list, e)
	}
	var out []*User
	for start := 0; start < len(list); start += emailBatch {
		batch := strings.Join(list[start:min(start+emailBatch, len(list))], ",")
		for u, err := range pages(emailBatch, func(skip int) ([]*User, *float64, error) {
			// skip and limit are strings in this endpoint's body; projection
			// "all" brings the roles (the default is id and e-mail only).
			body := struct {
				CompanyID  string `json:"companyId"`
				Emails     string `json:"emails"`
				Deleted    bool   `json:"deleted"`
				Skip       string `json:"skip"`
				Limit      string `json:"limit"`
				Projection string `json:"projection"`
			}{companyID, batch, false, strconv.Itoa(skip), strconv.Itoa(emailBatch), "all"}
			var page struct {
				Users []*User  `json:"users"`
				Count *float64 `json:"count"`
			}
			err := s.client.do(ctx, call{op: opUserByEmail, path: "/users/search/filter-by-email", body: body}, &page)
			return page.Users, page.Count, err
		}) {
			if err != nil {
				return nil, err
			}
			if !u.Deleted && u.inLocation(s.client.locationID) {
				out = append(out, u)
			}
		}
	}
	return out, nil
}

// inLocation reports whether the user may work in the location: no
// location list (agency users, or a projection without roles) counts as
// yes.
func (u *User) inLocation(id string) bool {
	if len(u.Roles.LocationIDs) == 0 {
		return true
	}
	for _, l := range u.Roles.LocationIDs {
		if l == id {
			return true
		}
	}
	return false
}
