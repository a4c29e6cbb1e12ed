package highlevel

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const userJSON = `{"id":"u1","name":"Ann Lee","firstName":"Ann","lastName":"Lee","email":"ann@smile.example","phone":"+18832327657",
 "roles":{"type":"account","role":"admin","locationIds":["loc-test-1"]},"deleted":false}`

func TestUsersOperations(t *testing.T) {
	runOpCases(t, []opCase{
		{
			name: "search", pattern: "GET /users/search", status: 200, response: `{"users":[` + userJSON + `],"count":1}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				var got []*User
				for u, err := range c.Users.Search(ctx, UserSearch{CompanyID: "co1", Query: "ann", PageSize: 10}) {
					if err != nil {
						return nil, err
					}
					got = append(got, u)
				}
				return got, nil
			},
			wantQuery: map[string]string{"companyId": "co1", "locationId": testLocation, "query": "ann", "skip": "0", "limit": "10"},
			check: func(t *testing.T, got any) {
				l := got.([]*User)
				require.Len(t, l, 1)
				assert.Equal(t, &User{ID: "u1", Name: "Ann Lee", FirstName: "Ann", LastName: "Lee", Email: "ann@smile.example",
					Phone: "+18832327657", Roles: UserRoles{Type: "account", Role: "admin", LocationIDs: []string{testLocation}}}, l[0])
			},
		},
		{
			name: "get", pattern: "GET /users/u1", status: 200, response: userJSON,
			call:  func(ctx context.Context, c *Client) (any, error) { return c.Users.Get(ctx, "u1") },
			check: func(t *testing.T, got any) { assert.Equal(t, "ann@smile.example", got.(*User).Email) },
		},
		{
			name: "find by email", pattern: "GET /users/search", status: 200,
			response: `{"users":[{"id":"u2","email":"ann@smile.example.org"},{"id":"u3","email":"ANN@smile.example","deleted":true},` + userJSON + `],"count":3}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Users.FindByEmail(ctx, "co1", " Ann@Smile.example ")
			},
			wantQuery: map[string]string{"companyId": "co1", "locationId": testLocation, "query": "Ann@Smile.example", "skip": "0", "limit": "100"},
			check:     func(t *testing.T, got any) { assert.Equal(t, "u1", got.(*User).ID) },
		},
	})
}

func TestUsersSearchPages(t *testing.T) {
	const total = 5
	ts := newTestServer(t)
	ts.handle("GET /users/search", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		skip, _ := strconv.Atoi(q.Get("skip"))
		limit, _ := strconv.Atoi(q.Get("limit"))
		var items []string
		for i := skip; i < min(skip+limit, total); i++ {
			items = append(items, fmt.Sprintf(`{"id":"u%d","email":"u%d@x.example"}`, i, i))
		}
		writeJSON(w, 200, fmt.Sprintf(`{"users":[%s],"count":%d}`, strings.Join(items, ","), total))
	})
	var ids []string
	for u, err := range ts.client.Users.Search(context.Background(), UserSearch{CompanyID: "co1", PageSize: 2}) {
		require.NoError(t, err)
		ids = append(ids, u.ID)
	}
	assert.Equal(t, []string{"u0", "u1", "u2", "u3", "u4"}, ids)
	reqs := ts.requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, "4", reqs[2].Query["skip"][0])
}

func TestFindByEmailNoneAndAmbiguous(t *testing.T) {
	ts := newTestServer(t)
	ts.handle("GET /users/search", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("query") {
		case "twice@x.example":
			writeJSON(w, 200, `{"users":[{"id":"u1","email":"twice@x.example"},{"id":"u2","email":"Twice@x.example"}],"count":2}`)
		default:
			writeJSON(w, 200, `{"users":[],"count":0}`)
		}
	})
	ctx := context.Background()
	u, err := ts.client.Users.FindByEmail(ctx, "co1", "nobody@x.example")
	require.NoError(t, err)
	assert.Nil(t, u)
	_, err = ts.client.Users.FindByEmail(ctx, "co1", "twice@x.example")
	require.ErrorIs(t, err, ErrAmbiguousUser)
	assert.NotContains(t, err.Error(), "twice@", "no e-mail address in errors")
}

func TestUsersBadInput(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	for _, err := range ts.client.Users.Search(ctx, UserSearch{}) {
		assert.ErrorContains(t, err, "company id")
	}
	_, err := ts.client.Users.FindByEmail(ctx, "co1", " ")
	assert.Error(t, err)
	_, err = ts.client.Users.FindByEmail(ctx, "", "a@b.example")
	assert.Error(t, err)
	_, err = ts.client.Users.Get(ctx, "")
	assert.Error(t, err)
	assert.Empty(t, ts.requests())
}

func TestUsersFilterByEmail(t *testing.T) {
	ts := newTestServer(t)
	var batches []int
	ts.handle("POST /users/search/filter-by-email", func(w http.ResponseWriter, r *http.Request) {
		var b map[string]any
		raw, _ := io.ReadAll(r.Body)
		require.NoError(t, json.Unmarshal(raw, &b))
		emails := strings.Split(b["emails"].(string), ",")
		batches = append(batches, len(emails))
		var items []string
		for _, e := range emails {
			switch e {
			case "ann@smile.example":
				items = append(items, userJSON)
			case "other@smile.example": // works in another location only
				items = append(items, `{"id":"u9","email":"other@smile.example","roles":{"locationIds":["elsewhere"]}}`)
			case "gone@smile.example":
				items = append(items, `{"id":"u8","email":"gone@smile.example","deleted":true}`)
			}
		}
		writeJSON(w, 200, fmt.Sprintf(`{"users":[%s],"count":%d}`, strings.Join(items, ","), len(items)))
	})
	emails := []string{" Ann@Smile.example", "ann@smile.example", "other@smile.example", "gone@smile.example", ""}
	for i := range 150 {
		emails = append(emails, fmt.Sprintf("nobody%d@x.example", i))
	}
	users, err := ts.client.Users.FilterByEmail(context.Background(), "co1", emails)
	require.NoError(t, err)
	require.Len(t, users, 1)
	assert.Equal(t, "u1", users[0].ID)
	assert.Equal(t, []int{100, 53}, batches, "deduplicated, 100 addresses per call")
	r := ts.requests()[0]
	assert.Equal(t, Version20210728, r.Header.Get("Version"))
	var first map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &first))
	assert.Equal(t, map[string]any{"companyId": "co1", "deleted": false, "skip": "0", "limit": "100", "projection": "all",
		"emails": first["emails"]}, first)
	assert.True(t, strings.HasPrefix(first["emails"].(string), "ann@smile.example,other@smile.example,gone@smile.example,nobody0@x.example"))

	_, err = ts.client.Users.FilterByEmail(context.Background(), "", emails)
	assert.Error(t, err)
	_, err = ts.client.Users.FilterByEmail(context.Background(), "co1", []string{"a,b@x.example"})
	assert.Error(t, err)
	users, err = ts.client.Users.FilterByEmail(context.Background(), "co1", nil)
	require.NoError(t, err)
	assert.Empty(t, users)
	assert.Len(t, ts.requests(), 2, "no call for bad or empty input")
}
