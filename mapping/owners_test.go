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
		{ID: 1, Email: "  dr.smith@clinic.COM "},
		{ID: 2, Email: ""},
		{ID: 3, Email: "gone@clinic.com"},
		{ID: 4, Email: "FRONT@clinic.com"},
		{ID: 5, Email: "nobody@clinic.com", FirstName: "No", LastName: "Body"},
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
