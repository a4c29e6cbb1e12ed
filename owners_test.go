package pbnhl_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/mapping"
)

// TestPreflightOwnersTable: the map's staff → user table wins over the
// email match, the preflight names each unmatched staff member with role,
// records affected and the fallback user, and a rule naming no user
// blocks the run.
func TestPreflightOwnersTable(t *testing.T) {
	e := newEnv(t, envOptions{patients: size(25), seed: 13})
	ctx := context.Background()
	pre, err := e.migration(nil).Preflight(ctx)
	require.NoError(t, err)
	require.NotNil(t, pre.Owners)
	require.NotEmpty(t, pre.Owners.Unmatched)
	assert.Zero(t, pre.Owners.ByTable)
	matched := pre.Owners.Matched
	unmatched := len(pre.Owners.Unmatched)
	affected := 0
	for _, s := range pre.Owners.Unmatched {
		affected += pre.Owners.Affected(s.Key)
	}
	assert.Positive(t, affected, "unmatched staff own records that go to the fallback")

	// Map the first unmatched member by hand to the fallback desk's
	// colleague: the table wins, the member leaves the unmatched list.
	first := pre.Owners.Unmatched[0]
	staff := e.m.Object("staff")
	staff.Owners = []mapping.OwnerRule{{Staff: first.Key, Email: "FrontDesk@practice.example"}}
	require.NoError(t, e.m.Approve("test", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)))
	pre, err = e.migration(nil).Preflight(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, pre.Owners.ByTable)
	assert.Equal(t, matched+1, pre.Owners.Matched)
	assert.Len(t, pre.Owners.Unmatched, unmatched-1)
	id, ok := pre.Owners.Owner(first.Key)
	assert.True(t, ok)
	assert.Equal(t, fallbackUser, id)

	var text strings.Builder
	require.NoError(t, pre.WriteText(&text))
	out := text.String()
	assert.Contains(t, out, "(1 by the map's owners table)")
	// Appointments and treatments of an unmatched provider get no owner
	// (issue 16.5): counted apart from the records the fallback owns.
	const noOwner = "will have no owner (custom object records: the fallback user is for contacts; the record's own fields say who)"
	unowned := 0
	for _, s := range pre.Owners.Unmatched {
		n, none := pre.Owners.Affected(s.Key), pre.Owners.Unowned(s.Key)
		unowned += none
		want := fmt.Sprintf("unmatched staff %s %q (%s): %d record(s): %d will be owned by the fallback user %s, %d %s",
			s.Key, s.Name, s.Role, n, n-none, fallbackUser, none, noOwner)
		switch {
		case n == 0:
			want = fmt.Sprintf("unmatched staff %s %q (%s): owns no migrated record", s.Key, s.Name, s.Role)
		case none == 0:
			want = fmt.Sprintf("unmatched staff %s %q (%s): %d record(s) will be owned by the fallback user %s",
				s.Key, s.Name, s.Role, n, fallbackUser)
		case none == n:
			want = fmt.Sprintf("unmatched staff %s %q (%s): %d record(s) %s", s.Key, s.Name, s.Role, n, noOwner)
		}
		assert.Contains(t, out, want)
	}
	assert.Positive(t, unowned, "appointments and treatments of unmatched providers are counted")
	assert.NotContains(t, out, fmt.Sprintf("unmatched staff %s ", first.Key))
	for p := range e.pbn.Practice().Patients() {
		if p.Email != "" {
			assert.NotContains(t, out, p.Email, "no patient value in the report")
		}
	}

	staff.Owners = []mapping.OwnerRule{{Staff: first.Key, UserID: "hlUserNobody"}}
	require.NoError(t, e.m.Approve("test", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)))
	pre, err = e.migration(nil).Preflight(ctx)
	require.NoError(t, err)
	assert.False(t, pre.Ready())
	bs := blockersOf(pre, pbnhl.BlockOwners)
	require.Len(t, bs, 1, pre.Blocking)
	assert.Contains(t, bs[0].Reason, "owners table")
	assert.Contains(t, bs[0].Fix, "owners table")
}

// Without the agency id HighLevel cannot list the location's users; the
// error says which option to set rather than the client's "company id is
// required" (pbn2hl reconcile printed only that).
func TestOwnersNeedTheCompany(t *testing.T) {
	e := newEnv(t, envOptions{patients: 5, seed: 13})
	_, err := e.migration(func(o *pbnhl.Options) { o.CompanyID = "" }).Preflight(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Options.CompanyID (pbn2hl -company)")
}
