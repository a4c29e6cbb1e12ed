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
	size := q.PageSize
	if size <= 0 {
		size = 100
	}
	return func(yield func(*User, error) bool) {
		if q.CompanyID == "" {
			yield(nil, fmt.Errorf("highlevel: %s: company id is required", opUserSearch.name))
			return
		}
		for skip := 0; ; skip += size {
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
			if err := s.client.do(ctx, call{op: opUserSearch, path: "/users/search", query: v}, &out); err != nil {
				yield(nil, err)
				return
			}
			for _, u := range out.Users {
				if !yield(u, nil) {
					return
				}
			}
			if len(out.Users) < size || (out.Count != nil && skip+len(out.Users) >= int(*out.Count)) {
				return
			}
		}
	}
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
