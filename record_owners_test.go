package pbnhl_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
	"github.com/pbnhl/pbnhl/reconcile"
)

// recordUserLinks are the user lookups of the default map's custom
// objects (issue 16.5): the provider owns appointment and treatment
// records, the hygienist follows an appointment.
var recordUserLinks = []struct{ object, from, to, idProp string }{
	{"appointments", "providerId", mapping.LinkOwner, "provider_id"},
	{"appointments", "hygienistId", mapping.LinkFollowers, "hygienist_id"},
	{"procedures", "providerId", mapping.LinkOwner, "provider_id"},
}

// withRecordUsers gives m's appointments and procedures those lookups
// when it lacks them.
func withRecordUsers(t *testing.T, m *mapping.Map) {
	t.Helper()
	for _, l := range recordUserLinks {
		o := m.Object(l.object)
		require.NotNil(t, o, l.object)
		if !slices.ContainsFunc(o.Lookups, func(x mapping.Lookup) bool { return x.From == l.from && x.To == l.to }) {
			o.Lookups = append(o.Lookups, mapping.Lookup{From: l.from, Object: "staff", To: l.to})
		}
	}
}

// TestProviderOwnsRecords (issue 16.5, links: the provider as a person
// and as the HighLevel user when resolved): with an owners table matching
// a provider by hand and the env's users matching others by email, every
// appointment and treatment record read back from hltest through the
// client is owned by its provider's user when the provider resolves, and
// has no owner otherwise (never the fallback user, which contacts get);
// an appointment's hygienist with a user follows it. The preflight counts
// those records for each unmatched staff member and says they will have
// no owner. A delta after the provider lost the table's user clears the
// owner of the records it updates and leaves the others.
func TestProviderOwnsRecords(t *testing.T) {
	day := pbntest.DefaultAsOf.Add(24 * time.Hour)
	e := newEnv(t, envOptions{patients: size(40), seed: 17, now: func() time.Time { return day }})
	ctx := context.Background()
	practice := e.pbn.Practice()
	staff := practice.Staff()
	// The env's users: every second staff member with an email, matched
	// by email (env_test.go).
	userOf := map[string]string{}
	for i, s := range staff {
		if s.Email != "" && i%2 == 0 {
			userOf[string(s.ID)] = fmt.Sprintf("hlUserStaff%09s", s.ID)
		}
	}
	// The owners table: the busiest provider without a user is given a
	// colleague's user by hand.
	seen := map[string]int{}
	for a := range practice.Appointments() {
		seen[string(a.ProviderID)]++
	}
	byHand, colleague := "", ""
	for id, n := range seen {
		if _, ok := userOf[id]; !ok && id != "" && (byHand == "" || n > seen[byHand] || n == seen[byHand] && id < byHand) {
			byHand = id
		}
	}
	for _, u := range userOf {
		if colleague == "" || u < colleague {
			colleague = u
		}
	}
	require.NotEmpty(t, byHand, "some provider has no user")
	require.NotEmpty(t, colleague)
	withRecordUsers(t, e.m)
	e.m.Object("staff").Owners = []mapping.OwnerRule{{Staff: byHand, UserID: colleague}}
	require.NoError(t, e.m.Approve("test", time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)))
	want := func(staffID string) []string {
		if staffID == byHand {
			return []string{colleague}
		}
		if u, ok := userOf[staffID]; ok {
			return []string{u}
		}
		return nil
	}

	_, err := e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)
	pre, err := e.migration(nil).Preflight(ctx)
	require.NoError(t, err)
	require.True(t, pre.Ready(), pre.Blocking)
	_, err = e.migration(nil).Load(ctx)
	require.NoError(t, err)

	census := readRecordUsers(t, e, want)
	t.Logf("after the load: %s", census)
	for _, c := range []string{"appointment owned", "appointment without owner", "treatment owned", "treatment without owner", "appointment followed"} {
		assert.Positive(t, census.n[c], "%s: both outcomes are exercised", c)
	}
	assert.Positive(t, census.owns[byHand], "the owners table's rule owns records")

	// The preflight counted, per unmatched staff member, the records that
	// will have no owner: exactly the lookups of the records that arrived.
	var text strings.Builder
	require.NoError(t, pre.WriteText(&text))
	for _, s := range pre.Owners.Unmatched {
		assert.Equal(t, census.unowned[s.Key], pre.Owners.Unowned(s.Key), "staff %s: records left without owner", s.Key)
		if n := census.unowned[s.Key]; n > 0 {
			assert.Contains(t, text.String(), fmt.Sprintf("unmatched staff %s %q (%s): %d record(s)", s.Key, s.Name, s.Role, pre.Owners.Affected(s.Key)))
		}
		_, has := userOf[s.Key]
		assert.False(t, has || s.Key == byHand, "staff %s has a user", s.Key)
	}
	assert.Contains(t, text.String(), "will have no owner (custom object records")

	// The provider loses the table's user; a delta updates some records:
	// those of that provider lose their owner, the others keep theirs.
	e.m.Object("staff").Owners = nil
	require.NoError(t, e.m.Approve("test", time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)))
	changes := e.pbn.MutateWith(pbntest.MutateOptions{Update: 60})
	changed := map[string]bool{}
	for _, en := range []pbn.Entity{pbn.EntityAppointments, pbn.EntityProcedures} {
		for _, k := range changes.Changed(en) {
			changed[string(en)+"/"+string(k)] = true
		}
	}
	require.NotEmpty(t, changed)
	// The changed records of that provider, as the source now has them.
	lost := 0
	now := e.pbn.Practice()
	for a := range now.Appointments() {
		if string(a.ProviderID) == byHand && changed[string(pbn.EntityAppointments)+"/"+string(a.ID)] {
			lost++
		}
	}
	for p := range now.Procedures() {
		if string(p.ProviderID) == byHand && changed[string(pbn.EntityProcedures)+"/"+string(p.ID)] {
			lost++
		}
	}
	require.Positive(t, lost, "the delta updates records of the provider that lost its user")
	_, err = e.migration(nil).Delta(ctx)
	require.NoError(t, err)
	// A record the delta re-sent for another reason (its treatment plan
	// changed: the case type) lost the owner too: either is right for a
	// record of that provider the source did not change.
	wantAfter := func(entity string) func(string, string) ([]string, bool) {
		return func(key, staffID string) ([]string, bool) {
			if staffID == byHand && changed[entity+"/"+key] {
				return nil, false // updated after the provider lost the user
			}
			return want(staffID), staffID == byHand
		}
	}
	after := readRecordUsersKeyed(t, e, wantAfter)
	t.Logf("after the delta (%d records changed, %d of them the provider's that lost its user): %s", len(changed), lost, after)
	assert.GreaterOrEqual(t, after.unowned[byHand], lost, "the delta cleared the owner of each updated record of the provider that lost its user")

	// Reconcile compares each record's owner and followers with what the
	// ledger sent (the delta's [] included): nothing differs, the owner's
	// population is what was sent; an owner lost in HighLevel is found.
	rep, err := e.migration(nil).Reconcile(ctx, pbnhl.ReconcileOptions{Full: true, Deep: true})
	require.NoError(t, err)
	assert.Zero(t, rep.Differences, rep.Verdict)
	for _, typ := range []string{"custom_objects.pbn_appointment", "custom_objects.pbn_treatment"} {
		i := slices.IndexFunc(rep.Population, func(p reconcile.Population) bool { return p.ObjectType == typ && p.Field == "owner" })
		require.GreaterOrEqual(t, i, 0, "%s: the owner's population is measured", typ)
		p := rep.Population[i]
		assert.Positive(t, p.Sent, typ)
		assert.Equal(t, p.Sent, p.Stored, "%s: every owner sent is stored", typ)
	}
	var victim *highlevel.Record
	for r, err := range e.client.Objects.SearchRecords(ctx, "custom_objects.pbn_treatment", highlevel.RecordSearch{PageLimit: 100}) {
		require.NoError(t, err)
		if len(r.Owner) == 1 {
			victim = r
			break
		}
	}
	require.NotNil(t, victim)
	_, err = e.client.Objects.UpdateRecord(ctx, "custom_objects.pbn_treatment", victim.ID, highlevel.RecordUpdate{Owner: []string{}})
	require.NoError(t, err)
	rep, err = e.migration(nil).Reconcile(ctx, pbnhl.ReconcileOptions{Full: true, Deep: true})
	require.NoError(t, err)
	var found []string
	if rep.Records != nil {
		for _, d := range rep.Records.Differences {
			found = append(found, d.HighLevelID+" "+string(d.Kind)+" "+d.Field)
		}
	}
	assert.Equal(t, []string{victim.ID + " " + string(reconcile.KindField) + " owner"}, found, rep.Verdict)
}

// recordCensus counts what readRecordUsers read: records by outcome,
// and per staff member the records it owns and the user lookups that
// found no user (the records it leaves without owner or follower).
type recordCensus struct {
	n       map[string]int
	owns    map[string]int
	unowned map[string]int
}

func (c recordCensus) String() string {
	keys := make([]string, 0, len(c.n))
	for k := range c.n {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %d; ", k, c.n[k])
	}
	return strings.TrimSuffix(b.String(), "; ")
}

func readRecordUsers(t *testing.T, e *env, want func(staffID string) []string) recordCensus {
	return readRecordUsersKeyed(t, e, func(string) func(string, string) ([]string, bool) {
		return func(_, staffID string) ([]string, bool) { return want(staffID), false }
	})
}

// readRecordUsersKeyed reads every appointment and treatment record from
// hltest through the client and checks its owner (the provider's user)
// and an appointment's followers (the hygienist's user) against want,
// given the source entity, then the record's source key and staff id:
// the users, and whether no user is right as well.
func readRecordUsersKeyed(t *testing.T, e *env, want func(entity string) func(key, staffID string) ([]string, bool)) recordCensus {
	t.Helper()
	ctx := context.Background()
	c := recordCensus{n: map[string]int{}, owns: map[string]int{}, unowned: map[string]int{}}
	text := func(r *highlevel.Record, prop string) string {
		v, ok := r.Properties.Value(prop)
		if !ok {
			return ""
		}
		s, _ := v.Text()
		return s
	}
	for _, o := range []struct {
		key, ext, noun string
		entity         pbn.Entity
		followers      bool
	}{
		{"custom_objects.pbn_appointment", "pbn_appointment_id", "appointment", pbn.EntityAppointments, true},
		{"custom_objects.pbn_treatment", "pbn_treatment_id", "treatment", pbn.EntityProcedures, false},
	} {
		w := want(string(o.entity))
		records := 0
		for r, err := range e.client.Objects.SearchRecords(ctx, o.key, highlevel.RecordSearch{PageLimit: 100}) {
			require.NoError(t, err)
			records++
			key := text(r, o.ext)
			prov := text(r, "provider_id")
			owner, orNone := w(key, prov)
			if prov == "" || orNone && len(r.Owner) == 0 {
				owner = nil
			}
			assert.Len(t, r.Owner, len(owner), "%s %s (provider %q): owner %v, want %v", o.noun, key, prov, r.Owner, owner)
			if len(owner) > 0 {
				assert.Equal(t, owner, r.Owner, "%s %s: owned by its provider's user", o.noun, key)
			}
			assert.NotContains(t, r.Owner, fallbackUser, "%s %s: a record never gets the fallback user", o.noun, key)
			switch {
			case prov == "":
				c.n[o.noun+" without provider"]++ // treatment rows parsed from patient notes
			case len(owner) > 0:
				c.n[o.noun+" owned"]++
				c.owns[prov]++
			default:
				c.n[o.noun+" without owner"]++
				c.unowned[prov]++
			}
			if !o.followers {
				assert.Empty(t, r.Followers, "%s %s: no followers lookup", o.noun, key)
				continue
			}
			hyg := text(r, "hygienist_id")
			var follow []string
			if hyg != "" {
				var orNone bool
				if follow, orNone = w(key, hyg); orNone && len(r.Followers) == 0 {
					follow = nil
				}
			}
			assert.Len(t, r.Followers, len(follow), "%s %s (hygienist %q): followers %v, want %v", o.noun, key, hyg, r.Followers, follow)
			switch {
			case len(follow) > 0:
				assert.Equal(t, follow, r.Followers, "%s %s: followed by its hygienist's user", o.noun, key)
				c.n[o.noun+" followed"]++
			case hyg != "":
				c.n[o.noun+" hygienist without user"]++
				c.unowned[hyg]++
			}
		}
		assert.Positive(t, records, "%s records arrived", o.noun)
	}
	return c
}
