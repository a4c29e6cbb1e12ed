package mapping

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

type userList []User

func (u userList) Users(context.Context) ([]User, error) { return u, nil }

func TestResolveOwners(t *testing.T) {
	users := userList{
		{ID: "u1", Email: "Dr.Smith@Clinic.com"},
		{ID: "u2", Email: "front@clinic.com"},
		{ID: "u3", Email: "gone@clinic.com", Deleted: true},
	}
	staff := StaffMembers([]pbn.Staff{
		{ID: "1", Email: "  dr.smith@clinic.COM "},
		{ID: "2", Email: ""},
		{ID: "3", Email: "gone@clinic.com"},
		{ID: "4", Email: "FRONT@clinic.com"},
		{ID: "5", Email: "nobody@clinic.com", FirstName: "No", LastName: "Body"},
	})
	o, err := ResolveOwnersFrom(context.Background(), users, staff, OwnerOptions{FallbackEmail: "front@CLINIC.com "})
	require.NoError(t, err)
	assert.Equal(t, 2, o.Matched)
	var unmatched []string
	for _, s := range o.Unmatched {
		unmatched = append(unmatched, s.Key)
	}
	assert.Equal(t, []string{"2", "3", "5"}, unmatched)
	id, ok := o.Owner("1")
	assert.True(t, ok)
	assert.Equal(t, "u1", id)
	id, ok = o.Owner("5")
	assert.False(t, ok)
	assert.Equal(t, "u2", id)
	id, _ = o.Owner("")
	assert.Equal(t, "u2", id, "records without staff get the fallback too")
	assert.Equal(t, "u2", o.Fallback())

	_, err = ResolveOwners(staff, users, OwnerOptions{})
	assert.ErrorIs(t, err, ErrNoFallbackOwner)
	_, err = ResolveOwners(staff, users, OwnerOptions{FallbackUserID: "u3"})
	assert.ErrorIs(t, err, ErrNoFallbackOwner, "a deleted user cannot be the fallback")
	_, err = ResolveOwners(staff, users, OwnerOptions{FallbackEmail: "x@y.z"})
	assert.True(t, errors.Is(err, ErrNoFallbackOwner))
	assert.NotContains(t, err.Error(), "x@y.z", "emails stay out of errors")
	o, err = ResolveOwners(staff, users, OwnerOptions{FallbackUserID: "u1"})
	require.NoError(t, err)
	assert.Equal(t, "u1", o.Fallback())
}

func TestContactsWithoutOwnerLookupGetTheFallback(t *testing.T) {
	doc := "version: 1\nname: t\nobjects:\n  - name: p\n    source: p\n    target: contact\n    source_key: id\n    external_id: x_id\n    fields:\n      - {from: a, to: firstName}\n"
	m, err := Parse([]byte(doc), "t.yaml")
	require.NoError(t, err)
	require.NoError(t, m.Approve("t", fixedTime))
	o, err := ResolveOwners(nil, []User{{ID: "fb", Email: "fb@x.example"}}, OwnerOptions{FallbackUserID: "fb"})
	require.NoError(t, err)
	a, err := NewApplier(m, ApplierOptions{Owners: o})
	require.NoError(t, err)
	ps, err := a.Apply("p", Row{"id": "1", "a": "Ann"})
	require.NoError(t, err)
	assert.Equal(t, "fb", ps[0].AssignedTo)
}

// TestOwnersTable: the map's staff → user table wins over the email match
// (by user id or email), a rule naming no active user is ErrOwnerTable,
// and each fallback answer for an unmatched member is counted.
func TestOwnersTable(t *testing.T) {
	users := userList{
		{ID: "u1", Email: "dr.smith@clinic.com"},
		{ID: "u2", Email: "front@clinic.com"},
		{ID: "u3", Email: "gone@clinic.com", Deleted: true},
	}
	staff := StaffMembers([]pbn.Staff{
		{ID: "1", Email: "dr.smith@clinic.com", Kind: pbn.StaffProvider},
		{ID: "2", Email: "", FirstName: "Ann", LastName: "Lee", Role: "Hygienist"},
		{ID: "3", Email: "ann.personal@mail.com"},
		{ID: "4", FirstName: "Bo", LastName: "Ray", Kind: pbn.StaffProvider},
	})
	assert.Equal(t, "Hygienist", staff[1].Role)
	assert.Equal(t, string(pbn.StaffProvider), staff[3].Role, "the kind stands in for a missing role")
	o, err := ResolveOwners(staff, users, OwnerOptions{FallbackUserID: "u2", Table: []OwnerRule{
		{Staff: "1", UserID: "u2"},                   // wins over staff 1's own email match (u1)
		{Staff: " 2 ", Email: "DR.SMITH@clinic.com"}, // no email in PbN: mapped by hand
	}})
	require.NoError(t, err)
	id, ok := o.Owner("1")
	assert.True(t, ok)
	assert.Equal(t, "u2", id, "the table wins over the email match")
	id, ok = o.Owner("2")
	assert.True(t, ok)
	assert.Equal(t, "u1", id)
	assert.Equal(t, 2, o.Matched)
	assert.Equal(t, 2, o.ByTable)
	require.Len(t, o.Unmatched, 2)
	assert.Equal(t, "3", o.Unmatched[0].Key)
	assert.Equal(t, "Bo Ray", o.Unmatched[1].Name)
	for range 3 {
		_, _ = o.Owner("4")
	}
	_, _ = o.Owner("1")
	_, _ = o.Owner("")
	assert.Equal(t, 3, o.Affected("4"))
	assert.Zero(t, o.Affected("1"), "a matched member affects nothing")
	assert.Zero(t, o.Affected("3"))

	_, err = ResolveOwners(staff, users, OwnerOptions{FallbackUserID: "u2", Table: []OwnerRule{{Staff: "3", UserID: "u3"}}})
	assert.ErrorIs(t, err, ErrOwnerTable, "a deleted user cannot be chosen by hand")
	_, err = ResolveOwners(staff, users, OwnerOptions{FallbackUserID: "u2", Table: []OwnerRule{{Staff: "3", Email: "who@else.com"}}})
	assert.ErrorIs(t, err, ErrOwnerTable)
	assert.NotContains(t, err.Error(), "who@else.com", "emails stay out of errors")
}

// TestOwnersTableCheck: the map validates its owners table.
func TestOwnersTableCheck(t *testing.T) {
	m, err := Default(nil)
	require.NoError(t, err)
	staff := m.Object("staff")
	require.NotNil(t, staff)
	staff.Owners = []OwnerRule{{Staff: "1", UserID: "u1"}, {Staff: "2", Email: "a@b.c"}}
	assert.Empty(t, m.check(nil))
	staff.Owners = []OwnerRule{{Staff: "1", UserID: "u1", Email: "a@b.c"}, {Staff: "1", UserID: "u2"}, {UserID: "u3"}, {Staff: "4"}}
	var msgs []string
	for _, is := range m.check(nil) {
		msgs = append(msgs, is.Message)
	}
	assert.Contains(t, msgs, `staff "1": give exactly one of email or user_id`)
	assert.Contains(t, msgs, `staff "1" is mapped twice`)
	assert.Contains(t, msgs, "owner rule without a staff key")
	assert.Contains(t, msgs, `staff "4": give exactly one of email or user_id`)
	staff.Owners = nil
	m.Object("patients").Owners = []OwnerRule{{Staff: "1", UserID: "u1"}}
	msgs = msgs[:0]
	for _, is := range m.check(nil) {
		msgs = append(msgs, is.Message)
	}
	assert.Contains(t, msgs, "an owners table applies only to user targets")
}
