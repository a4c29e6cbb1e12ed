package highlevel

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const customValueJSON = `{"id":"cv1","name":"pbnhl migration","fieldKey":"{{ custom_values.pbnhl_migration }}","value":"m1 ledger.db","locationId":"loc-test-1"}`

func TestCustomValuesOperations(t *testing.T) {
	checkCV := func(t *testing.T, got any) {
		v := got.(*CustomValue)
		assert.Equal(t, &CustomValue{ID: "cv1", Name: "pbnhl migration", FieldKey: "{{ custom_values.pbnhl_migration }}",
			Value: "m1 ledger.db", LocationID: "loc-test-1"}, v)
	}
	runOpCases(t, []opCase{
		{
			name: "list", pattern: "GET /locations/loc-test-1/customValues", status: 200,
			response: `{"customValues":[` + customValueJSON + `]}`,
			call:     func(ctx context.Context, c *Client) (any, error) { return c.CustomValues.List(ctx) },
			check: func(t *testing.T, got any) {
				vs := got.([]*CustomValue)
				require.Len(t, vs, 1)
				checkCV(t, vs[0])
			},
		},
		{
			name: "find by name ignores case and spaces", pattern: "GET /locations/loc-test-1/customValues", status: 200,
			response: `{"customValues":[{"id":"x","name":"other","value":"v"},` + customValueJSON + `]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CustomValues.Find(ctx, " PBNHL Migration ")
			},
			check: checkCV,
		},
		{
			name: "get", pattern: "GET /locations/loc-test-1/customValues/cv1", status: 200,
			response: `{"customValue":` + customValueJSON + `}`,
			call:     func(ctx context.Context, c *Client) (any, error) { return c.CustomValues.Get(ctx, "cv1") },
			check:    checkCV,
		},
		{
			name: "create", pattern: "POST /locations/loc-test-1/customValues", status: 201,
			response: `{"customValue":` + customValueJSON + `}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CustomValues.Create(ctx, CustomValueInput{Name: "pbnhl migration", Value: "m1 ledger.db"})
			},
			wantBody: `{"name":"pbnhl migration","value":"m1 ledger.db"}`,
			check:    checkCV,
		},
		{
			name: "update", pattern: "PUT /locations/loc-test-1/customValues/cv1", status: 200,
			response: `{"customValue":` + customValueJSON + `}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CustomValues.Update(ctx, "cv1", CustomValueInput{Name: "pbnhl migration", Value: "m1 ledger.db"})
			},
			wantBody: `{"name":"pbnhl migration","value":"m1 ledger.db"}`,
			check:    checkCV,
		},
		{
			name: "delete", pattern: "DELETE /locations/loc-test-1/customValues/cv1", status: 200, response: `{"succeded":true}`,
			call: func(ctx context.Context, c *Client) (any, error) { return nil, c.CustomValues.Delete(ctx, "cv1") },
		},
	})
}

func TestCustomValuesFindNone(t *testing.T) {
	ts := newTestServer(t)
	ts.handle("GET /locations/loc-test-1/customValues", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"customValues":[{"id":"x","name":"other","value":"v"}]}`)
	})
	v, err := ts.client.CustomValues.Find(context.Background(), "pbnhl migration")
	require.NoError(t, err)
	assert.Nil(t, v)
}

func TestCustomValuesRefusedBeforeSending(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	_, err := ts.client.CustomValues.Create(ctx, CustomValueInput{Value: "v"})
	assert.ErrorContains(t, err, "name is required")
	_, err = ts.client.CustomValues.Update(ctx, "", CustomValueInput{Name: "n"})
	assert.ErrorContains(t, err, "empty custom value id")
	_, err = ts.client.CustomValues.Get(ctx, "")
	assert.Error(t, err)
	assert.Error(t, ts.client.CustomValues.Delete(ctx, ""))
	assert.Empty(t, ts.requests(), "nothing is sent")
}

func TestCustomValuesErrors(t *testing.T) {
	ts := newTestServer(t)
	ts.handle("GET /locations/loc-test-1/customValues/gone", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 422, `{"statusCode":422,"message":["custom value not found"]}`)
	})
	ts.handle("GET /locations/loc-test-1/customValues/empty", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{}`)
	})
	_, err := ts.client.CustomValues.Get(context.Background(), "gone")
	assert.True(t, errors.Is(err, ErrNotFound), "%v", err)
	_, err = ts.client.CustomValues.Get(context.Background(), "empty")
	var de *DecodeError
	assert.True(t, errors.As(err, &de), "%v", err)
}
