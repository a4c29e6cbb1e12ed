package highlevel

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const associationJSON = `{"id":"a1","locationId":"loc-test-1","key":"patient_xray","firstObjectKey":"contact","firstObjectLabel":"Patient",
 "secondObjectKey":"custom_objects.xray","secondObjectLabel":"X-ray","associationType":"USER_DEFINED"}`

const relationJSON = `{"id":"rel1","associationId":"a1","firstRecordId":"c1","secondRecordId":"r1","locationId":"loc-test-1",
 "createdAt":"2024-02-03T04:05:06.000Z"}`

func TestAssociationsOperations(t *testing.T) {
	checkA1 := func(t *testing.T, got any) {
		assert.Equal(t, &Association{ID: "a1", LocationID: testLocation, Key: "patient_xray", FirstObjectKey: "contact",
			FirstObjectLabel: "Patient", SecondObjectKey: "custom_objects.xray", SecondObjectLabel: "X-ray",
			AssociationType: "USER_DEFINED"}, got)
	}
	checkRel := func(t *testing.T, got any) {
		r := got.(*Relation)
		assert.Equal(t, "rel1", r.ID)
		assert.Equal(t, "a1", r.AssociationID)
		assert.Equal(t, "c1", r.FirstRecordID)
		assert.Equal(t, "r1", r.SecondRecordID)
		assert.Equal(t, 2024, r.CreatedAt.Year())
	}
	runOpCases(t, []opCase{
		{
			name: "create", pattern: "POST /associations/{$}", status: 201, response: associationJSON,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Associations.Create(ctx, AssociationInput{Key: "patient_xray", FirstObjectKey: "contact",
					FirstObjectLabel: "Patient", SecondObjectKey: "custom_objects.xray", SecondObjectLabel: "X-ray"})
			},
			wantBody: `{"locationId":"loc-test-1","key":"patient_xray","firstObjectKey":"contact","firstObjectLabel":"Patient",
				"secondObjectKey":"custom_objects.xray","secondObjectLabel":"X-ray"}`,
			check: checkA1,
		},
		{
			name: "get", pattern: "GET /associations/a1", status: 200, response: associationJSON,
			call:  func(ctx context.Context, c *Client) (any, error) { return c.Associations.Get(ctx, "a1") },
			check: checkA1,
		},
		{
			name: "get wrapped", pattern: "GET /associations/a1", status: 200, response: `{"association":` + associationJSON + `}`,
			call:  func(ctx context.Context, c *Client) (any, error) { return c.Associations.Get(ctx, "a1") },
			check: checkA1,
		},
		{
			name: "get by key", pattern: "GET /associations/key/patient_xray", status: 200, response: associationJSON,
			call:      func(ctx context.Context, c *Client) (any, error) { return c.Associations.GetByKey(ctx, "patient_xray") },
			wantQuery: map[string]string{"locationId": testLocation},
			check:     checkA1,
		},
		{
			name: "by object key", pattern: "GET /associations/objectKey/custom_objects.xray", status: 200,
			response: `{"associations":[` + associationJSON + `]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Associations.ListByObjectKey(ctx, "custom_objects.xray")
			},
			wantQuery: map[string]string{"locationId": testLocation},
			check: func(t *testing.T, got any) {
				l := got.([]*Association)
				require.Len(t, l, 1)
				checkA1(t, l[0])
			},
		},
		{
			name: "update labels", pattern: "PUT /associations/a1", status: 200, response: associationJSON,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Associations.UpdateLabels(ctx, "a1", "Patient", "X-ray")
			},
			wantBody: `{"firstObjectLabel":"Patient","secondObjectLabel":"X-ray"}`,
			check:    checkA1,
		},
		{
			name: "delete", pattern: "DELETE /associations/a1", status: 200,
			response: `{"deleted":true,"id":"a1","message":"Association deleted successfully"}`,
			call:     func(ctx context.Context, c *Client) (any, error) { return nil, c.Associations.Delete(ctx, "a1") },
		},
		{
			name: "create relation", pattern: "POST /associations/relations", status: 201, response: relationJSON,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Associations.CreateRelation(ctx, RelationInput{AssociationID: "a1", FirstRecordID: "c1", SecondRecordID: "r1"})
			},
			wantBody: `{"locationId":"loc-test-1","associationId":"a1","firstRecordId":"c1","secondRecordId":"r1"}`,
			check:    checkRel,
		},
		{
			name: "delete relation", pattern: "DELETE /associations/relations/rel1", status: 200, response: relationJSON,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.Associations.DeleteRelation(ctx, "rel1")
			},
			wantQuery: map[string]string{"locationId": testLocation},
		},
	})
}

func TestAssociationsListPages(t *testing.T) {
	ts := newTestServer(t)
	const total = 5
	ts.handle("GET /associations/{$}", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		assert.Equal(t, testLocation, q.Get("locationId"))
		skip, _ := strconv.Atoi(q.Get("skip"))
		limit, _ := strconv.Atoi(q.Get("limit"))
		var items []string
		for i := skip; i < min(skip+limit, total); i++ {
			items = append(items, fmt.Sprintf(`{"id":"a%d","key":"k%d","firstObjectKey":"contact","secondObjectKey":"business"}`, i, i))
		}
		writeJSON(w, 200, fmt.Sprintf(`{"associations":[%s],"total":%d}`, strings.Join(items, ","), total))
	})
	var keys []string
	for a, err := range ts.client.Associations.List(context.Background(), AssociationListOptions{PageSize: 2}) {
		require.NoError(t, err)
		keys = append(keys, a.Key)
	}
	assert.Equal(t, []string{"k0", "k1", "k2", "k3", "k4"}, keys)
	assert.Len(t, ts.requests(), 3)

	// An exact multiple of the page size stops on the total, without an
	// empty extra call.
	ts2 := newTestServer(t)
	ts2.handle("GET /associations/{$}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"associations":[`+associationJSON+`,`+associationJSON+`],"total":2}`)
	})
	n := 0
	for _, err := range ts2.client.Associations.List(context.Background(), AssociationListOptions{PageSize: 2}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 2, n)
	assert.Len(t, ts2.requests(), 1)
}

func TestRelationsOfRecord(t *testing.T) {
	ts := newTestServer(t)
	ts.handle("GET /associations/relations/c1", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("skip") == "0" {
			writeJSON(w, 200, `{"relations":[`+relationJSON+`,`+relationJSON+`],"total":3}`)
			return
		}
		writeJSON(w, 200, `{"relations":[`+relationJSON+`],"total":3}`)
	})
	n := 0
	for r, err := range ts.client.Associations.Relations(context.Background(), "c1", RelationListOptions{AssociationIDs: []string{"a1", "a2"}, PageSize: 2}) {
		require.NoError(t, err)
		assert.Equal(t, "rel1", r.ID)
		n++
	}
	assert.Equal(t, 3, n)
	reqs := ts.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, map[string][]string{"locationId": {testLocation}, "skip": {"2"}, "limit": {"2"}, "associationIds": {"a1,a2"}}, reqs[1].Query)
	assert.Equal(t, Version20210728, reqs[1].Header.Get("Version"))
}

func TestAssociationsBadInputAndAnswers(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	a := ts.client.Associations
	for name, call := range map[string]func() error{
		"create partial":   func() error { _, err := a.Create(ctx, AssociationInput{Key: "k"}); return err },
		"get ''":           func() error { _, err := a.Get(ctx, ""); return err },
		"by key ''":        func() error { _, err := a.GetByKey(ctx, ""); return err },
		"by object ''":     func() error { _, err := a.ListByObjectKey(ctx, ""); return err },
		"labels missing":   func() error { _, err := a.UpdateLabels(ctx, "a1", "", "b"); return err },
		"delete ''":        func() error { return a.Delete(ctx, "") },
		"relation partial": func() error { _, err := a.CreateRelation(ctx, RelationInput{AssociationID: "a1"}); return err },
		"delete rel ''":    func() error { return a.DeleteRelation(ctx, "") },
		"relations ''": func() error {
			for _, err := range a.Relations(ctx, "", RelationListOptions{}) {
				return err
			}
			return nil
		},
	} {
		assert.Error(t, call(), name)
	}
	assert.Empty(t, ts.requests())

	ts.handle("GET /associations/key/{key}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("key") == "gone" {
			writeJSON(w, 400, `{"statusCode":400,"message":"Association with key gone not found"}`)
			return
		}
		writeJSON(w, 200, `{}`)
	})
	_, err := a.GetByKey(ctx, "gone")
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = a.GetByKey(ctx, "empty")
	var de *DecodeError
	assert.ErrorAs(t, err, &de)

	ts.handle("DELETE /associations/a9", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"deleted":false,"id":"a9","message":"no"}`)
	})
	assert.ErrorIs(t, a.Delete(ctx, "a9"), ErrNotApplied)
}
