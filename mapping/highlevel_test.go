package mapping

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

const scaledWindow = 250 * time.Millisecond

func scaledServer(o hltest.Options) *hltest.Server {
	o.RateLimit = hltest.RateLimit{Max: 100, Window: scaledWindow}
	return hltest.NewServer(o)
}

func hlClient(t *testing.T, s *hltest.Server, calls *atomic.Int64) *highlevel.Client {
	t.Helper()
	// HighLevel's 100 requests per 10 s, scaled to 100 per 250 ms.
	lim, err := highlevel.NewLimiter(highlevel.LimiterOptions{Requests: 100, Window: scaledWindow, Margin: -1})
	require.NoError(t, err)
	c, err := highlevel.NewClient(highlevel.Options{BaseURL: s.URL, LocationID: hltest.DefaultLocationID,
		Auth: highlevel.StaticToken(hltest.DefaultToken), HTTPClient: s.Client(), Limiter: lim,
		OnCall: func(highlevel.Call) { calls.Add(1) }})
	require.NoError(t, err)
	return c
}

// TestSchemaPlanAgainstHLTest diffs and applies the default map's schema on
// the HighLevel simulator: everything missing at first, everything created
// once, nothing created the second time, conflicts reported.
func TestSchemaPlanAgainstHLTest(t *testing.T) {
	ctx := context.Background()
	s := scaledServer(hltest.Options{})
	defer s.Close()
	var calls atomic.Int64
	c := hlClient(t, s, &calls)
	api := NewHighLevelSchema(c)

	// An admin created one field by hand, with the wrong type.
	_, err := c.CustomFields.Create(ctx, highlevel.CustomFieldCreate{Name: "PbN created", DataType: highlevel.DataTypeText,
		Model: highlevel.FieldModelContact, FieldKey: "contact.pbn_created_at"})
	require.NoError(t, err)

	plan, err := DeriveSchema(mustDefault(t))
	require.NoError(t, err)
	d, err := plan.Diff(ctx, api)
	require.NoError(t, err)
	assert.Equal(t, 1, d.Count(Conflicts))
	assert.Zero(t, d.Count(Exists))

	calls.Store(0)
	res, err := plan.Apply(ctx, api)
	var ce *ConflictError
	require.ErrorAs(t, err, &ce)
	require.Len(t, ce.Items, 1)
	assert.Equal(t, "contact.pbn_created_at", ce.Items[0].Key)
	created := len(res.Created) + len(res.Manual)
	assert.Equal(t, len(d.Items)-1-len(plan.Objects), created, "all but the conflict and the object primaries")
	t.Logf("schema apply: %d elements created, %d manual, %d API calls", len(res.Created), len(res.Manual), calls.Load())
	assert.LessOrEqual(t, calls.Load(), int64(created+len(plan.Objects)+8), "about one call per element: diff listings and folders are reused")

	res2, err := plan.Apply(ctx, api)
	require.ErrorAs(t, err, &ce)
	assert.Empty(t, res2.Created, "idempotent")

	d2, err := plan.Diff(ctx, api)
	require.NoError(t, err)
	assert.Equal(t, len(d2.Items)-1-len(res.Manual), d2.Count(Exists))
	for _, it := range d2.Items {
		if it.Kind == KindField && it.Status == Exists {
			assert.NotEmpty(t, it.ID, it.Key)
		}
	}
}

func TestOwnersFromHLTest(t *testing.T) {
	s := scaledServer(hltest.Options{CompanyID: "comp1", Users: []hltest.User{
		{ID: "u1", FirstName: "Ann", LastName: "Lee", Email: "Ann.Lee@Practice.example", LocationIDs: []string{hltest.DefaultLocationID}},
		{ID: "u2", Name: "Front Desk", Email: "desk@practice.example", LocationIDs: []string{hltest.DefaultLocationID}},
	}})
	defer s.Close()
	var calls atomic.Int64
	c := hlClient(t, s, &calls)
	o, err := ResolveOwnersFrom(context.Background(), HighLevelUsers{Client: c, CompanyID: "comp1"},
		[]StaffMember{{Key: "1", Email: "ann.lee@practice.example "}, {Key: "2", Email: "gone@practice.example"}},
		OwnerOptions{FallbackEmail: "DESK@practice.example"})
	require.NoError(t, err)
	id, ok := o.Owner("1")
	assert.True(t, ok)
	assert.Equal(t, "u1", id)
	id, ok = o.Owner("2")
	assert.False(t, ok)
	assert.Equal(t, "u2", id)
}
