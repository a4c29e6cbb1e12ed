package highlevel

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const businessJSON = `{"id":"b1","name":"Smile Dental","locationId":"loc-test-1","phone":"+18832327657","email":"front@smile.example",
 "website":"smile.example","address":"1 Main St","city":"Austin","state":"TX","postalCode":"78701","country":"US",
 "description":"dental office","createdAt":"2024-01-02T03:04:05.000Z","updatedAt":"2024-01-02T03:04:05.000Z"}`

func TestBusinessesOperations(t *testing.T) {
	checkB1 := func(t *testing.T, got any) {
		b := got.(*Business)
		assert.Equal(t, "b1", b.ID)
		assert.Equal(t, "Smile Dental", b.Name)
		assert.Equal(t, 2024, b.CreatedAt.Year())
	}
	runOpCases(t, []opCase{
		{
			name: "create decodes buiseness (sic)", pattern: "POST /businesses/{$}", status: 201,
			response: `{"success":true,"buiseness":` + businessJSON + `}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Businesses.Create(ctx, BusinessInput{Name: "Smile Dental", Phone: "+18832327657", City: "Austin"})
			},
			wantBody: `{"locationId":"loc-test-1","name":"Smile Dental","phone":"+18832327657","city":"Austin"}`,
			check:    checkB1,
		},
		{
			name: "create decodes business", pattern: "POST /businesses/{$}", status: 201,
			response: `{"success":true,"business":` + businessJSON + `}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Businesses.Create(ctx, BusinessInput{Name: "Smile Dental"})
			},
			wantBody: `{"locationId":"loc-test-1","name":"Smile Dental"}`,
			check:    checkB1,
		},
		{
			name: "get", pattern: "GET /businesses/b1", status: 200, response: `{"business":` + businessJSON + `}`,
			call:  func(ctx context.Context, c *Client) (any, error) { return c.Businesses.Get(ctx, "b1") },
			check: checkB1,
		},
		{
			name: "update", pattern: "PUT /businesses/b1", status: 200, response: `{"success":true,"buiseness":` + businessJSON + `}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Businesses.Update(ctx, "b1", BusinessUpdate{Name: Ptr("Smile Dental"), Description: Ptr("")})
			},
			wantBody: `{"name":"Smile Dental","description":""}`,
			check:    checkB1,
		},
		{
			name: "delete", pattern: "DELETE /businesses/b1", status: 200, response: `{"success":true}`,
			call: func(ctx context.Context, c *Client) (any, error) { return nil, c.Businesses.Delete(ctx, "b1") },
		},
		{
			name: "link contacts", pattern: "POST /contacts/bulk/business", status: 200, response: `{"success":true,"ids":["c1","c2"]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Businesses.LinkContacts(ctx, "b1", []string{"c1", "c2"})
			},
			wantBody: `{"locationId":"loc-test-1","ids":["c1","c2"],"businessId":"b1"}`,
			check: func(t *testing.T, got any) {
				assert.Equal(t, &LinkResult{Success: true, ContactIDs: []string{"c1", "c2"}}, got)
			},
		},
		{
			name: "unlink contacts sends null", pattern: "POST /contacts/bulk/business", status: 200, response: `{"success":true,"ids":["c1"]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Businesses.UnlinkContacts(ctx, []string{"c1"})
			},
			wantBody: `{"locationId":"loc-test-1","ids":["c1"],"businessId":null}`,
		},
	})
}

func TestBusinessDeleteNotApplied(t *testing.T) {
	ts := newTestServer(t)
	ts.handle("DELETE /businesses/b1", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{"success":false}`) })
	assert.ErrorIs(t, ts.client.Businesses.Delete(context.Background(), "b1"), ErrNotApplied)
}

func TestBusinessesListPages(t *testing.T) {
	ts := newTestServer(t)
	const total = 7
	ts.handle("GET /businesses/{$}", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, testLocation, r.URL.Query().Get("locationId"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		skip, _ := strconv.Atoi(r.URL.Query().Get("skip"))
		body := `{"businesses":[`
		for i := skip; i < min(skip+limit, total); i++ {
			if i > skip {
				body += ","
			}
			body += fmt.Sprintf(`{"id":"b%d","name":"n%d","locationId":"loc-test-1"}`, i, i)
		}
		writeJSON(w, 200, body+`]}`)
	})
	var ids []string
	for b, err := range ts.client.Businesses.List(context.Background(), BusinessListOptions{PageSize: 3}) {
		require.NoError(t, err)
		ids = append(ids, b.ID)
	}
	assert.Equal(t, []string{"b0", "b1", "b2", "b3", "b4", "b5", "b6"}, ids)
	reqs := ts.requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, "6", reqs[2].Query["skip"][0])
	assert.Equal(t, "3", reqs[2].Query["limit"][0])
}

func TestBusinessesRejectBadInput(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	_, err := ts.client.Businesses.Create(ctx, BusinessInput{})
	assert.Error(t, err)
	_, err = ts.client.Businesses.Get(ctx, "")
	assert.Error(t, err)
	_, err = ts.client.Businesses.LinkContacts(ctx, "", []string{"c"})
	assert.Error(t, err)
	_, err = ts.client.Businesses.UnlinkContacts(ctx, nil)
	assert.Error(t, err)
	assert.Empty(t, ts.requests())
}

func TestBusinessMissingEnvelope(t *testing.T) {
	ts := newTestServer(t)
	ts.handle("GET /businesses/b1", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{}`) })
	_, err := ts.client.Businesses.Get(context.Background(), "b1")
	var de *DecodeError
	assert.ErrorAs(t, err, &de)
}
