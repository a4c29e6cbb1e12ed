package reconcile_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/reconcile"
)

// The contact external-id field can be given by its key, with or without
// the model prefix, as well as by its id: each finds the same damage. A key
// the location does not have leaves the report partial, saying so.
func TestExternalFieldByKey(t *testing.T) {
	e := migrated(t, shortOr(12, 30))
	ctx := context.Background()
	key, id := contactOf(t, e, 4)
	require.NoError(t, e.hl.Contacts.Delete(ctx, id))
	for _, field := range []string{e.extID, "contact.pbn_patient_id", "pbn_patient_id"} {
		rep, err := reconcile.Check(ctx, reconcile.Options{Client: e.hl, Ledger: e.ledger, ContactExternalField: field,
			Full: true, Sample: -1, Slack: time.Millisecond})
		require.NoError(t, err)
		require.True(t, rep.Complete(), field)
		require.NotNil(t, rep.Buckets, field)
		require.Len(t, rep.Buckets.Differences, 1, field)
		assert.Equal(t, key, rep.Buckets.Differences[0].SourceKey, field)
	}
	rep, err := reconcile.Check(ctx, reconcile.Options{Client: e.hl, Ledger: e.ledger, ContactExternalField: "contact.pbn_no_such_field",
		Full: true, Sample: -1})
	require.NoError(t, err)
	assert.False(t, rep.Complete())
	assert.False(t, rep.OK())
	require.Len(t, rep.Unchecked, 1)
	assert.Equal(t, "field names", rep.Unchecked[0].Step)
	assert.Contains(t, rep.Unchecked[0].Reason, "contact.pbn_no_such_field")
	assert.Nil(t, rep.Buckets, "no field, no buckets")
}

// The estimate, from the ledger alone, is what a check of a location that
// agrees spends, within a few calls.
func TestEstimate(t *testing.T) {
	e := migrated(t, shortOr(12, 30))
	ctx := context.Background()
	for _, o := range []reconcile.Options{{}, {Full: true}, {Full: true, Sample: -1}, reconcile.Bisect(reconcile.Options{Full: true, Sample: -1}), {Full: true, Deep: true}} {
		o.ContactExternalField = e.extID
		est, err := reconcile.Estimate(ctx, e.ledger, o)
		require.NoError(t, err)
		rep := e.run(t, o)
		require.Zero(t, rep.LedgerDifferences, rep.Verdict)
		assert.InDelta(t, rep.Calls, est, float64(rep.Calls)/10+2, "full=%v sample=%d: estimated %d, spent %d", o.Full, o.Sample, est, rep.Calls)
	}
}

// A partial report says, on every rendering, which steps it could not check.
func TestPartialReportRenderings(t *testing.T) {
	rep := &reconcile.Report{Unchecked: []reconcile.Unchecked{{Step: "buckets", Reason: "HTTP 503 contacts.search"}}}
	var text, page strings.Builder
	require.NoError(t, rep.WriteText(&text))
	require.NoError(t, rep.WriteHTML(&page))
	assert.Contains(t, text.String(), "PARTIAL: not checked: buckets")
	assert.Contains(t, text.String(), "buckets: HTTP 503 contacts.search")
	assert.Contains(t, page.String(), "Not checked: buckets — HTTP 503 contacts.search")
	assert.False(t, rep.OK())
	assert.False(t, rep.LedgerMatches())
}

// shortOr keeps -short (the race run) quick.
func shortOr(short, normal int) int {
	if testing.Short() {
		return short
	}
	return normal
}
