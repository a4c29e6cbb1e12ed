package mapping

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// User is a HighLevel user as owner resolution needs it.
type User struct {
	ID      string
	Email   string
	Name    string
	Deleted bool
}

// StaffMember is a source staff member to match: Key is its source key.
type StaffMember struct {
	Key   string
	Email string
	Name  string
}

// StaffMembers adapts PbN staff for ResolveOwners.
func StaffMembers(staff []pbn.Staff) []StaffMember {
	out := make([]StaffMember, 0, len(staff))
	for _, s := range staff {
		out = append(out, StaffMember{Key: strconv.FormatInt(s.ID, 10), Email: s.Email,
			Name: strings.TrimSpace(s.FirstName + " " + s.LastName)})
	}
	return out
}

// UserDirectory lists a location's users (the highlevel Users search).
type UserDirectory interface {
	Users(ctx context.Context) ([]User, error)
}

// OwnerOptions choose the fallback owner: the user that owns records whose
// staff member has no HighLevel user, so no contact lands without an owner.
// Give an id or an email of an existing user.
type OwnerOptions struct {
	FallbackUserID string
	FallbackEmail  string
}

// ErrNoFallbackOwner is returned when no usable fallback user is given.
var ErrNoFallbackOwner = errors.New("mapping: a fallback owner (an existing HighLevel user) is required")

// Owners maps staff to HighLevel users. It implements OwnerResolver.
type Owners struct {
	byStaff  map[string]string
	fallback string
	// Matched counts staff matched by email; Unmatched lists the others
	// (no email, or no user with it) for review before the run.
	Matched   int
	Unmatched []StaffMember
}

// ResolveOwners matches staff to users by email, compared trimmed and
// case-insensitively; deleted users never match. Several staff may share a
// user.
func ResolveOwners(staff []StaffMember, users []User, opts OwnerOptions) (*Owners, error) {
	byEmail := make(map[string]string, len(users))
	ids := make(map[string]bool, len(users))
	for _, u := range users {
		if u.Deleted || u.ID == "" {
			continue
		}
		ids[u.ID] = true
		if e := normEmail(u.Email); e != "" {
			if _, dup := byEmail[e]; !dup {
				byEmail[e] = u.ID
			}
		}
	}
	o := &Owners{byStaff: make(map[string]string, len(staff))}
	switch {
	case opts.FallbackUserID != "":
		if !ids[opts.FallbackUserID] {
			return nil, fmt.Errorf("%w: user id %s is not an active user of the location", ErrNoFallbackOwner, opts.FallbackUserID)
		}
		o.fallback = opts.FallbackUserID
	case opts.FallbackEmail != "":
		id, ok := byEmail[normEmail(opts.FallbackEmail)]
		if !ok {
			return nil, fmt.Errorf("%w: no active user has the fallback email", ErrNoFallbackOwner)
		}
		o.fallback = id
	default:
		return nil, ErrNoFallbackOwner
	}
	for _, s := range staff {
		if id, ok := byEmail[normEmail(s.Email)]; ok && normEmail(s.Email) != "" {
			o.byStaff[s.Key] = id
			o.Matched++
			continue
		}
		o.Unmatched = append(o.Unmatched, s)
	}
	return o, nil
}

// ResolveOwnersFrom lists the directory's users and resolves staff to them.
func ResolveOwnersFrom(ctx context.Context, dir UserDirectory, staff []StaffMember, opts OwnerOptions) (*Owners, error) {
	users, err := dir.Users(ctx)
	if err != nil {
		return nil, fmt.Errorf("mapping: list users: %w", err)
	}
	return ResolveOwners(staff, users, opts)
}

// Owner returns the user owning records of the staff member, or the
// fallback with matched=false.
func (o *Owners) Owner(staffKey string) (string, bool) {
	if id, ok := o.byStaff[staffKey]; ok {
		return id, true
	}
	return o.fallback, false
}

// Fallback is the fallback user's id.
func (o *Owners) Fallback() string { return o.fallback }

func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
