package pbnhl_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/reconcile"
	"github.com/pbnhl/pbnhl/rollback"
)

// damaged is a migrated location four people damaged after the run.
type damaged struct {
	e *env
	// deleted is a contact deleted (it has custom records related to it
	// and no opportunity); changed a contact whose custom field someone
	// changed; unrelated a custom record whose relation to its contact was
	// removed; unlinked a contact unlinked from its business.
	deleted, changed, unrelated, unlinked item
	field                                 string
}

type item struct{ typ, key, id string }

func damage(t *testing.T) *damaged {
	t.Helper()
	var offset atomic.Int64
	e := newEnv(t, envOptions{patients: 30, hlClock: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }})
	migrate(t, e, nil)
	ctx := context.Background()
	c := e.client
	// HighLevel's clock moves on: the damage is stamped after the run.
	offset.Store(int64(time.Minute))

	withOpp := map[string]bool{}
	for o, err := range c.Opportunities.Search(ctx, highlevel.OpportunitySearch{Status: highlevel.StatusAll}) {
		require.NoError(t, err)
		withOpp[o.ContactID] = true
	}
	related := map[string][]*highlevel.Relation{} // contact id → its relations
	var contacts []rollback.IDMapEntry
	for mp, err := range e.ledger.IDMap(ctx, rollback.TypeContact) {
		require.NoError(t, err)
		contacts = append(contacts, mp)
	}
	for _, mp := range contacts {
		for rl, err := range c.Associations.Relations(ctx, mp.HighLevelID, highlevel.RelationListOptions{}) {
			require.NoError(t, err)
			related[mp.HighLevelID] = append(related[mp.HighLevelID], rl)
		}
	}
	d := &damaged{e: e}
	var rest []rollback.IDMapEntry
	for _, mp := range contacts {
		if d.deleted.id == "" && !withOpp[mp.HighLevelID] && len(related[mp.HighLevelID]) > 0 {
			d.deleted = item{rollback.TypeContact, mp.SourceKey, mp.HighLevelID}
			continue
		}
		rest = append(rest, mp)
	}
	require.NotEmpty(t, d.deleted.id, "a contact with records and no opportunity")
	require.GreaterOrEqual(t, len(rest), 3)
	fields, err := c.CustomFields.List(ctx, highlevel.FieldModelContact)
	require.NoError(t, err)
	var middle string // a text field most contacts have
	for _, f := range fields {
		if f.FieldKey == "contact.pbn_middle_initial" {
			middle = f.ID
			d.field = "customFields." + f.FieldKey
		}
	}
	require.NotEmpty(t, middle)
	for i, mp := range rest {
		ct, err := c.Contacts.Get(ctx, mp.HighLevelID)
		require.NoError(t, err)
		if _, ok := ct.CustomField(middle); ok {
			d.changed = item{rollback.TypeContact, mp.SourceKey, mp.HighLevelID}
			rest = slices.Delete(rest, i, i+1)
			break
		}
	}
	require.NotEmpty(t, d.changed.id)
	d.unlinked = item{rollback.TypeContact, rest[1].SourceKey, rest[1].HighLevelID}
	for _, mp := range rest[2:] {
		if rels := related[mp.HighLevelID]; len(rels) > 0 {
			rl := rels[0]
			rec := rl.FirstRecordID
			if rec == mp.HighLevelID {
				rec = rl.SecondRecordID
			}
			d.unrelated = item{id: rec}
			require.NoError(t, c.Associations.DeleteRelation(ctx, rl.ID))
			break
		}
	}
	require.NotEmpty(t, d.unrelated.id)

	require.NoError(t, c.Contacts.Delete(ctx, d.deleted.id))
	_, err = c.Contacts.Update(ctx, d.changed.id, highlevel.ContactUpdate{CustomFields: []highlevel.CustomFieldInput{{ID: middle, Value: highlevel.TextValue("Q")}}})
	require.NoError(t, err)
	_, err = c.Businesses.UnlinkContacts(ctx, []string{d.unlinked.id})
	require.NoError(t, err)
	return d
}

// found lists a report's record-level findings as "kind type key/id".
func found(rep *reconcile.Report) []string {
	var out []string
	add := func(s string) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, d := range []*reconcile.Diff{&rep.Sample, rep.Buckets, rep.Records} {
		if d == nil {
			continue
		}
		for _, x := range d.Differences {
			add(x.Kind + " " + x.ObjectType + " " + x.SourceKey + " " + x.Field)
		}
	}
	for _, in := range rep.Integrity {
		for _, o := range in.Orphans {
			add("orphan " + o.HighLevelID + " " + o.Reason)
		}
	}
	slices.Sort(out)
	return out
}

// The "done when": a deleted contact, a changed custom field, a
// removed relation and an unlinked business are each found exactly by a
// full reconcile (Deep: every relation read; a sampled one may miss the
// removed relation) and fixed by Repair — the changed field, someone's edit
// after the run, only with Force — after which reconcile agrees; the
// repair is a run Undo reverses.
func TestRepairFixesWhatReconcileFinds(t *testing.T) {
	d := damage(t)
	e := d.e
	ctx := context.Background()
	m := e.migration(nil)
	rep, err := m.Reconcile(ctx, pbnhl.ReconcileOptions{Full: true, Deep: true, Sample: -1})
	require.NoError(t, err)
	got := found(rep)
	want := []string{
		"field contact " + d.changed.key + " " + d.field,
		"missing contact " + d.deleted.key + " ",
		"orphan " + d.unlinked.id + " not linked to its office's business",
		"orphan " + d.unrelated.id + " relation to its contact missing",
	}
	// The deleted contact's link and its records' relations broke too.
	var extra []string
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	for _, w := range want {
		assert.Contains(t, got, w)
	}
	for _, x := range extra {
		ok := strings.Contains(x, "relation to its contact missing") || x == "orphan "+d.deleted.id+" not linked to its office's business"
		assert.True(t, ok, "only the deleted contact's link and relations besides: %s", x)
	}
	for _, c := range rep.Counts {
		if c.ObjectType == rollback.TypeContact {
			assert.Equal(t, c.Ledger-1, c.HighLevel)
		}
	}

	// Without Force the edited contact is refused, the rest repaired.
	out, err := m.Repair(ctx, rep, pbnhl.RepairOptions{})
	var inc *pbnhl.RepairIncompleteError
	require.True(t, errors.As(err, &inc), "%v", err)
	require.Len(t, inc.Skipped, 1, "%+v", inc.Skipped)
	assert.True(t, inc.Skipped[0].Changed)
	assert.Equal(t, d.changed.key, inc.Skipped[0].SourceKey)
	assert.Contains(t, err.Error(), "-force")
	assert.NotZero(t, out.Run)
	rep, err = m.Reconcile(ctx, pbnhl.ReconcileOptions{Full: true, Sample: -1})
	require.NoError(t, err)
	assert.Equal(t, []string{"field contact " + d.changed.key + " " + d.field}, found(rep), rep.Verdict)

	// With Force it is put back; reconcile agrees.
	out2, err := m.Repair(ctx, rep, pbnhl.RepairOptions{Force: true})
	require.NoError(t, err)
	rep, err = m.Reconcile(ctx, pbnhl.ReconcileOptions{Full: true, Deep: true})
	require.NoError(t, err)
	assert.Empty(t, found(rep))
	assert.Zero(t, rep.Differences, rep.Verdict)
	assert.True(t, rep.LedgerMatches(), rep.Verdict)

	// A repair is a run like any: undoing the forced one restores the
	// edited value, which reconcile finds again.
	u, err := m.Undo(ctx, pbnhl.UndoOptions{Runs: []rollback.RunID{out2.Run}})
	require.NoError(t, err)
	assert.True(t, u.Complete())
	rep, err = m.Reconcile(ctx, pbnhl.ReconcileOptions{Full: true, Sample: -1})
	require.NoError(t, err)
	assert.Equal(t, []string{"field contact " + d.changed.key + " " + d.field}, found(rep))
}

// Repair refuses a report of another location and pending intents.
func TestRepairRefuses(t *testing.T) {
	e := newEnv(t, envOptions{patients: 5})
	migrate(t, e, nil)
	ctx := context.Background()
	m := e.migration(nil)
	_, err := m.Repair(ctx, &reconcile.Report{LocationID: "otherLocation0000001"}, pbnhl.RepairOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "otherLocation0000001")
	_, err = m.Repair(ctx, nil, pbnhl.RepairOptions{})
	require.ErrorIs(t, err, pbnhl.ErrInvalidOptions)
	run, err := e.ledger.BeginRun(ctx, rollback.RunOptions{Kind: rollback.KindDelta, Location: e.client.LocationID()})
	require.NoError(t, err)
	_, err = run.Intent(ctx, rollback.Intent{Op: rollback.OpCreate, ObjectType: rollback.TypeContact, SourceKey: "999999", Payload: []byte(`{}`)})
	require.NoError(t, err)
	_, err = m.Repair(ctx, &reconcile.Report{}, pbnhl.RepairOptions{})
	require.ErrorIs(t, err, pbnhl.ErrPendingIntents)
}

// A business deleted in HighLevel (which unlinks its contacts) is found
// missing by a full reconcile; repair creates it again from its journaled
// body and links the journal's contacts to the new id, after which
// reconcile agrees.
func TestRepairRecreatesABusiness(t *testing.T) {
	e := newEnv(t, envOptions{patients: 20})
	migrate(t, e, nil)
	ctx := context.Background()
	var key, id string
	for mp, err := range e.ledger.IDMap(ctx, rollback.TypeBusiness) {
		require.NoError(t, err)
		key, id = mp.SourceKey, mp.HighLevelID
		break
	}
	require.NotEmpty(t, id, "the practice has a business")
	require.NoError(t, e.client.Businesses.Delete(ctx, id))
	m := e.migration(nil)
	rep, err := m.Reconcile(ctx, pbnhl.ReconcileOptions{Full: true, Sample: -1})
	require.NoError(t, err)
	got := found(rep)
	assert.Contains(t, got, "orphan "+id+" missing", rep.Verdict)
	for _, g := range got { // and its contacts, which HighLevel unlinked
		ok := g == "orphan "+id+" missing" || strings.HasSuffix(g, " not linked to its office's business")
		assert.True(t, ok, "only the business and its contacts' links: %s", g)
	}
	var keys []string
	for _, in := range rep.Integrity {
		for _, o := range in.Orphans {
			if o.ObjectType == rollback.TypeBusiness {
				keys = append(keys, o.SourceKey)
			}
		}
	}
	assert.Equal(t, []string{key}, keys, "the missing business is named by its source key")
	out, err := m.Repair(ctx, rep, pbnhl.RepairOptions{})
	require.NoError(t, err)
	var written int64
	for _, pr := range out.Objects {
		if pr.Object == rollback.TypeBusiness {
			written = pr.Written
		}
	}
	assert.Equal(t, int64(1), written, "%+v", out.Objects)
	rep, err = m.Reconcile(ctx, pbnhl.ReconcileOptions{Full: true})
	require.NoError(t, err)
	assert.Empty(t, found(rep))
	assert.Zero(t, rep.Differences, rep.Verdict)
	assert.True(t, rep.LedgerMatches(), rep.Verdict)
}
