package mapping

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// withRecordOwners is the default map with the provider as the owner and
// the hygienist as a follower of appointment and treatment records
// (issue 16.5), approved.
func withRecordOwners(t *testing.T) *Map {
	t.Helper()
	m := mustDefault(t)
	appts, procs := m.Object("appointments"), m.Object("procedures")
	require.NotNil(t, appts)
	require.NotNil(t, procs)
	if !hasLookupTo(appts, LinkOwner) {
		appts.Lookups = append(appts.Lookups,
			Lookup{From: "providerId", Object: "staff", To: LinkOwner},
			Lookup{From: "hygienistId", Object: "staff", To: LinkFollowers})
	}
	if !hasLookupTo(procs, LinkOwner) {
		procs.Lookups = append(procs.Lookups, Lookup{From: "providerId", Object: "staff", To: LinkOwner})
	}
	require.NoError(t, m.Approve("test", fixedTime))
	return m
}

func hasLookupTo(o *Object, to string) bool {
	for _, l := range o.Lookups {
		if l.To == to {
			return true
		}
	}
	return false
}

func problemOn(p Payload, field string) (Problem, bool) {
	for _, pr := range p.Problems {
		if pr.Field == field {
			return pr, true
		}
	}
	return Problem{}, false
}

// TestRecordOwners (issue 16.5, links): a custom object record's provider
// lookup (to: assignedTo) makes the staff member's HighLevel user the
// record's owner, the hygienist's (to: followers) a follower; a staff
// member without a user leaves the record without owner — never the
// fallback user, which is for contacts — with a warning, and an update
// clears the owner it may have had. Owners counts those records apart
// (Unowned) within Affected, beside the contacts given the fallback.
func TestRecordOwners(t *testing.T) {
	m := withRecordOwners(t)
	users := []User{{ID: "u1", Email: "ana@clinic.example"}, {ID: "u2", Email: "bo@clinic.example"}, {ID: "ufb", Email: "desk@clinic.example"}}
	staff := StaffMembers([]pbn.Staff{
		{ID: "1", Email: "ana@clinic.example", Kind: pbn.StaffProvider},
		{ID: "2", FirstName: "Bo", LastName: "Chen", Kind: pbn.StaffProvider, Role: "Hygienist"},
		{ID: "3", FirstName: "Cy", LastName: "Dunn", Kind: pbn.StaffProvider, Role: "Dentist"},
	})
	owners, err := ResolveOwners(staff, users, OwnerOptions{FallbackUserID: "ufb",
		Table: []OwnerRule{{Staff: "2", Email: "bo@clinic.example"}}})
	require.NoError(t, err)
	require.Len(t, owners.Unmatched, 1)
	a, err := NewApplier(m, ApplierOptions{Owners: owners})
	require.NoError(t, err)
	in := Inputs{}
	appt := func(id, provider, hygienist string) Payload {
		t.Helper()
		ps, err := a.Apply("appointments", Struct(&pbn.Appointment{ID: pbn.Key(id), PatientID: "1001", Status: pbn.AppointmentComplete,
			ProviderID: pbn.Key(provider), HygienistID: pbn.Key(hygienist)}))
		require.NoError(t, err)
		require.Len(t, ps, 1)
		require.True(t, ps[0].Valid(), "%v", ps[0].Problems)
		return ps[0]
	}

	// Provider 1 (by email) owns it, hygienist 2 (by the owners table)
	// follows it.
	p := appt("10", "1", "2")
	assert.Equal(t, "u1", p.AssignedTo)
	assert.Equal(t, []string{"u2"}, p.Followers)
	assert.Empty(t, p.Unset)
	_, warned := problemOn(p, "providerId")
	assert.False(t, warned)
	ri, err := in.Record(&p)
	require.NoError(t, err)
	assert.Equal(t, []string{"u1"}, ri.Owner)
	assert.Equal(t, []string{"u2"}, ri.Followers)
	body, err := ri.Body()
	require.NoError(t, err)
	assert.Contains(t, string(body), `"owner":["u1"],"followers":["u2"]`)
	owned := p.Digest()

	// Provider 3 has no user: no owner (not the fallback), a warning that
	// says so, and an update that clears an owner set before.
	p = appt("11", "3", "")
	assert.Empty(t, p.AssignedTo, "a record never takes the fallback user")
	assert.Empty(t, p.Followers)
	assert.Equal(t, []string{LinkOwner, LinkFollowers}, p.Unset)
	pr, warned := problemOn(p, "providerId")
	require.True(t, warned, "%v", p.Problems)
	assert.Equal(t, Warning, pr.Severity)
	assert.Equal(t, RuleReference, pr.Rule)
	assert.Contains(t, pr.Reason, "no HighLevel user; the record gets no owner")
	_, warned = problemOn(p, "hygienistId")
	assert.False(t, warned, "no hygienist, nothing to warn about")
	ri, err = in.Record(&p)
	require.NoError(t, err)
	assert.Nil(t, ri.Owner)
	body, err = ri.Body()
	require.NoError(t, err)
	assert.NotContains(t, string(body), "owner", "a create without owner sends none")
	u, err := in.RecordUpdate(&p)
	require.NoError(t, err)
	ub, err := u.Body()
	require.NoError(t, err)
	var sent map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(ub, &sent))
	assert.JSONEq(t, `[]`, string(sent["owner"]), "the update clears the owner")
	assert.JSONEq(t, `[]`, string(sent["followers"]))
	assert.NotEqual(t, owned, p.Digest())

	// No provider at all: no owner, no warning.
	p = appt("12", "0", "")
	assert.Empty(t, p.AssignedTo)
	assert.Empty(t, p.Problems)
	assert.Contains(t, p.Unset, LinkOwner)

	// A treatment row: the same rule.
	ps, err := a.Apply("procedures", Struct(&pbn.Procedure{ID: "20", PatientID: "1001", Code: "D1110", Status: pbn.ProcedureComplete, ProviderID: "3"}))
	require.NoError(t, err)
	assert.Empty(t, ps[0].AssignedTo)
	ps, err = a.Apply("procedures", Struct(&pbn.Procedure{ID: "21", PatientID: "1001", Code: "D1110", Status: pbn.ProcedureComplete, ProviderID: "1"}))
	require.NoError(t, err)
	assert.Equal(t, "u1", ps[0].AssignedTo)
	assert.Empty(t, ps[0].Unset)
	u, err = in.RecordUpdate(&ps[0])
	require.NoError(t, err)
	assert.Equal(t, []string{"u1"}, u.Owner)
	assert.Nil(t, u.Followers, "an object without a followers lookup leaves them as they are")

	// A contact of staff 3 still gets the fallback user.
	pt := samplePatient(t)
	pt.AssignedStaffID = "3"
	ps, err = a.Apply("patients", Struct(pt))
	require.NoError(t, err)
	assert.Equal(t, "ufb", ps[0].AssignedTo)

	// Staff 3: two records left without owner, one contact owned by the
	// fallback, three affected.
	assert.Equal(t, 2, owners.Unowned("3"))
	assert.Equal(t, 3, owners.Affected("3"))
	assert.Zero(t, owners.Affected("1"))
	assert.Zero(t, owners.Affected("2"))
}

// TestRecordOwnersWithoutResolver: without owner resolution (no users
// object resolved, as in a dry look at the map) the user lookups of a
// record stay links, and nothing is owned.
func TestRecordOwnersWithoutResolver(t *testing.T) {
	a, err := NewApplier(withRecordOwners(t), ApplierOptions{})
	require.NoError(t, err)
	ps, err := a.Apply("appointments", Struct(&pbn.Appointment{ID: "1", PatientID: "1001", Status: pbn.AppointmentComplete,
		ProviderID: "1", HygienistID: "2"}))
	require.NoError(t, err)
	assert.Empty(t, ps[0].AssignedTo)
	assert.Empty(t, ps[0].Followers)
	assert.Empty(t, ps[0].Unset)
	l, ok := ps[0].Link(LinkOwner)
	require.True(t, ok)
	assert.Equal(t, "1", l.Key)
	l, ok = ps[0].Link(LinkFollowers)
	require.True(t, ok)
	assert.Equal(t, "2", l.Key)
}

// TestFollowersLinkCheck: followers is a link of custom object records
// only, to a users object.
func TestFollowersLinkCheck(t *testing.T) {
	m := mustDefault(t)
	pts := m.Object("patients")
	pts.Lookups = append(pts.Lookups, Lookup{From: "hygienistId", Object: "staff", To: LinkFollowers})
	appts := m.Object("appointments")
	appts.Lookups = append(appts.Lookups, Lookup{From: "hygienistId", Object: "patients", To: LinkFollowers})
	var msgs []string
	for _, is := range m.check(nil) {
		msgs = append(msgs, is.Message)
	}
	assert.Contains(t, msgs, `a contact cannot link to "followers" (allowed: businessId, assignedTo)`)
	assert.Contains(t, msgs, `followers must refer to a user object, "patients" is a contact`)
	assert.Empty(t, withRecordOwners(t).check(nil), "the provider as owner, the hygienist as follower")
}

// TestRecordFollowersCapped: HighLevel keeps ten followers; an eleventh
// resolved user is left out with a warning, a repeated one counted once.
func TestRecordFollowersCapped(t *testing.T) {
	m := mustDefault(t)
	appts := m.Object("appointments")
	var users []User
	var staff []StaffMember
	row := Row{"id": "1", "patientId": "1001", "status": "Complete"}
	for i := range 12 {
		k := string(rune('a' + i))
		users = append(users, User{ID: "u" + k, Email: k + "@clinic.example"})
		staff = append(staff, StaffMember{Key: k, Email: k + "@clinic.example"})
		row["f"+k] = k
		appts.Lookups = append(appts.Lookups, Lookup{From: "f" + k, Object: "staff", To: LinkFollowers})
	}
	row["fl"] = "a" // the twelfth names the first again
	require.NoError(t, m.Approve("test", fixedTime))
	owners, err := ResolveOwners(staff, users, OwnerOptions{FallbackUserID: "ua"})
	require.NoError(t, err)
	a, err := NewApplier(m, ApplierOptions{Owners: owners})
	require.NoError(t, err)
	ps, err := a.Apply("appointments", row)
	require.NoError(t, err)
	assert.Len(t, ps[0].Followers, 10)
	assert.Equal(t, "ua", ps[0].Followers[0])
	pr, ok := problemOn(ps[0], "fk")
	require.True(t, ok, "%v", ps[0].Problems)
	assert.Contains(t, pr.Reason, "at most 10 followers")
	_, ok = problemOn(ps[0], "fl")
	assert.False(t, ok, "a follower already there is no eleventh")
}
