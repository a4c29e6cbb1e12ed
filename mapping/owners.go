package mapping

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

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
	// Role is the staff member's role or kind ("provider", "Hygienist"),
	// shown beside the name when the member has no user.
	Role string
}

// StaffMembers adapts PbN staff for ResolveOwners.
func StaffMembers(staff []pbn.Staff) []StaffMember {
	out := make([]StaffMember, 0, len(staff))
	for _, s := range staff {
		role := strings.TrimSpace(s.Role)
		if role == "" {
			role = string(s.Kind)
		}
		out = append(out, StaffMember{Key: string(s.ID), Email: s.Email,
			Name: strings.TrimSpace(s.FirstName + " " + s.LastName), Role: role})
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
	// Table maps staff to users by hand (the map's owners table, see
	// OwnerRule): a rule wins over the email match. A rule naming no
	// active user is an error (ErrOwnerTable): a hand-made choice never
	// falls back silently.
	Table []OwnerRule
}

// ErrOwnerTable says a rule of the map's owners table names no active
// user of the location.
var ErrOwnerTable = errors.New("mapping: owners table names no active HighLevel user")

// ErrNoFallbackOwner is returned when no usable fallback user is given.
var ErrNoFallbackOwner = errors.New("mapping: a fallback owner (an existing HighLevel user) is required")

// Owners maps staff to HighLevel users. It implements OwnerResolver.
type Owners struct {
	byStaff  map[string]string
	fallback string
	// Matched counts staff matched by email or by the owners table
	// (ByTable of them by the table); Unmatched lists the others (no
	// email, or no user with it, and no rule) for review before the run.
	Matched   int
	ByTable   int
	Unmatched []StaffMember

	mu       sync.Mutex
	affected map[string]int // unmatched staff key → records given the fallback
	unowned  map[string]int // unmatched staff key → records left without owner
}

// ResolveOwners matches staff to users: first by the owners table
// (opts.Table: by user id or by email), then by email, compared trimmed
// and case-insensitively; deleted users never match. Several staff may
// share a user.
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
	o := &Owners{byStaff: make(map[string]string, len(staff)), affected: map[string]int{}}
	table := make(map[string]string, len(opts.Table))
	for _, r := range opts.Table {
		staffKey := strings.TrimSpace(r.Staff)
		switch {
		case r.UserID != "":
			if !ids[r.UserID] {
				return nil, fmt.Errorf("%w: staff %s → user id %s", ErrOwnerTable, staffKey, r.UserID)
			}
			table[staffKey] = r.UserID
		default:
			id, ok := byEmail[normEmail(r.Email)]
			if !ok || normEmail(r.Email) == "" {
				// The email is a staff member's work address, still kept
				// out of the error: the staff key names the rule.
				return nil, fmt.Errorf("%w: staff %s → its email", ErrOwnerTable, staffKey)
			}
			table[staffKey] = id
		}
	}
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
		if id, ok := table[s.Key]; ok {
			o.byStaff[s.Key] = id
			o.Matched++
			o.ByTable++
			continue
		}
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
// Each fallback answer for a staff key is counted (Affected): a
// preflight's scan thereby tells how many records each unmatched member
// owns.
func (o *Owners) Owner(staffKey string) (string, bool) {
	if id, ok := o.byStaff[staffKey]; ok {
		return id, true
	}
	if staffKey != "" {
		o.mu.Lock()
		if o.affected == nil {
			o.affected = map[string]int{}
		}
		o.affected[staffKey]++
		o.mu.Unlock()
	}
	return o.fallback, false
}

// User returns the user matched to the staff member, with no fallback:
// what a custom object record (an appointment, a treatment row) takes as
// its owner or follower. A record of a staff member without a user gets
// none — the fallback user is for contacts, which must have an owner, and
// the record's own fields say who (its staff ids, and the names
// Map.NameStaff drafts). Each unmatched
// answer for a staff key is counted (Unowned, part of Affected).
func (o *Owners) User(staffKey string) (string, bool) {
	if id, ok := o.byStaff[staffKey]; ok {
		return id, true
	}
	if staffKey != "" {
		o.mu.Lock()
		if o.unowned == nil {
			o.unowned = map[string]int{}
		}
		o.unowned[staffKey]++
		o.mu.Unlock()
	}
	return "", false
}

// Affected is how many user look-ups for the staff member found no user:
// after a preflight's scan, the records of an unmatched member that will
// be owned by the fallback user (Owner: contacts, opportunities, notes…)
// plus those that will have no owner or follower (User: custom object
// records, counted apart by Unowned).
func (o *Owners) Affected(staffKey string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.affected[staffKey] + o.unowned[staffKey]
}

// Unowned is how many of the staff member's Affected look-ups were a
// custom object record's (User): records that will have no owner (or
// follower) from this member; the rest go to the fallback user.
func (o *Owners) Unowned(staffKey string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.unowned[staffKey]
}

// Uncounted is o resolving alike (Owner, User) but counting nothing in
// Affected and Unowned: for a second pass over records a first pass has
// counted (a preflight's pricing of the history policies re-reads the
// appointments and procedures its scan counted).
func (o *Owners) Uncounted() OwnerResolver { return uncounted{o} }

type uncounted struct{ o *Owners }

func (u uncounted) Owner(staffKey string) (string, bool) {
	if id, ok := u.o.byStaff[staffKey]; ok {
		return id, true
	}
	return u.o.fallback, false
}

func (u uncounted) User(staffKey string) (string, bool) {
	id, ok := u.o.byStaff[staffKey]
	return id, ok
}

// Fallback is the fallback user's id.
func (o *Owners) Fallback() string { return o.fallback }

func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
